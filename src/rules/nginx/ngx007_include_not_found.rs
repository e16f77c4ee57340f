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
//! machine (or in an image of it) for a faithful answer.
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
                let help = if dangling {
                    let target = std::fs::read_link(path).unwrap_or_default();
                    format!(
                        "a dangling symbolic link (to {}, which does not exist): nginx's `include` of this directory fails on it; remove the link or restore its target",
                        target.display()
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
            LoadErrorKind::Cycle { .. } => None,
        })
        .collect()
}
