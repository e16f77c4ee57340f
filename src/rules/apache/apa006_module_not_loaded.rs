//! ## What it does
//! Reports a proxy target whose scheme no loaded module handles: `fcgi://` without
//! mod_proxy_fcgi, `http://` without mod_proxy_http, `https://` also without mod_ssl,
//! `ajp://`, `uwsgi://`, `scgi://`, `h2://` without theirs, `ws://`/`wss://` without
//! mod_proxy_wstunnel on httpd before 2.4.47 (later releases upgrade with mod_proxy_http),
//! `balancer://` without mod_proxy_balancer or without any `mod_lbmethod_*`. Says which
//! `LoadModule` line (Debian: `a2enmod`) is missing.
//!
//! ## Why does this cause 502/504?
//! `apache2 -t` accepts the configuration: the module is looked for per request. Every
//! request to the route then fails with a 500 and the error log says `AH01144: No
//! protocol handler was valid for the URL ... If you are using a DSO version of mod_proxy,
//! make sure the proxy submodules are included in the configuration using LoadModule`
//! (`balancer://` without mod_proxy_balancer: the same; without an lbmethod: 503).
//!
//! ## Example
//! ```apache
//! ServerRoot /etc/apache2
//! LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
//! LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
//! LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
//! Listen 8080
//! <VirtualHost *:8080>
//!     ProxyPass / fcgi://127.0.0.1:9000/srv/app/
//! </VirtualHost>
//! ```
//!
//! ## Use instead
//! ```apache
//! ServerRoot /etc/apache2
//! LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
//! LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
//! LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
//! LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so
//! Listen 8080
//! <VirtualHost *:8080>
//!     ProxyPass / fcgi://127.0.0.1:9000/srv/app/
//! </VirtualHost>
//! ```
//!
//! ## Exceptions
//! A snippet read without its main configuration cannot know which modules are loaded:
//! this rule reads main configurations (`apache2.conf`, `httpd.conf`, or a file with
//! `LoadModule` lines) only. A module proxylint's table does not know (a third-party
//! proxy scheme) is never reported.
//!
//! ## References
//! - httpd source: `proxy_run_scheme_handler` and AH01144 (modules/proxy/mod_proxy.c)
//! - <https://httpd.apache.org/docs/2.4/mod/mod_proxy.html>

use crate::apache::grammar::{Version, module};
use crate::apache::model::{Route};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{Check, Reads, Rule};
use crate::settings::Settings;
use crate::workspace::Workspace;

pub const RULE: Rule = Rule {
    code: "APA006",
    name: "module-not-loaded",
    severity: Severity::Error,
    reads: Reads::Apache,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// httpd 2.4.47: mod_proxy_http upgrades `ws://`/`wss://` itself.
const HTTP_UPGRADES: Version = Version(2, 4, 47);

/// The modules a scheme needs (all of them), besides mod_proxy.
fn needed(scheme: &str, version: Version) -> Option<&'static [&'static str]> {
    Some(match scheme {
        "http" => &["mod_proxy_http"],
        "https" => &["mod_proxy_http", "mod_ssl"],
        "ws" if version >= HTTP_UPGRADES => &["mod_proxy_http"],
        "wss" if version >= HTTP_UPGRADES => &["mod_proxy_http", "mod_ssl"],
        "ws" => &["mod_proxy_wstunnel"],
        "wss" => &["mod_proxy_wstunnel", "mod_ssl"],
        "fcgi" => &["mod_proxy_fcgi"],
        "ajp" => &["mod_proxy_ajp"],
        "scgi" => &["mod_proxy_scgi"],
        "uwsgi" => &["mod_proxy_uwsgi"],
        "h2" | "h2c" => &["mod_proxy_http2"],
        "ftp" => &["mod_proxy_ftp"],
        "balancer" => &["mod_proxy_balancer"],
        _ => return None,
    })
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for config in ws.apache() {
        let loaded = |name: &str| module(name).is_none_or(|m| config.modules.is_loaded(m));
        if !loaded("mod_proxy") {
            // Its directives are unknown then: APA002 says so.
            continue;
        }
        let version = config.modules.version();
        for server in config.servers() {
            for route in server.routes.iter().filter(|r| !r.is_exclusion()) {
                let Some(scheme) = route.scheme() else {
                    continue;
                };
                let Some(modules) = needed(&scheme, version) else {
                    continue;
                };
                for name in modules.iter().filter(|m| !loaded(m)) {
                    out.push(finding(route, &scheme, name));
                }
                if scheme == "balancer"
                    && loaded("mod_proxy_balancer")
                    && config.handlers.modules.lbmethods.is_empty()
                {
                    out.push(
                        Diagnostic::new(
                            RULE.code,
                            Severity::Error,
                            "no lbmethod module is loaded: the balancer has no way to pick a member and every request gets a 503".to_string(),
                            route.target_span,
                        )
                        .with_help(
                            "load one: `LoadModule lbmethod_byrequests_module /usr/lib/apache2/modules/mod_lbmethod_byrequests.so` (Debian: `a2enmod lbmethod_byrequests`)",
                        ),
                    );
                }
            }
        }
    }
    out
}

fn finding(route: &Route, scheme: &str, name: &str) -> Diagnostic {
    let line = module(name).and_then(|m| m.load_line());
    let short = name.strip_prefix("mod_").unwrap_or(name);
    let help = match line {
        Some(line) => format!("load it: `{line}` (Debian: `a2enmod {short}`)"),
        None => format!("load {name}"),
    };
    Diagnostic::new(
        RULE.code,
        Severity::Error,
        format!(
            "`{scheme}://` needs {name}, which is not loaded: every request here fails (AH01144: No protocol handler was valid for the URL)"
        ),
        route.target_span,
    )
    .with_help(help)
}
