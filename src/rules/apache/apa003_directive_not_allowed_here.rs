//! ## What it does
//! Reports a directive or section where httpd does not take it: `ServerName` inside a
//! `<Directory>` (`ServerName not allowed in <Directory> context`), `Listen` inside a
//! `<VirtualHost>`, `<VirtualHost>` inside another (`<VirtualHost>
//! cannot occur within <VirtualHost> section`), a directive in `.htaccess` that its
//! `AllowOverride` does not allow, `ProxyPass` with a path inside `<Location>`.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration with httpd's message: a reload keeps the old
//! configuration, a restart fails.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     <Directory /srv/app>
//!         ServerName app.example
//!     </Directory>
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     <Directory /srv/app>
//!         Require all granted
//!     </Directory>
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! None: httpd refuses every one of these. A snippet's context is inferred from its content
//! (server config, virtual host, directory); `--context` sets it.
//!
//! ## References
//! - httpd source: `ap_check_cmd_context` (server/core.c), `invoke_cmd` (server/config.c)
//! - <https://httpd.apache.org/docs/2.4/mod/directive-dict.html#Context>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA003",
    name: "directive-not-allowed-here",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::NotAllowedHere,
    )
}
