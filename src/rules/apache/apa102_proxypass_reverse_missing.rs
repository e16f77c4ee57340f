//! ## What it does
//! Reports a `ProxyPass` to an HTTP (or AJP, or balancer) backend without a
//! `ProxyPassReverse` for the same backend URL in its server, unless `ProxyPreserveHost On`
//! makes the backend build its redirects with the public host.
//!
//! ## Why does this cause 502/504?
//! A backend that redirects (`Location: http://127.0.0.1:8080/login`, after a login, a
//! trailing-slash fix, a POST) sends the client to an address only the proxy can reach: the
//! browser fails to connect, or reaches the backend port directly when it is exposed, past
//! the proxy's TLS and access rules. `ProxyPassReverse` rewrites `Location`,
//! `Content-Location` and `URI` headers back to the public URL.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /app/ http://127.0.0.1:8080/app/ retry=0
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /app/ http://127.0.0.1:8080/app/ retry=0
//!     ProxyPassReverse /app/ http://127.0.0.1:8080/app/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! FastCGI, SCGI and uwsgi backends are not reported (httpd handles their redirects
//! itself), nor `ProxyPassMatch` lines (`ProxyPassReverse` takes no pattern). A backend that
//! never redirects does not need it.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypassreverse>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypreservehost>

use crate::apache::model::{RouteKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA102",
    name: "proxypass-reverse-missing",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let norm = |u: &str| u.trim_end_matches('/').to_ascii_lowercase();
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            if server.proxy_preserve_host.as_ref().is_some_and(|s| s.value) {
                continue;
            }
            for route in server
                .routes
                .iter()
                .filter(|r| r.kind == RouteKind::Pass && !r.is_exclusion())
            {
                let Some(scheme) = route.scheme() else {
                    continue;
                };
                if !matches!(&*scheme, "http" | "https" | "ajp" | "balancer") {
                    continue;
                }
                let url = norm(route.url());
                if server.reverses.iter().any(|(_, u, _)| norm(u) == url) {
                    continue;
                }
                let path = route.path.as_deref().unwrap_or("/");
                out.push(
                    RULE.diagnostic(
                        format!("no ProxyPassReverse for {}: the backend's redirects send clients to its own address", route.url()),
                        route.target_span,
                    )
                    .with_help(format!("add `ProxyPassReverse {path} {}` (or `ProxyPreserveHost On` when the backend builds redirects from the Host header)", route.url())),
                );
            }
        }
    }
    out
}
