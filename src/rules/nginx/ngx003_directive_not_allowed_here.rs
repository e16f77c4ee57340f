//! ## What it does
//! Reports a directive used in a block where nginx does not accept it: `proxy_pass` in
//! `server` instead of `location`, `keepalive` outside `upstream`, `location` inside
//! `if`, `server_name` in a stream server.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `"x" directive is not allowed here`. Moving a
//! directive to an outer block to "apply it everywhere" is a common cause.
//!
//! ## Example
//! ```nginx
//! http {
//!     server {
//!         listen 80;
//!         proxy_pass http://127.0.0.1:8080;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! http {
//!     server {
//!         listen 80;
//!         location / {
//!             proxy_pass http://127.0.0.1:8080;
//!         }
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! A file linted on its own is checked in the context proxylint infers from its
//! content (or the one given with `--context`); a snippet written for another context
//! needs `--context`.
//!
//! ## References
//! - Each directive's "Context:" line in <https://nginx.org/en/docs/dirindex.html>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Resolution;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX003",
    name: "directive-not-allowed-here",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// A context as the nginx documentation names it (`http>location>if` → `if in location`).
pub fn context_name(context: &str) -> &str {
    match context {
        "http>server" | "stream>server" | "mail>server" => "server",
        "http>location" => "location",
        "http>server>if" => "if in server",
        "http>location>if" => "if in location",
        "http>location>limit_except" => "limit_except",
        "http>upstream" | "stream>upstream" => "upstream",
        other => other,
    }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, d) in config.unresolved() {
        let Resolution::NotAllowed(defs) = &config.info(id).resolution else {
            continue;
        };
        let name = &*d.name.value;
        let mut places: Vec<&str> = defs
            .iter()
            .flat_map(|def| def.contexts.iter().map(|c| context_name(c)))
            .collect();
        places.dedup();
        let here = context_name(config.info(id).context);
        out.push(
            config
                .refusal(
                    RULE.code,
                    format!("\"{name}\" directive is not allowed here"),
                    d,
                    d.name.span,
                )
                .with_help(format!(
                    "\"{name}\" is allowed in: {}; here it is in: {here}",
                    places.join(", ")
                )),
        );
    }
    out
}
