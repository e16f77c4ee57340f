//! ## What it does
//! Reports a `ProxyPass` whose path and URL disagree on a trailing slash: `ProxyPass /app
//! http://backend/app/` or `ProxyPass /app/ http://backend/app`.
//!
//! ## Why does this cause 502/504?
//! httpd replaces the path with the URL and appends the rest of the request as is. With
//! `/app` → `http://b/app/`, a request for `/app/login` goes to `http://b/app//login`; with
//! `/app/` → `http://b/app`, `/app/login` goes to `http://b/applogin`. The backend answers
//! 404s or redirects in a loop, and a health check on `/app` works while the pages fail.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /app http://127.0.0.1:8080/app/ retry=0
//!     ProxyPassReverse /app http://127.0.0.1:8080/app/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /app/ http://127.0.0.1:8080/app/ retry=0
//!     ProxyPassReverse /app/ http://127.0.0.1:8080/app/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A URL without a path (`http://backend:8080`) is not compared. `ProxyPassMatch` lines are
//! not reported (their URL takes `$1`).
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> ("If the first
//!   argument ends with a trailing /, the second argument should also end with a trailing /,
//!   and vice versa")

use crate::apache::model::{RouteKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA107",
    name: "trailing-slash-mismatch",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in server
                .routes
                .iter()
                .filter(|r| r.kind == RouteKind::Pass && !r.is_exclusion())
            {
                let Some(path) = route.path.as_deref() else {
                    continue;
                };
                let url = route.url();
                let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
                    continue;
                };
                // The URL's own path: none means nothing to compare.
                let Some(at) = rest.find('/') else {
                    continue;
                };
                if rest[at..].is_empty() {
                    continue;
                }
                if path.ends_with('/') != url.ends_with('/') {
                    let (fixed_path, fixed_url) = if url.ends_with('/') {
                        (format!("{path}/"), url.to_string())
                    } else {
                        (path.to_string(), format!("{url}/"))
                    };
                    out.push(
                        RULE.diagnostic(
                            format!("the path `{path}` and the URL `{url}` disagree on a trailing slash: the backend gets doubled or missing slashes"),
                            route.target_span,
                        )
                        .with_help(format!("end both or neither with `/`: `ProxyPass {fixed_path} {fixed_url}`")),
                    );
                }
            }
        }
    }
    out
}
