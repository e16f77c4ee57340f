//! ## What it does
//! Reports a proxy target whose scheme does not match what its port conventionally speaks
//! (the ports lists of proxylint.toml, shared with NGX114): `https://` to a plain-HTTP port,
//! `http://` to a TLS port, `http://` to PHP-FPM's 9000, `fcgi://` to an HTTP port.
//!
//! ## Why does this cause 502/504?
//! The backend and httpd speak different protocols and every request fails with a **502**:
//! TLS to a plain port fails the handshake (`AH02005`, `wrong version number`); plain HTTP to a
//! TLS port gets the connection closed or a 400 in the body; HTTP to FastCGI gets nothing
//! httpd can read (`AH01102: error reading status line`); FastCGI to HTTP gets `AH01067:
//! Failed to read FastCGI header`.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /php/ http://127.0.0.1:9000/ retry=0
//!     ProxyPassReverse /php/ http://127.0.0.1:9000/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyPass /php/ fcgi://127.0.0.1:9000/srv/app/ retry=0
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A backend that really serves that protocol on that port: remove the port from the
//! lists in proxylint.toml, or suppress the finding on the line above.
//!
//! ## References
//! - NGX114, the nginx counterpart
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy_fcgi.html>

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA110",
    name: "protocol-port-mismatch",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let t = &settings.thresholds;
    let mut out = Vec::new();
    for config in ws.apache() {
        for server in config.servers() {
            for route in server.routes.iter().filter(|r| r.socket().is_none()) {
                let Some(scheme) = route.scheme() else {
                    continue;
                };
                let Some((_, Some(port))) = crate::rules::shared::host_port(route.url()) else {
                    continue;
                };
                // The default port of the scheme is not a mismatch.
                if crate::rules::shared::default_port(&scheme) == Some(port)
                    && !route.url().contains(&format!(":{port}"))
                {
                    continue;
                }
                let (http, tls, fastcgi) = (
                    t.http_ports.contains(&port),
                    t.tls_ports.contains(&port),
                    t.fastcgi_ports.contains(&port),
                );
                let what = match &*scheme {
                    "https" | "wss" if http => "TLS to a plain-HTTP port: the handshake fails (wrong version number)",
                    "http" | "ws" if tls => "plain HTTP to a TLS port: the backend expects a TLS handshake and closes the connection",
                    "http" | "ws" if fastcgi => "HTTP to a FastCGI port: PHP-FPM does not speak HTTP; use `fcgi://`",
                    "fcgi" if http || tls => "FastCGI to an HTTP port: the backend answers in HTTP (AH01067: Failed to read FastCGI header); use `http://`",
                    _ => continue,
                };
                out.push(
                    RULE.diagnostic(format!("port {port}: {what}"), route.target_span)
                        .with_help("use the scheme the backend speaks on that port (proxylint.toml's port lists say which ports speak what)"),
                );
            }
        }
    }
    out
}
