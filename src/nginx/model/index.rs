//! The index the 502 rules read: upstream groups and their servers, http server blocks
//! with their listen addresses and names, and every `*_pass` with its parsed target.
//! Built once per model from the resolved directives; pure data.

use super::upstreams::{Family, PASS_DIRECTIVES, passes_written};
use super::{Config, Scope};
use crate::nginx::ast::{Directive, NodeId};
use crate::nginx::url::{Addr, ParseOptions, PassTarget, has_variables, parse_addr, parse_pass};
use crate::nginx::values::{atoi, parse_time};
use crate::text::ascii_lowercase;

/// A `server` line of an upstream block.
#[derive(Debug, Clone)]
pub struct UpstreamServer {
    pub id: NodeId,
    pub addr: Addr,
    pub backup: bool,
    pub down: bool,
    /// `resolve`: the name is re-resolved while running.
    pub resolve: bool,
    pub max_fails: Option<i64>,
    pub fail_timeout_s: Option<i64>,
}

/// An `upstream NAME { ... }` block.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub id: NodeId,
    pub name: String,
    pub family: Family,
    pub servers: Vec<UpstreamServer>,
    /// The `keepalive` directive, if any.
    pub keepalive: Option<NodeId>,
}

/// A `listen` of an http server block.
#[derive(Debug, Clone)]
pub struct Listen {
    pub id: NodeId,
    pub addr: Addr,
    pub ssl: bool,
    pub default_server: bool,
}

/// An http `server { ... }` block.
#[derive(Debug, Clone)]
pub struct ServerBlock {
    pub id: NodeId,
    pub listens: Vec<Listen>,
    pub names: Vec<String>,
}

/// A `*_pass` directive and where it sends requests.
#[derive(Debug, Clone)]
pub struct Pass {
    pub id: NodeId,
    /// `proxy_pass`, `fastcgi_pass`...
    pub directive: &'static str,
    pub family: Family,
    /// The block the pass is in (its location, `if` or stream server).
    pub scope: Scope,
    /// The http server block around it.
    pub server: Option<NodeId>,
    pub value: String,
    pub has_variables: bool,
    /// The parsed target when the value has no variables (and nginx accepts it).
    pub target: Option<PassTarget>,
    /// Index into [`Index::upstreams`] of the group the target names.
    pub upstream: Option<usize>,
}

#[derive(Debug, Default)]
pub struct Index {
    pub upstreams: Vec<Upstream>,
    /// The http server blocks, in reading order (by node: NGX115 searches them).
    pub servers: Vec<ServerBlock>,
    pub passes: Vec<Pass>,
    /// Upstream groups by lower-case name, per family (indexed by `Family as usize`):
    /// the first definition.
    by_name: foldhash::HashMap<String, [Option<usize>; 2]>,
    /// For each upstream group, the first group of its name and family (itself, unless
    /// it is a duplicate).
    first_of_name: Vec<usize>,
    /// For each upstream group, the passes that send requests to it.
    passes_by_upstream: Vec<Vec<usize>>,
    /// For each first group of a name, whether some pass names it, with a port or not:
    /// every block of that name counts as named (duplicates are NGX012's).
    named: Vec<bool>,
}

impl Index {
    /// The upstream group named `host` (case-insensitive, as nginx matches), if any.
    pub fn upstream_named(&self, host: &str, family: Family) -> Option<usize> {
        self.by_name.get(&*ascii_lowercase(host))?[family as usize]
    }

    /// Every unix socket a pass or an upstream `server` connects to: (directive, path,
    /// URI part of `proxy_pass http://unix:/path:/uri`).
    pub fn sockets(&self) -> Vec<(NodeId, &Addr)> {
        let passes = self
            .passes
            .iter()
            .filter_map(|p| p.target.as_ref().map(|t| (p.id, &t.addr)));
        let servers = self
            .upstreams
            .iter()
            .flat_map(|u| u.servers.iter().map(|s| (s.id, &s.addr)));
        passes.chain(servers).filter(|(_, a)| a.unix).collect()
    }

