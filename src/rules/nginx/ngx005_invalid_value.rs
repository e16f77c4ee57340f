//! ## What it does
//! Reports a parameter nginx refuses: a time or size it cannot parse (`10x`, `1m30`
//! with units in the wrong order, `500ms` where seconds are expected), a flag that is
//! not `on`/`off`, a value outside the directive's list, a port out of range, a `*_pass`
//! URL without a valid scheme or host, an unknown `listen` or upstream `server`
//! parameter, a malformed `if` condition, an invalid `return` code.
//!
//! ## Why is this bad?
//! nginx refuses the configuration (`"x" directive invalid value`, `invalid value "v"
//! in "x" directive`, `invalid parameter "p"`...). Parameters accepted by one nginx
//! version and not another (`listen ... quic`, upstream `resolve`) break upgrades and
//! downgrades.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_buffering yes;
//!     proxy_read_timeout 30x;
//!     proxy_pass 127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_buffering on;
//!     proxy_read_timeout 30s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Values containing variables are checked only where nginx checks them at startup.
//! Host names are not resolved.
//!
//! ## References
//! - <https://nginx.org/en/docs/syntax.html> (time and size units)
//! - nginx source: `ngx_conf_set_*_slot` (src/core/ngx_conf_file.c), `ngx_parse_time`,
//!   `ngx_parse_size` (src/core/ngx_parse.c), `ngx_parse_url` (src/core/ngx_inet.c)

use crate::diagnostic::{Diagnostic, NginxReport, Phase, Severity};
use crate::model::Config;
use crate::nginx::handlers;
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX005",
    name: "invalid-value",
    severity: Severity::Error,
    check: Check::Model(check),
};

fn check(config: &Config, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (id, _) in config.directives() {
        let Some((def, d)) = config.checked_def(id) else {
            continue;
        };
        let context = config.info(id).context;
        let Some(bad) = handlers::check(def, context, &d.args, config.avail.version) else {
            continue;
        };
        let token = d.args.get(bad.arg).map_or(d.name.span, |w| w.span);
        let mut diag = config.refusal(RULE.code, bad.message, d, token);
        if let Some(help) = bad.help {
            diag = diag.with_help(help);
        }
        out.push(diag);
    }
    out.extend(missing_ports(config));
    out
}

/// `fastcgi_pass 127.0.0.1;`: the passes without a default port need one, unless they
/// name an upstream group. nginx finds out when it sets up the upstreams, after the
/// http block.
fn missing_ports(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pass in &config.index().passes {
        let Some(target) = &pass.target else { continue };
        let defaulted = matches!(target.scheme.as_str(), "http" | "https");
        if defaulted || target.addr.unix || target.addr.port.is_some() || pass.upstream.is_some() {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let after = config.top_block_end(pass.scope).unwrap_or(d.nginx_span());
        out.push(
            Diagnostic::new(
                RULE.code,
                RULE.severity,
                format!("no port in upstream \"{}\"", target.addr.host),
                d.args[0].span,
            )
            .with_help(format!(
                "{} has no default port: write the backend's port (PHP-FPM: 9000)",
                pass.directive
            ))
            .refused_by_nginx(NginxReport::Deferred {
                printed: Some(d.nginx_span()),
                after,
                phase: Phase::UpstreamInit,
            }),
        );
    }
    out
}
