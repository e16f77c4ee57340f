//! ## What it does
//! Reports a `*_pass` whose address contains variables (`proxy_pass
//! http://$backend:8080;`) where nginx must resolve a host name at request time but no
//! `resolver` applies, and the value cannot name an `upstream` group.
//!
//! ## Why does this cause 502/504?
//! With variables, nginx builds the address per request. A name that is not an
//! upstream group must be resolved then, through the DNS servers of `resolver`; without
//! one every such request fails with **502 Bad Gateway** and `no resolver defined to
//! resolve app.example.com`. nginx accepts the configuration, so the problem shows only
//! under traffic.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass http://$http_x_backend:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     resolver 127.0.0.53 valid=30s;
//!     proxy_pass http://$http_x_backend:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Values that are always IP addresses or upstream group names need no resolver;
//! proxylint sees that when the variable comes from `map` or `set` with literal values.
//!
//! When the directive it misses may be set where proxylint cannot see (an `include`
//! that could not be read in this block or one around it), the finding is only an info
//! (and the include's NGX007 finding says what may be missing); in a site or snippet
//! linted on its own, where the main configuration may set it, a warning at most.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#resolver>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Config;
use crate::nginx::model::upstreams::Family;
use crate::nginx::url::{ParseOptions, Piece, host_pieces, is_ip, parse_addr};
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_set_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX110",
    name: "missing-resolver",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Whether a literal address (`host`, `host:port`, `unix:...`) needs DNS at request
/// time: not an IP, a socket or an upstream group.
fn needs_dns(config: &Config, address: &str, family: Family) -> bool {
    let Ok(addr) = parse_addr(address, ParseOptions::default()) else {
        return false;
    };
    !addr.unix && !is_ip(&addr.host) && config.index().upstream_named(&addr.host, family).is_none()
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pass in &config.index().passes {
        if !pass.has_variables || config.has_resolver(pass.scope) {
            continue;
        }
        let host = host_pieces(&pass.value);
        let needs = match host.as_slice() {
            // A host that is one variable: fine if all its known values need no DNS.
            [Piece::Variable(name)] => match config.variable_literals(name) {
                Some(values) => values.iter().any(|v| needs_dns(config, v, pass.family)),
                // From the request or elsewhere: it may name an upstream group, if any.
                None => !config
                    .index()
                    .upstreams
                    .iter()
                    .any(|u| u.family == pass.family),
            },
            [Piece::Literal(literal)] => needs_dns(config, literal, pass.family),
            _ => true,
        };
        let host: String = host
            .iter()
            .map(|p| match p {
                Piece::Literal(t) => t.to_string(),
                Piece::Variable(v) => format!("${v}"),
            })
            .collect();
        if !needs {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let diag = RULE.diagnostic(format!(
                "{} has variables, so nginx resolves \"{host}\" per request, but no resolver is defined: requests fail with 502 (\"no resolver defined to resolve ...\")",
                pass.directive
            ),
            d.args[0].span,
        )
        .with_help("add `resolver <dns server> valid=30s;` to this location, server or http block (Docker: 127.0.0.11, systemd-resolved: 127.0.0.53)");
        out.push(unless_set_elsewhere(config, pass.scope, diag, "a resolver"));
    }
    out
}
