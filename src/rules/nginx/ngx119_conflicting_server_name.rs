//! ## What it does
//! Reports a `server_name` that an earlier server block listening on the same address
//! and port already has: nginx warns `conflicting server name "example.com" on
//! 0.0.0.0:80, ignored`. Names compare as nginx's server name hash does: ignoring
//! case, `.example.com` standing for both `example.com` and `*.example.com`, and two
//! servers without `server_name` both having the name `""`.
//!
//! ## Why does this cause 502/504?
//! Only the first server block gets the requests for that name; the second one's
//! locations, certificates and `proxy_pass` are never used for it. After a site file
//! is copied to make a new site, or an old one is left enabled, requests go to the
//! old backend: a 502/504 or a wrong site, while the new block looks right. nginx only
//! warns, on start and reload, without a line number.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     server_name app.example.com;
//!     location / {
//!         proxy_pass http://127.0.0.1:3000;
//!     }
//! }
//! server {
//!     listen 80;
//!     server_name app.example.com;
//!     location / {
//!         proxy_pass http://127.0.0.1:4000;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     server_name app.example.com;
//!     location / {
//!         proxy_pass http://127.0.0.1:4000;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Regular-expression names are not compared (nginx tries them in order); the same name
//! on different addresses or ports does not conflict, and neither does a name repeated
//! within a server block that is alone on its address.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/server_names.html>
//! - <https://nginx.org/en/docs/http/request_processing.html>

use std::borrow::Cow;

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::NodeId;
use crate::nginx::model::index::address_text;
use crate::nginx::model::{Config, Scope};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;
use crate::source::Span;
use crate::text::ascii_lowercase;

pub const RULE: Rule = Rule {
    code: "NGX119",
    name: "conflicting-server-name",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// The keys a server name takes in nginx's hash (`ngx_hash_add_key` with wildcards):
/// exact names, `*.`-prefixed ones in the head table, `.*`-suffixed in the tail table;
/// `.example.com` takes both `example.com` and `*.example.com`. Regular expressions
/// and invalid wildcards take none.
fn keys(name: &str) -> Vec<(u8, Cow<'_, str>)> {
    const EXACT: u8 = 0;
    const HEAD: u8 = 1;
    const TAIL: u8 = 2;
    // The markers are not letters: they are found before lower-casing the key.
    if name.starts_with('~') {
        return Vec::new();
    }
    if let Some(rest) = name.strip_prefix("*.") {
        return if rest.contains('*') {
            Vec::new()
        } else {
            vec![(HEAD, ascii_lowercase(rest))]
        };
    }
    if let Some(rest) = name.strip_suffix(".*") {
        return if rest.contains('*') {
            Vec::new()
        } else {
            vec![(TAIL, ascii_lowercase(rest))]
        };
    }
    if name.contains('*') {
        return Vec::new();
    }
    if let Some(rest) = name.strip_prefix('.') {
        return vec![(EXACT, ascii_lowercase(rest)), (HEAD, ascii_lowercase(rest))];
    }
    vec![(EXACT, ascii_lowercase(name))]
}

/// A server block's names with their words; `""` (at the block's name) without any.
fn names(config: &Config, server: NodeId) -> Vec<(&str, Span)> {
    let mut out: Vec<(&str, Span)> = config
        .set_here(Scope::Block(server), "server_name")
        .filter_map(|id| config.tree.directive(id))
        .flat_map(|d| d.args.iter().map(|w| (&*w.value, w.span)))
        .collect();
    if out.is_empty()
        && let Some(d) = config.tree.directive(server)
    {
        out.push(("", d.name.span));
    }
    out
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    // Server blocks per listen address, in reading order (nginx's `addr->servers`).
    let mut by_address: HashMap<String, Vec<NodeId>> = HashMap::default();
    let mut order = Vec::new();
    for server in &config.index().servers {
        let mut addresses: Vec<String> = server
            .listens
            .iter()
            .map(|l| {
                let port = l.addr.port.or(Some(80));
                address_text(&l.addr.host, port, l.addr.unix)
                    .unwrap_or_else(|| format!("{}:{}", l.addr.host, port.unwrap_or(80)))
            })
            .collect();
        if server.listens.is_empty() {
            addresses.push("0.0.0.0:80".to_string());
        }
        addresses.dedup();
        for address in addresses {
            // Copied only when new: most servers share a handful of addresses.
            if !by_address.contains_key(&address) {
                order.push(address.clone());
            }
            let servers = by_address.entry(address).or_default();
            if servers.last() != Some(&server.id) {
                servers.push(server.id);
            }
        }
    }
    let mut out = Vec::new();
    for address in order {
        let servers = &by_address[&address];
        // nginx builds the name hash only for addresses shared by servers.
        if servers.len() < 2 {
            continue;
        }
        let mut taken: HashMap<(u8, Cow<str>), Span> =
            HashMap::with_capacity_and_hasher(servers.len(), Default::default());
        for &server in servers {
            // A word is reported once, also when an include reads its file twice (the
            // same spans again). A set: a server may hold thousands of names.
            let mut reported: HashSet<Span> = HashSet::default();
            for (name, span) in names(config, server) {
                let keys = keys(name);
                if let Some(first) = keys.iter().find_map(|k| taken.get(k)).copied() {
                    if reported.insert(span) {
                        out.push(conflict(name, &address, span, first));
                    }
                    continue;
                }
                for key in keys {
                    taken.insert(key, span);
                }
            }
        }
    }
    out
}

fn conflict(name: &str, address: &str, span: Span, first: Span) -> Diagnostic {
    let shown = if name.is_empty() {
        "\"\" (a server without server_name)".to_string()
    } else {
        format!("\"{}\"", name.to_ascii_lowercase())
    };
    RULE.diagnostic(
        format!(
            "conflicting server name \"{}\" on {address}, ignored: requests for {shown} go to the server that has it first",
            name.to_ascii_lowercase()
        ),
        span,
    )
    .with_related(first, "the server that gets these requests")
    .with_help("remove the name from one of the servers (or disable the old site), or listen on another address or port")
}