    /// Every literal host:port a pass or an upstream `server` connects to.
    pub fn endpoints(&self) -> Vec<(NodeId, &Addr)> {
        let passes = self
            .passes
            .iter()
            .filter(|p| p.upstream.is_none())
            .filter_map(|p| p.target.as_ref().map(|t| (p.id, &t.addr)));
        let servers = self
            .upstreams
            .iter()
            .flat_map(|u| u.servers.iter().map(|s| (s.id, &s.addr)));
        passes.chain(servers).filter(|(_, a)| !a.unix).collect()
    }

    /// Whether some pass names upstream group `index`, with or without a (refused) port.
    pub fn is_named(&self, index: usize) -> bool {
        self.named[self.first_of_name[index]]
    }

    /// The passes that send requests to upstream group `index`.
    pub fn passes_to(&self, index: usize) -> impl Iterator<Item = &Pass> {
        self.passes_by_upstream[index]
            .iter()
            .map(|&p| &self.passes[p])
    }
}

/// A listen address as nginx prints it (`0.0.0.0:80`, `[::]:443`, `unix:/run/x.sock`);
/// `None` for host names, which nginx resolves.
pub fn address_text(host: &str, port: Option<u16>, unix: bool) -> Option<String> {
    if unix {
        return Some(format!("unix:{host}"));
    }
    let port = port?;
    match host {
        "*" | "0.0.0.0" => Some(format!("0.0.0.0:{port}")),
        h if h.contains(':') => Some(format!("[{h}]:{port}")),
        h if crate::nginx::url::is_ip(h) => Some(format!("{h}:{port}")),
        _ => None,
    }
}

fn upstream_server(id: NodeId, d: &Directive) -> Option<UpstreamServer> {
    let addr = parse_addr(d.arg(0)?, ParseOptions::default()).ok()?;
    let mut server = UpstreamServer {
        id,
        addr,
        backup: false,
        down: false,
        resolve: false,
        max_fails: None,
        fail_timeout_s: None,
    };
    for w in &d.args[1..] {
        match w.value.split_once('=') {
            Some(("max_fails", n)) => server.max_fails = atoi(n),
            Some(("fail_timeout", t)) => server.fail_timeout_s = parse_time(t, true),
            Some(_) => {}
            None => match &*w.value {
                "backup" => server.backup = true,
                "down" => server.down = true,
                "resolve" => server.resolve = true,
                _ => {}
            },
        }
    }
    Some(server)
}

fn listen(id: NodeId, d: &Directive) -> Option<Listen> {
    let addr = parse_addr(
        d.arg(0)?,
        ParseOptions {
            listen: true,
            uri_part: false,
        },
    )
    .ok()?;
    let has = |flag: &str| d.args[1..].iter().any(|w| &*w.value == flag);
    Some(Listen {
        id,
        addr,
        ssl: has("ssl") || has("quic"),
        default_server: has("default_server") || has("default"),
    })
}

/// The http server block a scope is inside.
fn enclosing_server(config: &Config, scope: Scope) -> Option<NodeId> {
    let mut current = Some(scope);
    while let Some(Scope::Block(id)) = current {
        if config.info(id).body_context == "http>server" {
            return Some(id);
        }
        current = config.outer(Scope::Block(id));
    }
    None
}

/// Pushes onto a list that nearly always holds one item (an upstream's servers, a
/// server's listens): the first push makes room for one, not the four `Vec` makes room
/// for (a quarter of the index's memory on 60k lines); later ones grow as usual.
fn push_one_first<T>(list: &mut Vec<T>, item: T) {
    if list.is_empty() {
        list.reserve_exact(1);
    }
    list.push(item);
}

