//! ## What it does
//! Reports `proxy_ssl_verify on` (or `grpc_ssl_verify`, `uwsgi_ssl_verify`) where a
//! TLS pass applies but no `*_ssl_trusted_certificate` says which certificate
//! authorities to trust.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `no proxy_ssl_trusted_certificate for
//! proxy_ssl_verify` (without naming a file or line). Unlike browsers, nginx has no
//! default CA list for upstreams.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_ssl_verify on;
//!     proxy_pass https://10.0.0.5;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_ssl_verify on;
//!     proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;
//!     proxy_pass https://10.0.0.5;
//! }
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_verify>

use crate::diagnostic::{Diagnostic, NginxReport, Phase, Severity};
use crate::model::Config;
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX018",
    name: "ssl-verify-without-ca",
    severity: Severity::Error,
    check: Check::Model(check),
};

fn check(config: &Config, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pass in &config.index().passes {
        // nginx enables TLS for https:// targets, and for any proxy_pass with variables.
        let module = match (
            pass.directive,
            pass.target.as_ref().map(|t| t.scheme.as_str()),
        ) {
            ("proxy_pass", Some("https")) | ("proxy_pass", None) => "proxy",
            ("grpc_pass", Some("grpcs")) => "grpc",
            ("uwsgi_pass", Some("suwsgi")) => "uwsgi",
            _ => continue,
        };
        let verify = format!("{module}_ssl_verify");
        let Some((value, Some(verify_id))) = config.value(pass.scope, &verify) else {
            continue;
        };
        if !value.first().is_some_and(|v| v.eq_ignore_ascii_case("on")) {
            continue;
        }
        let trusted = format!("{module}_ssl_trusted_certificate");
        if config.effective(pass.scope, &trusted).is_some() {
            continue;
        }
        let Some(vd) = config.tree.directive(verify_id) else {
            continue;
        };
        let after = config.top_block_end(pass.scope).unwrap_or(vd.nginx_span());
        out.push(
            Diagnostic::new(RULE.code, RULE.severity, format!("no {trusted} for {verify}"), vd.name.span)
                .with_help(format!("add `{trusted} /etc/ssl/certs/ca-certificates.crt;` (or the CA that signed the backend's certificate)"))
                .refused_by_nginx(NginxReport::Deferred {
                    printed: None,
                    after,
                    phase: Phase::Merge,
                }),
        );
    }
    out.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    out.dedup_by_key(|d| d.span);
    out
}
