//! ## What it does
//! Reports an `https://`, `wss://` or `h2://` backend addressed by an IP address
//! (`ProxyPass / https://10.0.0.5/`) in a server where httpd checks the backend
//! certificate's name: `SSLProxyEngine on`, and neither `SSLProxyCheckPeerName off` nor
//! `ProxyPreserveHost on`.
//!
//! ## Why does this cause 502/504?
//! With `SSLProxyCheckPeerName` on (its default), mod_ssl compares the name httpd connected
//! with, here the address, against the certificate's DNS names and common names. An IP
//! address in the certificate's subjectAltName does not count (mod_ssl reads DNS names
//! only), and certificates name hosts: the check fails, httpd logs `AH02411: SSL Proxy:
//! Peer certificate does not match for hostname 10.0.0.5` and `AH00898: Error during SSL
//! Handshake with remote server`, and the client gets a **502**, on every request, whatever
//! `SSLProxyVerify` says. `apache2 -t` accepts the configuration.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     SSLProxyEngine on
//!     ProxyPass / https://10.0.0.5/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     SSLProxyEngine on
//!     ProxyPass / https://app.internal/
//! </VirtualHost>
//! ```
//! Connect by a name the certificate carries (an `/etc/hosts` entry will do), or, for a
//! backend on a trusted network, turn the name check off for it with
//! `SSLProxyCheckPeerName off`.
//!
//! ## Exceptions
//! A certificate whose common name or DNS name is the address written out
//! (`CN=10.0.0.5`, as some self-signed ones are) passes: suppress the finding there.
//! With `ProxyPreserveHost on` httpd checks the client's `Host` instead, and this rule
//! stays quiet.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_ssl.html#sslproxycheckpeername>
//! - httpd source: `ssl_io_filter_handshake` (modules/ssl/ssl_engine_io.c),
//!   `modssl_X509_match_name` (modules/ssl/ssl_util_ssl.c)

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA113",
    name: "tls-backend-by-address",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            let on = |s: &Option<crate::apache::model::Setting<bool>>| s.as_ref().map(|s| s.value);
            // Without the engine APA106 reports the route; with the client's Host the
            // name checked is not the address.
            if on(&server.ssl_proxy_engine) != Some(true)
                || on(&server.proxy_preserve_host) == Some(true)
            {
                continue;
            }
            // `ssl_io_filter_handshake`: names are checked unless CheckPeerName is off, or
            // CheckPeerCN is off and CheckPeerName left unset.
            let name = on(&server.ssl_proxy_check_peer_name);
            if name == Some(false) || (on(&server.ssl_proxy_check_peer_cn) == Some(false) && name.is_none()) {
                continue;
            }
            for route in &server.routes {
                if route.tls_scheme().is_none() {
                    continue;
                }
                let Some((host, _)) = crate::rules::shared::host_port(route.url()) else {
                    continue;
                };
                if host.parse::<std::net::IpAddr>().is_err() {
                    continue;
                }
                out.push(
                    RULE.diagnostic(
                        format!("TLS backend addressed by IP {host}: httpd checks the backend certificate's names against the address (SSLProxyCheckPeerName), which only a certificate naming the address itself passes (an IP in subjectAltName does not count): every request gets a 502 (AH02411: Peer certificate does not match for hostname {host})"),
                        route.target_span,
                    )
                    .with_help("connect by a name the backend's certificate carries (an /etc/hosts entry will do), or add `SSLProxyCheckPeerName off` for a backend on a trusted network"),
                );
            }
        }
    }
    out
}
