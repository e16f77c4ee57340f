//! ## What it does
//! Reports a variable nginx does not know (`$remote_adr`, `$proxy_add_x_forward_for`):
//! neither a variable of a module of this nginx (by `--nginx-version` and loaded
//! modules), nor a prefix family (`$http_*`, `$arg_*`, `$cookie_*`...), nor defined by
//! the configuration (`set`, `map`, `geo`, `split_clients`, `auth_request_set`,
//! `js_set`, named regex captures...). Also reports a malformed variable reference
//! (`$` followed by no name, an unclosed `${`).
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `unknown "remote_adr" variable` (without a file or
//! line, which makes it hard to find), `invalid variable name`. Variables of a newer
//! nginx (`$request_port`) or of a module that is not loaded (`$geoip_country_code`)
//! break upgrades, downgrades and container images.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_set_header X-Real-IP $remote_adr;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_set_header X-Real-IP $remote_addr;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Directives that take `$` literally (`server_name`, `error_log`, `valid_referers`,
//! `include`, regular expressions) and third-party directives are not checked. A name
//! that may be defined where proxylint cannot see (an `include` that could not be read,
//! or the main configuration around a site or snippet linted on its own, as Magento's
//! `$MAGE_ROOT`) is only an info, unless it is a letter or two away from a known
//! variable (`$remote_adr`): that is a typo wherever the rest is.
//!
//! ## References
//! - <https://nginx.org/en/docs/varindex.html>

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::ast::{Directive, NodeId, Word};
use crate::nginx::grammar::{Origin, grammar};
use crate::nginx::model::{Config, Resolution};
use crate::nginx::regex::{directive_patterns, map_key_pattern};
use crate::rules::{Check, Reads, Rule, ShownPerFile};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX019",
    name: "unknown-variable",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The family of a node: that of its context, or for the data lines of a map or geo
/// body (whose context proxylint has no table for), that of the block around them.
fn family_of(config: &Config, id: NodeId) -> Option<&'static str> {
    let mut current = Some(id);
    while let Some(node) = current {
        if let Some(fam) = family(config.info(node).context) {
            return Some(fam);
        }
        current = config.tree.node(node).parent;
    }
    None
}

fn family(context: &str) -> Option<&'static str> {
    if context.starts_with("http") {
        Some("http")
    } else if context.starts_with("stream") {
        Some("stream")
    } else {
        None
    }
}

/// Directives whose arguments nginx does not compile as strings with variables.
const LITERAL: &[&str] = &[
    "location",
    "server_name",
    "error_log",
    "default_type",
    "valid_referers",
    "userid_domain",
    "include",
    "types",
    "charset_map",
    "load_module",
    "listen",
    "resolver",
    "ancient_browser",
    "modern_browser",
];

/// Directives known to compile every (non-regex) argument: a `$` that starts no name
/// is refused there. Elsewhere only unknown names are reported, to stay clear of
/// arguments proxylint might wrongly take for strings.
const COMPILING: &[&str] = &[
    "return",
    "set",
    "rewrite",
    "add_header",
    "add_trailer",
    "proxy_set_header",
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "fastcgi_param",
    "uwsgi_param",
    "scgi_param",
    "grpc_set_header",
    "root",
    "alias",
    "try_files",
    "index",
    "error_page",
    "access_log",
    "log_format",
    "auth_basic",
    "limit_req_zone",
    "limit_conn_zone",
    "proxy_cache_key",
    "if",
];

/// Names `(?<name>...)`, `(?P<name>...)`, `(?'name'...)` a regular expression captures.
fn named_captures(regex: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (start, end) in [("(?<", '>'), ("(?P<", '>'), ("(?'", '\'')] {
        let mut rest = regex;
        while let Some(at) = rest.find(start) {
            rest = &rest[at + start.len()..];
            if rest.starts_with('=') || rest.starts_with('!') {
                continue;
            }
            if let Some(close) = rest.find(end) {
                out.push(rest[..close].to_ascii_lowercase());
            }
        }
    }
    out
}

