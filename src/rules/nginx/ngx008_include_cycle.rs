//! ## What it does
//! Reports an `include` that leads back to a file being included: `a.conf` includes
//! `b.conf`, which includes `a.conf`, or a glob such as `include conf.d/*.conf;` inside
//! a file of `conf.d`.
//!
//! ## Why is this bad?
//! nginx follows includes without a cycle check: it recurses until it runs out of
//! file descriptors (`open() ... failed (24: Too many open files)`) or crashes with a
//! segmentation fault. Either way the configuration does not load.
//!
//! ## Example
//! ```nginx
//! # site.conf, in the configuration directory: the glob matches this file too
//! include *.conf;
//! ```
//!
//! ## Use instead
//! ```nginx
//! # site.conf: include the snippets from a directory of their own
//! include conf.d/*.conf;
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#include>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, RefusedByNginx};
use crate::nginx::ast::LoadErrorKind;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX008",
    name: "include-cycle",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in &config.tree.load_errors {
        let LoadErrorKind::Cycle { path, chain } = &e.kind else {
            continue;
        };
        let names: Vec<String> = chain
            .iter()
            .map(|s| config.sources.get(s.file).name.clone())
            .chain(std::iter::once(crate::source::display_name(path)))
            .collect();
        let mut diag = RULE.diagnostic(format!("include cycle: {}", names.join(" -> ")),
            e.span,
        )
        .with_help("nginx recurses until it fails (too many open files, or a crash); remove the include that loops back")
        .refused_by_nginx(NginxReport::Here);
        for span in chain.iter().take(chain.len().saturating_sub(1)) {
            diag = diag.with_related(*span, "included from here");
        }
        out.push(diag);
    }
    out
}
