//! What the proxy rules read in an httpd configuration: per server (the main server and
//! each `<VirtualHost>`), where requests are proxied to (`ProxyPass`, `ProxyPassMatch`,
//! `SetHandler "proxy:..."`, `BalancerMember`), the `ProxyPassReverse` lines, and the
//! settings that decide whether proxying works (`SSLProxyEngine`, `ProxyTimeout`,
//! `Timeout`), each with its span.
//!
//! Pure: reads the tree as httpd's second pass sees it ([`Tree::effective`]) and knows the
//! argument shapes of these few directives; values httpd refuses are APA004/APA008's
//! business and are skipped here.

use std::borrow::Cow;

use super::ast::{Node, NodeKind, Tree};
use crate::source::Span;
use crate::text::ascii_lowercase;

/// How a route is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// `ProxyPass [path] url [key=value...]`.
    Pass,
    /// `ProxyPassMatch [regex] url [key=value...]`.
    PassMatch,
    /// `SetHandler "proxy:url"` in a `<FilesMatch>`, `<Location>`...
    Handler,
    /// `BalancerMember [balancer] url [key=value...]`.
    Member,
}

/// One place requests are proxied to.
#[derive(Debug, Clone)]
pub struct Route {
    pub kind: RouteKind,
    /// The whole directive line.
    pub line: Span,
    /// The local path or pattern: the first argument, or the enclosing `<Location>`'s.
    pub path: Option<String>,
    /// The target as written, `unix:/path|http://host/` included.
    pub target: String,
    pub target_span: Span,
    /// `key=value` worker parameters, with their spans.
    pub params: Vec<(String, String, Span)>,
    /// The balancer a member belongs to (`balancer://name`, lowercased as httpd does).
    pub balancer: Option<String>,
    /// Written inside a `<Location>`/`<LocationMatch>` (its path is the section's).
    pub in_location: bool,
}

impl Route {
    /// The URL httpd connects with: after `|` for a unix socket target.
    pub fn url(&self) -> &str {
        match self.target.split_once('|') {
            Some((_, url)) => url,
            None => &self.target,
        }
    }

    /// The URL scheme, lowercased (`http`, `fcgi`, `balancer`...; borrowed when written
    /// so: several rules ask for every route).
    pub fn scheme(&self) -> Option<Cow<'_, str>> {
        let url = self.url();
        Some(ascii_lowercase(&url[..url.find("://")?]))
    }

    /// The scheme when httpd speaks TLS to the backend (`https`, `wss`, `h2`).
    pub fn tls_scheme(&self) -> Option<Cow<'_, str>> {
        self.scheme()
            .filter(|s| matches!(&**s, "https" | "wss" | "h2"))
    }

    /// The unix socket path of a `unix:/path|...` target.
    pub fn socket(&self) -> Option<&str> {
        let (unix, _) = self.target.split_once('|')?;
        unix.get(..5)
            .filter(|p| p.eq_ignore_ascii_case("unix:"))
            .map(|_| &unix[5..])
    }

    /// A worker parameter's value.
    pub fn param(&self, key: &str) -> Option<&(String, String, Span)> {
        self.params
            .iter()
            .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
    }

    /// The balancer a `balancer://name/...` target sends to (`balancer://name`, as
    /// [`balancer_name`] keys it).
    pub fn balancer_target(&self) -> Option<String> {
        let url = self.url();
        let rest = url
            .get(..11)
            .filter(|p| p.eq_ignore_ascii_case("balancer://"))
            .map(|_| &url[11..])?;
        let name = rest.split('/').next().unwrap_or(rest);
        Some(balancer_name(&format!("balancer://{name}")))
    }

    /// Not a target: `ProxyPass /path !` excludes a path.
    pub fn is_exclusion(&self) -> bool {
        self.target == "!"
    }
}

/// A directive's value with where it is written.
#[derive(Debug, Clone)]
pub struct Setting<T> {
    pub value: T,
    pub span: Span,
}

