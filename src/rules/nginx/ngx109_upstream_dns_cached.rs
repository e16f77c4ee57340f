//! ## What it does
//! Reports a backend given by host name that nginx resolves only once, when it starts
//! or reloads: a `*_pass` to a literal host name, or an upstream `server` with a host
//! name and no `resolve` parameter.
//!
//! ## Why does this cause 502/504?
//! nginx keeps the addresses it resolved at startup. When the backend moves (a Docker
//! container or Kubernetes pod restarted with a new IP, a cloud load balancer or RDS
//! failover changing addresses), nginx keeps connecting to the old address: **502 Bad
//! Gateway** or **504 Gateway Time-out** (`connect() failed (113: No route to host)`,
//! `upstream timed out ... while connecting to upstream`) until someone reloads nginx.
//! And if the name does not resolve at startup, nginx refuses to start at all.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass http://app.internal.example.com:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     resolver 127.0.0.53 valid=30s;
//!     set $backend app.internal.example.com;
//!     proxy_pass http://$backend:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Names whose addresses never change (static hosts in `/etc/hosts`) are fine. From nginx
//! 1.27.3 an upstream `server` can take `resolve` (with a `resolver` and a `zone` in the
//! upstream) to follow DNS changes.
//!
//! A host may be an upstream group defined where proxylint cannot see (an `include`
//! that could not be read, or the main configuration around a site or snippet linted on
//! its own): the finding then says so, and the include's NGX007 finding lists it.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#resolve>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#resolver>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::Version;
use crate::nginx::url::is_ip;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX109",
    name: "upstream-dns-cached",
    severity: Severity::Info,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// nginx resolves upstream `server` names while running from this version on.
const RESOLVE_SINCE: Version = Version(1, 27, 3);

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    let mut out = Vec::new();
    let named = |host: &str| !is_ip(host) && !host.eq_ignore_ascii_case("localhost");
    for pass in &index.passes {
        let Some(target) = &pass.target else { continue };
        // A group name with a port is NGX011's finding, not a host name.
        let group = index
            .upstream_named(&target.addr.host, pass.family)
            .is_some();
        if group || target.addr.unix || !named(&target.addr.host) {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let diag = RULE.diagnostic(format!(
                "\"{}\" is resolved once at startup: if its address changes, nginx keeps using the old one (502/504 until a reload)",
                target.addr.host
            ),
            d.args[0].span,
        )
        .with_help(format!(
            "put the name in a variable and add a resolver so nginx re-resolves it: `resolver <dns> valid=30s; set $backend {}; {} ...$backend...;`",
            target.addr.host, pass.directive
        ));
        // The name may be an upstream group defined where proxylint cannot see.
        let what = format!("upstream \"{}\"", target.addr.host);
        out.push(unless_defined_elsewhere(config, pass.scope, diag, &what));
    }
    let resolve_available = config.avail.version >= RESOLVE_SINCE || config.avail.plus;
    for upstream in &index.upstreams {
        for server in &upstream.servers {
            if server.resolve || server.addr.unix || !named(&server.addr.host) {
                continue;
            }
            let Some(d) = config.tree.directive(server.id) else {
                continue;
            };
            let help = if resolve_available {
                format!(
                    "add `resolve` to the server line (with a `resolver` in http and `zone {} 64k;` in the upstream)",
                    upstream.name
                )
            } else {
                format!(
                    "nginx {} cannot re-resolve upstream servers (`resolve` needs 1.27.3); proxy to a variable with a resolver instead",
                    config.avail.version
                )
            };
            out.push(
                RULE.diagnostic(format!(
                        "upstream \"{}\": \"{}\" is resolved once at startup: if its address changes, nginx keeps using the old one",
                        upstream.name, server.addr.host
                    ),
                    d.args[0].span,
                )
                .with_help(help),
            );
        }
    }
    out
}
