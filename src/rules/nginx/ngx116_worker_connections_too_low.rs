//! ## What it does
//! Reports a `worker_connections` below 512 (`min-worker-connections` in
//! `proxylint.toml`), and a `worker_rlimit_nofile` below twice `worker_connections`.
//!
//! ## Why does this cause 502/504?
//! A proxied request holds two connections: the client's and the one to the backend.
//! When a worker reaches `worker_connections`, nginx logs `N worker_connections are not
//! enough while connecting to upstream` and answers **500/502**; when it reaches its
//! file-descriptor limit, `socket() failed (24: Too many open files)`. Both appear only
//! under load, typically during the traffic peak the site was scaled for.
//!
//! ## Example
//! ```nginx
//! worker_rlimit_nofile 1024;
//! events {
//!     worker_connections 256;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! worker_rlimit_nofile 8192;
//! events {
//!     worker_connections 4096;
//! }
//! ```
//!
//! ## Exceptions
//! Small internal services with a known, low number of concurrent clients.
//!
//! ## References
//! - <https://nginx.org/en/docs/ngx_core_module.html#worker_connections>
//! - <https://nginx.org/en/docs/ngx_core_module.html#worker_rlimit_nofile>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Scope;
use crate::nginx::values::atoi;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX116",
    name: "worker-connections-too-low",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let min = settings.thresholds.min_worker_connections;
    let mut out = Vec::new();
    for (id, d) in config.occurrences("worker_connections") {
        let Some(connections) = d.arg(0).and_then(atoi) else {
            continue;
        };
        if connections < min {
            out.push(
                RULE.diagnostic(format!(
                        "worker_connections {connections} serves at most {} proxied requests per worker (each holds a client and a backend connection)",
                        connections / 2
                    ),
                    d.args[0].span,
                )
                .with_help(format!("raise it (at least {min}; proxies commonly use 4096 or more) and worker_rlimit_nofile with it")),
            );
        }
        // worker_rlimit_nofile lives at the top level of the same configuration.
        let Scope::Block(events) = config.scope(id) else {
            continue;
        };
        let top = config.scope(events);
        let Some(limit_id) = config.effective(top, "worker_rlimit_nofile") else {
            continue;
        };
        let Some(ld) = config.tree.directive(limit_id) else {
            continue;
        };
        let Some(limit) = ld.arg(0).and_then(atoi) else {
            continue;
        };
        if limit < 2 * connections {
            out.push(
                RULE.diagnostic(format!(
                        "worker_rlimit_nofile {limit} is below 2 x worker_connections ({}): workers run out of file descriptors first (\"Too many open files\")",
                        2 * connections
                    ),
                    ld.args[0].span,
                )
                .with_related(d.args[0].span, "worker_connections is set here")
                .with_help(format!("set worker_rlimit_nofile to at least {}", 2 * connections)),
            );
        }
    }
    out
}
