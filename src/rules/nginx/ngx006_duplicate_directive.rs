//! ## What it does
//! Reports a directive set twice in the same block where nginx allows it once
//! (`proxy_read_timeout`, `proxy_pass`, `root`, `try_files`, `charset`, `internal`,
//! `client_max_body_size`...), `alias` after `root` (or the reverse) in one location,
//! and `off` next to another occurrence of a directive that may otherwise repeat
//! (`proxy_redirect`, `proxy_cookie_path`, `mirror`...). The set comes from nginx's
//! source: every directive whose handler refuses a second occurrence.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `"x" directive is duplicate`. It usually comes
//! from pasting a snippet into a block that already sets the value, or from an
//! `include` that sets it too.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_read_timeout 30s;
//!     proxy_pass http://127.0.0.1:8080;
//!     proxy_read_timeout 120s;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_read_timeout 120s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Directives that may repeat (`proxy_set_header`, `add_header`, `listen`,
//! `server_name`, `gzip_types`...) and the same directive in an outer block (which the
//! inner one overrides) are fine. A duplicate that comes from an included snippet
//! (`include snippets/fastcgi-php.conf;` already sets `try_files`) counts: nginx reads
//! the snippet in place.
//!
//! ## References
//! - nginx source: the `"is duplicate"` returns of `ngx_conf_set_*_slot`
//!   (src/core/ngx_conf_file.c)

use foldhash::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::NodeId;
use crate::nginx::grammar::grammar;
use crate::nginx::model::{Config, Scope};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX006",
    name: "duplicate-directive",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    // The model groups occurrences by name and scope already: only groups of two or
    // more are read (a map of every directive here cost 5 MB and 7 ms on 60k lines).
    let mut found: Vec<(NodeId, Diagnostic)> = Vec::new();
    let once = |id: &NodeId| {
        config
            .checked_def(*id)
            .is_some_and(|(def, _)| def.dup || def.dup_off)
    };
    for (name, scope, ids) in config.sets() {
        // `alias` and `root` store into one place: a scope with both is read once, with
        // the `root` group.
        let group: Vec<NodeId> = match name {
            "root" => {
                let mut group: Vec<NodeId> = ids.iter().copied().filter(once).collect();
                if group.is_empty() {
                    continue;
                }
                group.extend(config.set_here(scope, "alias").filter(once));
                group.sort_unstable();
                group
            }
            "alias" if config.set_here(scope, "root").any(|id| once(&id)) => continue,
            _ if ids.len() < 2 => continue,
            // A name no definition of which is refused twice (5,000 `server` blocks in
            // http) needs no look-up of each occurrence.
            _ if !grammar().defs(name).any(|def| def.dup || def.dup_off) => continue,
            _ => ids.iter().copied().filter(once).collect(),
        };
        duplicates(config, &group, &mut found);
    }
    // Reading order, so that a per-file cap keeps the first findings.
    found.sort_unstable_by_key(|(id, _)| *id);
    let mut out: Vec<Diagnostic> = found.into_iter().map(|(_, d)| d).collect();
    out.extend(duplicate_zones(config));
    out.extend(duplicate_log_formats(config));
    out
}

/// The refusals among `group`, occurrences storing into one place of one block in
/// reading order: every one after the first, except that a directive that may repeat
/// (`dup_off`) is refused only when it or an earlier one is `off`.
fn duplicates(config: &Config, group: &[NodeId], found: &mut Vec<(NodeId, Diagnostic)>) {
    let Some((&first, rest)) = group.split_first() else {
        return;
    };
    let Some(prev) = config.tree.directive(first) else {
        return;
    };
    let mut off_seen = prev.arg(0) == Some("off");
    for &id in rest {
        let Some((def, d)) = config.checked_def(id) else {
            continue;
        };
        if !def.dup {
            let off = d.arg(0) == Some("off");
            let refused = off || off_seen;
            off_seen |= off;
            if !refused {
                continue;
            }
        }
        let name = &*d.name.value;
        let message = if *prev.name.value == *name {
            format!("\"{name}\" directive is duplicate")
        } else {
            format!(
                "\"{name}\" directive is duplicate, \"{}\" directive was specified earlier",
                prev.name.value
            )
        };
        let help = if prev.name.span.file == d.name.span.file {
            "remove one of them (an inner block may override an outer one, but a block sets it once)".to_string()
        } else {
            format!(
                "this block sets it twice, here and in {} (nginx reads an included file in place): keep one",
                config.sources.get(prev.name.span.file).name
            )
        };
        let diag = config
            .refusal(RULE.code, message, d, d.name.span)
            .with_related(prev.name.span, "first set here")
            .with_help(help);
        found.push((id, diag));
    }
}

/// `log_format` names are unique in http (and `combined` is built in).
fn duplicate_log_formats(config: &Config) -> Vec<Diagnostic> {
    let mut seen: HashMap<(Scope, String), NodeId> = HashMap::default();
    let mut out = Vec::new();
    for (id, d) in config.occurrences("log_format") {
        let name = d.args[0].value.to_string();
        let key = (config.scope(id), name.clone());
        let earlier = seen.get(&key).copied();
        if earlier.is_none() && name != "combined" {
            seen.insert(key, id);
            continue;
        }
        let mut diag = config
            .refusal(
                RULE.code,
                format!("duplicate \"log_format\" name \"{name}\""),
                d,
                d.args[0].span,
            )
            .with_help("give each log_format its own name (`combined` is nginx's built-in one)");
        if let Some(first) = earlier.and_then(|e| config.tree.directive(e)) {
            diag = diag.with_related(first.args[0].span, "first defined here");
        }
        out.push(diag);
    }
    out
}

/// `limit_req` and `limit_conn` may repeat in a block, but not with the same zone.
fn duplicate_zones(config: &Config) -> Vec<Diagnostic> {
    let mut seen: HashMap<(Scope, &str, String), NodeId> = HashMap::default();
    let mut out = Vec::new();
    for name in ["limit_req", "limit_conn"] {
        for (id, d) in config.occurrences(name) {
            let zone = match name {
                "limit_req" => d.args.iter().find_map(|a| a.value.strip_prefix("zone=")),
                _ => d.arg(0),
            };
            let Some(zone) = zone else { continue };
            let key = (config.scope(id), name, zone.to_string());
            let Some(&first) = seen.get(&key) else {
                seen.insert(key, id);
                continue;
            };
            let mut diag = config
                .refusal(
                    RULE.code,
                    format!("\"{name}\" directive is duplicate"),
                    d,
                    d.name.span,
                )
                .with_help(format!(
                    "zone \"{zone}\" is limited twice in this block: keep one `{name}` for it"
                ));
            if let Some(fd) = config.tree.directive(first) {
                diag = diag.with_related(fd.name.span, "first set here");
            }
            out.push(diag);
        }
    }
    out
}
