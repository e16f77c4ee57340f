//! ## What it does
//! Reports a `proxy_pass` that sends requests back to the server block it is in: the
//! target is a loopback address (or `localhost`, or a name this server answers to) on a
//! port this server listens on, with a `Host` header that selects this server again,
//! and a URI that reaches the same location again.
//!
//! ## Why does this cause 502/504?
//! Each request proxies to itself until nginx runs out of connections: `worker_connections
//! are not enough`, `socket() failed (24: Too many open files)`, then **500/502** for
//! every site of the server, not only this one. Typically a `proxy_pass
//! http://127.0.0.1;` copied from a tutorial where the backend listened on port 80 of
//! another machine.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     server_name example.com;
//!     location / {
//!         proxy_pass http://127.0.0.1;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     server_name example.com;
//!     location / {
//!         proxy_pass http://127.0.0.1:8080;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! A pass that changes the URI to one another location of the same server handles
//! (without passing through this one again) is not a loop; proxylint only reports it
//! when the URI comes back to the same location.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/request_processing.html>

use foldhash::HashMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::NodeId;
use crate::nginx::handlers::{LocationKind, location_kind};
use crate::nginx::model::index::{Index, Pass, ServerBlock};
use crate::nginx::model::{Config, Scope};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX115",
    name: "proxy-loop",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

fn wildcard(host: &str) -> bool {
    matches!(host, "*" | "0.0.0.0" | "::")
}

/// Whether `server` accepts connections to host:port.
fn listens(server: &ServerBlock, host: &str, port: u16) -> bool {
    if server.listens.is_empty() {
        // nginx's default: *:80 (or 8000 when not run as root).
        return port == 80;
    }
    server.listens.iter().any(|l| {
        l.addr.port == Some(port)
            && (wildcard(&l.addr.host) || l.addr.host.eq_ignore_ascii_case(host))
    })
}

/// The Host header a pass sends: a literal, or `None` when it is the client's (`$host`,
/// `$http_host`), which the current server already answered.
fn host_header(config: &Config, pass: &Pass, target_host: &str) -> Option<String> {
    let header = config
        .defining_scope(pass.scope, "proxy_set_header")
        .and_then(|s| {
            config
                .set_here(s, "proxy_set_header")
                .filter_map(|id| config.tree.directive(id))
                .find(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case("host")))
                .and_then(|d| d.arg(1).map(str::to_string))
        });
    match header.as_deref() {
        None | Some("$proxy_host") => Some(target_host.to_ascii_lowercase()),
        Some(v) if v.contains('$') => None,
        Some(v) => Some(v.to_ascii_lowercase()),
    }
}

/// The server blocks by the ports they listen on, so that finding the one that answers
/// a pass costs a few lookups, not a walk over every server (a walk per pass made
/// configurations of 100,000 servers take minutes).
struct Listeners<'a> {
    servers: &'a [ServerBlock],
    /// Servers listening on a port, in reading order.
    on_port: HashMap<u16, Vec<usize>>,
    /// Servers listening on a port with a name, in reading order.
    named: HashMap<(u16, &'a str), Vec<usize>>,
    /// Servers with a `default_server` listen on a port, in reading order.
    defaults: HashMap<u16, Vec<usize>>,
}

impl<'a> Listeners<'a> {
    fn new(index: &'a Index) -> Self {
        let mut this = Listeners {
            servers: &index.servers,
            on_port: HashMap::default(),
            named: HashMap::default(),
            defaults: HashMap::default(),
        };
        for (i, server) in index.servers.iter().enumerate() {
            let mut ports: Vec<(u16, bool)> = server
                .listens
                .iter()
                .filter_map(|l| Some((l.addr.port?, l.default_server)))
                .collect();
            if server.listens.is_empty() {
                ports.push((80, false));
            }
            ports.sort_unstable();
            ports.dedup();
            for &(port, default) in &ports {
                let push = |list: &mut Vec<usize>| {
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                };
                push(this.on_port.entry(port).or_default());
                if default {
                    push(this.defaults.entry(port).or_default());
                }
                for name in &server.names {
                    push(this.named.entry((port, name.as_str())).or_default());
                }
            }
        }
        this
    }

