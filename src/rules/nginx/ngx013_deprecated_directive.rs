//! ## What it does
//! Reports directives nginx still reads but ignores or plans to remove in the version
//! checked against (`--nginx-version`, else the installed nginx's): `http2_push`,
//! `http2_idle_timeout`, `ssl on` (up to 1.24; later versions refuse it),
//! `listen ... http2` from nginx 1.25.1 on (the `http2` directive that replaces it
//! does not exist before).
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
//! Keep the directive while you also run an nginx version where it still works: each
//! replacement says which version has it, and none is suggested to a version that
//! lacks it.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_v2_module.html>
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::{Kind, Version, grammar};
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

/// nginx's replacements for its deprecated directives (`ngx_conf_deprecated_t`), as its
/// warning names them: all of them exist in every version the tables cover.
const REPLACED_BY: &[(&str, &str)] = &[
    ("http2_recv_timeout", "client_header_timeout"),
    ("http2_idle_timeout", "keepalive_timeout"),
    ("http2_max_requests", "keepalive_requests"),
    ("http2_max_field_size", "large_client_header_buffers"),
    ("http2_max_header_size", "large_client_header_buffers"),
    ("ssl", "listen ... ssl"),
];

/// The version that brought the `http2` directive, replacing `listen ... http2`.
const HTTP2_DIRECTIVE: Version = Version(1, 25, 1);

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // What it reports: obsolete and deprecated directives, and `listen ... http2`.
    let candidates = config.checked_where(|def| {
        def.kind == Kind::Obsolete || def.deprecated || def.name == "listen"
    });
    for (id, def, d) in candidates {
        let name = &*d.name.value;
        let replacement = REPLACED_BY
            .iter()
            .find(|(old, _)| *old == name)
            .map(|(_, new)| *new);
        if def.kind == Kind::Obsolete || def.deprecated {
            // nginx's words: an obsolete directive is ignored (`ngx_http_v2_obsolete`),
            // a deprecated one still works (`ngx_conf_deprecated`).
            let state = if def.kind == Kind::Obsolete {
                "obsolete"
            } else {
                "deprecated"
            };
            let message = match replacement {
                Some(new) => format!(
                    "the \"{name}\" directive is {state}, use the \"{new}\" directive instead"
                ),
                None if def.kind == Kind::Obsolete => {
                    format!("the \"{name}\" directive is obsolete, ignored")
                }
                None => format!("the \"{name}\" directive is deprecated"),
            };
            let version = config.avail.version;
            let last = grammar().defs(name).filter_map(|def| def.until).max();
            let help = match (replacement, last) {
                (Some("listen ... ssl"), _) => format!(
                    "remove `ssl on;` and add `ssl` to the server's `listen` lines: nginx {version} accepts `ssl on` with a warning, nginx 1.25.1 and later refuse it"
                ),
                (Some(new), _) => format!(
                    "replace \"{name}\" with \"{new}\" (every nginx version proxylint knows has it): nginx {version} {}",
                    if def.kind == Kind::Obsolete {
                        "ignores the old one"
                    } else {
                        "still reads the old one, but not for long"
                    }
                ),
                (None, _) if def.kind == Kind::Obsolete => {
                    format!("remove \"{name}\": nginx {version} ignores it")
                }
                (None, Some(last)) => format!(
                    "\"{name}\" will be removed from nginx (the last version with it is {last}); see the module's documentation for its replacement"
                ),
                (None, None) => format!(
                    "\"{name}\" will be removed from nginx; see the module's documentation for its replacement"
                ),
            };
            out.push(RULE.diagnostic(message, d.name.span).with_help(help));
        } else if name == "listen"
            && config.info(id).context == "http>server"
            && config.avail.version >= HTTP2_DIRECTIVE
            && let Some(arg) = d.args.iter().skip(1).find(|a| &*a.value == "http2")
        {
            // Only where the replacement exists: before 1.25.1 `listen ... http2` is
            // the way, and `http2 on;` an unknown directive.
            out.push(
                RULE.diagnostic("the \"listen ... http2\" directive is deprecated, use the \"http2\" directive instead",
                    arg.span,
                )
                .with_help(format!("remove `http2` from `listen` and add `http2 on;` to the server (the http2 directive needs nginx >= {HTTP2_DIRECTIVE}; keep `listen ... http2` while you also deploy to an older nginx)")),
            );
        }
    }
    out
}