/// Builds the index in nginx's reading order, from the occurrences of the directives it
/// reads: a scan of every directive comparing names was most of its time.
pub fn build(config: &Config) -> Index {
    let mut index = Index::default();
    let in_family = |id: NodeId| Family::of(config.info(id).context);
    let is_block = |id: NodeId| config.def(id).is_some_and(|def| def.block);
    index.upstreams.reserve(config.written("upstream"));
    for (id, d) in config.occurrences("upstream") {
        if let Some(family) = in_family(id)
            && is_block(id)
        {
            index.upstreams.push(Upstream {
                id,
                name: d.args[0].value.to_string(),
                family,
                servers: Vec::new(),
                keepalive: None,
            });
        }
    }
    // What an upstream or server block sets is read from its body (includes expanded):
    // looking each directive's block up among thousands was a third of this index.
    let set_in = |block: NodeId| {
        config
            .body(block)
            .filter_map(|(id, d)| Some((id, config.checked_def(id)?.0.name, d)))
    };
    for u in &mut index.upstreams {
        for (id, name, d) in set_in(u.id) {
            match name {
                "server" => {
                    if let Some(server) = upstream_server(id, d) {
                        push_one_first(&mut u.servers, server);
                    }
                }
                "keepalive" if u.family == Family::Http => u.keepalive = Some(id),
                _ => {}
            }
        }
    }
    index.servers.reserve(config.written("server"));
    for (id, _) in config.occurrences("server") {
        if config.info(id).context == "http" && is_block(id) {
            let mut server = ServerBlock {
                id,
                listens: Vec::new(),
                names: Vec::new(),
            };
            for (id, name, d) in set_in(id) {
                match name {
                    "listen" => {
                        if let Some(listen) = listen(id, d) {
                            push_one_first(&mut server.listens, listen);
                        }
                    }
                    "server_name" => {
                        if server.names.is_empty() {
                            server.names.reserve_exact(d.args.len());
                        }
                        server
                            .names
                            .extend(d.args.iter().map(|w| w.value.to_ascii_lowercase()));
                    }
                    _ => {}
                }
            }
            index.servers.push(server);
        }
    }
    index.passes.reserve(passes_written(config));
    for name in PASS_DIRECTIVES {
        for (id, d) in config.occurrences(name) {
            // `tunnel_pass;` alone takes the address from the request.
            let (Some(family), Some(value)) = (in_family(id), d.arg(0)) else {
                continue;
            };
            let has_variables = has_variables(value);
            let target = if has_variables {
                None
            } else if family == Family::Http {
                parse_pass(name, value).ok()
            } else {
                parse_addr(value, ParseOptions::default())
                    .ok()
                    .map(|addr| PassTarget { scheme: "", addr })
            };
            let scope = config.scope(id);
            index.passes.push(Pass {
                id,
                directive: name,
                family,
                scope,
                server: enclosing_server(config, scope),
                value: value.to_string(),
                has_variables,
                target,
                upstream: None,
            });
        }
    }
    index.passes.sort_unstable_by_key(|p| p.id);
    index.first_of_name.reserve_exact(index.upstreams.len());
    // Sized once: grown by doubling, the map copied itself into fresh pages at each step
    // (200 of the index's 800 page faults on 5,000 groups).
    index.by_name.reserve(index.upstreams.len());
    for (i, u) in index.upstreams.iter().enumerate() {
        let first = index
            .by_name
            .entry(u.name.to_ascii_lowercase())
            .or_default()[u.family as usize]
            .get_or_insert(i);
        index.first_of_name.push(*first);
    }
    index.passes_by_upstream = vec![Vec::new(); index.upstreams.len()];
    index.named = vec![false; index.upstreams.len()];
    // Upstream blocks may follow the passes that name them.
    for i in 0..index.passes.len() {
        let pass = &index.passes[i];
        let Some(target) = pass.target.as_ref().filter(|t| !t.addr.unix) else {
            continue;
        };
        let Some(group) = index.upstream_named(&target.addr.host, pass.family) else {
            continue;
        };
        index.named[group] = true;
        // With a port, the name is a refused reference (NGX011), not a use of the group.
        if target.addr.port.is_none() {
            index.passes[i].upstream = Some(group);
            index.passes_by_upstream[group].push(i);
        }
    }
    index
}
