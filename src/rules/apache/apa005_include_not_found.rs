//! ## What it does
//! Reports an `Include` httpd cannot read: a file that does not exist (`Could not open
//! configuration file`), a wildcard that matches nothing (`No matches for the wildcard ...,
//! failing`). `IncludeOptional` is silent when nothing matches, as in httpd.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration: a reload keeps the old one, a restart fails.
//! Typical after a deploy that renamed a snippet, or a checkout linted without the server's
//! tree (relative paths resolve against ServerRoot: set it with `-p`).
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     Include /nonexistent/proxy-headers.conf
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     IncludeOptional /nonexistent/proxy-headers.conf
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! Use `IncludeOptional` for files that may be absent.
//!
//! ## References
//! - httpd source: `process_resource_config_nofnmatch`, `process_resource_config_fnmatch`
//!   (server/config.c)
//! - <https://httpd.apache.org/docs/2.4/mod/core.html#include>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA005",
    name: "include-not-found",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::IncludeNotFound,
    )
}
