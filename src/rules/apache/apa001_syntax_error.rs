//! ## What it does
//! Reports text httpd cannot read as a configuration: a section closed by the wrong tag
//! (`Expected </Proxy> but saw </VirtualHost>`), a section never closed (`<Directory> was
//! not closed.`), a tag without its `>` (`directive missing closing '>'`), an unbalanced
//! quote, a line past httpd's length limit, an `<If>` expression httpd cannot parse. A binary
//! file (or UTF-16 text) is reported once, as such.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration and `apachectl graceful` keeps the old one
//! running, or a fresh start fails: every site of the server is down until the file is fixed.
//! The message and line are the ones httpd prints, so the report matches the deploy log.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     <Location /api>
//!         ProxyPass http://127.0.0.1:8080/api
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     <Location /api>
//!         ProxyPass http://127.0.0.1:8080/api
//!     </Location>
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! None: httpd refuses every one of these. proxylint keeps reading after the first error to
//! report later ones, which httpd does not; those may be consequences of the first.
//!
//! ## References
//! - httpd source: `ap_build_config`, `ap_cfg_getline`, `ap_getword_conf` (server/config.c,
//!   server/util.c)
//! - <https://httpd.apache.org/docs/2.4/configuring.html#syntax>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA001",
    name: "syntax-error",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: Some("syntax errors"),
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::SyntaxError,
    )
}
