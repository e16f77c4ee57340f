//! The index the 502 rules read: upstream groups and their servers, http server blocks
//! with their listen addresses and names, and every `*_pass` with its parsed target.
//! Built once per model from the resolved directives; pure data.

use super::upstreams::{Family, PASS_DIRECTIVES, passes_written};
use super::{Config, Scope};
use crate::nginx::ast::{Directive, NodeId};
use crate::nginx::url::{Addr, ParseOptions, PassTarget, has_variables, parse_addr, parse_pass};
use crate::nginx::values::{atoi, parse_time};

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
    pub servers: Vec<ServerBlock>,
    pub passes: Vec<Pass>,
    /// Upstream groups by family and lower-case name (the first definition).
    by_name: foldhash::HashMap<(Family, String), usize>,
    /// For each upstream group, the passes that send requests to it.
    passes_by_upstream: Vec<Vec<usize>>,
    /// Group names (family, lower case) some pass names, with a port or not: every
    /// block of that name counts as named (duplicates are NGX012's).
    named: foldhash::HashSet<(Family, String)>,
}

impl Index {
    /// The upstream group named `host` (case-insensitive, as nginx matches), if any.
    pub fn upstream_named(&self, host: &str, family: Family) -> Option<usize> {
        self.by_name
            .get(&(family, host.to_ascii_lowercase()))
            .copied()
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
        let u = &self.upstreams[index];
        self.named
            .contains(&(u.family, u.name.to_ascii_lowercase()))
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

/// Builds the index in nginx's reading order.
pub fn build(config: &Config) -> Index {
    let mut index = Index::default();
    // Sized once from the model's counts: grown by doubling, each vector was copied into
    // fresh pages (page faults were a fifth of building this index on 70k lines).
    let (upstreams, servers) = (config.written("upstream"), config.written("server"));
    index.upstreams.reserve(upstreams);
    index.servers.reserve(servers);
    index.passes.reserve(passes_written(config));
    let mut upstream_of_block =
        foldhash::HashMap::with_capacity_and_hasher(upstreams, Default::default());
    let mut server_of_block =
        foldhash::HashMap::with_capacity_and_hasher(servers, Default::default());
    for (id, d) in config.directives() {
        let Some((def, _)) = config.checked_def(id) else {
            continue;
        };
        let context = config.info(id).context;
        let Some(family) = Family::of(context) else {
            continue;
        };
        let name = def.name;
        match (name, context) {
            ("upstream", _) if def.block => {
                upstream_of_block.insert(id, index.upstreams.len());
                index.upstreams.push(Upstream {
                    id,
                    name: d.args[0].value.to_string(),
                    family,
                    servers: Vec::new(),
                    keepalive: None,
                });
            }
            ("server", "http>upstream" | "stream>upstream") => {
                let Scope::Block(block) = config.scope(id) else {
                    continue;
                };
                if let (Some(&u), Some(server)) =
                    (upstream_of_block.get(&block), upstream_server(id, d))
                {
                    push_one_first(&mut index.upstreams[u].servers, server);
                }
            }
            ("keepalive", "http>upstream") => {
                if let Scope::Block(block) = config.scope(id)
                    && let Some(&u) = upstream_of_block.get(&block)
                {
                    index.upstreams[u].keepalive = Some(id);
                }
            }
            ("server", "http") if def.block => {
                server_of_block.insert(id, index.servers.len());
                index.servers.push(ServerBlock {
                    id,
                    listens: Vec::new(),
                    names: Vec::new(),
                });
            }
            ("listen", "http>server") | ("server_name", "http>server") => {
                let Scope::Block(block) = config.scope(id) else {
                    continue;
                };
                let Some(&s) = server_of_block.get(&block) else {
                    continue;
                };
                let server = &mut index.servers[s];
                if name == "listen" {
                    if let Some(listen) = listen(id, d) {
                        push_one_first(&mut server.listens, listen);
                    }
                } else {
                    if server.names.is_empty() {
                        server.names.reserve_exact(d.args.len());
                    }
                    server
                        .names
                        .extend(d.args.iter().map(|w| w.value.to_ascii_lowercase()));
                }
            }
            _ if PASS_DIRECTIVES.contains(&name) => {
                // `tunnel_pass;` alone takes the address from the request.
                let Some(value) = d.arg(0).map(str::to_string) else {
                    continue;
                };
                let has_variables = has_variables(&value);
                let target = if has_variables {
                    None
                } else if family == Family::Http {
                    parse_pass(name, &value).ok()
                } else {
                    parse_addr(&value, ParseOptions::default())
                        .ok()
                        .map(|addr| PassTarget {
                            scheme: String::new(),
                            addr,
                        })
                };
                let scope = config.scope(id);
                index.passes.push(Pass {
                    id,
                    directive: name,
                    family,
                    scope,
                    server: enclosing_server(config, scope),
                    value,
                    has_variables,
                    target,
                    upstream: None,
                });
            }
            _ => {}
        }
    }
    for (i, u) in index.upstreams.iter().enumerate() {
        index
            .by_name
            .entry((u.family, u.name.to_ascii_lowercase()))
            .or_insert(i);
    }
    index.passes_by_upstream = vec![Vec::new(); index.upstreams.len()];
    // Upstream blocks may follow the passes that name them.
    for i in 0..index.passes.len() {
        let pass = &index.passes[i];
        let Some(target) = pass.target.as_ref().filter(|t| !t.addr.unix) else {
            continue;
        };
        let Some(group) = index.upstream_named(&target.addr.host, pass.family) else {
            continue;
        };
        index
            .named
            .insert((pass.family, target.addr.host.to_ascii_lowercase()));
        // With a port, the name is a refused reference (NGX011), not a use of the group.
        if target.addr.port.is_none() {
            index.passes[i].upstream = Some(group);
            index.passes_by_upstream[group].push(i);
        }
    }
    index
}
