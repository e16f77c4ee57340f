//! ## What it does
//! Reports an `upstream` block that can never serve a request: no `server` at all,
//! only `backup` servers, or every server marked `down`.
//!
//! ## Why does this cause 502/504?
//! An upstream without a primary server is refused by nginx at startup (`no servers in
//! upstream "app"`). With every server `down`, nginx starts, and every request to the
//! group fails with **502 Bad Gateway** and `no live upstreams while connecting to
//! upstream` (this is how a forgotten maintenance flag takes a site down).
//!
//! ## Example
//! ```nginx
//! upstream app {
//!     server 127.0.0.1:8080 down;
//!     server 127.0.0.1:8081 down;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! upstream app {
//!     server 127.0.0.1:8080;
//!     server 127.0.0.1:8081 down;
//! }
//! ```
//!
//! ## Exceptions
//! A group that must not receive traffic should not be referenced. When the group
//! includes a file that could not be read (`upstream app { include servers.conf; }`),
//! the finding is only an info: its servers may be there.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#server>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Scope;
use crate::nginx::model::unseen::Unseen;
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::{Missing, maybe_defined_elsewhere};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX111",
    name: "upstream-no-usable-server",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for upstream in &config.index().upstreams {
        let Some(d) = config.tree.directive(upstream.id) else {
            continue;
        };
        let name = &upstream.name;
        let primaries = upstream.servers.iter().filter(|s| !s.backup).count();
        let span = d.args[0].span;
        let diag = if upstream.servers.is_empty() {
            // nginx checks this when it reads the block's `}`.
            let close = d.block_end_span();
            RULE.diagnostic("no servers are inside upstream", span)
                .with_help(format!(
                    "add the backend's address: `server 127.0.0.1:8080;` inside `upstream {name}`"
                ))
                .refused_by_nginx(NginxReport::At(close))
        } else if primaries == 0 {
            // nginx checks groups once the http (or stream) block is read, and names the
            // upstream block in its message.
            let after = config
                .top_block_end(Scope::Block(upstream.id))
                .unwrap_or(d.nginx_span());
            RULE.diagnostic(format!("no servers in upstream \"{name}\""), span)
                .with_help("the group has only backup servers: add a primary `server` line (backup servers only take over from primary ones)")
                .refused_by_nginx(NginxReport::Deferred {
                    printed: Some(d.nginx_span()),
                    after,
                    phase: Phase::UpstreamInit,
                })
        } else if upstream.servers.iter().all(|s| s.down) {
            RULE.diagnostic(format!("every server of upstream \"{name}\" is marked down: requests fail with 502 (\"no live upstreams\")"),
                span,
            )
            .with_help("remove `down` from the servers that should take traffic")
        } else {
            continue;
        };
        // `upstream app { include servers.conf; }` with the file missing here.
        out.push(match config.unread_in(Scope::Block(upstream.id)) {
            Some(u) => {
                maybe_defined_elsewhere(diag, Unseen::Include(u), "its servers", Missing::Setting)
            }
            None => diag,
        });
    }
    out
}