/// One server: the main server (`vhost: None`) or a virtual host, with what it inherits
/// from the main server already applied to the settings.
#[derive(Debug, Clone)]
pub struct Server {
    /// The `<VirtualHost>` line; `None` for the main server.
    pub vhost: Option<Span>,
    pub routes: Vec<Route>,
    /// `ProxyPassReverse [path] url` lines: (path, url, span).
    pub reverses: Vec<(Option<String>, String, Span)>,
    pub ssl_proxy_engine: Option<Setting<bool>>,
    /// `SSLProxyCheckPeerName` and `SSLProxyCheckPeerCN` (unset: httpd checks names).
    pub ssl_proxy_check_peer_name: Option<Setting<bool>>,
    pub ssl_proxy_check_peer_cn: Option<Setting<bool>>,
    pub proxy_preserve_host: Option<Setting<bool>>,
    pub proxy_timeout: Option<Setting<u64>>,
    pub timeout: Option<Setting<u64>>,
    /// `ProxySet` parameters inside `<Proxy URL>`: (the section's URL, key, value, span).
    pub proxy_sets: Vec<(String, String, String, Span)>,
}

impl Server {
    fn new(vhost: Option<Span>) -> Self {
        Server {
            vhost,
            routes: Vec::new(),
            reverses: Vec::new(),
            ssl_proxy_engine: None,
            ssl_proxy_check_peer_name: None,
            ssl_proxy_check_peer_cn: None,
            proxy_preserve_host: None,
            proxy_timeout: None,
            timeout: None,
            proxy_sets: Vec::new(),
        }
    }

    /// The members of a balancer visible to this server (its own, and the main
    /// server's, which virtual hosts inherit).
    pub fn members<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Route> {
        self.routes
            .iter()
            .filter(move |r| r.kind == RouteKind::Member && r.balancer.as_deref() == Some(name))
    }
}

/// The servers of a configuration: the main server first, then each virtual host with
/// the main server's settings and balancers inherited (as httpd merges server configs).
/// Built once per configuration ([`Config::servers`] caches it for every rule).
pub fn build(tree: &Tree) -> Vec<Server> {
    let mut main = Server::new(None);
    let mut vhosts = Vec::new();
    for root in &tree.roots {
        walk(
            tree,
            &root.children,
            &mut main,
            &mut vhosts,
            &Scope::default(),
        );
    }
    for vhost in &mut vhosts {
        vhost.proxy_preserve_host = vhost
            .proxy_preserve_host
            .take()
            .or(main.proxy_preserve_host.clone());
        vhost.proxy_sets.extend(main.proxy_sets.iter().cloned());
        vhost.ssl_proxy_engine = vhost
            .ssl_proxy_engine
            .take()
            .or(main.ssl_proxy_engine.clone());
        vhost.ssl_proxy_check_peer_name = vhost
            .ssl_proxy_check_peer_name
            .take()
            .or(main.ssl_proxy_check_peer_name.clone());
        vhost.ssl_proxy_check_peer_cn = vhost
            .ssl_proxy_check_peer_cn
            .take()
            .or(main.ssl_proxy_check_peer_cn.clone());
        vhost.proxy_timeout = vhost.proxy_timeout.take().or(main.proxy_timeout.clone());
        vhost.timeout = vhost.timeout.take().or(main.timeout.clone());
        let inherited = main
            .routes
            .iter()
            .filter(|r| r.kind == RouteKind::Member)
            .cloned();
        vhost.routes.extend(inherited);
    }
    let mut out = vec![main];
    out.extend(vhosts);
    out
}

/// Where a line is, inside a server.
#[derive(Debug, Clone, Default)]
struct Scope {
    /// The enclosing `<Location>`'s path.
    location: Option<String>,
    /// The enclosing `<Proxy balancer://...>`'s balancer.
    balancer: Option<String>,
    /// The enclosing `<Proxy URL>`'s URL.
    proxy: Option<String>,
}

