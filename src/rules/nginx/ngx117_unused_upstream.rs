//! ## What it does
//! Reports an `upstream` group no `*_pass` refers to.
//!
//! ## Why is this bad?
//! An unused group usually means a typo elsewhere: `proxy_pass http://backend_v2;` next
//! to `upstream backend-v2 {}` sends requests to a host named `backend_v2` (resolved by
//! DNS at startup, or refused) instead of the group. It can also be a leftover that
//! misleads whoever debugs the next 502.
//!
//! ## Example
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://127.0.0.1:8080;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://backend;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Groups named through variables (`proxy_pass http://$pool;`) are not reported: any
//! pass with a variable host could use them.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#upstream>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::url::{Piece, host_pieces};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX117",
    name: "unused-upstream",
    severity: Severity::Info,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    let mut out = Vec::new();
    // A variable host may name any group of its family.
    let variable_hosts: Vec<_> = index
        .passes
        .iter()
        .filter(|p| {
            host_pieces(&p.value)
                .iter()
                .any(|piece| matches!(piece, Piece::Variable(_)))
        })
        .map(|p| p.family)
        .collect();
    for (i, upstream) in index.upstreams.iter().enumerate() {
        if index.is_named(i) || variable_hosts.contains(&upstream.family) {
            continue;
        }
        let Some(d) = config.tree.directive(upstream.id) else {
            continue;
        };
        out.push(
            RULE.diagnostic(
                format!(
                    "upstream \"{}\" is not used by any proxy_pass (or other *_pass)",
                    upstream.name
                ),
                d.args[0].span,
            )
            .with_help(format!(
                "refer to it as `proxy_pass http://{};`, or remove it",
                upstream.name
            )),
        );
    }
    out
}
