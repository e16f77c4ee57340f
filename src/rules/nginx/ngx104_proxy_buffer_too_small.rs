//! ## What it does
//! Reports an explicit `proxy_buffer_size` (or `fastcgi_`, `uwsgi_`, `scgi_`, `grpc_`
//! buffer size) or `*_buffers` buffer size below one memory page (4k) or the configured
//! minimum (`min-buffer-size` in `proxylint.toml`).
//!
//! ## Why does this cause 502/504?
//! The whole response header of the backend must fit in `*_buffer_size`. When it does
//! not (a few cookies, a long `Location`, a JWT in a header), nginx logs `upstream sent
//! too big header while reading response header from upstream` and answers **502 Bad
//! Gateway**. Sizes below a page save nothing: nginx allocates memory by pages anyway.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_buffer_size 1k;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_buffer_size 16k;
//!     proxy_buffers 8 16k;
//!     proxy_busy_buffers_size 32k;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! A backend whose headers are known to be tiny (an internal API) works with small
//! buffers; the finding is still worth the page of memory it costs to be safe.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_buffer_size>
//! - <https://nginx.org/en/docs/http/ngx_http_fastcgi_module.html#fastcgi_buffer_size>

use crate::nginx::grammar::DirectiveDef;
use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::values::parse_size;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX104",
    name: "proxy-buffer-too-small",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

const MODULES: &[&str] = &["proxy", "fastcgi", "uwsgi", "scgi", "grpc"];

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let min = settings.thresholds.min_buffer_size;
    let mut out = Vec::new();
    let buffer = |def: &'static DirectiveDef| {
        def.name
            .split_once('_')
            .filter(|(module, what)| {
                MODULES.contains(module) && matches!(*what, "buffer_size" | "buffers")
            })
    };
    for (id, def, d) in config.checked_where(|def| buffer(def).is_some()) {
        let Some((module, what)) = buffer(def) else {
            continue;
        };
        if !config.info(id).context.starts_with("http") {
            continue;
        }
        // The size is the only argument of *_buffer_size, the second of *_buffers.
        let arg = match what {
            "buffer_size" => &d.args[0],
            "buffers" => &d.args[1],
            _ => continue,
        };
        let Some(size) = parse_size(&arg.value) else {
            continue;
        };
        if size >= min {
            continue;
        }
        out.push(
            RULE.diagnostic(format!(
                    "{} {} is smaller than {min} bytes: backend response headers larger than this fail with 502 (\"upstream sent too big header\")",
                    d.name.value, arg.value
                ),
                arg.span,
            )
            .with_help(format!(
                "use at least one page: `{module}_buffer_size 16k;` covers large cookies and tokens (keep {module}_buffers and {module}_busy_buffers_size consistent)"
            )),
        );
    }
    out
}
