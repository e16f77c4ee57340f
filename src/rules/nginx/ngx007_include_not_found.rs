//! ## What it does
//! Reports an `include` of a file that cannot be opened: a typo, a file that only
//! exists on another machine, a path relative to the wrong directory. Relative paths are
//! resolved as nginx does, against the directory of the main configuration file (not
//! the directory of the file that contains the `include`).
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `open() "..." failed (2: No such file or
//! directory)`. A glob that matches nothing (`include conf.d/*.conf;`) is fine.
//!
//! ## Example
//! ```nginx
//! http {
//!     include /nonexistent/proxy_params;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     include /nonexistent/conf.d/*.conf;
//! }
//! ```
//!
//! ## Exceptions
//! The check reads the files of the machine proxylint runs on; lint on the target
//! machine (or in an image of it) for a faithful answer. In a repository, map the
//! target's directories to their copies (`--include-root /etc/nginx=./nginx`,
//! proxylint.toml: `[include] roots = { "/etc/nginx" = "./nginx" }`).
//!
//! What an unread include may define (a resolver, a certificate, variables, upstream
//! groups, zones) is not called missing: the findings that depend on it are lowered to
//! info, and this finding lists them. A glob whose directory does not exist here is
//! accepted, as nginx accepts it, and reported (as info) only when other findings
//! depend on what it would include.
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#include>

use crate::diagnostic::{Diagnostic, MaybeDefined, Severity};
use crate::nginx::model::Config;
use crate::nginx::report::{NginxReport, RefusedByNginx};
use crate::nginx::ast::LoadErrorKind;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;
use std::path::Path;

use foldhash::{HashMap, HashSet};

use crate::source::Span;

pub const RULE: Rule = Rule {
    code: "NGX007",
    name: "include-not-found",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    config
        .tree
        .load_errors
        .iter()
        .filter_map(|e| match &e.kind {
            LoadErrorKind::Open { path, errno, reason } => {
                let message = if *errno == 0 {
                    format!("include \"{}\": {reason}", path.display())
                } else {
                    format!("open() \"{}\" failed ({errno}: {reason})", path.display())
                };
                let dangling = path.is_symlink() && !path.exists();
                // As written (quotes included): an absolute path names another machine's
                // file, a relative one may be resolved against the wrong directory.
                let written = config
                    .sources
                    .get(e.span.file)
                    .text
                    .get(e.span.start as usize..e.span.end as usize)
                    .unwrap_or_default();
                let absolute = written.trim_ascii_start().iter().find(|&&b| b != b'"' && b != b'\'') == Some(&b'/');
                let help = if dangling {
                    let target = std::fs::read_link(path).unwrap_or_default();
                    format!(
                        "a dangling symbolic link (to {}, which does not exist): nginx's `include` of this directory fails on it; remove the link or restore its target",
                        target.display()
                    )
                } else if absolute {
                    let (from, to) = suggested_root(path.parent().unwrap_or(path));
                    format!(
                        "not on this machine: if the configuration is for another one and this file is in your repository, map its directory (`--include-root {from}=./{to}`, proxylint.toml: [include] roots)",
                    )
                } else {
                    format!(
                        "relative include paths resolve against the main configuration's directory ({})",
                        path.parent().map_or_else(String::new, |p| p.display().to_string())
                    )
                };
                Some(
                    RULE.diagnostic(message, e.span)
                        .with_help(help)
                        .refused_by_nginx(NginxReport::Here),
                )
            }
            // Reported when a finding depends on it: see note_what_may_be_missing.
            LoadErrorKind::NoDirectory { .. } | LoadErrorKind::Cycle { .. } => None,
        })
        .collect()
}

/// The include root to suggest for a missing directory: up to its `nginx` directory
/// (`/etc/nginx`, `/config/nginx`), else the directory itself; and the name of the copy
/// in a repository.
fn suggested_root(dir: &Path) -> (String, String) {
    let from = dir
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "nginx"))
        .unwrap_or(dir);
    let to = from
        .file_name()
        .map_or_else(|| "nginx".into(), |n| n.to_string_lossy());
    (from.display().to_string(), to.into_owned())
}

/// A glob include whose directory does not exist here, as an info finding: nginx
/// accepts it, so it is reported only when other findings may depend on it.
fn glob_without_directory(config: &Config, span: Span) -> Option<Diagnostic> {
    config.tree.load_errors.iter().find_map(|e| match &e.kind {
        LoadErrorKind::NoDirectory { pattern, dir } if e.span == span => {
            let (from, to) = suggested_root(dir);
            Some(RULE.diagnostic(
                format!(
                    "include \"{}\" matches no file here: there is no directory {}",
                    pattern.display(),
                    dir.display()
                ),
                e.span,
            )
            .with_help(format!(
                "nginx accepts a glob that matches nothing, but on the machine this configuration is for it may name files: map the directory (`--include-root {from}=./{to}`)"
            ))
            .with_severity(Severity::Info))
        }
        _ => None,
    })
}

/// Says once, at each include that could not be read, what the findings lowered
/// because of it ([`crate::nginx::model::unseen::maybe_defined_elsewhere`]) may find there: in the
/// help of its NGX007 finding, or in an info finding of its own for a glob whose
/// directory is missing (which nginx accepts).
pub fn note_what_may_be_missing(config: &Config, settings: &Settings, found: &mut Vec<Diagnostic>) {
    /// Things listed by name; the rest are counted.
    const LISTED: usize = 8;
    if !settings.rule_enabled(RULE.code) {
        return;
    }
    /// What may be missing with one include: the first few things with the codes that
    /// say so, and every thing, counted once.
    #[derive(Default)]
    struct Missing {
        listed: Vec<(String, Vec<&'static str>)>,
        all: HashSet<String>,
    }
    // By include, in the order the findings name them; maps, so that a configuration
    // with thousands of unread includes and findings stays linear.
    let mut order: Vec<Span> = Vec::new();
    let mut missing: HashMap<Span, Missing> = HashMap::default();
    for d in found.iter() {
        let Some(MaybeDefined {
            include: Some(span),
            what,
        }) = &d.unseen
        else {
            continue;
        };
        let entry = missing.entry(*span).or_insert_with(|| {
            order.push(*span);
            Missing::default()
        });
        if entry.all.insert(what.clone()) && entry.listed.len() < LISTED {
            entry.listed.push((what.clone(), Vec::new()));
        }
        if let Some((_, codes)) = entry.listed.iter_mut().find(|(w, _)| w == what)
            && !codes.contains(&d.code)
        {
            codes.push(d.code);
        }
    }
    let reported: HashMap<Span, usize> = found
        .iter()
        .enumerate()
        .filter(|(_, d)| d.code == RULE.code)
        .filter_map(|(i, d)| Some((d.span?, i)))
        .collect();
    for span in order {
        let Some(m) = missing.remove(&span) else {
            continue;
        };
        let mut text = m
            .listed
            .iter()
            .map(|(what, codes)| format!("{what} ({})", codes.join(", ")))
            .collect::<Vec<_>>()
            .join(", ");
        if m.all.len() > m.listed.len() {
            text.push_str(&format!(" and {} more", m.all.len() - m.listed.len()));
        }
        let note = format!(
            "What other findings lack may be defined there (they are reported as info): {text}"
        );
        let at = match reported.get(&span) {
            Some(&at) => at,
            None => {
                let Some(d) = glob_without_directory(config, span) else {
                    continue;
                };
                found.push(d);
                found.len() - 1
            }
        };
        let d = &mut found[at];
        d.help = Some(match d.help.take() {
            Some(help) => format!("{help}. {note}"),
            None => note,
        });
    }
}
