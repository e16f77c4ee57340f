//! ## What it does
//! Reports a directive httpd does not know: httpd's `Invalid command 'X', perhaps
//! misspelled or defined by a module not included in the server configuration`, with the
//! closest known name, and, when the directive belongs to a module the configuration does not
//! load, which module and which `LoadModule` line would load it.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration: a reload keeps the old configuration, a
//! restart fails. A directive of a module that is not loaded is the usual cause after moving a
//! site to another server (`a2enmod proxy_http` forgotten).
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPas / http://127.0.0.1:8080/
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
//! A snippet read without its main configuration is checked as if every module were loaded:
//! only names no module defines are reported. Directives of third-party modules proxylint's
//! table does not know are unknown to it too; wrap them in `<IfModule>` or lint the main file.
//!
//! ## References
//! - httpd source: `invoke_cmd` and `ap_build_config_sub` (server/config.c)
//! - <https://httpd.apache.org/docs/2.4/mod/directives.html>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA002",
    name: "unknown-directive",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::UnknownDirective,
    )
}