    /// The server block that answers host:port with this Host header (`None`: the
    /// client's, which the current server answered).
    fn answering(
        &self,
        host: &str,
        port: u16,
        header: Option<&str>,
        current: usize,
    ) -> Option<&'a ServerBlock> {
        let servers = self.servers;
        let Some(header) = header else {
            // The client's Host: the current server got it, so it gets it again if it
            // listens on that port.
            return Some(&servers[current]).filter(|s| listens(s, host, port));
        };
        let first_listening = |list: Option<&Vec<usize>>| {
            list.into_iter()
                .flatten()
                .map(|&i| &servers[i])
                .find(|s| listens(s, host, port))
        };
        first_listening(self.named.get(&(port, header)))
            .or_else(|| first_listening(self.defaults.get(&port)))
            .or_else(|| first_listening(self.on_port.get(&port)))
    }
}

/// Whether a request for `uri` lands in the location holding the pass again.
/// The same URI comes back to the same location; a URI part sends it where nginx's
/// location matching puts it: the exact location, else the longest prefix location of
/// the server (when the server has no regular-expression locations, which could take
/// it instead).
fn same_location(config: &Config, pass: &Pass, uri: Option<&str>) -> bool {
    let Some(uri) = uri else { return true };
    let (Scope::Block(block), Some(server)) = (pass.scope, pass.server) else {
        return false;
    };
    let locations: Vec<(LocationKind, &str, NodeId)> = config
        .body(server)
        .filter(|(_, d)| &*d.name.value == "location")
        .filter_map(|(id, d)| location_kind(&d.args).map(|(kind, path)| (kind, path, id)))
        .collect();
    if locations
        .iter()
        .any(|(kind, _, _)| matches!(kind, LocationKind::Regex { .. }))
    {
        return false;
    }
    let exact = locations
        .iter()
        .find(|(kind, path, _)| *kind == LocationKind::Exact && *path == uri);
    let longest = locations
        .iter()
        .filter(|(kind, path, _)| {
            matches!(kind, LocationKind::Prefix | LocationKind::PrefixNoRegex)
                && uri.starts_with(path)
        })
        .max_by_key(|(_, path, _)| path.len());
    exact.or(longest).is_some_and(|(_, _, id)| *id == block)
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    // Made for the first pass that may loop: most configurations have none (every pass
    // names an upstream group or another host), and making it was most of this rule's
    // time and memory on 5,000 servers.
    let listeners = std::cell::OnceCell::new();
    let mut out = Vec::new();
    for pass in &index.passes {
        if pass.directive != "proxy_pass" || pass.upstream.is_some() {
            continue;
        }
        let (Some(target), Some(server_id)) = (&pass.target, pass.server) else {
            continue;
        };
        let Ok(current) = index.servers.binary_search_by_key(&server_id, |s| s.id) else {
            continue;
        };
        let host = &target.addr.host;
        let names_this = index.servers[current]
            .names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(host));
        if target.addr.unix || !(loopback(host) || names_this) {
            continue;
        }
        let port = target
            .addr
            .port
            .unwrap_or(if target.scheme == "https" { 443 } else { 80 });
        let header = host_header(config, pass, host);
        let listeners = listeners.get_or_init(|| Listeners::new(index));
        let Some(answer) = listeners.answering(host, port, header.as_deref(), current) else {
            continue;
        };
        if answer.id != server_id || !same_location(config, pass, target.addr.uri.as_deref()) {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let mut diag = RULE.diagnostic(format!(
                "proxy_pass {} sends requests back to this server and location: an endless loop",
                d.args[0].value
            ),
            d.args[0].span,
        )
        .with_help("point proxy_pass at the backend's own address and port");
        if let Some(l) = answer.listens.iter().find(|l| l.addr.port == Some(port))
            && let Some(ld) = config.tree.directive(l.id)
        {
            diag = diag.with_related(ld.args[0].span, "this server listens here");
        }
        out.push(diag);
    }
    out
}
