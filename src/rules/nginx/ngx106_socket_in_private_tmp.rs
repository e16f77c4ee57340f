//! ## What it does
//! Reports a unix socket under `/tmp` or `/var/tmp` that nginx connects to.
//!
//! ## Why does this cause 502/504?
//! systemd runs nginx (Debian, Ubuntu, Fedora, Arch units) and many backends (php-fpm,
//! gunicorn units written from tutorials) with `PrivateTmp=true`: each service sees its
//! own private `/tmp`. The backend creates `/tmp/app.sock` in its namespace, nginx looks
//! in another one and fails with **502 Bad Gateway**: `connect() to unix:/tmp/app.sock
//! failed (2: No such file or directory)`, although `ls /tmp/app.sock` in a shell shows
//! the socket.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass http://unix:/tmp/gunicorn.sock;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass http://unix:/run/gunicorn/gunicorn.sock;
//! }
//! ```
//!
//! ## Exceptions
//! Without systemd (containers, BSD) or with `PrivateTmp` off on both services the
//! socket works; `/run/<service>/` (systemd's `RuntimeDirectory=`) is still the place
//! for sockets.
//!
//! ## References
//! - <https://www.freedesktop.org/software/systemd/man/systemd.exec.html#PrivateTmp=>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX106",
    name: "socket-in-private-tmp",
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
    for (id, addr) in config.index().sockets() {
        let path = addr.host.as_str();
        if !crate::rules::shared::in_private_tmp(path) {
            continue;
        }
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let file = path.rsplit('/').next().unwrap_or(path);
        out.push(
            RULE.diagnostic(format!("socket {path} is in a temporary directory that systemd's PrivateTmp makes private per service"),
                d.args[0].span,
            )
            .with_help(format!(
                "have the backend create its socket under /run (e.g. RuntimeDirectory=app, /run/app/{file}) and point nginx there"
            )),
        );
    }
    out
}