fn walk(
    tree: &Tree,
    ids: &[super::ast::NodeId],
    server: &mut Server,
    vhosts: &mut Vec<Server>,
    scope: &Scope,
) {
    for (_, node) in tree.effective(ids) {
        // A known name carries the command table's spelling (see `ast::Node::name`):
        // compared as is, no lowercased copy per node.
        let name: &str = &node.name;
        if let NodeKind::Section { .. } = node.kind {
            let arg = || {
                node.words()
                    .into_iter()
                    .next()
                    .map(|(w, _)| w.trim_end_matches('>').to_string())
            };
            match name {
                "<VirtualHost" => {
                    let mut vhost = Server::new(Some(node.span()));
                    walk(tree, &node.children, &mut vhost, vhosts, &Scope::default());
                    vhosts.push(vhost);
                }
                "<Location" | "<LocationMatch" => {
                    let inner = Scope {
                        location: arg(),
                        ..scope.clone()
                    };
                    walk(tree, &node.children, server, vhosts, &inner);
                }
                "<Proxy" | "<ProxyMatch" => {
                    let arg = arg();
                    let balancer = arg
                        .as_ref()
                        .filter(|a| a.to_ascii_lowercase().starts_with("balancer://"))
                        .map(|a| balancer_name(a));
                    let inner = Scope {
                        balancer,
                        proxy: arg,
                        ..scope.clone()
                    };
                    walk(tree, &node.children, server, vhosts, &inner);
                }
                _ => walk(tree, &node.children, server, vhosts, scope),
            }
            continue;
        }
        if !matches!(
            name,
            "ProxyPass"
                | "ProxyPassMatch"
                | "BalancerMember"
                | "SetHandler"
                | "ProxyPassReverse"
                | "SSLProxyEngine"
                | "SSLProxyCheckPeerName"
                | "SSLProxyCheckPeerCN"
                | "ProxyPreserveHost"
                | "ProxySet"
                | "ProxyTimeout"
                | "Timeout"
        ) {
            continue;
        }
        let words = node.words();
        match name {
            "ProxyPass" | "ProxyPassMatch" | "BalancerMember" => {
                let kind = match name {
                    "ProxyPass" => RouteKind::Pass,
                    "ProxyPassMatch" => RouteKind::PassMatch,
                    _ => RouteKind::Member,
                };
                if let Some(route) = route(node, kind, &words, scope) {
                    server.routes.push(route);
                }
            }
            "SetHandler" => {
                if let Some((w, span)) = words.first()
                    && w.len() > 6
                    && w[..6].eq_ignore_ascii_case("proxy:")
                {
                    server.routes.push(Route {
                        kind: RouteKind::Handler,
                        line: node.span(),
                        path: scope.location.clone(),
                        target: w[6..].to_string(),
                        target_span: *span,
                        params: Vec::new(),
                        balancer: None,
                        in_location: scope.location.is_some(),
                    });
                }
            }
            "ProxyPassReverse" => {
                let (path, url) = match (words.first(), words.get(1)) {
                    (Some((p, _)), Some((u, _))) if scope.location.is_none() => {
                        (Some(p.to_string()), u.to_string())
                    }
                    (Some((u, _)), _) => (scope.location.clone(), u.to_string()),
                    _ => continue,
                };
                server.reverses.push((path, url, node.span()));
            }
            "SSLProxyEngine"
            | "SSLProxyCheckPeerName"
            | "SSLProxyCheckPeerCN"
            | "ProxyPreserveHost" => {
                if let Some((w, span)) = words.first() {
                    let setting = Some(Setting {
                        value: w.eq_ignore_ascii_case("on"),
                        span: *span,
                    });
                    *match name {
                        "SSLProxyEngine" => &mut server.ssl_proxy_engine,
                        "SSLProxyCheckPeerName" => &mut server.ssl_proxy_check_peer_name,
                        "SSLProxyCheckPeerCN" => &mut server.ssl_proxy_check_peer_cn,
                        _ => &mut server.proxy_preserve_host,
                    } = setting;
                }
            }
            "ProxySet" => {
                // Inside <Proxy URL>, or naming the URL first.
                let mut words = words.iter().peekable();
                let url = match &scope.proxy {
                    Some(url) => url.clone(),
                    None => match words.next() {
                        Some((w, _)) => w.to_string(),
                        None => continue,
                    },
                };
                for (w, span) in words {
                    if let Some((k, v)) = w.split_once('=') {
                        server
                            .proxy_sets
                            .push((url.clone(), k.to_string(), v.to_string(), *span));
                    }
                }
            }
            "ProxyTimeout" | "Timeout" => {
                if let Some((w, span)) = words.first()
                    && let Ok(value) = w.parse::<u64>()
                {
                    let setting = Some(Setting { value, span: *span });
                    if name == "Timeout" {
                        server.timeout = setting;
                    } else {
                        server.proxy_timeout = setting;
                    }
                }
            }
            _ => {}
        }
    }
}

