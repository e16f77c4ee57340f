//! ## What it does
//! Reports a `*_connect_timeout` (proxy, fastcgi, uwsgi, scgi, grpc, stream proxy) above
//! 127 seconds (`max-connect-timeout` in `proxylint.toml`).
//!
//! ## Why does this cause 502/504?
//! A connect cannot wait longer than the kernel keeps retrying an unanswered SYN. On
//! Linux that is about 127 s (`net.ipv4.tcp_syn_retries = 6`: retries after 1, 2, 4, 8,
//! 16, 32 s, then 64 s for the last answer), after which nginx gets `connect() failed
//! (110: Connection timed out)`: a longer `*_connect_timeout` never fires. (nginx's
//! documentation says it "cannot usually exceed 75 seconds", the limit of BSD kernels;
//! on Linux values up to 127 s do take effect, so they are not reported.) Raising it to
//! wait out a slow backend does not work; the request still ends in a 502/504, just
//! later, while it holds a worker connection.
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
//! A kernel with more SYN retries (a raised `net.ipv4.tcp_syn_retries`) lets longer
//! connects through: raise `max-connect-timeout` to match. A slow backend needs a
//! longer `*_read_timeout`, not a longer connect timeout.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_connect_timeout>

use crate::nginx::grammar::DirectiveDef;
use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::values::parse_time;
use crate::rules::nginx::ngx102_proxy_timeout_too_low::{TIMEOUT_MODULES, show_ms};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX103",
    name: "connect-timeout-ineffective",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let max = settings.thresholds.max_connect_timeout_ms;
    let mut out = Vec::new();
    let module_of = |def: &'static DirectiveDef| {
        def.name
            .strip_suffix("_connect_timeout")
            .filter(|module| TIMEOUT_MODULES.contains(module))
    };
    for (_, def, d) in config.checked_where(|def| module_of(def).is_some()) {
        let Some(module) = module_of(def) else {
            continue;
        };
        let Some(ms) = parse_time(&d.args[0].value, false) else {
            continue;
        };
        if ms <= max {
            continue;
        }
        out.push(
            RULE.diagnostic(format!(
                    "{} {} cannot take effect: the kernel gives up on an unanswered SYN after about {} (Linux's default SYN retries)",
                    d.name.value,
                    d.args[0].value,
                    show_ms(max)
                ),
                d.args[0].span,
            )
            .with_help(format!(
                "connects fail with \"Connection timed out\" before this timeout; use a short {0} (5s-10s) and a longer {module}_read_timeout for slow responses",
                d.name.value
            )),
        );
    }
    out
}
