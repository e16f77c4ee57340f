//! nginx's registry of upstream groups (`ngx_http_upstream_add`, and its stream twin):
//! explicit `upstream NAME {}` blocks and the implicit groups every `*_pass` with a
//! literal address creates, matched by host name (case-insensitive), in reading order.
//! Replaying it finds the conflicts nginx refuses at startup.

use std::hash::BuildHasher;

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
#[derive(Default)]
struct HostEntries {
    list: Vec<Entry>,
    /// First entry with port 0: a group block, or a pass with no port of its scheme.
    first_zero: Option<usize>,
    /// First entry of each port, once a host has entries of two ports: most hosts have
    /// one entry, and a map each made most of the registry's memory.
    first_of_port: Option<Box<HashMap<u16, usize>>>,
}

impl HostEntries {
    /// The entries of a host, its first registration's the only one. (One value reused
    /// for every host: a list made for each was 5,000 allocations of 70,000 lines.)
    fn start(&mut self, entry: Entry) {
        self.list.clear();
        self.first_zero = None;
        self.first_of_port = None;
        self.push(entry);
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
    // Sized once: collected, it grew by doubling from the blocks' count.
    let mut all = Vec::with_capacity(index.upstreams.len() + index.passes.len());
    all.extend(blocks.chain(passes));
    all.sort_unstable_by_key(|r| r.id);
    all
}

/// Replays the registry and returns the conflicts, in the order nginx meets them.
pub fn conflicts(config: &Config) -> Vec<Conflict> {
    // The seed is random: no configuration can make many hosts share a hash, which
    // would cost a pass over the shared ones per host.
    let state = foldhash::fast::RandomState::default();
    replay(&registrations(config.index()), |family, host| {
        state.hash_one((family, &*ascii_lowercase(host)))
    })
}

/// [`conflicts`] of registrations in reading order; `hash` is of a family and a host,
/// equal for hosts equal but for case.
fn replay(registrations: &[Registration], hash: impl Fn(Family, &str) -> u64) -> Vec<Conflict> {
    // A registration only meets those of its host (family and case-insensitive name):
    // the hosts are replayed one by one, each in reading order, found by sorting on a
    // hash of the host. (A map from hosts to their entries, sized for as many hosts as
    // registrations, was 2.2 MB of fresh memory on 10,000 registrations: 550 page
    // faults, most of the replay.)
    let mut order: Vec<(u64, u32)> = registrations
        .iter()
        .enumerate()
        .map(|(i, r)| (hash(r.family, r.host), i as u32))
        .collect();
    order.sort_unstable();
    let mut found = Vec::new();
    let mut host = HostEntries::default();
    let (mut group, mut other) = (Vec::new(), Vec::new());
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        group.clear();
        group.extend(run.iter().map(|&(_, i)| i as usize));
        // Hosts whose hashes are equal are taken apart by name.
        while let Some(&first) = group.first() {
            let key = &registrations[first];
            other.clear();
            group.retain(|&i| {
                let r = &registrations[i];
                let same = r.family == key.family && r.host.eq_ignore_ascii_case(key.host);
                if !same {
                    other.push(i);
                }
                same
            });
            replay_host(registrations, &group, &mut host, &mut found);
            std::mem::swap(&mut group, &mut other);
        }
    }
    // Each registration meets at most one conflict: in their order, nginx's.
    found.sort_unstable_by_key(|&(i, _)| i);
    found.into_iter().map(|(_, conflict)| conflict).collect()
}

