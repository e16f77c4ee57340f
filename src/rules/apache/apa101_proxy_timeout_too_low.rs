//! ## What it does
//! Reports `ProxyTimeout`, `Timeout` (when it is what proxied requests wait) and the worker
//! parameter `timeout=` below `min-read-timeout` of proxylint.toml (10 s by default, the same
//! threshold as NGX102), and `connectiontimeout=` below `min-connect-timeout` (1 s).
//!
//! ## Why does this cause 502/504?
//! httpd waits that long for the backend's answer. A page, report or upload that takes
//! longer fails: the client gets a **502 Proxy Error** (Apache logs `(70007)The timeout
//! specified has expired: AH01102: error reading status line from remote server`) while the
//! backend goes on working. A connect timeout below a second turns a busy backend's slow
//! `accept` into `AH00957` connect failures and, with the default `retry=60`, a worker in
//! error state answering 503 for a minute.
//!
//! ## Example
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyTimeout 5
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! <VirtualHost *:80>
//!     ServerName app.example
//!     ProxyTimeout 60
//!     ProxyPass / http://127.0.0.1:8080/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A backend that must answer fast (a health check, an API with its own deadline) may
//! warrant a short timeout: lower the threshold in proxylint.toml (`[thresholds]`) or
//! suppress the finding on the line above. `Timeout` alone is reported only when no
//! `ProxyTimeout` or `timeout=` overrides it for a proxied route.
//!
//! ## References
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxytimeout>
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html#proxypass> (`timeout`, `connectiontimeout`)

use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA101",
    name: "proxy-timeout-too-low",
    severity: Severity::Warning,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// A duration as httpd's `ap_timeout_parameter_parse` reads it, in milliseconds: seconds
/// by default, or with `ms`, `s`, `mi` or `h`.
fn millis(value: &str) -> Option<u64> {
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = value[..digits].parse().ok()?;
    let unit = match value[digits..].to_ascii_lowercase().as_str() {
        "" | "s" => 1_000,
        "ms" => 1,
        "mi" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(unit)
}

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let t = &settings.thresholds;
    let (min_read, min_connect) = (
        u64::try_from(t.min_read_timeout_ms).unwrap_or(0),
        u64::try_from(t.min_connect_timeout_ms).unwrap_or(0),
    );
    let mut out = Vec::new();
    let low = |what: &str, ms: u64, limit: u64, span, effect: &str| {
        RULE.diagnostic(
            format!(
                "{what} of {} s: {effect}",
                ms as f64 / 1000.0
            ),
            span,
        )
        .with_help(format!(
            "allow the slowest legitimate response (at least {} s; proxylint.toml sets the threshold)",
            limit / 1000
        ))
    };
    const READ: &str = "a backend answering later gets the client a 502 (AH01102: error reading status line, timeout expired)";
    const CONNECT: &str = "a backend slow to accept fails the connect (AH00957) and the worker refuses requests for its retry window";
    for config in ws.apache() {
        for server in config.servers() {
            let routes = || server.routes.iter().filter(|r| !r.is_exclusion());
            // A virtual host inherits the main server's lines: their findings repeat and
            // the pipeline keeps one.
            if let Some(s) = &server.proxy_timeout
                && s.value * 1000 < min_read
            {
                out.push(low("ProxyTimeout", s.value * 1000, min_read, s.span, READ));
            }
            if let Some(s) = &server.timeout
                && s.value * 1000 < min_read
                && server.proxy_timeout.is_none()
                && routes().any(|r| r.param("timeout").is_none())
            {
                out.push(low("Timeout (what proxied requests wait, without ProxyTimeout)", s.value * 1000, min_read, s.span, READ));
            }
            for route in routes() {
                if let Some((_, v, span)) = route.param("timeout")
                    && let Some(ms) = millis(v)
                    && ms < min_read
                {
                    out.push(low("timeout=", ms, min_read, *span, READ));
                }
                if let Some((_, v, span)) = route.param("connectiontimeout")
                    && let Some(ms) = millis(v)
                    && ms < min_connect
                {
                    out.push(low("connectiontimeout=", ms, min_connect, *span, CONNECT));
                }
            }
        }
    }
    out
}
