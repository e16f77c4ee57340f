//! ## What it does
//! Reports an `Include` that reads a file already being read, with the chain of includes
//! that leads back to it.
//!
//! ## Why is this bad?
//! httpd detects the recursion and refuses the configuration (or, through a wildcard
//! directory that includes itself, stops at its nesting limit): a reload keeps the old
//! configuration, a restart fails.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     Include example.conf
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - httpd source: `ap_process_fnmatch_configs` and the include depth check (server/config.c)
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#include>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA007",
    name: "include-cycle",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::IncludeCycle,
    )
}
