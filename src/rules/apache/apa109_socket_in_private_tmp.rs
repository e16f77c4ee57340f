//! ## What it does
//! Reports a unix-socket target under /tmp or /var/tmp.
//!
//! ## Why does this cause 502/504?
//! systemd gives services with `PrivateTmp=yes` (php-fpm, apache2 and many others on
//! Debian, Ubuntu and RHEL) their own /tmp: the backend creates its socket in its private
//! /tmp and httpd looks in another. Every connect fails with `(2)No such file or directory:
//! AH02454: FCGI: attempt to connect to Unix domain socket /tmp/php-fpm.sock failed` and the
//! client gets a **503**, although `ls /tmp` in a shell shows no socket and the service runs.
//!
//! ## Example
//! ```apache
//! <FilesMatch \\.php$>
//!     SetHandler "proxy:unix:/tmp/php-fpm.sock|fcgi://localhost"
//! </FilesMatch>
//! ```
//!
//! ## Use instead
//! ```apache
//! <FilesMatch \\.php$>
//!     SetHandler "proxy:unix:/run/php/php-fpm.sock|fcgi://localhost"
//! </FilesMatch>
//! ```
//!
//! ## Exceptions
//! Neither service uses PrivateTmp (check `systemctl show -p PrivateTmp apache2 php8.2-fpm`).
//!
//! ## References
//! - systemd.exec(5), `PrivateTmp=`
//! - NGX106, the nginx counterpart

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA109",
    name: "socket-in-private-tmp",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in &server.routes {
                let Some(path) = route.socket() else {
                    continue;
                };
                if !crate::rules::shared::in_private_tmp(path) {
                    continue;
                }
                let file = path.rsplit('/').next().unwrap_or(path);
                out.push(
                    RULE.diagnostic(
                        format!("socket {path} is in a temporary directory that systemd's PrivateTmp makes private per service"),
                        route.target_span,
                    )
                    .with_help(format!("have the backend create its socket under /run (e.g. PHP-FPM `listen = /run/php/{file}`) and point httpd there")),
                );
            }
        }
    }
    out
}
