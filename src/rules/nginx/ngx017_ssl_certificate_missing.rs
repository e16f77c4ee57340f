//! ## What it does
//! Reports a server with a `listen ... ssl` (or `quic`) but no `ssl_certificate` (in
//! the server or inherited from `http`), and an `ssl_certificate` without its
//! `ssl_certificate_key`.
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
//! A server with `ssl_reject_handshake on;` needs no certificate.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_ssl_module.html#ssl_certificate>
//! - <https://nginx.org/en/docs/http/configuring_https_servers.html>

use crate::diagnostic::{Diagnostic, NginxReport, Phase, Severity};
use crate::model::{Config, Scope};
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX017",
    name: "ssl-certificate-missing",
    severity: Severity::Error,
    check: Check::Model(check),
};

fn check(config: &Config, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for server in &config.index().servers {
        let scope = Scope::Block(server.id);
        let Some(d) = config.tree.directive(server.id) else {
            continue;
        };
        let after = config.top_block_end(scope).unwrap_or(d.nginx_span());
        let certificate = config.effective(scope, "ssl_certificate");
        if let Some(cert) = certificate.and_then(|id| config.tree.directive(id)) {
            if config.effective(scope, "ssl_certificate_key").is_none() {
                out.push(
                    Diagnostic::new(
                        RULE.code,
                        RULE.severity,
                        format!("no \"ssl_certificate_key\" is defined for certificate \"{}\"", cert.args[0].value),
                        cert.args[0].span,
                    )
                    .with_help("add the certificate's private key: `ssl_certificate_key /path/to/privkey.pem;`")
                    .refused_by_nginx(NginxReport::Deferred {
                        printed: None,
                        after,
                        phase: Phase::Merge,
                    }),
                );
            }
            continue;
        }
        let Some(listen) = server.listens.iter().find(|l| l.ssl) else {
            continue;
        };
        let rejects = config
            .value(scope, "ssl_reject_handshake")
            .is_some_and(|(v, _)| v.first().is_some_and(|v| v.eq_ignore_ascii_case("on")));
        if rejects {
            continue;
        }
        let Some(ld) = config.tree.directive(listen.id) else {
            continue;
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                RULE.severity,
                "no \"ssl_certificate\" is defined for the \"listen ... ssl\" directive",
                ld.args[0].span,
            )
            .with_help("add `ssl_certificate` and `ssl_certificate_key` to this server (or to http for all servers)")
            .refused_by_nginx(NginxReport::Deferred {
                printed: Some(d.nginx_span()),
                after,
                phase: Phase::PostConfiguration,
            }),
        );
    }
    out
}
