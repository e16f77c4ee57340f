//! ## What it does
//! Reports unix socket addresses nginx will not connect to as intended:
//! - `proxy_pass http://unix:/run/app.sock/admin/`: without the `:` that ends the socket
//!   path, nginx takes `/run/app.sock/admin/` as the socket path;
//! - a relative socket path (`unix:run/app.sock`), resolved against nginx's working
//!   directory (usually `/`), not the configuration directory;
//! - a socket path ending in `/`.
//!
//! ## Why does this cause 502/504?
//! nginx tries to connect to a path that does not exist: every request fails with
//! **502 Bad Gateway** and `connect() to unix:/run/app.sock/admin/ failed (20: Not a
//! directory)` or `(2: No such file or directory)`.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     proxy_pass http://unix:/run/app.sock/admin/;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location /admin/ {
//!     proxy_pass http://unix:/run/app.sock:/admin/;
//! }
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX105",
    name: "unix-socket-path-malformed",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The part of a socket path after a `*.sock` component, if any.
fn glued_uri(path: &str) -> Option<(&str, &str)> {
    let at = path.find(".sock/")? + ".sock".len();
    Some((&path[..at], &path[at..]))
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, addr) in config.index().sockets() {
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let span = d.args[0].span;
        let path = addr.host.as_str();
        let (message, help) = if let Some((socket, uri)) = glued_uri(path) {
            (
                format!(
                    "socket path \"{path}\" includes a URI: nginx connects to that whole path, not to {socket}"
                ),
                if &*d.name.value == "proxy_pass" {
                    format!(
                        "end the socket path with `:` before the URI: `http://unix:{socket}:{uri}`"
                    )
                } else {
                    format!("this directive takes no URI: `unix:{socket}`")
                },
            )
        } else if !path.starts_with('/') {
            (
                format!(
                    "relative socket path \"{path}\": nginx resolves it against its working directory (usually /), not the configuration directory"
                ),
                "write the absolute path of the socket".to_string(),
            )
        } else if path.ends_with('/') {
            (
                format!(
                    "socket path \"{path}\" ends with `/`: a socket is a file, not a directory"
                ),
                format!(
                    "remove the trailing `/`: `unix:{}`",
                    path.trim_end_matches('/')
                ),
            )
        } else {
            continue;
        };
        out.push(RULE.diagnostic(message, span).with_help(help));
    }
    out
}
