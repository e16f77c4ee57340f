//! ## What it does
//! Reports two prefix locations (with or without `^~`), or two exact (`=`) locations,
//! with the same path in the same block.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `duplicate location "/api/"`. It comes from a
//! snippet included into a server that already has the location.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         proxy_pass http://127.0.0.1:8080;
//!     }
//!     location /api/ {
//!         proxy_pass http://127.0.0.1:8081;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         proxy_pass http://127.0.0.1:8080;
//!     }
//!     location /api/v2/ {
//!         proxy_pass http://127.0.0.1:8081;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! An exact and a prefix location with the same path (`location = /` and `location /`)
//! are fine, as are repeated regular-expression or named locations (the first one wins).
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#location>

use foldhash::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::ast::NodeId;
use crate::nginx::handlers::{LocationKind, location_kind};
use crate::nginx::model::Scope;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX015",
    name: "duplicate-location",
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
    // (block, exact?, path) -> first location; the path is borrowed from the tree
    // (5,000 copies were a third of this rule on 70k lines).
    let mut seen: HashMap<(Scope, bool, &str), NodeId> =
        HashMap::with_capacity_and_hasher(config.written("location"), Default::default());
    for (id, d) in config.occurrences("location") {
        let Some((kind, path)) = location_kind(&d.args) else {
            continue;
        };
        let exact = match kind {
            LocationKind::Exact => true,
            LocationKind::Prefix | LocationKind::PrefixNoRegex => false,
            _ => continue,
        };
        let key = (config.scope(id), exact, path);
        let Some(&first) = seen.get(&key) else {
            seen.insert(key, id);
            continue;
        };
        let Some(fd) = config.tree.directive(first) else {
            continue;
        };
        // nginx finds it when it builds the location tree, after the http block.
        let after = config
            .top_block_end(config.scope(id))
            .unwrap_or(d.nginx_span());
        out.push(
            RULE.diagnostic(
                format!("duplicate location \"{path}\""),
                d.args[d.args.len() - 1].span,
            )
            .with_related(fd.args[fd.args.len() - 1].span, "first defined here")
            .with_help("merge the two blocks, or change one path")
            .refused_by_nginx(NginxReport::Deferred {
                printed: Some(d.nginx_span()),
                after,
                phase: Phase::Locations,
            }),
        );
    }
    out
}
