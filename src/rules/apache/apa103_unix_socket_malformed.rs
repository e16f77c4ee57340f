//! ## What it does
//! Reports a unix-socket target not written as httpd needs it: `unix:/path/to.sock|scheme://host/`.
//! Missing the `|scheme://...` part, a relative socket path, an empty path, or nothing after
//! the `|`.
//!
//! ## Why does this cause 502/504?
//! httpd parses the socket and the URL apart at the `|`. Without it the whole string is
//! taken as a URL with the scheme `unix`, which no module handles (`AH01144: No protocol
//! handler was valid`, a 500 on every request); a relative path is resolved against
//! `DefaultRuntimeDir`, not where the backend (PHP-FPM's `listen =`) creates its socket, so
//! every connect fails with `(2)No such file or directory: AH02454` and the client gets a
//! **503**.
//!
//! ## Example
//! ```apache
//! <FilesMatch \\.php$>
//!     SetHandler "proxy:unix:/run/php/php8.2-fpm.sock"
//! </FilesMatch>
//! ```
//!
//! ## Use instead
//! ```apache
//! <FilesMatch \\.php$>
//!     SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
//! </FilesMatch>
//! ```
//!
//! ## Exceptions
//! None: these targets never reach the backend.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> (Unix domain sockets)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy_fcgi.html#examples>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA103",
    name: "unix-socket-malformed",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in &server.routes {
                let Some(rest) = route
                    .target
                    .get(..5)
                    .filter(|p| p.eq_ignore_ascii_case("unix:"))
                    .map(|_| &route.target[5..])
                else {
                    continue;
                };
                let (path, url) = match rest.split_once('|') {
                    Some((path, url)) => (path, Some(url)),
                    None => (rest, None),
                };
                let problem = if url.is_none() {
                    Some("has no `|scheme://host/` part: httpd reads it as a URL of scheme `unix`, which no module handles (AH01144, a 500 on every request)".to_string())
                } else if url.is_some_and(|u| !u.contains("://")) {
                    Some("has no URL after `|`: httpd needs the protocol to speak on the socket (`|fcgi://localhost`, `|http://localhost/`)".to_string())
                } else if path.is_empty() {
                    Some("names no socket path".to_string())
                } else if !path.starts_with('/') {
                    Some(format!("names the relative path `{path}`: httpd resolves it against DefaultRuntimeDir, not where the backend creates its socket (AH02454, a 503)"))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    out.push(
                        RULE.diagnostic(format!("unix socket target {problem}"), route.target_span)
                            .with_help("write `unix:/absolute/path.sock|fcgi://localhost` (PHP-FPM) or `unix:/absolute/path.sock|http://localhost/` (an HTTP backend)"),
                    );
                }
            }
        }
    }
    out
}
