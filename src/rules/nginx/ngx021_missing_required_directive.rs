//! ## What it does
//! Reports a directive nginx requires but the configuration lacks: the `events` block of
//! a main configuration, and the `listen` of a stream `server`.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `no "events" section in configuration` (with no
//! line to look at), `no "listen" is defined for server`. The first happens when a site
//! file is mistaken for the main configuration (`nginx -c sites-available/app.conf`) or
//! the `include` holding `events` goes missing.
//!
//! ## Example
//! ```nginx
//! # nginx.conf
//! http {
//!     server {
//!         listen 80;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! # nginx.conf
//! events {}
//! http {
//!     server {
//!         listen 80;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Files checked as snippets (`--context`, or a context proxylint infers from their
//! content) need no `events`. An empty file is a snippet unless it is named
//! `nginx.conf` or checked with `--context main`, which nginx refuses as it refuses
//! any main configuration without `events`. When a top-level include could not be
//! read, the missing `events` block may be in it: the finding is only an info.
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#events>
//! - <https://nginx.org/en/docs/stream/ngx_stream_core_module.html#listen>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Scope;
use crate::nginx::model::unseen::Unseen;
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::{Missing, maybe_defined_elsewhere};
use crate::workspace::Workspace;
use crate::settings::Settings;
use crate::source::Span;

pub const RULE: Rule = Rule {
    code: "NGX021",
    name: "missing-required-directive",
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
    for (i, root) in config.tree.roots.iter().enumerate() {
        let file = config.sources.get(root.file);
        if config.root_context(i) != "main" {
            continue;
        }
        // `events` behind a byte order mark is NGX002's unknown directive: nginx stops
        // there, never missing the block.
        let bom_events = config
            .tree
            .flatten(&root.children)
            .next()
            .is_some_and(|(_, d)| d.name.value.strip_prefix('\u{feff}') == Some("events"));
        if config.set_here(Scope::Root(i), "events").next().is_none() && !bom_events {
            let end = Span::new(root.file, file.text.len(), file.text.len());
            let diag = RULE.diagnostic("no \"events\" section in configuration", end)
                .with_help("a main configuration needs an `events {}` block (even empty); if this file is a site or snippet, lint it with --context http or server")
                .refused_by_nginx(NginxReport::Deferred {
                    printed: None,
                    after: end,
                    phase: Phase::Listen,
                });
            // An `events` block may be in a top-level include that could not be read.
            out.push(match config.unread_in(Scope::Root(i)) {
                Some(u) => maybe_defined_elsewhere(
                    diag,
                    Unseen::Include(u),
                    "the events block",
                    Missing::Setting,
                ),
                None => diag,
            });
        }
    }
    for (id, d) in config.occurrences("server") {
        if config.info(id).body_context != "stream>server" {
            continue;
        }
        if config.set_here(Scope::Block(id), "listen").next().is_some() {
            continue;
        }
        // nginx checks when it has read the server block, and names the server's line.
        let after = d.block_end_span();
        out.push(
            RULE.diagnostic("no \"listen\" is defined for server", d.name.span)
                .with_help("a stream server needs `listen PORT;`: it has no default port")
                .refused_by_nginx(NginxReport::Deferred {
                    printed: Some(d.nginx_span()),
                    after,
                    phase: Phase::Merge,
                }),
        );
    }
    out
}
