//! ## What it does
//! Reports `localhost` as the host of a proxy target (`ProxyPass`, `BalancerMember`,
//! `SetHandler "proxy:..."`); the `|http://localhost/` part of a unix-socket target is only a
//! worker name and is not reported.
//!
//! ## Why does this cause 502/504?
//! `localhost` resolves to both `::1` and `127.0.0.1`, and httpd tries them in turn. A
//! backend that listens on IPv4 only (Node, Flask and Docker port mappings often do) refuses
//! `::1`: httpd logs `(111)Connection refused: AH00957: http: attempt to connect to [::1]:3000
//! (localhost) failed` and then connects to `127.0.0.1`, so the request usually succeeds,
//! later. What it costs: an error log full of refused connects that hides the real cause of
//! the next outage and an extra connect per request; when a firewall drops IPv6 instead of
//! refusing it, every request waits for the connect timeout first.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://localhost:3000/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:3000/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A backend that listens on both stacks works with `localhost`; writing the address it
//! listens on is still clearer.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass>
//! - NGX108, the nginx counterpart

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA108",
    name: "localhost-upstream",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in server.routes.iter().filter(|r| r.socket().is_none()) {
                let Some((host, _)) = crate::rules::shared::host_port(route.url()) else {
                    continue;
                };
                if !crate::rules::shared::is_localhost(host) {
                    continue;
                }
                let fixed = route.target.replacen(host, "127.0.0.1", 1);
                out.push(
                    RULE.diagnostic(
                        "\"localhost\" resolves to ::1 and 127.0.0.1: a backend listening on IPv4 only refuses the ::1 attempts, which httpd logs as errors (AH00957) before connecting to 127.0.0.1",
                        route.target_span,
                    )
                    .with_help(format!("write the address the backend listens on: `{fixed}`")),
                );
            }
        }
    }
    out
}
