//! ## What it does
//! Reports an `https://`, `wss://` or `h2://` backend (a `ProxyPass`, `BalancerMember` or
//! `SetHandler "proxy:..."` target) in a server where `SSLProxyEngine on` is not set (in the
//! virtual host or the main server it inherits from).
//!
//! ## Why does this cause 502/504?
//! httpd only speaks TLS to backends when `SSLProxyEngine` is on. Without it every request
//! to the route fails: httpd logs `AH00961: HTTPS: failed to enable ssl support for
//! 10.0.0.5:443 (backend)` (with mod_ssl not loaded: `AH01961: SSL Proxy requested for ...
//! but not enabled [Hint: SSLProxyEngine]`) and answers **500**; the `apache2 -t` check
//! passes, so the first sign is the outage.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass / https://10.0.0.5/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     SSLProxyEngine on
//!     ProxyPass / https://10.0.0.5/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! None.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_ssl.html#sslproxyengine>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA106",
    name: "ssl-proxy-engine-missing",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            if server.ssl_proxy_engine.as_ref().is_some_and(|s| s.value) {
                continue;
            }
            for route in &server.routes {
                let Some(scheme) = route.tls_scheme() else {
                    continue;
                };
                out.push(
                    RULE.diagnostic(
                        format!("`{scheme}://` backend without `SSLProxyEngine on` in this server: every request here fails with a 500 (AH00961: failed to enable ssl support)"),
                        route.target_span,
                    )
                    .with_help("add `SSLProxyEngine on` to this virtual host (and `SSLProxyCheckPeerName`/`SSLProxyCACertificateFile` as the backend's certificate needs)"),
                );
            }
        }
    }
    out
}
