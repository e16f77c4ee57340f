//! ## What it does
//! Reports a `location` nested where nginx refuses it: a prefix location inside another
//! whose path it does not start with (`location /b` inside `location /a`), any location
//! inside an exact (`=`) or a named (`@`) location, and a named location anywhere but
//! directly in `server`.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `location "/b" is outside location "/a"`, `location
//! "/a/b" cannot be inside the exact location "/a"`, `named location "@x" can be on the
//! server level only`. Nested locations are matched only for requests that matched the
//! outer one, so such a location could never be used anyway.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         location /static/ {
//!             root /srv;
//!         }
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         location /api/static/ {
//!             root /srv;
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Regular-expression locations may be nested anywhere a location is allowed.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::handlers::{LocationKind, location_kind};
use crate::nginx::model::Scope;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX014",
    name: "invalid-location-nesting",
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
    for (id, d) in config.occurrences("location") {
        let Scope::Block(parent_id) = config.scope(id) else {
            continue;
        };
        let Some(parent) = config.tree.directive(parent_id) else {
            continue;
        };
        if &*parent.name.value != "location" || config.checked_def(parent_id).is_none() {
            continue;
        }
        let (Some((kind, name)), Some((parent_kind, parent_name))) =
            (location_kind(&d.args), location_kind(&parent.args))
        else {
            continue;
        };
        // The order of nginx's own checks (ngx_http_core_location).
        let message = if parent_kind == LocationKind::Exact {
            format!("location \"{name}\" cannot be inside the exact location \"{parent_name}\"")
        } else if parent_kind == LocationKind::Named {
            format!("location \"{name}\" cannot be inside the named location \"{parent_name}\"")
        } else if kind == LocationKind::Named {
            format!("named location \"{name}\" can be on the server level only")
        } else if !matches!(kind, LocationKind::Regex { .. }) && !name.starts_with(parent_name) {
            format!("location \"{name}\" is outside location \"{parent_name}\"")
        } else {
            continue;
        };
        let token = d.args.last().map_or(d.name.span, |a| a.span);
        out.push(config.refusal(RULE.code, message, d, token).with_help(
            "a nested location only sees requests that matched the outer one: nest only locations whose paths start with the outer path, or move it to the server level",
        ));
    }
    out
}
