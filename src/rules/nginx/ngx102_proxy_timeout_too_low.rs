//! ## What it does
//! Reports upstream timeouts set so low that ordinary slow responses fail:
//! `proxy_read_timeout` / `proxy_send_timeout` (and the `fastcgi_`, `uwsgi_`, `scgi_`,
//! `grpc_` twins, and stream's `proxy_timeout`) below 10 seconds, `*_connect_timeout`
//! below 1 second. Both limits are configurable (`min-read-timeout`,
//! `min-connect-timeout` in `proxylint.toml`).
//!
//! ## Why does this cause 502/504?
//! When the backend does not answer within `*_read_timeout`, nginx gives up and answers
//! **504 Gateway Time-out** (`upstream timed out (110: Connection timed out) while reading
//! response header from upstream`). `*_send_timeout` limits the other direction: a
//! backend that stops reading the request (busy workers, a large upload it takes
//! slowly) for longer fails the same way, `while sending request to upstream`. A report export, a cold cache or a slow query takes
//! longer than a few seconds often enough; a connect timeout under a second fails as soon
//! as a SYN is lost and retransmitted (the first retransmission comes after 1 s).
//!
//! ## Example
//! ```nginx
//! location /reports/ {
//!     proxy_read_timeout 3s;
//!     proxy_connect_timeout 200ms;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location /reports/ {
//!     proxy_read_timeout 120s;
//!     proxy_connect_timeout 5s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Health checks and latency-critical endpoints may want short timeouts on purpose;
//! suppress the finding there (`# proxylint: disable=NGX102`) or lower the thresholds.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_read_timeout>
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_connect_timeout>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::values::parse_time;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX102",
    name: "proxy-timeout-too-low",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Upstream modules with read/send/connect timeouts.
pub const TIMEOUT_MODULES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi", "grpc"];

/// Human form of milliseconds, the way nginx configurations write them.
pub fn show_ms(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// What a timeout directive limits, if it is one this rule knows.
enum Limit {
    /// The wait for the backend's response, between two reads.
    Read,
    /// Sending the request (and its body) to the backend, between two writes.
    Send,
    /// Stream's `proxy_timeout`: the time between two reads or writes, either way.
    Idle,
    Connect,
}

fn limit_of(name: &str, context: &str) -> Option<Limit> {
    if name == "proxy_timeout" && context.starts_with("stream") {
        return Some(Limit::Idle);
    }
    let (module, what) = name.split_once('_')?;
    if !TIMEOUT_MODULES.contains(&module) {
        return None;
    }
    match what {
        "read_timeout" => Some(Limit::Read),
        "send_timeout" => Some(Limit::Send),
        "connect_timeout" => Some(Limit::Connect),
        _ => None,
    }
}

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let t = &settings.thresholds;
    let mut out = Vec::new();
    let timeouts = config.checked_where(|def| {
        ["http", "stream"]
            .iter()
            .any(|context| limit_of(def.name, context).is_some())
    });
    for (id, def, d) in timeouts {
        let Some(limit) = limit_of(def.name, config.info(id).context) else {
            continue;
        };
        let Some(ms) = parse_time(&d.args[0].value, false) else {
            continue;
        };
        let (min, outcome, raise) = match limit {
            Limit::Read => (
                t.min_read_timeout_ms,
                "a backend slower than that to answer gets a 504 Gateway Time-out (\"upstream timed out ... while reading response header from upstream\")",
                "the slowest legitimate response of this backend (nginx's default is 60s)",
            ),
            Limit::Send => (
                t.min_read_timeout_ms,
                "a backend that stops reading the request for longer than that (busy, or slow to take a large upload) gets a 504 Gateway Time-out (\"upstream timed out ... while sending request to upstream\")",
                "the longest pause of this backend while it reads a request body (nginx's default is 60s)",
            ),
            Limit::Idle => (
                t.min_read_timeout_ms,
                "a connection with no data either way for longer than that is closed (\"upstream timed out ... while proxying connection\")",
                "the longest idle time of this protocol (nginx's default is 10m)",
            ),
            Limit::Connect => (
                t.min_connect_timeout_ms,
                "a single lost SYN (retransmitted after 1s) already fails the connection with a 504",
                "a few seconds (nginx's default is 60s)",
            ),
        };
        if ms >= min {
            continue;
        }
        let example = match limit {
            Limit::Idle => "10m",
            Limit::Connect => "5s",
            _ => "60s",
        };
        out.push(
            RULE.diagnostic(
                format!(
                    "{} {} is below {}: {outcome}",
                    d.name.value,
                    d.args[0].value,
                    show_ms(min)
                ),
                d.args[0].span,
            )
            .with_help(format!(
                "raise it to {raise}, e.g. `{} {example};`",
                d.name.value
            )),
        );
    }
    out
}
