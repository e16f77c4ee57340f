//! ## What it does
//! Reports `localhost` as the host of a `*_pass` target or of an upstream `server`.
//!
//! ## Why does this cause 502/504?
//! `localhost` resolves to both `::1` and `127.0.0.1`, and nginx uses every address as a
//! peer, round-robin. A backend that listens on IPv4 only (Node, Flask and Docker port
//! mappings often do) refuses the `::1` attempts: nginx logs `connect() failed (111:
//! Connection refused) while connecting to upstream, upstream: "http://[::1]:3000/"` and
//! retries the request on `127.0.0.1` (`proxy_next_upstream error`), so the client
//! usually gets its answer, later. What it costs: an error log full of refused
//! connects that hides the real cause of the next outage, an extra connect on the
//! requests that try `::1` first, and, once `max_fails` attempts fail within
//! `fail_timeout`, the `::1` peer marked down. The client sees a **502 Bad Gateway**
//! when the retry is not made (`proxy_next_upstream off`, `proxy_next_upstream_tries
//! 1`) or the IPv4 peer fails too, and waits up to `proxy_connect_timeout` (then a
//! 504) when a firewall drops IPv6 instead of refusing it.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass http://localhost:3000;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass http://127.0.0.1:3000;
//! }
//! ```
//!
//! ## Exceptions
//! A backend that listens on both stacks (`::` with dual-stack sockets) works with
//! `localhost`; writing the address it listens on is still clearer.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#server>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX108",
    name: "localhost-upstream",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, addr) in config.index().endpoints() {
        if !crate::rules::shared::is_localhost(&addr.host) {
            continue;
        }
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let fixed = d.args[0].value.replacen(&addr.host, "127.0.0.1", 1);
        out.push(
            RULE.diagnostic("\"localhost\" resolves to ::1 and 127.0.0.1: a backend listening on IPv4 only refuses the ::1 attempts, which nginx logs as errors and retries on 127.0.0.1 (added latency; ::1 is marked down after max_fails)",
                d.args[0].span,
            )
            .with_help(format!("write the address the backend listens on: `{fixed}`")),
        );
    }
    out
}
