//! ## What it does
//! Reports a regular expression PCRE2 cannot compile in a `location ~`, an `if`
//! condition, a `rewrite`, a `server_name ~`, a `map` key (`~pattern`), `valid_referers
//! ~`, `gzip_disable`, `fastcgi_split_path_info` or the `~` forms of `proxy_redirect`
//! and `proxy_cookie_*`: an unbalanced parenthesis, an unclosed character class, a
//! quantifier with nothing to repeat (`*.php`), a trailing backslash. Quoted or not,
//! the pattern is the one nginx compiles: `if ($q ~ "a\(.*\)")` ends with `\)`.
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

/// A map entry's regular-expression key (`~pattern`, `~*pattern`).
fn map_key<'a>(config: &Config, id: NodeId, key: &'a Word) -> Option<&'a str> {
    let Scope::Block(owner) = config.scope(id) else {
        return None;
    };
    let block = config.tree.directive(owner)?;
    (&*block.name.value == "map")
        .then(|| regex::map_key_pattern(&key.value))
        .flatten()
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, d) in config.directives() {
        let found: Vec<(&str, &Word)> = match (&config.info(id).resolution, config.checked_def(id))
        {
            (Resolution::Data, _) => map_key(config, id, &d.name)
                .map(|p| (p, &d.name))
                .into_iter()
                .collect(),
            (_, Some((def, _)))
                if config.info(id).context.starts_with("http")
                    || config.info(id).context.starts_with("stream") =>
            {
                regex::directive_patterns(def.name, &d.args)
                    .into_iter()
                    .map(|(i, p)| (p, &d.args[i]))
                    .collect()
            }
            _ => Vec::new(),
        };
        for (pattern, word) in found {
            let Err(e) = regex::check(pattern) else {
                continue;
            };
            // `~*` where nginx takes only `~` (and matches without case anyway).
            let star_kept = matches!(&*d.name.value, "proxy_cookie_domain" | "proxy_cookie_flags")
                && pattern.starts_with('*');
            let help = if star_kept {
                format!(
                    "{} takes `~pattern` only, always case-insensitive: remove the `*`",
                    d.name.value
                )
            } else {
                e.help().to_string()
            };
            out.push(
                config
                    .refusal(RULE.code, e.nginx_message(pattern), d, word.span)
                    .with_help(help),
            );
        }
    }
    out
}