/// A balancer's name as httpd keys it: `balancer://name`, lowercased, without a
/// trailing slash.
pub fn balancer_name(url: &str) -> String {
    url.trim_end_matches('/').to_ascii_lowercase()
}

/// The route of a `ProxyPass`/`ProxyPassMatch`/`BalancerMember` line.
fn route(
    node: &Node,
    kind: RouteKind,
    words: &[(Cow<'_, str>, Span)],
    scope: &Scope,
) -> Option<Route> {
    let is_target =
        |w: &str| w == "!" || w.contains("://") || w.to_ascii_lowercase().starts_with("unix:");
    let mut rest = words.iter();
    let mut path = scope.location.clone();
    let mut balancer = scope.balancer.clone();
    let (target, target_span) = loop {
        let (w, span) = rest.next()?;
        if is_target(w) {
            break (w.to_string(), *span);
        }
        match kind {
            RouteKind::Member => balancer = Some(balancer_name(w)),
            _ => path = Some(w.to_string()),
        }
    };
    // BalancerMember `balancer://name` first: the member URL follows.
    let (target, target_span) =
        if kind == RouteKind::Member && target.to_ascii_lowercase().starts_with("balancer://") {
            balancer = Some(balancer_name(&target));
            let (w, span) = rest.next()?;
            (w.to_string(), *span)
        } else {
            (target, target_span)
        };
    let params = rest
        .filter_map(|(w, span)| {
            let (k, v) = w.split_once('=')?;
            Some((k.to_string(), v.to_string(), *span))
        })
        .collect();
    Some(Route {
        kind,
        line: node.span(),
        path,
        target,
        target_span,
        params,
        balancer,
        in_location: scope.location.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::loader::{Entry, LoadOptions, load};
    use crate::source::SourceMap;
    use crate::vfs::Memory;

    fn servers_of(text: &str, check: impl FnOnce(&[Server])) {
        let mut vfs = Memory::new();
        vfs.add_file("/etc/apache2/sites-enabled/site.conf", text);
        let mut sources = SourceMap::new();
        let entry = Entry::Snippets(vec!["/etc/apache2/sites-enabled/site.conf".into()]);
        let config = load(&vfs, &mut sources, &entry, &LoadOptions::default()).expect("loads");
        check(config.servers());
    }

    #[test]
    fn routes_params_and_inherited_settings() {
        let text = "ProxyTimeout 30\n<Proxy balancer://App/>\n  BalancerMember http://10.0.0.1:8080 retry=0\n</Proxy>\n<VirtualHost *:80>\n  SSLProxyEngine on\n  ProxyPass /api/ \"unix:/run/app.sock|http://app/\" timeout=5\n  <Location /ws>\n    ProxyPass ws://127.0.0.1:9000/\n  </Location>\n  ProxyPass / balancer://app/\n  ProxyPassReverse / balancer://app/\n</VirtualHost>\n";
        servers_of(text, |servers| {
            assert_eq!(servers.len(), 2);
            let v = &servers[1];
            assert_eq!(v.proxy_timeout.as_ref().map(|s| s.value), Some(30));
            assert_eq!(v.ssl_proxy_engine.as_ref().map(|s| s.value), Some(true));
            let api = &v.routes[0];
            assert_eq!(api.path.as_deref(), Some("/api/"));
            assert_eq!(api.socket(), Some("/run/app.sock"));
            assert_eq!(api.scheme().as_deref(), Some("http"));
            assert_eq!(api.param("TIMEOUT").map(|p| p.1.as_str()), Some("5"));
            assert_eq!(v.routes[1].path.as_deref(), Some("/ws"));
            assert_eq!(v.members("balancer://app").count(), 1);
            assert_eq!(v.reverses.len(), 1);
        });
    }
}
