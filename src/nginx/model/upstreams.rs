//! nginx's registry of upstream groups (`ngx_http_upstream_add`, and its stream twin):
//! explicit `upstream NAME {}` blocks and the implicit groups every `*_pass` with a
//! literal address creates, matched by host name (case-insensitive), in reading order.
//! Replaying it finds the conflicts nginx refuses at startup.

use std::borrow::Cow;

use foldhash::{HashMap, HashMapExt};

use super::Config;
use super::index::Index;
use crate::nginx::ast::NodeId;
use crate::text::ascii_lowercase;

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
struct HostEntries {
    list: Vec<Entry>,
    /// First entry with port 0: a group block, or a pass with no port of its scheme.
    first_zero: Option<usize>,
    /// First entry of each port, once a host has entries of two ports: most hosts have
    /// one entry, and a map each made most of the registry's memory.
    first_of_port: Option<Box<HashMap<u16, usize>>>,
}

impl HostEntries {
    fn new(entry: Entry) -> Self {
        let mut host = HostEntries {
            list: Vec::with_capacity(1),
            first_zero: None,
            first_of_port: None,
        };
        host.push(entry);
        host
    }

    /// The entry nginx's scan stops at: for an `upstream` block or a port-0 pass, the
    /// first one; else the first group or port-0 entry, or the first with this port.
    fn first_match(&self, port: u16, create: bool) -> Option<usize> {
        if create || port == 0 {
            return Some(0);
        }
        // Without a map, the entries have one port besides 0: a short list.
        let of_port = match &self.first_of_port {
            Some(map) => map.get(&port).copied(),
            None => self.list.iter().position(|e| e.port == port),
        };
        [self.first_zero, of_port].into_iter().flatten().min()
    }

    fn push(&mut self, entry: Entry) {
        let i = self.list.len();
        if entry.port == 0 {
            self.first_zero.get_or_insert(i);
        } else if let Some(map) = &mut self.first_of_port {
            map.entry(entry.port).or_insert(i);
        } else if self
            .list
            .iter()
            .any(|e| e.port != 0 && e.port != entry.port)
        {
            let mut map = HashMap::new();
            for (at, e) in self.list.iter().enumerate().filter(|(_, e)| e.port != 0) {
                map.entry(e.port).or_insert(at);
            }
            map.entry(entry.port).or_insert(i);
            self.first_of_port = Some(Box::new(map));
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

/// How many pass directives ([`PASS_DIRECTIVES`]) are written: a bound to size what
/// collects them.
pub fn passes_written(config: &Config) -> usize {
    PASS_DIRECTIVES.iter().map(|n| config.written(n)).sum()
}

/// One registration in nginx's registry: an `upstream` block (`create`) or a pass with
/// a literal host.
struct Registration<'a> {
    id: NodeId,
    family: Family,
    host: &'a str,
    port: u16,
    no_port: bool,
    create: bool,
}

/// The registrations in reading order: upstream blocks and passes, as the index found
/// them (parsed once), merged by node.
fn registrations(index: &Index) -> Vec<Registration<'_>> {
    let blocks = index.upstreams.iter().map(|u| Registration {
        id: u.id,
        family: u.family,
        host: &u.name,
        port: 0,
        no_port: true,
        create: true,
    });
    // stream registers only proxy_pass's address.
    let passes = index
        .passes
        .iter()
        .filter(|p| p.family == Family::Http || p.directive == "proxy_pass")
        .filter_map(|p| {
            let target = p.target.as_ref().filter(|t| !t.addr.unix)?;
            let default_port = match target.scheme {
                "http" => 80,
                "https" => 443,
                _ => 0,
            };
            Some(Registration {
                id: p.id,
                family: p.family,
                host: &target.addr.host,
                port: target.addr.port.unwrap_or(default_port),
                no_port: target.addr.port.is_none(),
                create: false,
            })
        });
    let mut all: Vec<Registration> = blocks.chain(passes).collect();
    all.sort_unstable_by_key(|r| r.id);
    all
}

/// Replays the registry and returns the conflicts, in the order nginx meets them.
pub fn conflicts(config: &Config) -> Vec<Conflict> {
    let index = config.index();
    let registrations = registrations(index);
    // Entries by (family, lowercase host): nginx scans a list, the outcome is the same.
    // The map gives a host's number, its entries are in the vector (kept in the map,
    // they made it 1.8 MB of fresh memory on 10,000 registrations). Both are sized once
    // for the most hosts there can be, one per registration: grown by doubling, they
    // copied themselves into fresh pages at each step (230 page faults).
    let mut hosts: HashMap<(Family, Cow<str>), u32> = HashMap::with_capacity(registrations.len());
    let mut entries: Vec<HostEntries> = Vec::with_capacity(registrations.len());
    let mut out = Vec::new();
    for r in &registrations {
        let Registration {
            id,
            family,
            host,
            port,
            no_port,
            create,
        } = *r;
        let entry = Entry {
            port,
            no_port,
            block: create.then_some(id),
            origin: id,
        };
        let next = entries.len() as u32;
        let number = *hosts.entry((family, ascii_lowercase(host))).or_insert(next);
        if number == next {
            entries.push(HostEntries::new(entry));
            continue;
        }
        let same_host = &mut entries[number as usize];
        let Some(at) = same_host.first_match(port, create) else {
            same_host.push(entry);
            continue;
        };
        let e = &mut same_host.list[at];
        if create && let Some(first) = e.block {
            out.push(Conflict::Duplicate {
                first,
                second: id,
                name: host.to_string(),
            });
        } else if let Some(upstream) = e.block.filter(|_| !no_port) {
            out.push(Conflict::PortOnGroup {
                pass: id,
                upstream,
                name: host.to_string(),
                port,
            });
        } else if create && !e.no_port {
            out.push(Conflict::PortOnGroup {
                pass: e.origin,
                upstream: id,
                name: host.to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry a registration stops at, found as nginx finds it: the first entry that
    /// is a group (port 0) or has the same port, any first entry for a block or port 0.
    fn scanned(list: &[Entry], port: u16, create: bool) -> Option<usize> {
        list.iter()
            .position(|e| create || port == 0 || e.port == 0 || e.port == port)
    }

    /// A host's entries find the entry a scan finds, before and after they switch from
    /// scanning their short list to a map of ports (pseudo-random registrations of a few
    /// ports, port 0 and group blocks taking entries over among them).
    #[test]
    fn host_entries_match_what_a_scan_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let entry = |port| Entry {
                port,
                no_port: port == 0,
                block: None,
                origin: NodeId(0),
            };
            let first_port = [0, 80, 443, 8080][next(4) as usize];
            let mut host = HostEntries::new(entry(first_port));
            let mut list = vec![entry(first_port)];
            for _ in 0..30 {
                let port = [0, 80, 443, 8080, 9000][next(5) as usize];
                let create = next(10) == 0;
                let found = host.first_match(port, create);
                assert_eq!(
                    found,
                    scanned(&list, port, create),
                    "port {port}, create {create}"
                );
                match found {
                    None => {
                        host.push(entry(port));
                        list.push(entry(port));
                    }
                    // A group block taking over the entry a pass made (`conflicts`).
                    Some(at) if create => {
                        host.list[at].port = 0;
                        list[at].port = 0;
                        host.first_zero = Some(0);
                    }
                    Some(_) => {}
                }
            }
        }
    }
}
