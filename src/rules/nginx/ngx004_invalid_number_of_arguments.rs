//! ## What it does
//! Reports a directive with more or fewer parameters than nginx accepts: a value split
//! by an unquoted space (`add_header X-Frame-Options SAME ORIGIN`), a forgotten value,
//! a timeout written as `proxy_read_timeout 1 m`.
//!
//! ## Why is this bad?
//! nginx refuses the configuration with `invalid number of arguments in "x" directive`.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_read_timeout 1 m;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_read_timeout 1m;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - Each directive's "Syntax:" line in <https://nginx.org/en/docs/dirindex.html>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::Arity;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX004",
    name: "invalid-number-of-arguments",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn expected(arity: Arity) -> String {
    match arity {
        Arity::Counts(mask) => {
            let counts: Vec<String> = (0..8)
                .filter(|n| mask & (1 << n) != 0)
                .map(|n| n.to_string())
                .collect();
            match counts.len() {
                1 => format!("exactly {}", counts[0]),
                _ => format!(
                    "{} or {}",
                    counts[..counts.len() - 1].join(", "),
                    counts[counts.len() - 1]
                ),
            }
        }
        Arity::AtLeast(n) => format!("at least {n}"),
        Arity::Any => "any number of".to_string(),
    }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (_, def, d) in config.malformed() {
        // A wrong terminator is NGX001's, and nginx stops there.
        if def.block != d.block().is_some() || def.arity.accepts(d.args.len()) {
            continue;
        }
        let name = &*d.name.value;
        let mut help = format!(
            "\"{name}\" takes {} parameter(s), here it has {}",
            expected(def.arity),
            d.args.len()
        );
        if !def.syntax.is_empty() {
            let syntax = def.syntax;
            help.push_str(&format!("; syntax: {name} {syntax};"));
        }
        out.push(
            config
                .refusal(
                    RULE.code,
                    format!("invalid number of arguments in \"{name}\" directive"),
                    d,
                    d.name.span,
                )
                .with_help(help),
        );
    }
    out
}
