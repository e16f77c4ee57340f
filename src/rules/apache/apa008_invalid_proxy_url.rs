//! ## What it does
//! Reports what `apache2 -t` refuses in a `ProxyPass`, `ProxyPassMatch` or
//! `BalancerMember` line: a URL httpd cannot parse, a worker parameter it does not know or
//! whose value is out of range (`timeout=`, `retry=`, `lbmethod=` of a module not loaded), a
//! `ProxyPass` outside `<Location>` without its path.
//!
//! ## Why is this bad?
//! `apache2 -t` refuses the configuration: a reload keeps the old one, a restart fails
//! and every site of the server is down.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:8080/ timeout=-5
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:8080/ retry=0
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! None: httpd refuses every one of these.
//!
//! ## References
//! - httpd source: `add_pass`, `add_member`, `set_worker_param` (modules/proxy/mod_proxy.c)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass>

use crate::apache::report::{Kind, diagnostics};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA008",
    name: "invalid-proxy-url",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    diagnostics(
        ws.apache().iter().flat_map(|c| &c.problems),
        Kind::InvalidProxyUrl,
    )
}
