//! ## What it does
//! Reports two unix-socket targets on different sockets with the same `|scheme://host/`
//! part (`unix:/run/php/a.sock|fcgi://localhost` and `unix:/run/php/b.sock|fcgi://localhost`).
//!
//! ## Why does this cause 502/504?
//! httpd keys its workers by the URL after the `|`: the second target reuses the first's
//! worker (`AH01145: Sharing worker 'fcgi://localhost' instead of creating new worker
//! 'unix:/run/php/b.sock|fcgi://localhost'` at start-up) and its requests go to the first
//! socket. Site B runs with site A's PHP pool (other user, other PHP version, other
//! `open_basedir`) or, when that pool is stopped, gets **503**s while its own pool is up.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName a.example
//!     ProxyPassMatch ^/(.*\\.php)$ "unix:/run/php/a.sock|fcgi://localhost/srv/a/"
//! </VirtualHost>
//! <VirtualHost *:80>
//!     ServerName b.example
//!     ProxyPassMatch ^/(.*\\.php)$ "unix:/run/php/b.sock|fcgi://localhost/srv/b/"
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName a.example
//!     ProxyPassMatch ^/(.*\\.php)$ "unix:/run/php/a.sock|fcgi://site-a/srv/a/"
//! </VirtualHost>
//! <VirtualHost *:80>
//!     ServerName b.example
//!     ProxyPassMatch ^/(.*\\.php)$ "unix:/run/php/b.sock|fcgi://site-b/srv/b/"
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! `SetHandler "proxy:unix:...|fcgi://localhost"` lines are not reported: httpd builds their
//! connection per request from the handler string.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#workers>
//! - httpd source: `ap_proxy_get_worker` and AH01145 (modules/proxy/proxy_util.c)

use crate::apache::model::{Route, RouteKind};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA104",
    name: "shared-socket-worker",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The worker key httpd uses for a unix-socket target: scheme and host after the `|`.
fn worker_key(route: &Route) -> Option<String> {
    let url = route.url();
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().unwrap_or(rest);
    Some(format!("{}://{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        // Workers are shared across virtual hosts: one map for the configuration.
        let mut first: foldhash::HashMap<String, (String, crate::source::Span)> =
            Default::default();
        for server in config.servers() {
            for route in server
                .routes
                .iter()
                .filter(|r| r.kind != RouteKind::Handler)
            {
                // Only a socket's worker can be shared by mistake: the key is made for
                // those alone.
                let Some(socket) = route.socket() else {
                    continue;
                };
                let Some(key) = worker_key(route) else {
                    continue;
                };
                match first.get(&key) {
                    None => {
                        first.insert(key, (socket.to_string(), route.target_span));
                    }
                    Some((other, span)) if other != socket && *span != route.target_span => {
                        out.push(
                            RULE.diagnostic(
                                format!("this target shares the worker `{key}` of a target on {other}: httpd sends these requests to {other}, not {socket} (AH01145)"),
                                route.target_span,
                            )
                            .with_related(*span, format!("the worker `{key}` is first defined here, on {other}"))
                            .with_help("give each socket its own host name after `|` (`|fcgi://site-b/`)"),
                        );
                    }
                    Some(_) => {}
                }
            }
        }
    }
    out
}
