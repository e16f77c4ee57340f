//! ## What it does
//! Reports a `*_connect_timeout` (proxy, fastcgi, uwsgi, scgi, grpc, stream proxy) above
//! 75 seconds (`max-connect-timeout` in `proxylint.toml`).
//!
//! ## Why does this cause 502/504?
//! nginx documents that the connect timeout "cannot usually exceed 75 seconds": the
//! kernel gives up on an unanswered SYN first (after its SYN retries, about 63 s to 127 s
//! on Linux), so the configured value never applies. Raising it to wait out a slow
//! backend does not work; the request still ends in a 502/504, just later, while it
//! holds a worker connection.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_connect_timeout 300s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_connect_timeout 10s;
//!     proxy_read_timeout 300s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! None; a slow backend needs a longer `*_read_timeout`, not a longer connect timeout.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_connect_timeout>

use crate::diagnostic::{Diagnostic, Severity};
use crate::model::Config;
use crate::nginx::values::parse_time;
use crate::rules::nginx::ngx102_proxy_timeout_too_low::{TIMEOUT_MODULES, show_ms};
use crate::rules::{Check, Rule};
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX103",
    name: "connect-timeout-ineffective",
    severity: Severity::Warning,
    check: Check::Model(check),
};

fn check(config: &Config, settings: &Settings) -> Vec<Diagnostic> {
    let max = settings.thresholds.max_connect_timeout_ms;
    let mut out = Vec::new();
    for (id, d) in config.directives() {
        let Some((def, _)) = config.checked_def(id) else {
            continue;
        };
        let Some(module) = def.name.strip_suffix("_connect_timeout") else {
            continue;
        };
        if !TIMEOUT_MODULES.contains(&module) {
            continue;
        }
        let Some(ms) = parse_time(&d.args[0].value, false) else {
            continue;
        };
        if ms <= max {
            continue;
        }
        out.push(
            RULE.diagnostic(format!(
                    "{} {} cannot take effect: connects usually cannot last longer than {}",
                    d.name.value,
                    d.args[0].value,
                    show_ms(max)
                ),
                d.args[0].span,
            )
            .with_help(format!(
                "the kernel gives up on the SYN first; use a short {0} (5s-10s) and a longer {module}_read_timeout for slow responses",
                d.name.value
            )),
        );
    }
    out
}
