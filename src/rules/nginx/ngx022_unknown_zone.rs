//! ## What it does
//! Reports a reference to a shared memory zone no directive defines: `proxy_cache NAME`
//! (and `fastcgi_cache`, `uwsgi_cache`, `scgi_cache`) without a `*_cache_path ...
//! keys_zone=NAME:size`, `limit_req zone=NAME` without a `limit_req_zone ...
//! zone=NAME:size`, `limit_conn NAME` without a `limit_conn_zone ... zone=NAME:size`.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `"proxy_cache" zone "NAME" is unknown`, `zero size
//! shared memory zone "NAME"` (the latter without a line). A zone name is easy to
//! misspell, and the zone often lives in another file (`conf.d/cache.conf`) that is not
//! included where the reference is.
//!
//! ## Example
//! ```nginx
//! http {
//!     proxy_cache_path /var/cache/nginx keys_zone=static:10m;
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_cache statics;
//!             proxy_pass http://127.0.0.1:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     proxy_cache_path /var/cache/nginx keys_zone=static:10m;
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_cache static;
//!             proxy_pass http://127.0.0.1:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Zone names given by a variable (`proxy_cache $zone;`) are checked by nginx at request
//! time, not here.
//!
//! When the definition it misses may be where proxylint cannot see (an `include` that
//! could not be read, or the main configuration around a site or snippet linted on its
//! own), the finding is only an info, and the include's NGX007 finding says what may be
//! missing.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_cache>
//! - <https://nginx.org/en/docs/http/ngx_http_limit_req_module.html#limit_req>

use foldhash::HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::ast::Directive;
use crate::nginx::model::{Config, Scope};
use crate::nginx::url::has_variables;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;
use crate::source::Span;

pub const RULE: Rule = Rule {
    code: "NGX022",
    name: "unknown-zone",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The zone name a defining directive's `prefix=NAME:size` argument gives.
fn defined_zone<'a>(d: &'a Directive, prefix: &str) -> Option<&'a str> {
    d.args
        .iter()
        .find_map(|a| a.value.strip_prefix(prefix))
        .map(|v| v.split(':').next().unwrap_or(v))
}

fn zones(config: &Config, directive: &str, prefix: &str) -> HashSet<String> {
    config
        .occurrences(directive)
        .filter_map(|(_, d)| defined_zone(d, prefix))
        .map(str::to_string)
        .collect()
}

/// The end of the configuration a directive belongs to, where nginx sets up shared
/// memory.
fn config_end(config: &Config, scope: Scope) -> Option<Span> {
    let mut current = scope;
    while let Some(outer) = config.outer(current) {
        current = outer;
    }
    let Scope::Root(i) = current else { return None };
    let file = config.sources.get(config.tree.roots.get(i)?.file);
    Some(Span::new(
        config.tree.roots[i].file,
        file.text.len(),
        file.text.len(),
    ))
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for module in ["proxy", "fastcgi", "uwsgi", "scgi"] {
        let user = format!("{module}_cache");
        let defined = zones(config, &format!("{module}_cache_path"), "keys_zone=");
        for (id, d) in config.occurrences(&user) {
            let name = &*d.args[0].value;
            if name == "off" || has_variables(name) || defined.contains(name) {
                continue;
            }
            let Some(end) = config.top_block_end(config.scope(id)) else {
                continue;
            };
            let diag = RULE.diagnostic(format!("\"{user}\" zone \"{name}\" is unknown"), d.args[0].span)
                .with_help(format!("define it: `{module}_cache_path /var/cache/nginx/{name} keys_zone={name}:10m;` in http"))
                .refused_by_nginx(NginxReport::Deferred {
                    printed: Some(end),
                    after: end,
                    phase: Phase::Merge,
                });
            let what = format!("cache zone \"{name}\"");
            out.push(unless_defined_elsewhere(
                config,
                config.scope(id),
                diag,
                &what,
            ));
        }
    }
    // `zone NAME;` in an upstream shares the zone another upstream sizes.
    let sized: HashSet<String> = config
        .occurrences("zone")
        .filter(|(id, d)| config.info(*id).context.ends_with("upstream") && d.args.len() == 2)
        .map(|(_, d)| d.args[0].value.to_string())
        .collect();
    for (id, d) in config.occurrences("zone") {
        if !config.info(id).context.ends_with("upstream")
            || d.args.len() != 1
            || sized.contains(&*d.args[0].value)
        {
            continue;
        }
        let name = &*d.args[0].value;
        let Some(end) = config_end(config, config.scope(id)) else {
            continue;
        };
        let diag = RULE
            .diagnostic(
                format!("zero size shared memory zone \"{name}\""),
                d.args[0].span,
            )
            .with_help(format!(
                "give the zone a size (`zone {name} 64k;`), or name the zone another upstream sizes"
            ))
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after: end,
                phase: Phase::Listen,
            });
        let what = format!("upstream zone \"{name}\"");
        out.push(unless_defined_elsewhere(
            config,
            config.scope(id),
            diag,
            &what,
        ));
    }
    for (user, definer) in [
        ("limit_req", "limit_req_zone"),
        ("limit_conn", "limit_conn_zone"),
    ] {
        let defined = zones(config, definer, "zone=");
        for (id, d) in config.occurrences(user) {
            let reference = if user == "limit_req" {
                defined_zone(d, "zone=")
            } else {
                d.arg(0)
            };
            let Some(name) = reference.filter(|n| !defined.contains(*n)) else {
                continue;
            };
            let word = d
                .args
                .iter()
                .find(|a| a.value.contains(name))
                .unwrap_or(&d.args[0]);
            let Some(end) = config_end(config, config.scope(id)) else {
                continue;
            };
            let diag = RULE
                .diagnostic(
                    format!("zero size shared memory zone \"{name}\""),
                    word.span,
                )
                .with_help(format!(
                    "define it: `{definer} $binary_remote_addr zone={name}:10m ...;` in http"
                ))
                .refused_by_nginx(NginxReport::Deferred {
                    printed: None,
                    after: end,
                    phase: Phase::Listen,
                });
            let what = format!("{definer} \"{name}\"");
            out.push(unless_defined_elsewhere(
                config,
                config.scope(id),
                diag,
                &what,
            ));
        }
    }
    out
}
