//! ## What it does
//! Reports a directive nginx does not know: a misspelling, a directive of a newer nginx
//! than the one checked against (`--nginx-version`), a directive of a dynamic module
//! the configuration does not `load_module`, or an NGINX Plus directive.
//!
//! ## Why is this bad?
//! nginx refuses the whole configuration with `unknown directive`, so a reload or a
//! package upgrade leaves the server on the old configuration or down.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_passs http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! A file saved with a UTF-8 byte order mark (BOM) gets this error on its first
//! directive (`unknown directive "\u{feff}events"`): nginx reads the BOM's bytes as part
//! of the name. The help says so.
//!
//! ## Exceptions
//! Third-party modules proxylint has no table for are reported too; when a
//! configuration has no `load_module` line at all, every module proxylint knows is
//! assumed present, since the file that loads them may not be part of the check (in a
//! complete main configuration, NGX024 says which module a third-party directive
//! needs). Declaring the target's third-party modules (`--modules`, `modules = [...]`)
//! makes the others unknown here too, and the declared ones known without
//! `load_module`. A directive of a module that is not loaded, while a top-level
//! include that could not be read may load it (`include
//! /etc/nginx/modules-enabled/*.conf;` in a repository), is only an info.
//!
//! ## References
//! - <https://nginx.org/en/docs/dirindex.html>
//! - <https://nginx.org/en/docs/ngx_core_module.html#load_module>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::{Origin, Unavailable, grammar};
use crate::nginx::model::{Config, Resolution, Scope};
use crate::nginx::model::unseen::Unseen;
use crate::rules::{Check, Reads, Rule, ShownPerFile};
use crate::nginx::model::unseen::{Missing, maybe_defined_elsewhere};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX002",
    name: "unknown-directive",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The known directive closest to `name` among `candidates` (the names valid where it
/// is): a close spelling, or at most two edits.
fn did_you_mean(name: &str, candidates: &[&'static str]) -> Option<&'static str> {
    crate::suggest::closest(name, candidates.iter().copied(), 0.93, 2)
}

fn help(
    config: &Config,
    why: Option<&Unavailable>,
    name: &str,
    candidates: &[&'static str],
) -> Option<String> {
    match why {
        Some(Unavailable::Version { since, until }) => {
            let checked = config.avail.version;
            Some(match (since, until) {
                (Some(s), _) if *s > checked => format!(
                    "\"{name}\" appeared in nginx {s}; this check is for nginx {checked} (set --nginx-version to the version you run)"
                ),
                (_, Some(u)) => format!(
                    "\"{name}\" was removed after nginx {u}; this check is for nginx {checked}"
                ),
                _ => format!("\"{name}\" does not exist in nginx {checked}"),
            })
        }
        Some(Unavailable::NotLoaded { module, so }) => Some(match &config.avail.modules {
            Some(_)
                if grammar()
                    .module(module)
                    .is_some_and(|m| m.origin == Origin::ThirdParty) =>
            {
                format!(
                    "\"{name}\" belongs to {module}, a third-party module that is neither loaded nor among the declared --modules: add `load_module modules/{so};` at the top of the main configuration, or the module to --modules (proxylint.toml: modules) if your nginx has it built in"
                )
            }
            _ => format!(
                "\"{name}\" belongs to {module}, a dynamic module: add `load_module modules/{so};` at the top of the main configuration"
            ),
        }),
        Some(Unavailable::Plus { module }) => Some(format!(
            "\"{name}\" is an NGINX Plus directive ({module}); open-source nginx does not have it (use --plus to check for NGINX Plus)"
        )),
        None => did_you_mean(name, candidates).map(|s| format!("did you mean \"{s}\"?")),
    }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Suggestions compare with every known name: compute each one once.
    let mut suggestions: foldhash::HashMap<(String, &str), Option<String>> =
        foldhash::HashMap::default();
    let mut shown = ShownPerFile::default();
    // The names valid in a context, gathered once per context.
    let mut names: foldhash::HashMap<&str, Vec<&'static str>> = foldhash::HashMap::default();
    for (id, d) in config.unresolved() {
        let info = config.info(id);
        let why = match &info.resolution {
            Resolution::Unknown => None,
            Resolution::Unavailable(why) => Some(&**why),
            _ => continue,
        };
        let name = &*d.name.value;
        // A file of garbage: past what is shown, findings are only counted.
        if !shown.admit(&mut out, d.name.span.file) {
            continue;
        }
        let mut diag = config.refusal(
            RULE.code,
            format!("unknown directive \"{name}\""),
            d,
            d.name.span,
        );
        if d.name.span.start == 0 && name.starts_with('\u{feff}') {
            // Read as part of the first name, the BOM makes a known name unknown; a
            // did-you-mean would only suggest the same name.
            diag = diag.with_help(
                "the file starts with a UTF-8 byte order mark (BOM, bytes EF BB BF, invisible in most editors), which nginx reads as part of this name: save the file as UTF-8 without BOM",
            );
        } else {
            let hint = suggestions
                .entry((name.to_string(), info.context))
                .or_insert_with(|| {
                    let candidates = names.entry(info.context).or_insert_with(|| {
                        grammar().names_in(info.context, &config.avail).collect()
                    });
                    help(config, why, name, candidates)
                });
            if let Some(h) = hint.clone() {
                diag = diag.with_help(h);
            }
        }
        // The module's `load_module` may be in a top-level include that could not be
        // read (`include /etc/nginx/modules-enabled/*.conf;` in a repository).
        if let Some(Unavailable::NotLoaded { so, .. }) = why {
            let root = Scope::Root(config.root_of(config.scope(id)));
            if let Some(unread) = config.unread_in(root) {
                let what = format!("`load_module modules/{so};`");
                diag =
                    maybe_defined_elsewhere(diag, Unseen::Include(unread), &what, Missing::Setting);
            }
        }
        out.push(diag);
    }
    out
}
