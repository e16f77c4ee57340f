//! ## What it does
//! Reports an upstream `keepalive` that the locations using the group defeat: with
//! `proxy_pass`, HTTP/1.0 (`proxy_http_version` below 1.1, the default before nginx
//! 1.29.7) or a `Connection: close` header (nginx's default before 1.29.7 unless
//! `proxy_set_header Connection "";`, or a `$connection_upgrade` map that yields
//! `close`); with `fastcgi_pass`, `fastcgi_keep_conn` off; with `uwsgi_pass` and
//! `scgi_pass`, which never keep connections.
//!
//! ## Why does this cause 502/504?
//! Without keepalive, every request opens a new connection to the backend. Under load
//! the proxy runs out of local ports (`connect() failed (99: Cannot assign requested
//! address)`), the backend's accept queue overflows (`connect() failed (111)` or
//! `(11: Resource temporarily unavailable)`) and requests fail with **502**. The
//! `keepalive` line suggests this was already being tuned, and it silently does nothing.
//!
//! ## Example
//! ```nginx
//! map $http_upgrade $connection_upgrade {
//!     default upgrade;
//!     ''      close;
//! }
//! upstream app {
//!     server 127.0.0.1:8080;
//!     keepalive 32;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_http_version 1.1;
//!         proxy_set_header Upgrade $http_upgrade;
//!         proxy_set_header Connection $connection_upgrade;
//!         proxy_pass http://app;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! map $http_upgrade $connection_upgrade {
//!     default upgrade;
//!     ''      '';
//! }
//! upstream app {
//!     server 127.0.0.1:8080;
//!     keepalive 32;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_http_version 1.1;
//!         proxy_set_header Upgrade $http_upgrade;
//!         proxy_set_header Connection $connection_upgrade;
//!         proxy_pass http://app;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! From nginx 1.29.7 the defaults (HTTP/1.1, no `Connection: close`) keep connections;
//! proxylint follows `--nginx-version`. Note that a `proxy_set_header` in a location
//! replaces *all* the ones inherited from outer blocks, including `Connection ""`.
//!
//! When the directive it misses may be set where proxylint cannot see (an `include`
//! that could not be read in this block or one around it), the finding is only an info
//! (and the include's NGX007 finding says what may be missing); in a site or snippet
//! linted on its own, where the main configuration may set it, a warning at most.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#keepalive>

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::grammar::Version;
use crate::nginx::model::Config;
use crate::nginx::model::index::Pass;
use crate::nginx::url::{Piece, pieces};
use crate::nginx::values::atoi;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_set_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX112",
    name: "upstream-keepalive-ineffective",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// nginx stopped sending `Connection: close` and switched to HTTP/1.1 by default here.
const KEEPALIVE_DEFAULTS_SINCE: Version = Version(1, 29, 7);

/// What the `Connection` header nginx sends in a pass's scope does to keepalive.
fn connection_problem(config: &Config, pass: &Pass) -> Option<String> {
    let scope = config.defining_scope(pass.scope, "proxy_set_header");
    let entry = scope.and_then(|s| {
        config
            .set_here(s, "proxy_set_header")
            .filter_map(|id| config.tree.directive(id))
            .find(|d| {
                d.arg(0)
                    .is_some_and(|h| h.eq_ignore_ascii_case("connection"))
            })
    });
    let Some(entry) = entry else {
        return (config.avail.version < KEEPALIVE_DEFAULTS_SINCE).then(|| {
            if scope.is_some() {
                "the proxy_set_header lines that apply here do not clear Connection, so nginx sends \"Connection: close\"".to_string()
            } else {
                "nginx sends \"Connection: close\" unless `proxy_set_header Connection \"\";`".to_string()
            }
        });
    };
    let value = entry.arg(1).unwrap_or("");
    if value.eq_ignore_ascii_case("close") {
        return Some("`proxy_set_header Connection close` closes every connection".into());
    }
    if let [Piece::Variable(name)] = pieces(value).as_slice() {
        let closes = config
            .variable_literals(name)
            .is_some_and(|vals| vals.iter().any(|v| v.eq_ignore_ascii_case("close")));
        if closes {
            return Some(format!(
                "{value} is \"close\" for some requests (an Upgrade map's default), which closes their connections"
            ));
        }
    }
    None
}

fn problem(config: &Config, pass: &Pass) -> Option<String> {
    match pass.directive {
        "proxy_pass" => {
            let (version, _) = config.value(pass.scope, "proxy_http_version")?;
            if version.first().is_some_and(|v| v == "1.0") {
                return Some("proxy_http_version is 1.0 here, which has no keepalive".into());
            }
            connection_problem(config, pass)
        }
        "fastcgi_pass" => {
            let (keep, _) = config
                .value(pass.scope, "fastcgi_keep_conn")
                .unwrap_or_default();
            (!keep.first().is_some_and(|v| v.eq_ignore_ascii_case("on"))).then(|| {
                "fastcgi_keep_conn is off here, so nginx closes FastCGI connections".into()
            })
        }
        "uwsgi_pass" | "scgi_pass" => Some(format!("{} never keeps connections", pass.directive)),
        _ => None,
    }
}

fn fix(directive: &str) -> &'static str {
    match directive {
        "proxy_pass" => {
            "add `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` next to proxy_pass (repeat any other proxy_set_header of outer blocks: a location's own list replaces them)"
        }
        "fastcgi_pass" => "add `fastcgi_keep_conn on;` next to fastcgi_pass",
        _ => {
            "remove `keepalive` from this upstream, or proxy with a protocol that keeps connections"
        }
    }
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    let mut out = Vec::new();
    for (i, upstream) in index.upstreams.iter().enumerate() {
        let Some(keepalive) = upstream.keepalive.and_then(|id| config.tree.directive(id)) else {
            continue;
        };
        if keepalive.arg(0).and_then(atoi) == Some(0) {
            continue;
        }
        for pass in index.passes_to(i) {
            let Some(why) = problem(config, pass) else {
                continue;
            };
            let Some(d) = config.tree.directive(pass.id) else {
                continue;
            };
            let diag = RULE
                .diagnostic(
                    format!("upstream \"{}\" has keepalive, but {why}", upstream.name),
                    d.args[0].span,
                )
                .with_related(keepalive.name.span, "keepalive is configured here")
                .with_help(fix(pass.directive));
            let what = "the settings that keep connections open";
            out.push(unless_set_elsewhere(config, pass.scope, diag, what));
        }
    }
    out
}
