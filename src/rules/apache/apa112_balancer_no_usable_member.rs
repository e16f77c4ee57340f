//! ## What it does
//! Reports a `ProxyPass` to a `balancer://` that has no `BalancerMember`, or whose members
//! are all disabled (`status=+D`), stopped (`+S`), hot standby (`+H`), spares (`+R`) or
//! draining (`+N`).
//!
//! ## Why does this cause 502/504?
//! With no member able to take a request, mod_proxy_balancer answers every request with
//! **503 Service Unavailable** and logs `AH01170: balancer://app: All workers are in error
//! state` (or `No workers` when it has none). A typo in the balancer name (`balancer://app` in
//! `ProxyPass`, `<Proxy balancer://api>` around the members) gives the same.
//!
//! ## Example
//! ```apache
//! <Proxy balancer://app>
//!     BalancerMember http://10.0.0.1:8080 status=+D
//! </Proxy>
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / balancer://app/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <Proxy balancer://app>
//!     BalancerMember http://10.0.0.1:8080
//!     BalancerMember http://10.0.0.2:8080 status=+H
//! </Proxy>
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / balancer://app/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A balancer whose members are enabled at run time through the balancer-manager: enable
//! one in the configuration, or suppress the finding on the line above.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy_balancer.html>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> (`status`)

use crate::apache::model::{Route, RouteKind, Server};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA112",
    name: "balancer-no-usable-member",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Whether a member takes requests: no status flag that keeps it out is set.
fn usable(member: &Route) -> bool {
    let Some((_, status, _)) = member.param("status") else {
        return true;
    };
    let mut on = true;
    let mut out = true;
    for c in status.chars() {
        match c {
            '+' => on = true,
            '-' => on = false,
            'D' | 'd' | 'S' | 's' | 'H' | 'h' | 'R' | 'r' | 'N' | 'n' | 'E' | 'e' if on => {
                out = false;
            }
            _ => {}
        }
    }
    out
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in server
                .routes
                .iter()
                .filter(|r| matches!(r.kind, RouteKind::Pass | RouteKind::PassMatch))
            {
                let Some(name) = route.balancer_target() else {
                    continue;
                };
                if let Some(d) = finding(server, route, &name) {
                    out.push(d);
                }
            }
        }
    }
    out
}

fn finding(server: &Server, route: &Route, name: &str) -> Option<Diagnostic> {
    let members: Vec<&Route> = server.members(name).collect();
    let message = if members.is_empty() {
        format!("{name} has no BalancerMember: every request here gets a 503 (AH01170)")
    } else if !members.iter().any(|m| usable(m)) {
        format!("every member of {name} is disabled, stopped, standby or draining: every request here gets a 503 (AH01170: All workers are in error state)")
    } else {
        return None;
    };
    Some(
        RULE.diagnostic(message, route.target_span)
            .with_help(format!("define the members in `<Proxy {name}>` with `BalancerMember` lines, at least one enabled")),
    )
}
