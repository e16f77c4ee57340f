//! ## What it does
//! Reports a backend port that is probably not the one the backend listens on:
//! - the same host is used elsewhere in the configuration with a port that differs by a
//!   typo (a digit dropped, added or swapped: `8080` vs `8800`, `3000` vs `300`), and this
//!   port is used only here;
//! - when the backends' addresses are declared (`backends = [...]` in `proxylint.toml`),
//!   a `host:port` none of them listens on, with the closest declared one.
//!
//! ## Why does this cause 502/504?
//! Nothing listens on the mistyped port: every request fails with **502 Bad Gateway**
//! and `connect() failed (111: Connection refused) while connecting to upstream`.
//!
//! ## Example
//! ```nginx
//! upstream app {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://app;
//!     }
//!     location /ws/ {
//!         proxy_pass http://127.0.0.1:8800;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! upstream app {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://app;
//!     }
//!     location /ws/ {
//!         proxy_pass http://app;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Consecutive ports (`8080`, `8081`: several instances of one app) are never reported;
//! only dropped, added or swapped digits are.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#server>

use std::borrow::Cow;

use foldhash::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::NodeId;
use crate::text::ascii_lowercase;
use crate::nginx::model::Config;
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX101",
    name: "upstream-port-mismatch",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// A digit dropped, added, or two adjacent digits swapped: typing slips, unlike the
/// changed last digit of a second instance.
fn typo_of(a: u16, b: u16) -> bool {
    let (x, y) = (a.to_string(), b.to_string());
    if strsim::damerau_levenshtein(&x, &y) != 1 {
        return false;
    }
    let mut sx: Vec<char> = x.chars().collect();
    let mut sy: Vec<char> = y.chars().collect();
    sx.sort_unstable();
    sy.sort_unstable();
    x.len() != y.len() || sx == sy
}

/// The ports a slip of [`typo_of`] turns `port` into, without comparing it with every
/// port in use (a host used on 50,000 ports made that quadratic).
fn typo_candidates(port: u16) -> Vec<u16> {
    let digits: Vec<u8> = port.to_string().into_bytes();
    let mut out: Vec<Vec<u8>> = Vec::new();
    for i in 0..=digits.len() {
        if i < digits.len() {
            let mut dropped = digits.clone();
            dropped.remove(i);
            out.push(dropped);
        }
        if i + 1 < digits.len() {
            let mut swapped = digits.clone();
            swapped.swap(i, i + 1);
            out.push(swapped);
        }
        for d in b'0'..=b'9' {
            let mut added = digits.clone();
            added.insert(i, d);
            out.push(added);
        }
    }
    let mut ports: Vec<u16> = out
        .iter()
        // Written as ports are: no leading zero ("0" itself aside).
        .filter(|c| c.len() == 1 || c.first().is_some_and(|&d| d != b'0'))
        .filter_map(|c| std::str::from_utf8(c).ok()?.parse().ok())
        .filter(|&p| typo_of(port, p))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

fn is_upstream_server(config: &Config, id: NodeId) -> bool {
    config.info(id).context.ends_with("upstream")
}

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let endpoints = config.index().endpoints();
    let mut out = Vec::new();
    // (lower-case host, port) -> how many use it, and the first. Sized once: grown
    // from empty, it was rehashed into fresh pages half a dozen times.
    let mut uses: HashMap<(Cow<str>, u16), (usize, NodeId)> =
        HashMap::with_capacity_and_hasher(endpoints.len(), Default::default());
    for &(id, addr) in &endpoints {
        if let Some(port) = addr.port {
            uses.entry((ascii_lowercase(&addr.host), port))
                .and_modify(|(count, _)| *count += 1)
                .or_insert((1, id));
        }
    }
    let declared: Vec<(String, u16)> = settings
        .backends
        .iter()
        .filter(|b| !b.starts_with("unix:"))
        .filter_map(|b| {
            let (host, port) = b.rsplit_once(':')?;
            Some((
                host.trim_matches(['[', ']']).to_ascii_lowercase(),
                port.parse().ok()?,
            ))
        })
        .collect();
    for &(id, addr) in &endpoints {
        let Some(port) = addr.port else { continue };
        let host = ascii_lowercase(&addr.host);
        let Some(d) = config.tree.directive(id) else {
            continue;
        };
        let span = d.args[0].span;
        if !declared.is_empty() && !declared.iter().any(|(h, p)| *h == *host && *p == port) {
            let closest = declared
                .iter()
                .min_by_key(|(h, p)| {
                    (
                        *h != *host,
                        strsim::levenshtein(&p.to_string(), &port.to_string()),
                    )
                })
                .map(|(h, p)| format!("{h}:{p}"))
                .unwrap_or_default();
            out.push(
                RULE.diagnostic(
                    format!("no declared backend listens on {}:{port}", addr.host),
                    span,
                )
                .with_help(format!("did you mean {closest}?")),
            );
            continue;
        }
        // Upstream `server` lines declare backends; a pass is the suspect. Of two
        // passes used once each, the later one is.
        if is_upstream_server(config, id) {
            continue;
        }
        if uses.get(&(host.clone(), port)).is_none_or(|&(count, _)| count != 1) {
            continue;
        }
        let Some((other, first)) = typo_candidates(port).into_iter().find_map(|p| {
            let &(count, first) = uses.get(&(host.clone(), p))?;
            (count > 1 || first < id || is_upstream_server(config, first)).then_some((p, first))
        }) else {
            continue;
        };
        let Some(od) = config.tree.directive(first) else {
            continue;
        };
        out.push(
            RULE.diagnostic(format!("port {port} of {} looks like a typo of {other}, the port used for it elsewhere: nothing may listen on {port} (502, connection refused)", addr.host),
                span,
            )
            .with_related(od.args[0].span, format!("{}:{other} is used here", addr.host))
            .with_help(format!("check which port the backend listens on (`ss -ltnp 'sport = :{other}'`) and use that one")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The candidates are exactly the ports `typo_of` accepts, found by trying them all.
    #[test]
    fn typo_candidates_are_all_typos() {
        for port in [1, 9, 10, 80, 443, 808, 3000, 8080, 8443, 9000, 12345, 65535] {
            let all: Vec<u16> = (0..=u16::MAX).filter(|&p| typo_of(port, p)).collect();
            assert_eq!(typo_candidates(port), all, "port {port}");
        }
    }
}
