//! ## What it does
//! Reports `listen` conflicts nginx refuses: the same address twice in one server, two
//! servers that are both `default_server` for one address, and socket options
//! (`backlog`, `reuseport`, `rcvbuf`, `deferred`, `bind`...) given in more than one
//! server for the same address. `listen 80` and `listen 0.0.0.0:80` are the same
//! address.
//!
//! ## Why is this bad?
//! nginx refuses the configuration: `a duplicate listen 0.0.0.0:80`, `a duplicate
//! default server for 0.0.0.0:80`, `duplicate listen options for 0.0.0.0:443`. It
//! typically appears when a second site is enabled from a copy of the first one.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80 default_server;
//!     server_name a.example.com;
//! }
//! server {
//!     listen 80 default_server;
//!     server_name b.example.com;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80 default_server;
//!     server_name a.example.com;
//! }
//! server {
//!     listen 80;
//!     server_name b.example.com;
//! }
//! ```
//!
//! ## Exceptions
//! Addresses given by host name are not compared (nginx resolves them).
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#listen>

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::NodeId;
use crate::nginx::model::Config;
use crate::nginx::model::index::address_text;
use crate::nginx::url::{ParseOptions, parse_addr};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX016",
    name: "duplicate-listen",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// `listen` parameters that set socket options (nginx's `lsopt.set`); each also makes
/// nginx bind the address on its own even when a wildcard listen covers its port
/// (`lsopt.bind`).
pub const SOCKET_OPTIONS: &[&str] = &[
    "setfib",
    "fastopen",
    "backlog",
    "rcvbuf",
    "sndbuf",
    "accept_filter",
    "deferred",
    "bind",
    "ipv6only",
    "reuseport",
    "so_keepalive",
];

#[derive(Default)]
struct Seen {
    default_server: Option<NodeId>,
    options: Option<NodeId>,
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut by_address: HashMap<String, Seen> = HashMap::default();
    for server in &config.index().servers {
        let mut in_server: HashSet<String> = HashSet::default();
        for listen in &server.listens {
            let Some(d) = config.tree.directive(listen.id) else {
                continue;
            };
            let Some(text) = address_text(&listen.addr.host, listen.addr.port, listen.addr.unix)
            else {
                continue;
            };
            let options = d.args[1..]
                .iter()
                .any(|a| SOCKET_OPTIONS.contains(&a.value.split('=').next().unwrap_or_default()));
            let seen = by_address.entry(text.clone()).or_default();
            let (message, earlier) = if in_server.contains(&text) {
                (format!("a duplicate listen {text}"), None)
            } else if let (true, Some(first)) = (listen.default_server, seen.default_server) {
                (
                    format!("a duplicate default server for {text}"),
                    Some(first),
                )
            } else if let (true, Some(first)) = (options, seen.options) {
                (format!("duplicate listen options for {text}"), Some(first))
            } else {
                in_server.insert(text);
                if listen.default_server {
                    seen.default_server = Some(listen.id);
                }
                if options {
                    seen.options = Some(listen.id);
                }
                continue;
            };
            let mut diag = config.refusal(RULE.code, message, d, d.args[0].span).with_help(
                "an address has one default server and one set of socket options: keep `default_server` and options on one `listen` only",
            );
            if let Some(first) = earlier.and_then(|id| config.tree.directive(id)) {
                diag = diag.with_related(first.args[0].span, "first set here");
            }
            out.push(diag);
        }
    }
    out.extend(stream_duplicates(config));
    out
}

/// Stream servers: one server per address, port and protocol (TCP or UDP).
fn stream_duplicates(config: &Config) -> Vec<Diagnostic> {
    let mut seen: HashMap<(String, bool), NodeId> = HashMap::default();
    let mut out = Vec::new();
    for (id, d) in config.occurrences("listen") {
        if config.info(id).context != "stream>server" {
            continue;
        }
        let Ok(addr) = parse_addr(
            &d.args[0].value,
            ParseOptions {
                listen: true,
                uri_part: false,
            },
        ) else {
            continue;
        };
        let Some(text) = address_text(&addr.host, addr.port, addr.unix) else {
            continue;
        };
        let udp = d.args[1..].iter().any(|a| &*a.value == "udp");
        let Some(&first) = seen.get(&(text.clone(), udp)) else {
            seen.insert((text, udp), id);
            continue;
        };
        let mut diag = config
            .refusal(
                RULE.code,
                format!("duplicate \"{text}\" address and port pair"),
                d,
                d.args[0].span,
            )
            .with_help(
                "two stream servers cannot listen on the same address and port: change one port",
            );
        if let Some(fd) = config.tree.directive(first) {
            diag = diag.with_related(fd.args[0].span, "first used here");
        }
        out.push(diag);
    }
    out
}
