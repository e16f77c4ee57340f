//! ## What it does
//! Reports a `ProxyPass` line that an earlier one in the same server always matches first:
//! an earlier path that is a prefix of its path (`ProxyPass / ...` before `ProxyPass /api
//! ...`, or before `ProxyPass /static !`).
//!
//! ## Why does this cause 502/504?
//! httpd tries `ProxyPass` lines in the order of the configuration and uses the first whose
//! path is a prefix of the request's. A later, longer path is never used: `/api` goes to the
//! catch-all backend, which answers 404 or, when it is down, the whole site's 502/503, and an
//! exclusion (`!`) written after the catch-all excludes nothing, so static files are proxied
//! too.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / http://127.0.0.1:8080/ retry=0
//!     ProxyPassReverse / http://127.0.0.1:8080/
//!     ProxyPass /static !
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /static !
//!     ProxyPass / http://127.0.0.1:8080/ retry=0
//!     ProxyPassReverse / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! Only `ProxyPass` lines with a path, outside `<Location>`, are compared; `ProxyPassMatch`
//! patterns are not.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> ("Ordering ProxyPass
//!   Directives")

use crate::apache::model::{Route, RouteKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA105",
    name: "proxypass-shadowed",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            let passes: Vec<&Route> = server
                .routes
                .iter()
                .filter(|r| r.kind == RouteKind::Pass && !r.in_location)
                .collect();
            for (i, later) in passes.iter().enumerate() {
                let Some(path) = later.path.as_deref() else {
                    continue;
                };
                let shadow = passes[..i].iter().find(|earlier| {
                    earlier
                        .path
                        .as_deref()
                        .is_some_and(|p| path.starts_with(p) && p != path)
                });
                if let Some(earlier) = shadow {
                    let p = earlier.path.as_deref().unwrap_or_default();
                    out.push(
                        RULE.diagnostic(
                            format!("never used: the earlier `ProxyPass {p}` matches every request under {path} first"),
                            later.line,
                        )
                        .with_related(earlier.line, "this line matches first")
                        .with_help("move the longer path (and exclusions with `!`) above the shorter one"),
                    );
                }
            }
        }
    }
    out
}
