//! ## What it does
//! Reports arguments httpd refuses: a wrong count (`ProxyTimeout takes one argument`), a
//! flag that is not On or Off (`ProxyRequests must be On or Off`), a number out of range, a
//! value a handler rejects; and a configuration that loads no MPM or more than one.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration with httpd's message and line: a reload keeps
//! the old configuration, a restart fails.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPreserveHost yes please
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPreserveHost On
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A `#` after a directive is not a comment for httpd: it is an argument, refused by
//! directives with a fixed number of arguments. Suppression comments therefore go on the line
//! above (`# proxylint: disable=APA101`), never at the end of a directive line.
//!
//! ## References
//! - httpd source: `invoke_cmd` (server/config.c) and each module's handler
//! - <https://httpd.apache.org/docs/2.4/mod/directive-dict.html#Syntax>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA004",
    name: "invalid-arguments",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::InvalidArguments,
    )
}
