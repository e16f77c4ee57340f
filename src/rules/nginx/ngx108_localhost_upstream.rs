//! ## What it does
//! Reports `localhost` as the host of a `*_pass` target or of an upstream `server`.
//!
//! ## Why does this cause 502/504?
//! `localhost` resolves to both `::1` and `127.0.0.1`, and nginx uses every address:
//! it tries `[::1]` first (or round-robins between them). A backend that listens on
//! IPv4 only (Node, Flask and Docker port mappings often do) refuses the IPv6 attempts:
//! `connect() failed (111: Connection refused) while connecting to upstream, upstream:
//! "http://[::1]:3000/"`, intermittent **502 Bad Gateway**, and `no live upstreams`
//! once the IPv6 peer is marked down.
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
use crate::model::Config;
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX108",
    name: "localhost-upstream",
    severity: Severity::Warning,
    check: Check::Model(check),
};

fn check(config: &Config, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (id, addr) in config.index().endpoints() {
        if !addr.host.eq_ignore_ascii_case("localhost") {
            continue;
        }
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let fixed = d.args[0].value.replacen(&addr.host, "127.0.0.1", 1);
        out.push(
            RULE.diagnostic("\"localhost\" resolves to ::1 and 127.0.0.1: a backend listening on IPv4 only refuses the IPv6 attempts (intermittent 502)",
                d.args[0].span,
            )
            .with_help(format!("write the address the backend listens on: `{fixed}`")),
        );
    }
    out
}
