//! ## What it does
//! Reports a `proxy_pass` (or `fastcgi_pass`, `grpc_pass`...) that names an `upstream`
//! group and adds a port: `proxy_pass http://backend:8080;` with `upstream backend {}`.
//!
//! ## Why is this bad?
//! The ports belong to the group's `server` lines; nginx refuses the configuration with
//! `upstream "backend" may not have port 8080`. Writing the port usually means the
//! author expected `backend` to be a host name: the request would go to the servers of
//! the group, on their own ports.
//!
//! ## Example
//! ```nginx
//! http {
//!     upstream backend {
//!         server 127.0.0.1:8080;
//!     }
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_pass http://backend:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     upstream backend {
//!         server 127.0.0.1:8080;
//!     }
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_pass http://backend;
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#upstream>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::upstreams::Conflict;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX011",
    name: "upstream-port-on-group",
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
        let Conflict::PortOnGroup {
            pass,
            upstream,
            name,
            port,
        } = conflict
        else {
            continue;
        };
        let (Some(p), Some(u)) = (
            config.tree.directive(*pass),
            config.tree.directive(*upstream),
        ) else {
            continue;
        };
        out.push(
            config
                .refusal(
                    RULE.code,
                    format!("upstream \"{name}\" may not have port {port}"),
                    p,
                    p.args[0].span,
                )
                .with_related(u.args[0].span, "the upstream group")
                .with_help(format!(
                    "write `{} http://{name};`: the group's `server` lines carry the ports",
                    p.name.value
                )),
        );
    }
    out
}
