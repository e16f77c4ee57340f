//! ## What it does
//! Reports directives nginx still reads but ignores or plans to remove in the version
//! checked against (`--nginx-version`): `http2_push`, `http2_idle_timeout`,
//! `ssl_stapling_responder`-era leftovers, `listen ... http2` from nginx 1.25.1 on.
//!
//! ## Why is this bad?
//! nginx prints a warning and ignores the setting (or will refuse it in a later
//! version), so the configuration does not do what it says: a tuned `http2_recv_timeout`
//! has no effect.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 443 ssl;
//!     http2_push_preload on;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 443 ssl;
//! }
//! ```
//!
//! ## Exceptions
//! Keep the directive while you also run an nginx version where it still works.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_v2_module.html>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::{Kind, Version};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX013",
    name: "deprecated-directive",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, d) in config.directives() {
        let Some((def, _)) = config.checked_def(id) else {
            continue;
        };
        let name = &*d.name.value;
        if def.kind == Kind::Obsolete {
            out.push(
                RULE.diagnostic(
                    format!("the \"{name}\" directive is obsolete, ignored"),
                    d.name.span,
                )
                .with_help(format!(
                    "remove \"{name}\": nginx {} ignores it",
                    config.avail.version
                )),
            );
        } else if def.deprecated {
            out.push(
                RULE.diagnostic(format!("the \"{name}\" directive is deprecated"), d.name.span)
                    .with_help(format!("\"{name}\" will be removed from nginx; see the module's documentation for its replacement")),
            );
        } else if name == "listen"
            && config.info(id).context == "http>server"
            && config.avail.version >= Version(1, 25, 1)
            && let Some(arg) = d.args.iter().skip(1).find(|a| &*a.value == "http2")
        {
            out.push(
                RULE.diagnostic("the \"listen ... http2\" directive is deprecated, use the \"http2\" directive instead",
                    arg.span,
                )
                .with_help("remove `http2` from `listen` and add `http2 on;` to the server"),
            );
        }
    }
    out
}