/// The variable an argument names (`$name` → `name`).
fn defined_name(word: Option<&Word>) -> Option<String> {
    let v = word?.value.strip_prefix('$')?;
    Some(
        v.trim_start_matches('{')
            .trim_end_matches('}')
            .to_ascii_lowercase(),
    )
}

/// Variables the configuration defines, per family.
fn defined(config: &Config) -> HashMap<&'static str, HashSet<String>> {
    let mut out: HashMap<&'static str, HashSet<String>> = HashMap::default();
    for (id, d) in config.directives() {
        // The names first: nearly every directive defines none, and its family (a walk
        // up the blocks) and set (a hashed key) are wanted only for those that do.
        let mut names: Vec<String> = Vec::new();
        let name = &*d.name.value;
        if matches!(config.info(id).resolution, Resolution::Data) {
            // Map keys may be regexes with captures; geoip2 blocks list `$var ...`.
            if let Some(key) = map_key_pattern(name) {
                names.extend(named_captures(key));
            }
            if name.starts_with('$') {
                names.extend(defined_name(Some(&d.name)));
            }
        } else {
            // Regular expressions define their named captures.
            for (_, regex) in directive_patterns(name, &d.args) {
                names.extend(named_captures(regex));
            }
            let var = match name {
                "set"
                | "auth_request_set"
                | "perl_set"
                | "js_set"
                | "js_var"
                | "auth_jwt_claim_set"
                | "auth_jwt_header_set" => d.args.first(),
                "map" | "split_clients" | "keyval" => d.args.get(1),
                "geo" => d.args.last(),
                // ngx_devel_kit's set_* directives (set-misc, set_by_lua...).
                n if n.starts_with("set_") => d.args.first(),
                _ => None,
            };
            names.extend(defined_name(var));
        }
        if names.is_empty() {
            continue;
        }
        if let Some(fam) = family_of(config, id) {
            out.entry(fam).or_default().extend(names);
        }
    }
    out
}

/// Whether nginx compiles this directive's arguments (an official module's directive
/// that takes strings).
fn compiled(config: &Config, id: NodeId, d: &Directive) -> bool {
    match &config.info(id).resolution {
        Resolution::Def(def) => {
            !LITERAL.contains(&def.name)
                && grammar()
                    .module(def.module)
                    .is_none_or(|m| m.origin != Origin::ThirdParty && m.origin != Origin::Plus)
        }
        // Map values (and `default`), the one place data lines are compiled.
        Resolution::Data => config
            .tree
            .node(id)
            .parent
            .and_then(|p| config.tree.directive(p))
            .is_some_and(|parent| {
                &*parent.name.value == "map" && d.args.len() == 1 && &*d.name.value != "include"
            }),
        _ => false,
    }
}

/// The arguments of a directive nginx compiles: not regular expressions, not the
/// variable a directive defines, not a format's name or escape option.
fn checked_args(d: &Directive) -> Vec<&Word> {
    let name = &*d.name.value;
    // Regular expressions are not compiled as strings with variables.
    let regexes: Vec<usize> = directive_patterns(name, &d.args)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    let defines = match name {
        "set" | "auth_request_set" | "js_set" | "js_var" | "log_format" => Some(0),
        "map" | "split_clients" => Some(1),
        _ => None,
    };
    d.args
        .iter()
        .enumerate()
        .filter(|(i, w)| {
            let escape = name == "log_format" && w.value.starts_with("escape=");
            !(regexes.contains(i) || defines == Some(*i) || escape)
        })
        .map(|(_, w)| w)
        .collect()
}

enum Reference {
    Name(String),
    /// `$` without a name, `${}`.
    Invalid,
    /// `${name` without `}`.
    Unclosed(String),
}

