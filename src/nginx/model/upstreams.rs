//! nginx's registry of upstream groups (`ngx_http_upstream_add`, and its stream twin):
//! explicit `upstream NAME {}` blocks and the implicit groups every `*_pass` with a
//! literal address creates, matched by host name (case-insensitive), in reading order.
//! Replaying it finds the conflicts nginx refuses at startup.

use foldhash::{HashMap, HashMapExt};

use super::Config;
use crate::nginx::ast::NodeId;
use crate::nginx::url::{ParseOptions, has_variables, parse_addr, parse_pass};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Http,
    Stream,
}

impl Family {
    /// The module family of a context path (`http>server>location`, `stream>upstream`);
    /// mail has no upstreams.
    pub fn of(context: &str) -> Option<Family> {
        if context.starts_with("http") {
            Some(Family::Http)
        } else if context.starts_with("stream") {
            Some(Family::Stream)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Two `upstream` blocks with the same name.
    Duplicate {
        first: NodeId,
        second: NodeId,
        name: String,
    },
    /// A `*_pass` naming an `upstream` block with a port.
    PortOnGroup {
        pass: NodeId,
        upstream: NodeId,
        name: String,
        port: u16,
    },
}

struct Entry {
    port: u16,
    no_port: bool,
    /// The `upstream` block, once one defines the group.
    block: Option<NodeId>,
    /// The directive that created the entry.
    origin: NodeId,
}

/// The entries of one host, in registration order, with what finds the first one a new
/// registration matches without scanning them all (50,000 passes to one host on
/// different ports took minutes).
#[derive(Default)]
struct HostEntries {
    list: Vec<Entry>,
    /// First entry with port 0: a group block, or a pass with no port of its scheme.
    first_zero: Option<usize>,
    first_of_port: HashMap<u16, usize>,
}

impl HostEntries {
    /// The entry nginx's scan stops at: for an `upstream` block or a port-0 pass, the
    /// first one; else the first group or port-0 entry, or the first with this port.
    fn first_match(&self, port: u16, create: bool) -> Option<usize> {
        if self.list.is_empty() {
            return None;
        }
        if create || port == 0 {
            return Some(0);
        }
        [self.first_zero, self.first_of_port.get(&port).copied()]
            .into_iter()
            .flatten()
            .min()
    }

    fn push(&mut self, entry: Entry) {
        let i = self.list.len();
        if entry.port == 0 {
            self.first_zero.get_or_insert(i);
        } else {
            self.first_of_port.entry(entry.port).or_insert(i);
        }
        self.list.push(entry);
    }
}

/// The `*_pass` directives that register an implicit upstream.
pub const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
    "tunnel_pass",
];

/// Host, port and whether the port was omitted, of a pass value nginx accepts.
fn pass_host(name: &str, value: &str, family: Family) -> Option<(String, u16, bool)> {
    if has_variables(value) {
        return None;
    }
    let (addr, default_port) = match family {
        Family::Http => {
            let target = parse_pass(name, value).ok()?;
            let default = match target.scheme.as_str() {
                "http" => 80,
                "https" => 443,
                _ => 0,
            };
            (target.addr, default)
        }
        Family::Stream => (parse_addr(value, ParseOptions::default()).ok()?, 0),
    };
    if addr.unix {
        return None;
    }
    Some((
        addr.host,
        addr.port.unwrap_or(default_port),
        addr.port.is_none(),
    ))
}

/// How many pass directives ([`PASS_DIRECTIVES`]) are written: a bound to size what
/// collects them.
pub fn passes_written(config: &Config) -> usize {
    PASS_DIRECTIVES.iter().map(|n| config.written(n)).sum()
}

/// Replays the registry and returns the conflicts, in the order nginx meets them.
pub fn conflicts(config: &Config) -> Vec<Conflict> {
    // Entries by (family, lowercase host): nginx scans a list, the outcome is the same.
    // At most an entry per upstream block and pass: sized once (grown, it was rehashed
    // into fresh pages a dozen times on 10,000 of them).
    let bound = config.written("upstream") + passes_written(config);
    let mut entries: HashMap<(Family, String), HostEntries> = HashMap::with_capacity(bound);
    let mut out = Vec::new();
    for (id, d) in config.directives() {
        let Some(def) = config.checked_def(id).map(|(def, _)| def) else {
            continue;
        };
        let Some(fam) = Family::of(config.info(id).context) else {
            continue;
        };
        let name = &*d.name.value;
        let (host, port, no_port, create) = if name == "upstream" && def.block {
            (d.args[0].value.to_string(), 0, true, true)
        } else if PASS_DIRECTIVES.contains(&name) && (fam == Family::Http || name == "proxy_pass") {
            let Some(value) = d.arg(0) else { continue };
            match pass_host(name, value, fam) {
                Some((h, p, np)) => (h, p, np, false),
                None => continue,
            }
        } else {
            continue;
        };
        let same_host = entries.entry((fam, host.to_ascii_lowercase())).or_default();
        let Some(at) = same_host.first_match(port, create) else {
            same_host.push(Entry {
                port,
                no_port,
                block: create.then_some(id),
                origin: id,
            });
            continue;
        };
        let e = &mut same_host.list[at];
        if create && let Some(first) = e.block {
            out.push(Conflict::Duplicate {
                first,
                second: id,
                name: host,
            });
        } else if let Some(upstream) = e.block.filter(|_| !no_port) {
            out.push(Conflict::PortOnGroup {
                pass: id,
                upstream,
                name: host,
                port,
            });
        } else if create && !e.no_port {
            out.push(Conflict::PortOnGroup {
                pass: e.origin,
                upstream: id,
                name: host,
                port: e.port,
            });
        } else if create {
            // The group takes over the entry a port-less pass made.
            e.block = Some(id);
            e.port = 0;
            same_host.first_zero = Some(0);
        }
    }
    out
}
