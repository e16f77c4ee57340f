//! ## What it does
//! Reports certificate verification without the certificate authorities to verify
//! against: `proxy_ssl_verify on` (or `grpc_ssl_verify`, `uwsgi_ssl_verify`) where a TLS
//! pass applies but no `*_ssl_trusted_certificate`, and `ssl_verify_client on|optional`
//! in a TLS server without `ssl_client_certificate` (before nginx 1.27.2; from then on
//! `ssl_trusted_certificate` also serves).
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
//! When the directive it misses may be set where proxylint cannot see (an `include`
//! that could not be read in this block or one around it), the finding is only an info
//! (and the include's NGX007 finding says what may be missing); in a site or snippet
//! linted on its own, where the main configuration may set it, a warning at most.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_ssl_verify>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::grammar::Version;
use crate::nginx::model::{Config, Scope};
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_set_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX018",
    name: "ssl-verify-without-ca",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Only a verification that is set is checked: without one, no pass needs a look-up.
    let verified = ["proxy", "grpc", "uwsgi"]
        .iter()
        .any(|m| config.written(&format!("{m}_ssl_verify")) > 0);
    let passes = if verified {
        config.index().passes.as_slice()
    } else {
        &[]
    };
    for pass in passes {
        // nginx enables TLS for https:// targets, and for any proxy_pass with variables.
        let module = match (
            pass.directive,
            pass.target.as_ref().map(|t| t.scheme),
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
        let diag = RULE.diagnostic(format!("no {trusted} for {verify}"), vd.name.span)
            .with_help(format!("add `{trusted} /etc/ssl/certs/ca-certificates.crt;` (or the CA that signed the backend's certificate)"))
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after,
                phase: Phase::Merge,
            });
        out.push(unless_set_elsewhere(
            config,
            pass.scope,
            diag,
            &format!("a {trusted}"),
        ));
    }
    out.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
    out.dedup_by_key(|d| d.span);
    out.extend(client_verification(config));
    out
}

/// From this version `ssl_trusted_certificate` alone lets nginx verify clients.
const TRUSTED_SUFFICES: Version = Version(1, 27, 2);

/// `ssl_verify_client` in the servers nginx sets TLS up for (those with a certificate).
fn client_verification(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if config.written("ssl_verify_client") == 0 {
        return out;
    }
    for server in &config.index().servers {
        let scope = Scope::Block(server.id);
        if config.effective(scope, "ssl_certificate").is_none() {
            continue;
        }
        let Some((value, Some(id))) = config.value(scope, "ssl_verify_client") else {
            continue;
        };
        if !value.first().is_some_and(|v| v == "on" || v == "optional") {
            continue;
        }
        let has_ca = config.effective(scope, "ssl_client_certificate").is_some()
            || (config.avail.version >= TRUSTED_SUFFICES
                && config.effective(scope, "ssl_trusted_certificate").is_some());
        let Some(d) = config.tree.directive(id).filter(|_| !has_ca) else {
            continue;
        };
        let message = if config.avail.version >= TRUSTED_SUFFICES {
            "no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client"
        } else {
            "no ssl_client_certificate for ssl_verify_client"
        };
        let after = config.top_block_end(scope).unwrap_or(d.nginx_span());
        let diag = RULE.diagnostic(message, d.name.span)
            .with_help("add `ssl_client_certificate /path/to/client-ca.pem;` with the CA that signs the client certificates")
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after,
                phase: Phase::Merge,
            });
        out.push(unless_set_elsewhere(
            config,
            scope,
            diag,
            "an ssl_client_certificate",
        ));
    }
    out.dedup_by_key(|d| d.span);
    out
}
