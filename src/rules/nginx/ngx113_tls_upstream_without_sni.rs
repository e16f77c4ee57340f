//! ## What it does
//! Reports `proxy_pass https://NAME` (or `grpc_pass grpcs://NAME`) to a host name while
//! `proxy_ssl_server_name` (`grpc_ssl_server_name`) is off, which is nginx's default.
//!
//! ## Why does this cause 502/504?
//! Without SNI, nginx's TLS handshake does not say which site it wants. Servers that
//! host several names behind one address (CDNs, cloud load balancers, Kubernetes
//! ingresses, any modern HTTPS host) refuse it: `SSL_do_handshake() failed (SSL:
//! error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40) while
//! SSL handshaking to upstream`, and the client gets **502 Bad Gateway**. Or they answer
//! with a default certificate and the wrong site.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass https://api.example.com;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_ssl_server_name on;
//!     proxy_pass https://api.example.com;
//! }
//! ```
//!
//! ## Exceptions
//! A backend with a single certificate and no name-based routing works without SNI. For
//! an upstream group, also set `proxy_ssl_name` to the name the backend expects.
//!
//! When the directive it misses may be set where proxylint cannot see (an `include`
//! that could not be read in this block or one around it), the finding is only an info
//! (and the include's NGX007 finding says what may be missing); in a site or snippet
//! linted on its own, where the main configuration may set it, a warning at most.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_server_name>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::url::is_ip;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_set_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX113",
    name: "tls-upstream-without-sni",
    severity: Severity::Warning,
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
    for pass in &index.passes {
        let Some(target) = &pass.target else { continue };
        let flag = match (pass.directive, target.scheme) {
            ("proxy_pass", "https") => "proxy_ssl_server_name",
            ("grpc_pass", "grpcs") => "grpc_ssl_server_name",
            _ => continue,
        };
        // The names the handshake is for: the host itself, or the group's servers.
        let names: Vec<&str> = match pass.upstream {
            Some(u) => index.upstreams[u]
                .servers
                .iter()
                .map(|s| s.addr.host.as_str())
                .filter(|h| !is_ip(h))
                .collect(),
            None if !is_ip(&target.addr.host) => vec![target.addr.host.as_str()],
            None => Vec::new(),
        };
        if names.is_empty() {
            continue;
        }
        let on = config
            .value(pass.scope, flag)
            .is_some_and(|(v, _)| v.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
        if on {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let mut help = format!("add `{flag} on;` next to {}", pass.directive);
        if pass.upstream.is_some() {
            let ssl_name = flag.replace("server_name", "name");
            help.push_str(&format!(" and `{ssl_name} {};`", names[0]));
        }
        let diag = RULE.diagnostic(format!(
                "TLS to \"{}\" without SNI ({flag} is off): servers that route by name fail the handshake (alert 40) and the client gets 502",
                names[0]
            ),
            d.args[0].span,
        )
        .with_help(help);
        out.push(unless_set_elsewhere(
            config,
            pass.scope,
            diag,
            &format!("`{flag} on`"),
        ));
    }
    out
}
