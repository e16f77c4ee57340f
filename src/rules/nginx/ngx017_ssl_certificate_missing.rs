//! ## What it does
//! Reports a TLS address (`listen ... ssl` or `quic`) whose default server has no
//! `ssl_certificate` (in the server or inherited from `http`), and an `ssl_certificate`
//! without its `ssl_certificate_key`.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `no "ssl_certificate" is defined for the "listen
//! ... ssl" directive`, `no "ssl_certificate_key" is defined for certificate "..."`. A
//! common way to get there: a certbot-managed `include` with the certificate lines was
//! removed or not yet created.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     server_name example.com;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     server_name example.com;
//!     ssl_certificate /etc/letsencrypt/live/example.com/fullchain.pem;
//!     ssl_certificate_key /etc/letsencrypt/live/example.com/privkey.pem;
//! }
//! ```
//!
//! ## Exceptions
//! A server with `ssl_reject_handshake on;` needs no certificate. nginx checks the
//! default server of each address only: other servers on it may lack a certificate and
//! fall back to the default one's (which is rarely what is wanted).
//!
//! When the directive it misses may be set where proxylint cannot see (an `include`
//! that could not be read in this block or one around it), the finding is only an info
//! (and the include's NGX007 finding says what may be missing); in a site or snippet
//! linted on its own, where the main configuration may set it, a warning at most.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_certificate>
//! - <https://nginx.org/en/docs/http/configuring_https_servers.html>

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::ast::NodeId;
use crate::nginx::model::{Config, Scope};
use crate::nginx::model::index::address_text;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_set_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX017",
    name: "ssl-certificate-missing",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The directives an array directive's effective list holds in `scope`.
fn effective_list(config: &Config, scope: Scope, name: &str) -> Vec<NodeId> {
    config
        .defining_scope(scope, name)
        .map(|s| config.set_here(s, name).collect())
        .unwrap_or_default()
}

/// Every server needs as many keys as certificates (nginx merges the two lists
/// separately, so a `ssl_certificate` added in a server loses the http keys).
fn missing_keys(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Without a certificate no server misses its key: no look-up from every server.
    if config.written("ssl_certificate") == 0 {
        return out;
    }
    for server in &config.index().servers {
        let scope = Scope::Block(server.id);
        let certificates = effective_list(config, scope, "ssl_certificate");
        let keys = effective_list(config, scope, "ssl_certificate_key");
        let Some(last) = certificates
            .last()
            .and_then(|id| config.tree.directive(*id))
        else {
            continue;
        };
        if keys.len() >= certificates.len() {
            continue;
        }
        let after = config.top_block_end(scope).unwrap_or(last.nginx_span());
        let diag = RULE
            .diagnostic(
                format!(
                    "no \"ssl_certificate_key\" is defined for certificate \"{}\"",
                    last.args[0].value
                ),
                last.args[0].span,
            )
            .with_help("give every ssl_certificate its ssl_certificate_key, in the same block")
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after,
                phase: Phase::Merge,
            });
        out.push(unless_set_elsewhere(
            config,
            scope,
            diag,
            "an ssl_certificate_key",
        ));
    }
    out.dedup_by_key(|d| d.span);
    out
}

/// A TLS address: the listens on it, whether any has `ssl`, and its default server
/// (the one with `default_server`, else the first).
struct TlsAddress {
    ssl: bool,
    default: Option<(usize, NodeId)>,
    first: (usize, NodeId),
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    let mut out = missing_keys(config);
    // In the order nginx meets them, with a map to find one: a search of the list per
    // listen was quadratic on configurations with many servers and addresses.
    let mut addresses: Vec<(String, TlsAddress)> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::default();
    for (s, server) in index.servers.iter().enumerate() {
        for listen in &server.listens {
            let Some(text) = address_text(&listen.addr.host, listen.addr.port, listen.addr.unix)
            else {
                continue;
            };
            let at = *position.entry(text.clone()).or_insert_with(|| {
                addresses.push((
                    text,
                    TlsAddress {
                        ssl: false,
                        default: None,
                        first: (s, listen.id),
                    },
                ));
                addresses.len() - 1
            });
            let entry = &mut addresses[at].1;
            entry.ssl |= listen.ssl;
            if listen.default_server && entry.default.is_none() {
                entry.default = Some((s, listen.id));
            }
        }
    }
    // nginx checks the default server of each TLS address: the others fall back to it
    // for the handshake.
    let mut reported = HashSet::default();
    for (_, address) in addresses.iter().filter(|(_, a)| a.ssl) {
        let (s, listen) = address.default.unwrap_or(address.first);
        let server = &index.servers[s];
        let scope = Scope::Block(server.id);
        if reported.contains(&s) || config.effective(scope, "ssl_certificate").is_some() {
            continue;
        }
        let rejects = config
            .value(scope, "ssl_reject_handshake")
            .is_some_and(|(v, _)| v.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
        if rejects {
            continue;
        }
        let (Some(d), Some(ld)) = (
            config.tree.directive(server.id),
            config.tree.directive(listen),
        ) else {
            continue;
        };
        reported.insert(s);
        let after = config.top_block_end(scope).unwrap_or(d.nginx_span());
        let diag = RULE.diagnostic("no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive",
            ld.args[0].span,
        )
        .with_help("add `ssl_certificate` and `ssl_certificate_key` to this server (or to http for all servers)")
        .refused_by_nginx(NginxReport::Deferred {
            printed: Some(d.nginx_span()),
            after,
            phase: Phase::PostConfiguration,
        });
        out.push(unless_set_elsewhere(
            config,
            scope,
            diag,
            "an ssl_certificate",
        ));
    }
    out
}
