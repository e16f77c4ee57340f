//! ## What it does
//! Reports two `upstream` blocks with the same name (compared case-insensitively, as
//! nginx does), often one in `nginx.conf` and one in an included file, or the same
//! file included twice.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `duplicate upstream "name"`.
//!
//! ## Example
//! ```nginx
//! http {
//!     upstream app {
//!         server 127.0.0.1:8080;
//!     }
//!     upstream app {
//!         server 127.0.0.1:8081;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     upstream app {
//!         server 127.0.0.1:8080;
//!         server 127.0.0.1:8081;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! An http and a stream upstream may share a name.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#upstream>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::upstreams::Conflict;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX012",
    name: "duplicate-upstream",
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
    for conflict in config.upstream_conflicts() {
        let Conflict::Duplicate {
            first,
            second,
            name,
        } = conflict
        else {
            continue;
        };
        let (Some(a), Some(b)) = (
            config.tree.directive(*first),
            config.tree.directive(*second),
        ) else {
            continue;
        };
        out.push(
            config
                .refusal(
                    RULE.code,
                    format!("duplicate upstream \"{name}\""),
                    b,
                    b.args[0].span,
                )
                .with_related(a.args[0].span, "first defined here")
                .with_help("merge the two groups' `server` lines into one block, or rename one"),
        );
    }
    out
}
