//! ## What it does
//! Reports a `charset` that differs from the `source_charset` in force where it applies
//! when no `charset_map` converts between the two (in either direction): `charset utf-8;`
//! with `source_charset koi8-r;` and no `charset_map koi8-r utf-8 { ... }` (nginx ships
//! these maps as `koi-utf`, `koi-win` and `win-utf`, to be included).
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `no "charset_map" between the charsets "koi8-r" and
//! "utf-8"`, printed without a file or line, after the whole `http` block is read. The
//! pair forms wherever both settings meet, also through inheritance: a `source_charset`
//! in `http` and a `charset` in one location are enough.
//!
//! ## Example
//! ```nginx
//! http {
//!     source_charset koi8-r;
//!     server {
//!         listen 80;
//!         charset utf-8;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     charset_map koi8-r utf-8 {
//!         C0 D18E;
//!     }
//!     source_charset koi8-r;
//!     server {
//!         listen 80;
//!         charset utf-8;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! `charset off`, the same charset on both sides (compared without case, as nginx does),
//! and charsets given by a variable (checked by nginx at request time) need no map.
//!
//! When the definition it misses may be where proxylint cannot see (an `include` that
//! could not be read, or the main configuration around a site or snippet linted on its
//! own), the finding is only an info, and the include's NGX007 finding says what may be
//! missing.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_charset_module.html#charset_map>
//! - <https://nginx.org/en/docs/http/ngx_http_charset_module.html#source_charset>

use foldhash::HashSet;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::{Config, Scope};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX023",
    name: "missing-charset-map",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Blocks whose settings nginx merges with their parent's: servers, locations and the
/// `if` blocks (nginx makes each a location), in nginx's merge order (reading order).
fn merged_blocks(config: &Config) -> impl Iterator<Item = Scope> + '_ {
    config
        .directives()
        .filter(|(id, d)| {
            d.block().is_some()
                && matches!(
                    config.info(*id).body_context,
                    "http>server" | "http>location" | "http>server>if" | "http>location>if"
                )
        })
        .map(|(id, _)| Scope::Block(id))
}

/// Two charset names as a key that ignores case and order: a map converts both ways.
fn pair(a: &str, b: &str) -> (String, String) {
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    if a <= b { (a, b) } else { (b, a) }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    // Both must be set somewhere for a block to have both: most configurations set
    // neither, and looking them up from every server and location block costs.
    if config.written("charset") == 0 || config.written("source_charset") == 0 {
        return Vec::new();
    }
    let maps: HashSet<(String, String)> = config
        .occurrences("charset_map")
        .map(|(_, d)| pair(&d.args[0].value, &d.args[1].value))
        .collect();
    let mut reported = HashSet::default();
    let mut out = Vec::new();
    for scope in merged_blocks(config) {
        let (Some(charset_id), Some(source_id)) = (
            config.effective(scope, "charset"),
            config.effective(scope, "source_charset"),
        ) else {
            continue;
        };
        let (Some(charset), Some(source)) = (
            config.tree.directive(charset_id),
            config.tree.directive(source_id),
        ) else {
            continue;
        };
        let (to, from) = (&*charset.args[0].value, &*source.args[0].value);
        // `off` turns conversion off for `charset` only: for `source_charset` it is a
        // charset name like any other.
        if to == "off" || to.starts_with('$') || from.starts_with('$') {
            continue;
        }
        let key = pair(from, to);
        if key.0 == key.1 || maps.contains(&key) || !reported.insert(key) {
            continue;
        }
        let Some(end) = config.top_block_end(scope) else {
            continue;
        };
        // Point at the setting that completed the pair: the inner one, read last.
        let (here, there, other) = if source_id.0 > charset_id.0 {
            (source, charset, "the charset in force here")
        } else {
            (charset, source, "the source charset in force here")
        };
        let diag = RULE
            .diagnostic(
                format!("no \"charset_map\" between the charsets \"{from}\" and \"{to}\""),
                here.args[0].span,
            )
            .with_related(there.args[0].span, other)
            .with_help(format!(
                "add `charset_map {from} {to} {{ ... }}` in http (nginx ships koi-utf, koi-win and win-utf to include), or make the charsets the same"
            ))
            .refused_by_nginx(NginxReport::Deferred {
                printed: None,
                after: end,
                phase: Phase::PostConfiguration,
            });
        let what = format!("charset_map {from} {to}");
        out.push(unless_defined_elsewhere(config, scope, diag, &what));
    }
    out
}