/// The variable references of a compiled string, as nginx's script compiler reads them.
fn references(value: &str) -> Vec<Reference> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        i += 1;
        // `$1`..`$9`: a regex capture, one digit.
        if b.get(i).is_some_and(|c| (b'1'..=b'9').contains(c)) {
            i += 1;
            continue;
        }
        let braced = b.get(i) == Some(&b'{');
        if braced {
            i += 1;
        }
        let len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let name = value[i..i + len].to_ascii_lowercase();
        i += len;
        if braced {
            if b.get(i) != Some(&b'}') {
                out.push(if name.is_empty() {
                    Reference::Invalid
                } else {
                    Reference::Unclosed(name)
                });
                continue;
            }
            i += 1;
        }
        out.push(if name.is_empty() {
            Reference::Invalid
        } else {
            Reference::Name(name)
        });
    }
    out
}

/// The known or defined name closest to an unknown one, if close enough to be a typo.
fn suggestion(config: &Config, name: &str, fam: &str, mine: &HashSet<String>) -> Option<String> {
    let candidates = grammar()
        .variables_of(fam, &config.avail)
        .filter(|v| !v.prefix)
        .map(|v| v.name)
        .chain(mine.iter().map(String::as_str));
    crate::suggest::closest(name, candidates, 0.9, 0).map(str::to_string)
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let g = grammar();
    let defined = defined(config);
    let empty = HashSet::default();
    let mut out = Vec::new();
    // Suggestions compare with every variable: once per name, and only for findings
    // that are shown.
    let mut suggestions: HashMap<(String, &str), Option<String>> = HashMap::default();
    let mut shown = ShownPerFile::default();
    for (id, d) in config.directives() {
        // Most directives use no variable: one byte search settles them.
        if !d.args.iter().any(|w| memchr::memchr(b'$', w.value.as_bytes()).is_some()) {
            continue;
        }
        let Some(fam) = family_of(config, id) else {
            continue;
        };
        if !compiled(config, id, d) {
            continue;
        }
        let mine = defined.get(fam).unwrap_or(&empty);
        let words = if matches!(config.info(id).resolution, Resolution::Data) {
            d.args.iter().collect()
        } else {
            checked_args(d)
        };
        for word in words {
            for reference in references(&word.value) {
                let diag = match reference {
                    Reference::Name(name) => {
                        if mine.contains(&name) || g.variable_known(&name, fam, &config.avail) {
                            continue;
                        }
                        let after = config
                            .top_block_end(config.scope(id))
                            .unwrap_or(d.nginx_span());
                        let diag = RULE
                            .diagnostic(format!("unknown \"{name}\" variable"), word.span)
                            .refused_by_nginx(NginxReport::Deferred {
                                printed: None,
                                after,
                                phase: Phase::Variables,
                            });
                        let typo = shown.next_shown(word.span.file).then(|| {
                            suggestions
                                .entry((name.clone(), fam))
                                .or_insert_with(|| suggestion(config, &name, fam, mine))
                                .clone()
                        });
                        match typo {
                            // Close to a known name: a typo, whatever else is unread.
                            Some(Some(close)) => diag.with_help(format!("did you mean ${close}?")),
                            shown => {
                                let diag = if shown.is_some() {
                                    diag.with_help("define it with `set`, `map` or another directive that creates variables, or check its spelling and the nginx version")
                                } else {
                                    diag
                                };
                                let what = format!("variable ${name}");
                                unless_defined_elsewhere(config, config.scope(id), diag, &what)
                            }
                        }
                    }
                    _ if !COMPILING.contains(&&*d.name.value) => continue,
                    Reference::Invalid => config
                        .refusal(RULE.code, "invalid variable name".into(), d, word.span)
                        .with_help("a `$` must start a variable name (`$name` or `${name}`)"),
                    Reference::Unclosed(name) => config
                        .refusal(
                            RULE.code,
                            format!("the closing bracket in \"{name}\" variable is missing"),
                            d,
                            word.span,
                        )
                        .with_help(format!("write `${{{name}}}`")),
                };
                out.push(diag);
            }
        }
    }
    out
}