/// Replays the registrations of one host (`group`, indices into `registrations` in
/// reading order) and adds the conflicts met, with the registration that met each.
fn replay_host(
    registrations: &[Registration],
    group: &[usize],
    host: &mut HostEntries,
    found: &mut Vec<(usize, Conflict)>,
) {
    for (n, &i) in group.iter().enumerate() {
        let Registration {
            id,
            host: name,
            port,
            no_port,
            create,
            ..
        } = registrations[i];
        let entry = Entry {
            port,
            no_port,
            block: create.then_some(id),
            origin: id,
        };
        if n == 0 {
            host.start(entry);
            continue;
        }
        let Some(at) = host.first_match(port, create) else {
            host.push(entry);
            continue;
        };
        let e = &mut host.list[at];
        let conflict = if create && let Some(first) = e.block {
            Conflict::Duplicate {
                first,
                second: id,
                name: name.to_string(),
            }
        } else if let Some(upstream) = e.block.filter(|_| !no_port) {
            Conflict::PortOnGroup {
                pass: id,
                upstream,
                name: name.to_string(),
                port,
            }
        } else if create && !e.no_port {
            Conflict::PortOnGroup {
                pass: e.origin,
                upstream: id,
                name: name.to_string(),
                port: e.port,
            }
        } else {
            if create {
                // The group takes over the entry a port-less pass made.
                e.block = Some(id);
                e.port = 0;
                host.first_zero = Some(0);
            }
            continue;
        };
        found.push((i, conflict));
    }
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

    /// Pseudo-random numbers below a bound (xorshift: reproducible, no dependency).
    fn below(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        }
    }

    /// The registry replayed host by host gives the conflicts of a replay in reading
    /// order over one list of every entry, scanned as `ngx_http_upstream_add` scans
    /// its list (pseudo-random registrations: hosts differing in case, both families,
    /// groups and passes with and without ports).
    #[test]
    fn replay_by_host_matches_one_scanned_list() {
        let mut next = below(0x9e37_79b9_7f4a_7c15u64);
        const HOSTS: [&str; 6] = ["app", "APP", "App", "db", "Db", "cache"];
        for _ in 0..300 {
            let regs: Vec<Registration> = (0..next(40) as u32)
                .map(|i| {
                    let create = next(3) == 0;
                    let port = if create {
                        0
                    } else {
                        [0, 80, 8080][next(3) as usize]
                    };
                    Registration {
                        id: NodeId(i),
                        family: [Family::Http, Family::Stream][next(4).min(1) as usize],
                        host: HOSTS[next(6) as usize],
                        port,
                        no_port: port == 0 && next(2) == 0,
                        create,
                    }
                })
                .collect();
            let expected = scanned_replay(&regs);
            let hash = |family: Family, host: &str| {
                std::hash::BuildHasher::hash_one(
                    &foldhash::fast::FixedState::with_seed(1),
                    (family, host.to_ascii_lowercase()),
                )
            };
            assert_eq!(replay(&regs, hash), expected);
            // Every host with one hash: taken apart by name.
            assert_eq!(replay(&regs, |_, _| 7), expected);
        }
    }

    /// The reference: every entry in one list, scanned in full for each registration.
    fn scanned_replay(regs: &[Registration]) -> Vec<Conflict> {
        // (family, host, entry) in registration order.
        let mut all: Vec<(Family, &str, Entry)> = Vec::new();
        let mut out = Vec::new();
        for r in regs {
            let found = all.iter().position(|(family, host, e)| {
                *family == r.family
                    && host.eq_ignore_ascii_case(r.host)
                    && (r.create || r.port == 0 || e.port == 0 || e.port == r.port)
            });
            let Some(at) = found else {
                let entry = Entry {
                    port: r.port,
                    no_port: r.no_port,
                    block: r.create.then_some(r.id),
                    origin: r.id,
                };
                all.push((r.family, r.host, entry));
                continue;
            };
            let e = &mut all[at].2;
            let name = r.host.to_string();
            if r.create
                && let Some(first) = e.block
            {
                out.push(Conflict::Duplicate {
                    first,
                    second: r.id,
                    name,
                });
            } else if let Some(upstream) = e.block.filter(|_| !r.no_port) {
                out.push(Conflict::PortOnGroup {
                    pass: r.id,
                    upstream,
                    name,
                    port: r.port,
                });
            } else if r.create && !e.no_port {
                out.push(Conflict::PortOnGroup {
                    pass: e.origin,
                    upstream: r.id,
                    name,
                    port: e.port,
                });
            } else if r.create {
                e.block = Some(r.id);
                e.port = 0;
            }
        }
        out
    }

    /// A host's entries find the entry a scan finds, before and after they switch from
    /// scanning their short list to a map of ports (pseudo-random registrations of a few
    /// ports, port 0 and group blocks taking entries over among them).
    #[test]
    fn host_entries_match_what_a_scan_finds() {
        let mut next = below(0x2545_f491_4f6c_dd1du64);
        for _ in 0..200 {
            let entry = |port| Entry {
                port,
                no_port: port == 0,
                block: None,
                origin: NodeId(0),
            };
            let first_port = [0, 80, 443, 8080][next(4) as usize];
            let mut host = HostEntries::default();
            host.start(entry(first_port));
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
