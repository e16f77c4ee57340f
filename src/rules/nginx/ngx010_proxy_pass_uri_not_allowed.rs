//! ## What it does
//! Reports a `proxy_pass` URL with a URI part (anything after the host and port,
//! even a lone `/`) inside a regular-expression location, a named location (`@name`),
//! an `if` block or a `limit_except` block.
//!
//! ## Why is this bad?
//! nginx cannot tell which part of the request URI to replace there and refuses the
//! configuration: `"proxy_pass" cannot have URI part in location given by regular
//! expression, or inside named location, or inside "if" statement, or inside
//! "limit_except" block`.
//!
//! ## Example
//! ```nginx
//! location ~ ^/api/ {
//!     proxy_pass http://127.0.0.1:8080/;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location ~ ^/api/ {
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! A URL with variables (`proxy_pass http://backend$request_uri;`) is allowed: nginx
//! then uses the URL as written. To rewrite the URI in a regex location, use `rewrite
//! ... break;` before a `proxy_pass` without URI.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::handlers::{LocationKind, location_kind};
use crate::nginx::model::{Config, Scope};
use crate::nginx::url::{has_variables, parse_pass};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX010",
    name: "proxy-pass-uri-not-allowed",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Why the block holding a `proxy_pass` may not carry a URI part, if it may not.
fn forbidding_block(config: &Config, scope: Scope) -> Option<&'static str> {
    let Scope::Block(id) = scope else { return None };
    let d = config.tree.directive(id)?;
    match &*d.name.value {
        "if" => Some("inside \"if\""),
        "limit_except" => Some("inside \"limit_except\""),
        "location" => match location_kind(&d.args)?.0 {
            LocationKind::Regex { .. } => Some("in a regular-expression location"),
            LocationKind::Named => Some("in a named location"),
            _ => None,
        },
        _ => None,
    }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, d) in config.occurrences("proxy_pass") {
        if !config.info(id).context.starts_with("http") {
            continue;
        }
        // Where it is decides first: nearly every proxy_pass is in a prefix location,
        // and parsing each URL (5,000 of 70,000 lines) was half of this rule's time.
        let Some(place) = forbidding_block(config, config.scope(id)) else {
            continue;
        };
        let value = &*d.args[0].value;
        if has_variables(value) {
            continue;
        }
        let Ok(target) = parse_pass("proxy_pass", value) else {
            continue;
        };
        if target.addr.uri.is_none() {
            continue;
        }
        out.push(
            config
                .refusal(
                    RULE.code,
                    "\"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block".into(),
                    d,
                    d.args[0].span,
                )
                .with_help(format!(
                    "this proxy_pass is {place}: remove the URI part (`{}`), or use `rewrite ... break;` to change the URI",
                    target.addr.uri.as_deref().unwrap_or("")
                )),
        );
    }
    out
}
