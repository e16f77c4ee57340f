//! ## What it does
//! Reports an http `listen` on an IPv6 link-local address (`fe80::/10`, such as
//! `[fe80::1]:80`) that nginx binds on its own.
//!
//! ## Why is this bad?
//! A link-local address means nothing without the interface it belongs to (its scope,
//! `fe80::1%eth0`), and nginx's `listen` cannot name one (`[fe80::1%eth0]` is an
//! `invalid IPv6 address`). The kernel refuses the bind: `nginx -t` and nginx itself
//! fail with `bind() to [fe80::1]:80 failed (22: Invalid argument)` (no file, no line),
//! so nginx does not start, or a reload keeps the old configuration.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen [fe80::1]:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen [::]:8080;
//! }
//! ```
//!
//! ## Exceptions
//! A link-local `listen` without socket options next to a `[::]` listen on the same
//! port is not bound on its own (the wildcard socket serves it), so it does not fail.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>
//! - RFC 4007, section 11 (zone indices of scoped addresses)

use std::net::Ipv6Addr;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::rules::nginx::ngx016_duplicate_listen::SOCKET_OPTIONS;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX025",
    name: "link-local-listen",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn link_local(host: &str) -> bool {
    host.parse::<Ipv6Addr>()
        .is_ok_and(|a| a.segments()[0] & 0xffc0 == 0xfe80)
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let servers = &config.index().servers;
    // Ports with an IPv6 wildcard listen: nginx binds `[::]:port` and not the specific
    // IPv6 addresses of that port that ask for no socket option.
    let wildcard_ports: foldhash::HashSet<u16> = servers
        .iter()
        .flat_map(|s| &s.listens)
        .filter(|l| !l.addr.unix && l.addr.host == "::")
        .map(|l| l.addr.port.unwrap_or(80))
        .collect();
    let mut out = Vec::new();
    for listen in servers.iter().flat_map(|s| &s.listens) {
        if listen.addr.unix || !link_local(&listen.addr.host) {
            continue;
        }
        let Some(d) = config.tree.directive(listen.id) else {
            continue;
        };
        let port = listen.addr.port.unwrap_or(80);
        let own_socket = d.args[1..]
            .iter()
            .any(|a| SOCKET_OPTIONS.contains(&a.value.split('=').next().unwrap_or_default()));
        if wildcard_ports.contains(&port) && !own_socket {
            continue;
        }
        // nginx binds once the whole configuration is read, and names no line.
        let after = config
            .top_block_end(config.scope(listen.id))
            .unwrap_or(d.nginx_span());
        out.push(
            RULE.diagnostic(
                format!(
                    "bind() to [{}]:{port} failed (22: Invalid argument): a link-local IPv6 address needs an interface scope, which nginx's listen cannot give",
                    listen.addr.host
                ),
                d.args[0].span,
            )
            .with_help(format!(
                "listen on [::]:{port} (and limit access with allow/deny or a firewall), or on a global or unique-local address"
            ))
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after,
                phase: Phase::Listen,
            }),
        );
    }
    out
}
