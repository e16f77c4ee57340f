//! ## What it does
//! Reports a `ProxyPass` to a single backend (not a balancer) without `retry=0` (neither on
//! the line nor by `ProxySet retry=0` in a `<Proxy>` section for its URL).
//!
//! ## Why does this cause 502/504?
//! When a connect to the backend fails once (a restart, a deploy, a crash), httpd puts the
//! worker in error state for `retry` seconds, 60 by default. During that window every request
//! is answered **503 Service Unavailable** without trying the backend (`AH00940: http:
//! disabled connection for (10.0.0.5)`), even once the backend is back after two seconds. A
//! short outage of the backend becomes a minute-long outage of the site.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:8080/
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
//! Members of a balancer are not reported: the window keeps a failed member out while the
//! others serve. A deliberately long window for a backend that needs time to recover: write
//! `retry=60` explicitly (a written value other than 0 is not reported).
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> (`retry`)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxyset>

use crate::apache::model::{RouteKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA111",
    name: "worker-retry-window",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in server.routes.iter().filter(|r| {
                matches!(r.kind, RouteKind::Pass | RouteKind::PassMatch) && !r.is_exclusion()
            }) {
                if route.scheme().is_none_or(|s| s == "balancer") || route.param("retry").is_some() {
                    continue;
                }
                let set = server.proxy_sets.iter().any(|(url, key, _, _)| {
                    key.eq_ignore_ascii_case("retry") && same_worker(url, &route.target)
                });
                if set {
                    continue;
                }
                out.push(
                    RULE.diagnostic(
                        "after one failed connect httpd refuses this backend for 60 s (retry's default) and answers 503 meanwhile (AH00940), even when the backend is back",
                        route.target_span,
                    )
                    .with_help(format!("add `retry=0` to retry the backend on the next request: `{} retry=0`", route.target)),
                );
            }
        }
    }
    out
}

/// Whether a `<Proxy URL>` names this target's worker (httpd matches the worker's URL,
/// case-insensitively, trailing slash aside).
fn same_worker(url: &str, target: &str) -> bool {
    let norm = |u: &str| u.trim_end_matches('/').to_ascii_lowercase();
    norm(url) == norm(target)
}
