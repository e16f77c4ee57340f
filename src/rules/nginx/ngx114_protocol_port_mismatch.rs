//! ## What it does
//! Reports a pass whose protocol does not match the port it connects to, by the
//! conventional ports of `grammars/nginx/ports.tsv` (configurable: `http-ports`,
//! `tls-ports`, `fastcgi-ports`):
//! - `https://` (or `grpcs://`) to a plain-HTTP port (80, 3000, 5000, 8000, 8080...);
//! - `http://` (or `grpc://`) to a TLS port (443, 8443);
//! - `fastcgi_pass` to an HTTP or TLS port;
//! - `proxy_pass http://` to a FastCGI port (9000, PHP-FPM) in a configuration that
//!   also uses `fastcgi_pass`;
//! - `grpc_pass` to port 80 or 443 without the matching scheme.
//!
//! ## Why does this cause 502/504?
//! The backend answers in another protocol and nginx cannot read the reply: **502 Bad
//! Gateway** with `SSL_do_handshake() failed (... wrong version number)` (TLS to a plain
//! port), `upstream sent unsupported FastCGI protocol version: 72` (FastCGI to an HTTP
//! server: 72 is the `H` of `HTTP/1.1`), `upstream prematurely closed connection` or
//! `upstream sent no valid HTTP/1.0 header` (HTTP to PHP-FPM or to a TLS port).
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_pass https://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! A backend on an unconventional port (TLS on 8080) is fine: suppress the finding or
//! adjust the port lists in `proxylint.toml`.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_pass>
//! - <https://nginx.org/en/docs/http/ngx_http_fastcgi_module.html#fastcgi_pass>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::{Settings, Thresholds};

pub const RULE: Rule = Rule {
    code: "NGX114",
    name: "protocol-port-mismatch",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// What is wrong with speaking `scheme` through `directive` to `port`, if anything.
fn mismatch(
    t: &Thresholds,
    directive: &str,
    scheme: &str,
    port: u16,
) -> Option<(&'static str, String)> {
    let http = t.http_ports.contains(&port);
    let tls = t.tls_ports.contains(&port);
    let fastcgi = t.fastcgi_ports.contains(&port);
    match (directive, scheme) {
        ("proxy_pass", "https") | ("grpc_pass", "grpcs") if http => Some((
            "TLS to a plain-HTTP port",
            "the handshake fails with \"wrong version number\"".into(),
        )),
        ("proxy_pass", "http") | ("grpc_pass", "grpc") if tls => Some((
            "plain HTTP to a TLS port",
            "the backend expects a TLS handshake and closes the connection".into(),
        )),
        ("proxy_pass", _) if fastcgi => Some((
            "HTTP to a FastCGI port",
            format!("port {port} is PHP-FPM's: use `fastcgi_pass` with `include fastcgi_params;`"),
        )),
        ("fastcgi_pass", _) if http || tls => Some((
            "FastCGI to an HTTP port",
            "nginx logs \"upstream sent unsupported FastCGI protocol version: 72\": use proxy_pass"
                .into(),
        )),
        ("grpc_pass", "") if port == 80 => Some((
            "gRPC to port 80",
            "gRPC needs HTTP/2; port 80 usually serves HTTP/1".into(),
        )),
        ("grpc_pass", "") if port == 443 => {
            Some(("plain gRPC to a TLS port", "use grpcs:// for TLS".into()))
        }
        _ => None,
    }
}

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // HTTP on a FastCGI port is suspicious where the configuration runs PHP; elsewhere
    // the port may well be an HTTP service's (MinIO, Portainer use 9000).
    let runs_fastcgi = config
        .index()
        .passes
        .iter()
        .any(|p| p.directive == "fastcgi_pass");
    let mut thresholds = settings.thresholds.clone();
    if !runs_fastcgi {
        thresholds.fastcgi_ports.clear();
    }
    for pass in &config.index().passes {
        let Some(target) = &pass.target else { continue };
        let Some(port) = target.addr.port else {
            continue;
        };
        let Some((what, why)) = mismatch(&thresholds, pass.directive, target.scheme, port) else {
            continue;
        };
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        out.push(
            RULE.diagnostic(
                format!("{what} ({}): {why}", d.args[0].value),
                d.args[0].span,
            )
            .with_help("make the scheme and directive match what the backend on that port speaks"),
        );
    }
    out
}
