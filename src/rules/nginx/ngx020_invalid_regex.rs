//! ## What it does
//! Reports a regular expression PCRE2 cannot compile in a `location ~`, an `if`
//! condition, a `rewrite`, a `server_name ~` or a `map` key (`~pattern`): an unbalanced parenthesis, an unclosed
//! character class, a quantifier with nothing to repeat (`*.php`), a trailing backslash.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `pcre2_compile() failed: missing closing parenthesis
//! in "^/(api"`. Glob habits (`location ~ *.php`) are a frequent source.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ *.php$ {
//!         return 404;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ \.php$ {
//!         return 404;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! proxylint checks the common syntax errors only; a pattern it does not understand is
//! accepted rather than reported.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location>
//! - <https://www.pcre.org/current/doc/html/pcre2pattern.html>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::{NodeId, Word};
use crate::nginx::handlers::{LocationKind, location_kind};
use crate::nginx::model::{Config, Resolution, Scope};
use crate::nginx::regex;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX020",
    name: "invalid-regex",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The regular expressions of a directive, with the argument each comes from.
fn patterns<'a>(name: &str, args: &'a [Word]) -> Vec<(String, &'a Word)> {
    match name {
        "location" => match location_kind(args) {
            Some((LocationKind::Regex { .. }, pattern)) => args
                .last()
                .map(|w| (pattern.to_string(), w))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        "rewrite" => args
            .first()
            .map(|w| (w.value.to_string(), w))
            .into_iter()
            .collect(),
        "server_name" => args
            .iter()
            .filter_map(|w| w.value.strip_prefix('~').map(|p| (p.to_string(), w)))
            .collect(),
        "if" => {
            // `($var ~ pattern)`: the operator is the second word once `(` is dropped.
            let words: Vec<&Word> = args
                .iter()
                .filter(|w| &*w.value != "(" && &*w.value != ")")
                .collect();
            match words.as_slice() {
                [_, op, pattern] if matches!(&*op.value, "~" | "~*" | "!~" | "!~*") => {
                    let text = pattern.value.strip_suffix(')').unwrap_or(&pattern.value);
                    vec![(text.to_string(), *pattern)]
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// A map entry's regular-expression key (`~pattern`, `~*pattern`).
fn map_key(config: &Config, id: NodeId, key: &Word) -> Option<String> {
    let Scope::Block(owner) = config.scope(id) else {
        return None;
    };
    let block = config.tree.directive(owner)?;
    let pattern = key.value.strip_prefix('~')?;
    (&*block.name.value == "map").then(|| pattern.strip_prefix('*').unwrap_or(pattern).to_string())
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, d) in config.directives() {
        let found = match (&config.info(id).resolution, config.checked_def(id)) {
            (Resolution::Data, _) => map_key(config, id, &d.name)
                .map(|p| (p, &d.name))
                .into_iter()
                .collect(),
            (_, Some((def, _))) if config.info(id).context.starts_with("http") => {
                patterns(def.name, &d.args)
            }
            _ => Vec::new(),
        };
        for (pattern, word) in found {
            let Err(e) = regex::check(&pattern) else {
                continue;
            };
            out.push(
                config
                    .refusal(RULE.code, e.nginx_message(&pattern), d, word.span)
                    .with_help("a regular expression, not a glob: escape `.` as `\\.`, and `*` repeats the item before it"),
            );
        }
    }
    out
}
