//! `--config httpd.conf`: the httpd side of [`ConfigRefs`]. A cluster's upstream (what
//! Apache logs: `127.0.0.1:8080`, a socket path, a balancer's name) is matched against
//! the configuration's proxy routes (`ProxyPass`, `ProxyPassMatch`, `BalancerMember`,
//! `SetHandler "proxy:..."`), each shown with its worker's effective `timeout`,
//! `connectiontimeout` and `retry` and the APA findings that explain the cause.
//!
//! Reads the httpd proxy model ([`crate::apache::model`]) and the lint findings only.

use std::sync::Arc;

use super::config::{ConfigRef, ConfigRefs, Setting, place};
use crate::apache::loader::Config;
use crate::apache::model::{Route, Server};
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::workspace::Dialect;

/// httpd's defaults: `Timeout` 60 s (what proxied requests wait without `ProxyTimeout`
/// or `timeout=`), `retry` 60 s.
const DEFAULT_TIMEOUT: &str = "60";
const DEFAULT_RETRY: &str = "60";

/// An httpd configuration and its findings, as `--config` reads it.
pub struct ApacheRefs {
    config: Config,
    sources: Arc<SourceMap>,
    findings: Vec<Diagnostic>,
}

impl ApacheRefs {
    pub fn new(config: Config, sources: Arc<SourceMap>, findings: Vec<Diagnostic>) -> Self {
        ApacheRefs {
            config,
            sources,
            findings,
        }
    }
}

/// Whether a route sends traffic to what Apache logged: the address (`host:port`, the
/// port optional), the socket path, or the balancer's name.
fn targets(route: &Route, logged: &str) -> bool {
    let logged = logged.strip_prefix("unix:").unwrap_or(logged);
    if let Some(socket) = route.socket() {
        return socket == logged;
    }
    let Some((host, port)) = crate::rules::shared::host_port(route.url()) else {
        return false;
    };
    if route.scheme().as_deref() == Some("balancer") {
        return host.eq_ignore_ascii_case(logged);
    }
    let (logged_host, logged_port) = match logged.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') || h.starts_with('[') => {
            (h.trim_matches(['[', ']']), p.parse::<u16>().ok())
        }
        _ => (logged, None),
    };
    host.eq_ignore_ascii_case(logged_host) && (logged_port.is_none() || logged_port == port)
}

/// A worker setting's value where `route` applies: written on the line (`key=`), by a
/// `ProxySet` for its URL, or httpd's default (marked).
fn setting(server: &Server, route: &Route, name: &str) -> (Setting, Option<Span>) {
    let written = route
        .param(name)
        .map(|(_, v, span)| (v.clone(), *span))
        .or_else(|| {
            server
                .proxy_sets
                .iter()
                .find(|(url, key, _, _)| {
                    key.eq_ignore_ascii_case(name)
                        && url
                            .trim_end_matches('/')
                            .eq_ignore_ascii_case(route.target.trim_end_matches('/'))
                })
                .map(|(_, _, v, span)| (v.clone(), *span))
        });
    let inherited = match name {
        "timeout" => server
            .proxy_timeout
            .as_ref()
            .or(server.timeout.as_ref())
            .map(|s| (s.value.to_string(), s.span)),
        _ => None,
    };
    let default = match name {
        "retry" => DEFAULT_RETRY,
        _ => DEFAULT_TIMEOUT,
    };
    match written.or(inherited) {
        Some((value, span)) => (
            Setting {
                name: name.to_string(),
                value,
                default: false,
            },
            Some(span),
        ),
        None => (
            Setting {
                name: name.to_string(),
                value: default.to_string(),
                default: true,
            },
            None,
        ),
    }
}

impl ConfigRefs for ApacheRefs {
    fn refs_for(&self, upstream: &str, _server: &str, cause: &str) -> Vec<ConfigRef> {
        if upstream.is_empty() {
            return Vec::new();
        }
        let (names, rules) = super::config::explained_by(cause, Dialect::Apache);
        let mut out: Vec<ConfigRef> = Vec::new();
        let mut seen: Vec<Span> = Vec::new();
        for server in self.config.servers() {
            for route in server.routes.iter().filter(|r| targets(r, upstream)) {
                let span = route.line;
                if seen.contains(&span) {
                    continue;
                }
                seen.push(span);
                let (mut effective, mut spans) = (Vec::new(), vec![route.target_span]);
                for name in &names {
                    let (s, at) = setting(server, route, name);
                    effective.push(s);
                    spans.extend(at);
                }
                // A balancer's members: their lines explain member failures too.
                if let Some(name) = route.balancer_target() {
                    spans.extend(server.members(&name).map(|m| m.line));
                }
                out.push(place(
                    &self.sources,
                    span,
                    effective,
                    &self.findings,
                    &rules,
                    &spans,
                ));
            }
        }
        out
    }
}
