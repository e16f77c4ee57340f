//! ## What it does
//! Reports a `*_pass` host that is not an upstream group but looks like a misspelling of
//! one (`proxy_pass http://bakend;` with `upstream backend {}`).
//!
//! ## Why does this cause 502/504?
//! A name that is not a group is a host name for nginx: it resolves it at startup and
//! refuses to start with `host not found in upstream "bakend"`, or, if some DNS search
//! domain happens to resolve it, sends the traffic to the wrong machine (**502/504**).
//!
//! ## Example
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://bakend;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://backend;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Host names with dots, IP addresses and `localhost` are never reported: they are
//! meant to be resolved.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#upstream>

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Config;
use crate::nginx::url::is_ip;
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX118",
    name: "unknown-upstream-name",
    severity: Severity::Error,
    check: Check::Model(check),
};

/// Whether `name` is within typo distance of `group`. Short names (`app`, `api`, `web`)
/// are often distinct services, so they need to be longer to count as typos.
fn near(name: &str, group: &str) -> bool {
    let (a, b) = (name.to_ascii_lowercase(), group.to_ascii_lowercase());
    let allowed = match a.len().min(b.len()) {
        0..=4 => return false,
        5..=7 => 1,
        _ => 2,
    };
    a != b && strsim::damerau_levenshtein(&a, &b) <= allowed
}

fn check(config: &Config, _: &Settings) -> Vec<Diagnostic> {
    let index = config.index();
    let mut out = Vec::new();
    for pass in &index.passes {
        let Some(target) = &pass.target else { continue };
        let host = &target.addr.host;
        if pass.upstream.is_some()
            || target.addr.unix
            || host.contains('.')
            || is_ip(host)
            || host.eq_ignore_ascii_case("localhost")
        {
            continue;
        }
        let Some(group) = index
            .upstreams
            .iter()
            .filter(|u| u.family == pass.family)
            .find(|u| near(host, &u.name))
        else {
            continue;
        };
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let Some(gd) = config.tree.directive(group.id) else {
            continue;
        };
        out.push(
            RULE.diagnostic(format!(
                    "\"{host}\" is not an upstream group, so nginx resolves it as a host name (\"host not found in upstream\"); did you mean \"{}\"?",
                    group.name
                ),
                d.args[0].span,
            )
            .with_related(gd.args[0].span, "the upstream group")
            .with_help(format!("write `{}`", d.args[0].value.replacen(host.as_str(), &group.name, 1))),
        );
    }
    out
}
