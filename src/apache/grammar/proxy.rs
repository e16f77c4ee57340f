//! What mod_proxy's handlers refuse in ProxyPass, ProxyPassMatch, BalancerMember,
//! ProxySet and `<Proxy>`/`<ProxyMatch>` (modules/proxy/mod_proxy.c `add_pass`,
//! `add_member`, `set_proxy_param`, `proxysection`; proxy_util.c
//! `ap_proxy_define_worker_ex`, `ap_proxy_define_balancer`), with httpd's messages,
//! and the per-server registry of workers and balancers those handlers consult: a URL
//! whose worker already exists *shares* it (AH01145), and httpd then ignores the new
//! line's parameters (AH01146).
//!
//! URLs are parsed as APR 1.7's `apr_uri_parse` parses them.

use std::borrow::Cow;

use foldhash::HashMap;

use super::args::{all_words, getword_conf, is_space};
use super::context::server_slot;
use super::worker_params::{
    HcNames, ParamEnv, ProxyModules, check_balancer_param, check_worker_param, param_table,
};
use crate::text::ascii_lowercase;

/// The parts of a URI `apr_uri_parse` yields that mod_proxy looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uri<'a> {
    pub scheme: Option<&'a str>,
    pub user: Option<&'a str>,
    pub password: Option<&'a str>,
    /// Without the brackets of an IPv6 literal.
    pub hostname: Option<&'a str>,
    pub port_str: Option<&'a str>,
    /// The port as APR stores it (`apr_port_t`: the low 16 bits of the number).
    pub port: u16,
    pub path: Option<&'a str>,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

fn scheme_char(b: u8, first: bool) -> bool {
    b.is_ascii_alphabetic() || (!first && (b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')))
}

/// `apr_uri_port_of_scheme` (APR's table).
fn apr_port_of_scheme(scheme: &str) -> u16 {
    const SCHEMES: [(&str, u16); 20] = [
        ("http", 80),
        ("ftp", 21),
        ("https", 443),
        ("gopher", 70),
        ("ldap", 389),
        ("nntp", 119),
        ("snews", 563),
        ("imap", 143),
        ("pop", 110),
        ("sip", 5060),
        ("rtsp", 554),
        ("wais", 210),
        ("z39.50r", 210),
        ("z39.50s", 210),
        ("prospero", 191),
        ("nfs", 2049),
        ("tip", 3372),
        ("acap", 674),
        ("telnet", 23),
        ("ssh", 22),
    ];
    SCHEMES
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
        .map_or(0, |(_, p)| *p)
}

/// `ap_proxy_port_of_scheme`: APR's table, then mod_proxy's own schemes.
pub fn proxy_port_of_scheme(scheme: &str) -> u16 {
    match apr_port_of_scheme(scheme) {
        0 => [
            ("fcgi", 8000),
            ("ajp", 8009),
            ("scgi", 4000),
            ("h2c", 80),
            ("h2", 443),
            ("ws", 80),
            ("wss", 443),
        ]
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
        .map_or(0, |(_, p)| *p),
        port => port,
    }
}

/// The path, query and fragment of `s`, the rest of a URI.
fn path_part<'a>(out: &mut Uri<'a>, s: &'a str) {
    let end = s.find(['?', '#']).unwrap_or(s.len());
    if end > 0 {
        out.path = Some(&s[..end]);
    }
    let rest = &s[end..];
    if let Some(q) = rest.strip_prefix('?') {
        match q.find('#') {
            Some(h) => {
                out.query = Some(&q[..h]);
                out.fragment = Some(&q[h + 1..]);
            }
            None => out.query = Some(q),
        }
    } else if let Some(f) = rest.strip_prefix('#') {
        out.fragment = Some(f);
    }
}

/// `apr_uri_parse` (APR 1.7): `None` where APR fails (a bad port, an unclosed IPv6
/// bracket, a colon in a relative path's first segment).
pub fn uri_parse(uri: &str) -> Option<Uri<'_>> {
    let mut out = Uri::default();
    let bytes = uri.as_bytes();
    let authority_start;
    if bytes.first() == Some(&b'/') {
        if bytes.get(1) == Some(&b'/') && bytes.get(2) != Some(&b'/') {
            authority_start = 2;
        } else {
            path_part(&mut out, uri);
            return Some(out);
        }
    } else {
        let mut s = 0;
        if bytes.first().is_some_and(|&b| scheme_char(b, true)) {
            s = 1;
            while bytes.get(s).is_some_and(|&b| scheme_char(b, false)) {
                s += 1;
            }
        }
        let mut after = 0;
        if s != 0 && bytes.get(s) == Some(&b':') {
            out.scheme = Some(&uri[..s]);
            after = s + 1;
        }
        if !uri[after..].starts_with("//") {
            if after == 0 {
                // No scheme and no authority: the first segment may not hold a ':'.
                let first_seg = uri.find('/').map_or(uri, |slash| &uri[..slash]);
                if first_seg.contains(':') {
                    return None;
                }
            }
            path_part(&mut out, &uri[after..]);
            return Some(out);
        }
        authority_start = after + 2;
    }
    let rest = &uri[authority_start..];
    let hostinfo_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let hostinfo = &rest[..hostinfo_end];
    let after_host = &rest[hostinfo_end..];
    let host_and_port = match hostinfo.rfind('@') {
        Some(at) => {
            let userinfo = &hostinfo[..at];
            match userinfo.find(':') {
                Some(c) => {
                    out.user = Some(&userinfo[..c]);
                    out.password = Some(&userinfo[c + 1..]);
                }
                None => out.user = Some(userinfo),
            }
            &hostinfo[at + 1..]
        }
        None => hostinfo,
    };
    let port_colon = if let Some(v6) = host_and_port.strip_prefix('[') {
        let close = v6.find(']')?;
        out.hostname = Some(&v6[..close]);
        let after = &v6[close + 1..];
        after
            .strip_prefix(':')
            .map(|_| host_and_port.len() - after.len())
    } else {
        let colon = host_and_port.find(':');
        out.hostname = Some(&host_and_port[..colon.unwrap_or(host_and_port.len())]);
        colon
    };
    if let Some(colon) = port_colon {
        let port_str = &host_and_port[colon + 1..];
        out.port_str = Some(port_str);
        if port_str.is_empty() {
            out.port = out.scheme.map_or(0, apr_port_of_scheme);
        } else {
            // strtol must consume the whole port (blanks and a sign included).
            let t = port_str.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8));
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value = super::cnum::atol(port_str);
            out.port = value as u16;
        }
    }
    path_part(&mut out, after_host);
    Some(out)
}

/// `apr_uri_unparse(..., APR_URI_UNP_REVEALPASSWORD)` after mod_proxy's normalisation:
/// the worker name httpd derives from a URL.
fn unparse(uri: &Uri<'_>, scheme: &str, hostname: &str, port: u16) -> String {
    let parts = [
        uri.user,
        uri.password,
        uri.port_str,
        uri.path,
        uri.query,
        uri.fragment,
    ];
    let mut out = String::with_capacity(
        scheme.len() + hostname.len() + 8 + parts.iter().flatten().map(|p| p.len()).sum::<usize>(),
    );
    out.push_str(scheme);
    out.push(':');
    out.push_str("//");
    if uri.user.is_some() || uri.password.is_some() {
        out.push_str(uri.user.unwrap_or(""));
        if let Some(p) = uri.password {
            out.push(':');
            out.push_str(p);
        }
        out.push('@');
    }
    if hostname.contains(':') {
        out.push('[');
        out.push_str(hostname);
        out.push(']');
    } else {
        out.push_str(hostname);
    }
    let default_port = uri.port_str.is_none() || port == 0 || port == apr_port_of_scheme(scheme);
    if !default_port {
        out.push(':');
        out.push_str(uri.port_str.unwrap_or(""));
    }
    out.push_str(uri.path.unwrap_or(""));
    if let Some(q) = uri.query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = uri.fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// `ap_proxy_de_socketfy`: the URL mod_proxy matches workers with, the part after
/// `unix:/path|`; `None` for a `unix:` URL whose part after `|` has no scheme.
pub fn de_socketfy(url: &str) -> Option<Cow<'_, str>> {
    if !starts_with_ignore_case(url, "unix:") {
        return Some(Cow::Borrowed(url));
    }
    let Some(pipe) = url[5..].find('|') else {
        return Some(Cow::Borrowed(url));
    };
    let ret = &url[5 + pipe + 1..];
    let colon = ret.find(':')?;
    let after = &ret[colon + 1..];
    Some(if after.is_empty() {
        Cow::Owned(format!("{ret}//localhost"))
    } else if after == "//" {
        Cow::Owned(format!("{ret}localhost"))
    } else {
        Cow::Borrowed(ret)
    })
}

/// `ap_proxy_valid_balancer_name(name, 9)`: starts with `balancer:`, without case.
pub fn is_balancer_url(url: &str) -> bool {
    starts_with_ignore_case(url, "balancer:")
}

/// `apr_fnmatch_test`: the text has glob characters.
pub fn fnmatch_test(pattern: &str) -> bool {
    let bytes = pattern.as_bytes();
    let mut nesting = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'?' | b'*' => return true,
            b'\\' => {
                i += 1;
                if i >= bytes.len() {
                    return false;
                }
            }
            b'[' => nesting += 1,
            b']' if nesting > 0 => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// A worker as `ap_proxy_define_worker_ex` defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerDef {
    /// httpd's name for it (`name_ex`): the normalised URL, without the socket of a
    /// `unix:` URL.
    pub name: Box<str>,
    /// The Unix socket of a `unix:/path|scheme://...` URL, resolved against the runtime
    /// directory.
    pub socket: Option<Box<str>>,
    /// A ProxyPassMatch (or wildcard) worker: `$1` in its name matches anything.
    pub matchable: bool,
    /// Lowercased.
    pub hostname: Box<str>,
    pub port: u16,
}

/// Sizes of mod_proxy's shared-memory fields (modules/proxy/mod_proxy.h).
const HOSTNAME_SIZE: usize = 256;
const NAME_SIZE: usize = 96;
const EXT_NAME_SIZE: usize = 384;
const ROUTE_SIZE: usize = 64;

/// `ap_proxy_define_worker_ex(url, mask)` without the prefix its callers add.
/// `runtime_dir` resolves a relative socket path (httpd's DefaultRuntimeDir).
pub fn define_worker(url: &str, matchable: bool, runtime_dir: &str) -> Result<WorkerDef, String> {
    let mut socket = None;
    let mut ptr = url;
    if starts_with_ignore_case(url, "unix:")
        && let Some(pipe) = url[5..].find('|').map(|p| p + 5)
        && let Some(sock) = uri_parse(&url[..pipe])
    {
        let path = sock.path.unwrap_or("");
        // ap_runtime_dir_relative: no path is the runtime directory itself.
        socket = Some(if path.starts_with('/') {
            path.to_string()
        } else if path.is_empty() {
            runtime_dir.to_string()
        } else {
            format!("{}/{path}", runtime_dir.trim_end_matches('/'))
        });
        ptr = &url[pipe + 1..];
    }
    // ProxyPassMatch: `$N` in the port is moved into the path before parsing.
    let owned;
    if matchable && let Some(scheme_end) = ptr.find("://") {
        let host_start = scheme_end + 3;
        let bytes = ptr.as_bytes();
        let mut pos = host_start;
        while pos < bytes.len() && bytes[pos] != b':' && bytes[pos] != b'/' {
            pos += 1;
        }
        if bytes.get(pos) == Some(&b':') {
            pos += 1;
            let is_ref = |p: usize| {
                bytes.get(p) == Some(&b'$') && bytes.get(p + 1).is_some_and(u8::is_ascii_digit)
            };
            while pos < bytes.len() && !is_ref(pos) && bytes[pos] != b'/' {
                pos += 1;
            }
            if is_ref(pos) {
                let mut path = pos + 2;
                while path < bytes.len() && bytes[path] != b'/' {
                    path += 1;
                }
                owned = format!("{}{}", &ptr[..pos], &ptr[path..]);
                let dollars = ptr[pos..path].to_string();
                let uri = uri_parse(&owned).ok_or_else(|| format!("Unable to parse URL: {url}"))?;
                return finish_worker(url, &uri, socket, true, Some(&dollars));
            }
        }
    }
    let uri = uri_parse(ptr).ok_or_else(|| format!("Unable to parse URL: {url}"))?;
    finish_worker(url, &uri, socket, matchable, None)
}

fn finish_worker(
    url: &str,
    uri: &Uri<'_>,
    socket: Option<String>,
    matchable: bool,
    dollars: Option<&str>,
) -> Result<WorkerDef, String> {
    let absolute = || format!("URL must be absolute!: {url}");
    let scheme = ascii_lowercase(uri.scheme.ok_or_else(absolute)?);
    let hostname = match uri.hostname.filter(|h| !h.is_empty()) {
        Some(h) => ascii_lowercase(h),
        None if socket.is_some() => Cow::Borrowed("localhost"),
        None => return Err(absolute()),
    };
    let mut port = uri.port;
    if port != 0 && port == proxy_port_of_scheme(&scheme) {
        port = 0;
    }
    let mut with_path = uri.clone();
    let joined;
    if let Some(d) = dollars {
        joined = format!("{d}{}", uri.path.unwrap_or(""));
        with_path.path = Some(&joined);
    }
    let mut name = unparse(&with_path, &scheme, &hostname, port);
    if hostname.len() >= HOSTNAME_SIZE {
        return Err(format!("worker hostname ({hostname}) too long"));
    }
    if let Some(sock) = &socket
        && sock.len() >= NAME_SIZE
    {
        return Err(format!("worker uds path ({sock}) too long"));
    }
    // httpd truncates a longer name (AH10366) and matches with the truncated one.
    if name.len() >= EXT_NAME_SIZE {
        let mut end = EXT_NAME_SIZE - 1;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    Ok(WorkerDef {
        port: if port == 0 {
            proxy_port_of_scheme(&scheme)
        } else {
            port
        },
        name: name.into_boxed_str(),
        socket: socket.map(String::into_boxed_str),
        matchable,
        hostname: hostname.into(),
    })
}

/// `ap_proxy_define_balancer(url, alias)` without the caller's prefix: the balancer's
/// name (lowercased, path removed).
pub fn define_balancer(url: &str, alias: Option<&str>) -> Result<String, String> {
    let Some(colon) = url.find(':') else {
        return Err(format!("Bad syntax for a balancer name ({url})"));
    };
    let after = &url[colon + 1..];
    if !after.starts_with("//") || after.len() == 2 {
        return Err(format!("Bad syntax for a balancer name ({url})"));
    }
    let name = balancer_name(url);
    if name.len() >= NAME_SIZE {
        return Err(format!("balancer name ({name}) too long"));
    }
    if let Some(alias) = alias {
        let uri = uri_parse(alias).ok_or_else(|| format!("unable to parse: {alias}"))?;
        if let Some(path) = uri.path
            && path.len() >= ROUTE_SIZE
        {
            return Err(format!(
                "balancer {name} front-end virtual-path ({path}) too long"
            ));
        }
        if let Some(host) = uri.hostname
            && host.len() >= HOSTNAME_SIZE / 4
        {
            return Err(format!(
                "balancer {name} front-end vhost name ({host}) too long"
            ));
        }
    }
    Ok(name)
}

/// A balancer URL without its path, lowercased (how httpd finds a balancer).
fn balancer_name(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    url[..end].to_ascii_lowercase()
}

/// `ap_proxy_strcmp_ematch`: `$N` in `expected` matches any run of characters. Bounded:
/// a pattern with many references gives up (as not matching) after a fixed budget.
fn ematch(s: &[u8], expected: &[u8], budget: &mut u32) -> i8 {
    let (mut x, mut y) = (0, 0);
    while y < expected.len() {
        if *budget == 0 {
            return 1;
        }
        *budget -= 1;
        if expected[y] == b'$' && expected.get(y + 1).is_some_and(u8::is_ascii_digit) {
            while expected.get(y) == Some(&b'$')
                && expected.get(y + 1).is_some_and(u8::is_ascii_digit)
            {
                y += 2;
            }
            if y >= expected.len() {
                return 0;
            }
            while x < s.len() {
                let ret = ematch(&s[x..], &expected[y..], budget);
                x += 1;
                if ret != 1 {
                    return ret;
                }
            }
            return -1;
        }
        if x >= s.len() {
            return -1;
        }
        if expected[y] == b'\\' {
            y += 1;
            if y >= expected.len() {
                return -2;
            }
        }
        if s[x] != expected[y] {
            return 1;
        }
        x += 1;
        y += 1;
    }
    0
}

/// Which workers `ap_proxy_get_worker_ex` considers: prefix workers (ProxyPass,
/// BalancerMember), matchable ones (ProxyPassMatch), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mask {
    Prefix,
    Match,
    Both,
}

impl Mask {
    fn of(matchable: bool) -> Mask {
        if matchable { Mask::Match } else { Mask::Prefix }
    }
}

/// The workers of a server or a balancer, indexed for `ap_proxy_get_worker_ex`'s
/// longest-prefix match: the prefix workers compared one by one while there are few
/// (nearly every virtual host has one or two), in a byte trie of their names once there
/// are more (one walk of the URL then finds the longest among thousands of members); the
/// matchable ones apart. Small while it holds few: one is made per virtual host.
#[derive(Debug, Clone, Default)]
struct WorkerSet {
    workers: Vec<WorkerDef>,
    /// Number of prefix workers (the others are matchable).
    prefix: u32,
    /// Built when `prefix` exceeds [`LISTED_WORKERS`].
    trie: Option<Box<Trie>>,
    matchable: Vec<u32>,
}

/// Prefix worker names by bytes.
#[derive(Debug, Clone, Default)]
struct Trie {
    /// (node, byte) -> node; node 0 is the root.
    edges: HashMap<(u32, u8), u32>,
    /// Per node, the prefix worker whose name ends there.
    terminal: Vec<Option<u32>>,
}

impl Trie {
    /// Adds worker `index`, named `name`.
    fn insert(&mut self, name: &str, index: u32) {
        if self.terminal.is_empty() {
            self.terminal.push(None);
        }
        let mut node = 0u32;
        for &b in name.as_bytes() {
            let next = u32::try_from(self.terminal.len()).unwrap_or(u32::MAX);
            node = *self.edges.entry((node, b)).or_insert_with(|| {
                self.terminal.push(None);
                next
            });
        }
        if let Some(slot) = self.terminal.get_mut(node as usize) {
            slot.get_or_insert(index);
        }
    }
}

/// Prefix workers compared one by one before the trie is built: a list this short is
/// faster to scan than to index.
const LISTED_WORKERS: u32 = 8;

impl WorkerSet {
    fn push(&mut self, worker: WorkerDef) {
        let index = u32::try_from(self.workers.len()).unwrap_or(u32::MAX);
        let matchable = worker.matchable;
        if self.workers.is_empty() {
            // Most sets keep one worker: no room for four.
            self.workers.reserve_exact(1);
        }
        self.workers.push(worker);
        if matchable {
            self.matchable.push(index);
            return;
        }
        self.prefix += 1;
        if let Some(trie) = &mut self.trie {
            trie.insert(&self.workers[index as usize].name, index);
        } else if self.prefix > LISTED_WORKERS {
            let mut trie = Box::<Trie>::default();
            for (i, w) in self
                .workers
                .iter()
                .enumerate()
                .filter(|(_, w)| !w.matchable)
            {
                trie.insert(&w.name, u32::try_from(i).unwrap_or(u32::MAX));
            }
            self.trie = Some(trie);
        }
    }

    /// `ap_proxy_get_worker_ex`: the longest worker name that is a prefix of `url`
    /// (lowercased up to its path; matchable names with `$N` wildcards) and at least as
    /// long as its scheme://host[:port] part; the first defined among equals.
    fn find(&self, url: &str, mask: Mask) -> Option<&WorkerDef> {
        let url = de_socketfy(url)?;
        let colon = url.find(':')?;
        let after = &url[colon..];
        if !after.starts_with("://") || after.len() == 3 {
            return None;
        }
        let min_match = url[colon + 3..]
            .find('/')
            .map_or(url.len(), |i| colon + 3 + i);
        // The URL as httpd compares it: lowercased before `min_match`.
        let bytes = url.as_bytes();
        let at = |i: usize| {
            let b = bytes[i];
            if i < min_match {
                b.to_ascii_lowercase()
            } else {
                b
            }
        };
        // (name length, index) of the best so far.
        let mut best: Option<(usize, u32)> = None;
        let mut consider = |len: usize, index: u32| {
            if best.is_none_or(|(l, i)| len > l || (len == l && index < i)) {
                best = Some((len, index));
            }
        };
        match (&self.trie, mask) {
            (_, Mask::Match) => {}
            (None, _) => {
                for (index, w) in self
                    .workers
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| !w.matchable)
                {
                    let name = w.name.as_bytes();
                    if name.len() >= min_match
                        && name.len() <= bytes.len()
                        && name.iter().enumerate().all(|(i, &b)| at(i) == b)
                    {
                        consider(name.len(), u32::try_from(index).unwrap_or(u32::MAX));
                    }
                }
            }
            (Some(trie), _) => {
                let mut node = 0u32;
                for depth in 0..bytes.len() {
                    let Some(&next) = trie.edges.get(&(node, at(depth))) else {
                        break;
                    };
                    node = next;
                    if depth + 1 >= min_match
                        && let Some(Some(index)) = trie.terminal.get(node as usize)
                    {
                        consider(depth + 1, *index);
                    }
                }
            }
        }
        if mask != Mask::Prefix && !self.matchable.is_empty() {
            let copy: Vec<u8> = (0..bytes.len()).map(at).collect();
            for &index in &self.matchable {
                let name = &self.workers[index as usize].name;
                let mut budget = 100_000;
                if name.len() <= copy.len()
                    && name.len() >= min_match
                    && ematch(&copy, name.as_bytes(), &mut budget) == 0
                {
                    consider(name.len(), index);
                }
            }
        }
        best.map(|(_, i)| &self.workers[i as usize])
    }
}

/// What one server (the main server or a virtual host) has defined so far; what few
/// servers define (balancers, health check names) is boxed apart.
#[derive(Debug, Clone, Default)]
struct ServerProxies {
    workers: WorkerSet,
    more: Option<Box<Balancers>>,
}

/// The balancers and health check names of a server.
#[derive(Debug, Clone, Default)]
struct Balancers {
    /// Balancer name and members.
    balancers: Vec<(String, WorkerSet)>,
    balancer_index: HashMap<String, usize>,
    hc_templates: HcNames,
    hc_exprs: HcNames,
}

/// No health check name (a server that defines none).
static NO_HC_NAMES: std::sync::LazyLock<HcNames> = std::sync::LazyLock::new(HcNames::default);

impl ServerProxies {
    fn more(&mut self) -> &mut Balancers {
        self.more.get_or_insert_default()
    }

    fn balancer(&self, url: &str) -> Option<usize> {
        let more = self.more.as_ref()?;
        more.balancer_index.get(&balancer_name(url)).copied()
    }

    fn env<'a>(&'a self, modules: &'a ProxyModules) -> ParamEnv<'a> {
        let (templates, exprs) = match &self.more {
            Some(more) => (&more.hc_templates, &more.hc_exprs),
            None => (&*NO_HC_NAMES, &*NO_HC_NAMES),
        };
        ParamEnv {
            modules,
            hc_templates: Some(templates),
            hc_exprs: Some(exprs),
        }
    }

    /// Balancer `url`, defining it when new (errors unprefixed).
    fn get_or_define_balancer(&mut self, url: &str, alias: Option<&str>) -> Result<usize, String> {
        if let Some(i) = self.balancer(url) {
            return Ok(i);
        }
        let name = define_balancer(url, alias)?;
        let more = self.more();
        more.balancer_index
            .insert(name.clone(), more.balancers.len());
        more.balancers.push((name, WorkerSet::default()));
        Ok(more.balancers.len() - 1)
    }

    /// Balancer `i`'s name and members.
    fn balancer_at(&mut self, i: usize) -> &mut (String, WorkerSet) {
        &mut self.more().balancers[i]
    }
}

/// What a worker-defining line did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defined {
    /// A new worker (the last of [`ProxyRegistry::workers`] or of its balancer's).
    Worker,
    /// An existing worker whose name matches the URL is used instead (AH01145); the
    /// line's parameters are ignored (AH01146, one warning each).
    Shared { existing: WorkerDef, url: String },
    /// A balancer (new or existing) of this name.
    Balancer(String),
    /// `ProxyPass /path !`: an exclusion, no worker.
    Excluded,
}

/// The workers, balancers, ProxyHCTemplate and ProxyHCExpr names each server has defined,
/// in configuration order: what decides whether a line shares an existing worker.
#[derive(Debug, Clone)]
pub struct ProxyRegistry {
    /// By server: 0 the main server, n the nth virtual host.
    servers: Vec<ServerProxies>,
    /// httpd's DefaultRuntimeDir, against which relative socket paths resolve.
    pub runtime_dir: String,
}

impl Default for ProxyRegistry {
    fn default() -> Self {
        ProxyRegistry {
            servers: Vec::new(),
            // Debian's envvars: APACHE_RUN_DIR=/var/run/apache2.
            runtime_dir: "/var/run/apache2".to_string(),
        }
    }
}

/// What mod_proxy's handlers need to know about where a line is.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// [`super::ContextStack::server`].
    pub server: usize,
    /// [`super::ContextStack::path`]: `cmd->path`.
    pub path: Option<&'a str>,
    /// The innermost section's name and arguments (`cmd->directive->parent`).
    pub parent: Option<(&'a str, &'a str)>,
}

/// `key=value` split at the first `=`, or httpd's message for a word without one.
fn key_value<'w>(word: &'w str, message: &str) -> Result<(&'w str, &'w str), String> {
    word.split_once('=').ok_or_else(|| message.to_string())
}

/// Checks one parameter of a worker or a balancer.
fn check_param(balancer: bool, key: &str, val: &str, env: &ParamEnv<'_>) -> Result<(), String> {
    if balancer {
        check_balancer_param(key, val, env)
    } else {
        check_worker_param(key, val, env)
    }
}

impl ProxyRegistry {
    fn server(&mut self, id: usize) -> &mut ServerProxies {
        server_slot(&mut self.servers, id)
    }

    /// The parameter environment of `server`: the health check names it has defined.
    pub fn param_env<'a>(&'a self, server: usize, modules: &'a ProxyModules) -> ParamEnv<'a> {
        match self.servers.get(server) {
            Some(s) => s.env(modules),
            None => ParamEnv {
                modules,
                hc_templates: Some(&NO_HC_NAMES),
                hc_exprs: Some(&NO_HC_NAMES),
            },
        }
    }

    /// Records a `ProxyHCTemplate` name.
    pub fn define_hc_template(&mut self, server: usize, name: &str) {
        self.server(server)
            .more()
            .hc_templates
            .insert(name.to_ascii_lowercase());
    }

    /// Records a `ProxyHCExpr` name.
    pub fn define_hc_expr(&mut self, server: usize, name: &str) {
        self.server(server)
            .more()
            .hc_exprs
            .insert(name.to_ascii_lowercase());
    }

    /// `add_pass`: ProxyPass (`regex` false) or ProxyPassMatch on `args`.
    pub fn proxy_pass(
        &mut self,
        args: &str,
        regex: bool,
        at: Place<'_>,
        modules: &ProxyModules,
    ) -> Result<Defined, String> {
        let words = all_words(args);
        let mut f: Option<&str> = at.path;
        let mut r: Option<&str> = None;
        let mut matchable = regex;
        let mut params: Vec<(&str, &str)> = Vec::new();
        for word in &words {
            let word: &str = word;
            if f.is_none() {
                if word == "~" {
                    if regex {
                        return Err("ProxyPassMatch invalid syntax ('~' usage).".to_string());
                    }
                    matchable = true;
                    continue;
                }
                f = Some(word);
            } else if r.is_none() {
                r = Some(word);
            } else if ["nocanon", "interpolate", "noquery"]
                .iter()
                .any(|flag| word.eq_ignore_ascii_case(flag))
            {
            } else {
                let Some((key, val)) = word.split_once('=') else {
                    if at.path.is_some() && r.is_some_and(|r| r.starts_with('/')) {
                        return Err("ProxyPass|ProxyPassMatch can not have a path when defined in a location.".to_string());
                    }
                    return Err("Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'.".to_string());
                };
                if key.eq_ignore_ascii_case("mapping") {
                    if !val.eq_ignore_ascii_case("encoded") && !val.eq_ignore_ascii_case("servlet")
                    {
                        return Err("unknown mapping".to_string());
                    }
                } else {
                    params.push((key, val));
                }
            }
        }
        let Some(r) = r else {
            return Err(
                "ProxyPass|ProxyPassMatch needs a path when not defined in a location".to_string(),
            );
        };
        let Some(real) = de_socketfy(r) else {
            return Err("ProxyPass|ProxyPassMatch uses an invalid \"unix:\" URL".to_string());
        };
        let f = f.unwrap_or_default();
        if at.path.is_some() && fnmatch_test(f) {
            matchable = true;
        }
        if matchable && crate::nginx::regex::check(f).is_err() {
            return Err("Regular expression could not be compiled.".to_string());
        }
        if r == "!" {
            return Ok(Defined::Excluded);
        }
        let table = param_table(params);
        let prefixed = |e: String| format!("ProxyPass {e}");
        let runtime_dir = self.runtime_dir.as_str();
        let s = server_slot(&mut self.servers, at.server);
        if is_balancer_url(r) {
            let alias = (!matchable).then_some(f);
            let i = s.get_or_define_balancer(r, alias).map_err(prefixed)?;
            let env = s.env(modules);
            for (k, v) in table {
                check_balancer_param(k, v, &env).map_err(prefixed)?;
            }
            return Ok(Defined::Balancer(s.balancer_at(i).0.clone()));
        }
        if let Some(existing) = s.workers.find(&real, Mask::of(matchable)) {
            return Ok(Defined::Shared {
                existing: existing.clone(),
                url: r.to_string(),
            });
        }
        s.workers
            .push(define_worker(r, matchable, runtime_dir).map_err(prefixed)?);
        let env = s.env(modules);
        for (k, v) in table {
            check_worker_param(k, v, &env).map_err(prefixed)?;
        }
        Ok(Defined::Worker)
    }

    /// `add_member`: BalancerMember on `args`.
    pub fn balancer_member(
        &mut self,
        args: &str,
        at: Place<'_>,
        modules: &ProxyModules,
    ) -> Result<Defined, String> {
        let words = all_words(args);
        let mut path: Option<&str> = at.path;
        let mut name: Option<&str> = None;
        let mut params: Vec<(&str, &str)> = Vec::new();
        for word in &words {
            let word: &str = word;
            match word.split_once('=') {
                None if path.is_none() => path = Some(word),
                None if name.is_none() => name = Some(word),
                None if at.path.is_some() => {
                    return Err(
                        "BalancerMember can not have a balancer name when defined in a location"
                            .to_string(),
                    );
                }
                None => {
                    return Err("Invalid BalancerMember parameter. Parameter must be in the form 'key=value'".to_string());
                }
                Some(pair) => params.push(pair),
            }
        }
        let Some(path) = path else {
            return Err(
                "BalancerMember must define balancer name when outside <Proxy > section"
                    .to_string(),
            );
        };
        let Some(name) = name else {
            return Err("BalancerMember must define remote proxy server".to_string());
        };
        let Some(real) = de_socketfy(name) else {
            return Err("BalancerMember uses an invalid \"unix:\" URL".to_string());
        };
        let prefixed = |e: String| format!("BalancerMember {e}");
        let runtime_dir = self.runtime_dir.as_str();
        let s = server_slot(&mut self.servers, at.server);
        let b = s
            .get_or_define_balancer(&path.to_ascii_lowercase(), Some("/"))
            .map_err(prefixed)?;
        let members = &mut s.balancer_at(b).1;
        if let Some(existing) = members.find(&real, Mask::Both) {
            return Ok(Defined::Shared {
                existing: existing.clone(),
                url: name.to_string(),
            });
        }
        members.push(define_worker(name, false, runtime_dir).map_err(prefixed)?);
        let env = s.env(modules);
        for (k, v) in param_table(params) {
            check_worker_param(k, v, &env).map_err(prefixed)?;
        }
        Ok(Defined::Worker)
    }

    /// `set_proxy_param`: ProxySet on `args`.
    pub fn proxy_set(
        &mut self,
        args: &str,
        at: Place<'_>,
        modules: &ProxyModules,
    ) -> Result<(), String> {
        let mut rest = args;
        let in_section = at
            .parent
            .filter(|(name, _)| starts_with_ignore_case(name, "<Proxy"));
        let (name, matchable) = match in_section {
            Some((section, section_args)) => {
                let mut pargs = section_args;
                let mut name = getword_conf(&mut pargs).into_owned();
                if let Some(gt) = name.find('>') {
                    name.truncate(gt);
                }
                (name, starts_with_ignore_case(&section[6..], "Match"))
            }
            None => (getword_conf(&mut rest).into_owned(), false),
        };
        let runtime_dir = self.runtime_dir.as_str();
        let s = server_slot(&mut self.servers, at.server);
        let balancer = is_balancer_url(&name);
        if balancer {
            if s.balancer(&name).is_none() {
                if in_section.is_none() {
                    return Err(format!("ProxySet can not find '{name}' Balancer."));
                }
                s.get_or_define_balancer(&name, Some("/"))
                    .map_err(|e| format!("ProxySet {e}"))?;
            }
        } else {
            let Some(real) = de_socketfy(&name) else {
                return Err("ProxySet uses an invalid \"unix:\" URL".to_string());
            };
            let mask = match in_section {
                Some(_) => Mask::of(matchable),
                None => Mask::Both,
            };
            if s.workers.find(&real, mask).is_none() {
                if in_section.is_none() {
                    return Err(format!("ProxySet can not find '{name}' Worker."));
                }
                let worker = define_worker(&name, matchable, runtime_dir)
                    .map_err(|e| format!("ProxySet {e}"))?;
                s.workers.push(worker);
            }
        }
        let env = s.env(modules);
        while !rest.is_empty() {
            let word = getword_conf(&mut rest);
            let (k, v) = key_value(
                &word,
                "Invalid ProxySet parameter. Parameter must be in the form 'key=value'",
            )?;
            check_param(balancer, k, v, &env)
                .map_err(|e| format!("ProxySet: {e} {k}={v}; {name}"))?;
        }
        Ok(())
    }

    /// What `proxysection` does with the parameters of `<Proxy url key=value>` after
    /// its children: `tag` is the command name (`<Proxy` or `<ProxyMatch`), `args` the
    /// tag's arguments.
    pub fn proxy_section_params(
        &mut self,
        tag: &str,
        args: &str,
        server: usize,
        modules: &ProxyModules,
    ) -> Result<(), String> {
        let is_match = starts_with_ignore_case(tag, "<ProxyMatch");
        let mut rest = super::context::section_inner(args);
        let first = getword_conf(&mut rest).into_owned();
        let p = match first.get(..6) {
            Some(pre) if pre.eq_ignore_ascii_case("proxy:") => first[6..].to_string(),
            _ => first,
        };
        if rest.is_empty() {
            return Ok(());
        }
        if is_match {
            return Err("Multiple <ProxyMatch> arguments not (yet) supported.".to_string());
        }
        if fnmatch_test(&p) {
            return Err(format!(
                "{tag}> arguments are not supported for wildchar url."
            ));
        }
        if !p.contains(':') {
            return Err(format!("{tag}> arguments are not supported for non url."));
        }
        let runtime_dir = self.runtime_dir.as_str();
        let s = server_slot(&mut self.servers, server);
        let balancer = is_balancer_url(&p);
        if balancer {
            s.get_or_define_balancer(&p, Some("/"))
                .map_err(|e| format!("{tag} {e}"))?;
        } else {
            let Some(real) = de_socketfy(&p) else {
                return Err("<Proxy/ProxyMatch > uses an invalid \"unix:\" URL".to_string());
            };
            if s.workers.find(&real, Mask::Prefix).is_none() {
                let worker =
                    define_worker(&p, false, runtime_dir).map_err(|e| format!("{tag} {e}"))?;
                s.workers.push(worker);
            }
        }
        let env = s.env(modules);
        while !rest.is_empty() {
            let word = getword_conf(&mut rest);
            let (k, v) = key_value(
                &word,
                "Invalid Proxy parameter. Parameter must be in the form 'key=value'",
            )?;
            check_param(balancer, k, v, &env).map_err(|e| format!("{tag} {e} {k}={v}; {p}"))?;
        }
        Ok(())
    }

    /// The workers a server has defined (outside balancers), in order.
    pub fn workers(&self, server: usize) -> &[WorkerDef] {
        self.servers
            .get(server)
            .map_or(&[], |s| s.workers.workers.as_slice())
    }

    /// The balancers a server has defined, with their members.
    pub fn balancers(&self, server: usize) -> impl Iterator<Item = (&str, &[WorkerDef])> {
        self.servers
            .get(server)
            .and_then(|s| s.more.as_ref())
            .into_iter()
            .flat_map(|more| {
                more.balancers
                    .iter()
                    .map(|(n, m)| (n.as_str(), m.workers.as_slice()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> ProxyModules {
        ProxyModules {
            hcheck: false,
            lbmethods: vec!["byrequests"],
        }
    }

    const TOP: Place<'static> = Place {
        server: 0,
        path: None,
        parent: None,
    };

    fn pass(reg: &mut ProxyRegistry, args: &str) -> Result<Defined, String> {
        reg.proxy_pass(args, false, TOP, &env())
    }

    #[test]
    fn uri_parse_like_apr() {
        let u = uri_parse("http://user:pw@Host:8080/p?q#f").expect("parse");
        assert_eq!(u.scheme, Some("http"));
        assert_eq!(u.user, Some("user"));
        assert_eq!(u.password, Some("pw"));
        assert_eq!(u.hostname, Some("Host"));
        assert_eq!(u.port, 8080);
        assert_eq!(u.path, Some("/p"));
        assert_eq!(u.query, Some("q"));
        assert_eq!(u.fragment, Some("f"));
        let v6 = uri_parse("http://[::1]:81/").expect("v6");
        assert_eq!(v6.hostname, Some("::1"));
        assert_eq!(v6.port, 81);
        assert!(uri_parse("http://h:8o/").is_none());
        assert!(uri_parse("http://[::1/").is_none());
        assert!(uri_parse("a:b").expect("scheme").path == Some("b"));
        assert!(uri_parse("1a:b").is_none());
        assert_eq!(uri_parse("//h/x").expect("authority").hostname, Some("h"));
        assert_eq!(uri_parse("/x?y").expect("path").query, Some("y"));
        assert_eq!(uri_parse("http://h:").expect("empty port").port, 80);
        assert_eq!(uri_parse("http://h:70000").expect("big port").port, 4464);
    }

    #[test]
    fn worker_names_are_normalised() {
        let w = define_worker("HTTP://Backend:80/App", false, "/run").expect("worker");
        assert_eq!(&*w.name, "http://backend/App");
        assert_eq!(w.port, 80);
        let w = define_worker("fcgi://127.0.0.1:9000/", false, "/run").expect("fcgi");
        assert_eq!(&*w.name, "fcgi://127.0.0.1:9000/");
        let w = define_worker("fcgi://127.0.0.1:8000/", false, "/run").expect("fcgi default");
        assert_eq!(&*w.name, "fcgi://127.0.0.1/");
        assert_eq!(w.port, 8000);
    }

    #[test]
    fn unix_socket_urls() {
        let w = define_worker(
            "unix:/run/php/php8.2-fpm.sock|fcgi://localhost/",
            false,
            "/run",
        )
        .expect("uds");
        assert_eq!(w.socket.as_deref(), Some("/run/php/php8.2-fpm.sock"));
        assert_eq!(&*w.name, "fcgi://localhost/");
        let w =
            define_worker("unix:php.sock|fcgi://", false, "/var/run/apache2").expect("relative");
        assert_eq!(w.socket.as_deref(), Some("/var/run/apache2/php.sock"));
        assert_eq!(&*w.hostname, "localhost");
        let long = format!("unix:/{}|http://x/", "s".repeat(100));
        assert!(
            define_worker(&long, false, "/run")
                .unwrap_err()
                .starts_with("worker uds path (")
        );
        assert_eq!(
            define_worker("unix:/run/x.sock", false, "/run").unwrap_err(),
            "URL must be absolute!: unix:/run/x.sock"
        );
        assert_eq!(
            de_socketfy("unix:/a.sock|fcgi:").as_deref(),
            Some("fcgi://localhost")
        );
        assert_eq!(
            de_socketfy("unix:/a.sock|fcgi://").as_deref(),
            Some("fcgi://localhost")
        );
        assert_eq!(
            de_socketfy("UNIX:/a.sock|http://h/p").as_deref(),
            Some("http://h/p")
        );
        assert_eq!(de_socketfy("unix:/a.sock|nothing"), None);
    }

    #[test]
    fn worker_url_errors() {
        assert_eq!(
            define_worker("/local", false, "/run").unwrap_err(),
            "URL must be absolute!: /local"
        );
        assert_eq!(
            define_worker("http:///x", false, "/run").unwrap_err(),
            "URL must be absolute!: http:///x"
        );
        assert_eq!(
            define_worker("http://h:x/", false, "/run").unwrap_err(),
            "Unable to parse URL: http://h:x/"
        );
        let long_host = format!("http://{}/", "h".repeat(300));
        assert!(
            define_worker(&long_host, false, "/run")
                .unwrap_err()
                .starts_with("worker hostname (")
        );
    }

    #[test]
    fn proxypassmatch_moves_port_references() {
        let w = define_worker("http://backend:$2/x", true, "/run").expect("match");
        assert_eq!(&*w.name, "http://backend$2/x");
        assert!(w.matchable);
    }

    #[test]
    fn proxy_pass_argument_errors() {
        let mut reg = ProxyRegistry::default();
        assert_eq!(
            pass(&mut reg, "/app").unwrap_err(),
            "ProxyPass|ProxyPassMatch needs a path when not defined in a location"
        );
        assert_eq!(
            pass(&mut reg, "/app http://b/ retry").unwrap_err(),
            "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'."
        );
        assert_eq!(
            pass(&mut reg, "/a http://b/ mapping=x").unwrap_err(),
            "unknown mapping"
        );
        assert_eq!(
            pass(&mut reg, "/a unix:/x.sock|nothing").unwrap_err(),
            "ProxyPass|ProxyPassMatch uses an invalid \"unix:\" URL"
        );
        assert_eq!(
            reg.proxy_pass("~ ^/a http://b/", true, TOP, &env())
                .unwrap_err(),
            "ProxyPassMatch invalid syntax ('~' usage)."
        );
        assert_eq!(
            pass(&mut reg, "/a /b").unwrap_err(),
            "ProxyPass URL must be absolute!: /b"
        );
        assert_eq!(
            pass(&mut reg, "/a http://b/ timeout=0").unwrap_err(),
            "ProxyPass Timeout must be at least one second"
        );
        assert_eq!(pass(&mut reg, "/x !"), Ok(Defined::Excluded));
        assert!(matches!(
            pass(&mut reg, "/a http://c/ nocanon NoQuery retry=0"),
            Ok(Defined::Worker)
        ));
    }

    #[test]
    fn regex_errors_are_reported() {
        let mut reg = ProxyRegistry::default();
        assert_eq!(
            reg.proxy_pass("^/(a http://b/", true, TOP, &env())
                .unwrap_err(),
            "Regular expression could not be compiled."
        );
        assert!(
            reg.proxy_pass("~ ^/(a http://b/", false, TOP, &env())
                .is_err()
        );
    }

    #[test]
    fn proxy_pass_in_a_location() {
        let mut reg = ProxyRegistry::default();
        let at = Place {
            server: 0,
            path: Some("/app"),
            parent: Some(("<Location", "/app")),
        };
        assert!(matches!(
            reg.proxy_pass("http://b/ retry=0", false, at, &env()),
            Ok(Defined::Worker)
        ));
        assert_eq!(
            reg.proxy_pass("http://b2/ /extra", false, at, &env())
                .unwrap_err(),
            "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'."
        );
        assert_eq!(
            reg.proxy_pass("/x http://b3/", false, at, &env())
                .unwrap_err(),
            "ProxyPass|ProxyPassMatch can not have a path when defined in a location."
        );
    }

    #[test]
    fn sharing_a_worker_ignores_parameters() {
        let mut reg = ProxyRegistry::default();
        assert!(matches!(
            pass(&mut reg, "/a http://b/"),
            Ok(Defined::Worker)
        ));
        match pass(&mut reg, "/c http://b/x timeout=0") {
            Ok(Defined::Shared { existing, .. }) => assert_eq!(&*existing.name, "http://b/"),
            other => panic!("{other:?}"),
        }
        // Another virtual host has its own workers.
        let vhost = Place { server: 1, ..TOP };
        assert!(
            reg.proxy_pass("/c http://b/x timeout=0", false, vhost, &env())
                .is_err()
        );
    }

    #[test]
    fn sockets_with_the_same_url_share_one_worker() {
        let mut reg = ProxyRegistry::default();
        assert!(matches!(
            pass(&mut reg, "/a unix:/run/a.sock|http://localhost/"),
            Ok(Defined::Worker)
        ));
        match pass(&mut reg, "/b unix:/run/b.sock|http://localhost/") {
            Ok(Defined::Shared { existing, .. }) => {
                assert_eq!(existing.socket.as_deref(), Some("/run/a.sock"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn balancers_and_members() {
        let mut reg = ProxyRegistry::default();
        let in_proxy = Place {
            server: 0,
            path: Some("balancer://app"),
            parent: Some(("<Proxy", "balancer://app")),
        };
        assert!(
            reg.balancer_member("http://10.0.0.1:8080 retry=0", in_proxy, &env())
                .is_ok()
        );
        assert_eq!(
            reg.balancer_member("http://10.0.0.2 loadfactor=0", in_proxy, &env())
                .unwrap_err(),
            "BalancerMember LoadFactor must be a number between 1..100"
        );
        assert!(matches!(
            reg.balancer_member("http://10.0.0.1:8080 retry=-5", in_proxy, &env()),
            Ok(Defined::Shared { .. })
        ));
        assert_eq!(
            reg.balancer_member("http://h", TOP, &env()).unwrap_err(),
            "BalancerMember must define remote proxy server"
        );
        assert_eq!(
            reg.balancer_member("", TOP, &env()).unwrap_err(),
            "BalancerMember must define balancer name when outside <Proxy > section"
        );
        assert_eq!(
            reg.balancer_member("balancer://x http://a http://b", TOP, &env())
                .unwrap_err(),
            "Invalid BalancerMember parameter. Parameter must be in the form 'key=value'"
        );
        assert_eq!(
            reg.balancer_member("http://a http://b", in_proxy, &env())
                .unwrap_err(),
            "BalancerMember can not have a balancer name when defined in a location"
        );
        let in_location = Place {
            server: 0,
            path: Some("/x"),
            parent: Some(("<Location", "/x")),
        };
        assert_eq!(
            reg.balancer_member("http://a", in_location, &env())
                .unwrap_err(),
            "BalancerMember Bad syntax for a balancer name (/x)"
        );
        assert_eq!(
            pass(&mut reg, "/ balancer://app/ lbmethod=bytraffic").unwrap_err(),
            "ProxyPass unknown lbmethod"
        );
        assert_eq!(
            pass(&mut reg, "/ balancer://app/ stickysession=JSESSIONID"),
            Ok(Defined::Balancer("balancer://app".to_string()))
        );
        assert_eq!(
            pass(&mut reg, "/ balancer:app").unwrap_err(),
            "ProxyPass Bad syntax for a balancer name (balancer:app)"
        );
        assert_eq!(reg.balancers(0).count(), 1);
    }

    #[test]
    fn balancer_virtual_path_is_bounded() {
        let mut reg = ProxyRegistry::default();
        let long = format!("/{} balancer://new", "p".repeat(70));
        assert!(
            pass(&mut reg, &long)
                .unwrap_err()
                .contains("front-end virtual-path")
        );
    }

    #[test]
    fn proxy_set_outside_and_inside_sections() {
        let mut reg = ProxyRegistry::default();
        assert_eq!(
            reg.proxy_set("balancer://none timeout=5", TOP, &env())
                .unwrap_err(),
            "ProxySet can not find 'balancer://none' Balancer."
        );
        assert_eq!(
            reg.proxy_set("http://none/ timeout=5", TOP, &env())
                .unwrap_err(),
            "ProxySet can not find 'http://none/' Worker."
        );
        let in_proxy = Place {
            server: 0,
            path: Some("balancer://app"),
            parent: Some(("<Proxy", "balancer://app")),
        };
        assert!(
            reg.proxy_set("lbmethod=byrequests", in_proxy, &env())
                .is_ok()
        );
        assert_eq!(
            reg.proxy_set("lbmethod=nope", in_proxy, &env())
                .unwrap_err(),
            "ProxySet: unknown lbmethod lbmethod=nope; balancer://app"
        );
        assert_eq!(
            reg.proxy_set("timeout", in_proxy, &env()).unwrap_err(),
            "Invalid ProxySet parameter. Parameter must be in the form 'key=value'"
        );
        assert!(
            reg.proxy_set("balancer://app maxattempts=1", TOP, &env())
                .is_ok()
        );
    }

    #[test]
    fn proxy_section_parameters() {
        let cases = [
            ("<Proxy", "http://b/>", None),
            ("<Proxy", "http://b/ timeout=5>", None),
            (
                "<Proxy",
                "http://b/ timeout=0>",
                Some("<Proxy Timeout must be at least one second timeout=0; http://b/"),
            ),
            (
                "<Proxy",
                "* timeout=5>",
                Some("<Proxy> arguments are not supported for wildchar url."),
            ),
            (
                "<Proxy",
                "/x timeout=5>",
                Some("<Proxy> arguments are not supported for non url."),
            ),
            (
                "<ProxyMatch",
                "^/x timeout=5>",
                Some("Multiple <ProxyMatch> arguments not (yet) supported."),
            ),
            (
                "<Proxy",
                "balancer://b nofailover=x>",
                Some("<Proxy failover must be On|Off nofailover=x; balancer://b"),
            ),
            (
                "<Proxy",
                "http://c/ timeout>",
                Some("Invalid Proxy parameter. Parameter must be in the form 'key=value'"),
            ),
            ("<Proxy", "proxy:unix:/a.sock|x>", None),
            (
                "<Proxy",
                "unix:/a.sock|x timeout=5>",
                Some("<Proxy/ProxyMatch > uses an invalid \"unix:\" URL"),
            ),
        ];
        let mut reg = ProxyRegistry::default();
        for (tag, args, expected) in cases {
            let got = reg.proxy_section_params(tag, args, 0, &env());
            assert_eq!(got.err().as_deref(), expected, "{tag} {args}");
        }
    }

    #[test]
    fn health_check_names_are_per_server() {
        let mut reg = ProxyRegistry::default();
        let env = ProxyModules {
            hcheck: true,
            ..env()
        };
        assert_eq!(
            reg.proxy_pass("/a http://b/ hcexpr=ok", false, TOP, &env)
                .unwrap_err(),
            "ProxyPass Unknown health check condition expr: ok"
        );
        reg.define_hc_expr(0, "ok");
        assert!(
            reg.proxy_pass("/a http://c/ hcexpr=ok", false, TOP, &env)
                .is_ok()
        );
    }

    #[test]
    fn many_workers_stay_linear() {
        let mut reg = ProxyRegistry::default();
        let started = std::time::Instant::now();
        for i in 0..30_000 {
            let line = format!("/a{i} http://backend/a{i}/ retry=0");
            assert!(matches!(pass(&mut reg, &line), Ok(Defined::Worker)));
        }
        // A longer URL under an existing worker shares it.
        assert!(matches!(
            pass(&mut reg, "/x http://backend/a7/deeper"),
            Ok(Defined::Shared { .. })
        ));
        for i in 0..30_000 {
            let line = format!("/b{i} balancer://pool{i}/");
            assert!(matches!(pass(&mut reg, &line), Ok(Defined::Balancer(_))));
        }
        assert!(started.elapsed().as_secs() < 10);
        assert_eq!(reg.workers(0).len(), 30_000);
        assert_eq!(reg.balancers(0).count(), 30_000);
    }

    #[test]
    fn longest_worker_name_wins() {
        let mut reg = ProxyRegistry::default();
        assert!(matches!(
            pass(&mut reg, "/a http://b/"),
            Ok(Defined::Worker)
        ));
        assert!(matches!(
            pass(&mut reg, "/c http://b:8080/"),
            Ok(Defined::Worker)
        ));
        assert!(matches!(
            pass(&mut reg, "/d http://b/app/"),
            Ok(Defined::Shared { .. })
        ));
        match pass(&mut reg, "/e http://B:8080/x") {
            Ok(Defined::Shared { existing, .. }) => assert_eq!(&*existing.name, "http://b:8080/"),
            other => panic!("{other:?}"),
        }
        // A different host is not a prefix match even when its text starts the same.
        assert!(matches!(
            pass(&mut reg, "/f http://bb/"),
            Ok(Defined::Worker)
        ));
        assert!(matches!(
            reg.proxy_pass("^/(.*)$ http://m/$1", true, TOP, &env()),
            Ok(Defined::Worker)
        ));
        assert!(matches!(
            reg.proxy_pass("^/z/(.*)$ http://m/$1", true, TOP, &env()),
            Ok(Defined::Shared { .. })
        ));
    }

    /// The list a server starts with and the trie it switches to past
    /// [`LISTED_WORKERS`] choose the same worker: the longest name, the first defined
    /// among equals, never one shorter than the URL's scheme://host[:port].
    #[test]
    fn listed_and_indexed_workers_match_alike() {
        let names = [
            "http://b/",
            "http://b/app/",
            "http://b/app/v2/",
            "http://b:8080/",
            "http://bb/",
            "http://c/x",
        ];
        let urls = [
            "http://b/app/v2/z",
            "http://B/app/v1",
            "http://b/other",
            "http://b:8080/app/",
            "http://bb/app/",
            "http://c/xyz",
            "http://c/",
            "http://d/",
        ];
        let found = |filler: usize| {
            let mut set = WorkerSet::default();
            for i in 0..filler {
                set.push(define_worker(&format!("http://filler{i}/"), false, "/run").unwrap());
            }
            for name in names {
                set.push(define_worker(name, false, "/run").unwrap());
            }
            // Defined again: the first definition keeps the name.
            set.push(define_worker("http://b/app/", false, "/run").unwrap());
            assert_eq!(set.trie.is_none(), set.prefix <= LISTED_WORKERS);
            urls.map(|u| {
                set.find(u, Mask::Both)
                    .map(|w| (w.name.to_string(), set.workers.iter().position(|x| x == w)))
            })
        };
        let listed = found(0);
        assert_eq!(
            listed.clone().map(|f| f.map(|(name, _)| name)),
            [
                Some("http://b/app/v2/".to_string()),
                Some("http://b/app/".to_string()),
                Some("http://b/".to_string()),
                Some("http://b:8080/".to_string()),
                Some("http://bb/".to_string()),
                Some("http://c/x".to_string()),
                None,
                None,
            ]
        );
        let indexed = found(20);
        for (l, i) in listed.iter().zip(&indexed) {
            assert_eq!(
                l.as_ref().map(|(n, at)| (n, at.map(|p| p + 20))),
                i.as_ref().map(|(n, at)| (n, *at))
            );
        }
    }

    #[test]
    fn ematch_is_bounded() {
        let name = "$1a".repeat(30) + "b";
        let url = "a".repeat(200);
        let mut budget = 100_000;
        assert_ne!(ematch(url.as_bytes(), name.as_bytes(), &mut budget), 0);
        let mut budget = 1000;
        assert_eq!(ematch(b"http://b/x/y", b"http://b/$1/y", &mut budget), 0);
    }

    #[test]
    fn fnmatch_test_like_apr() {
        assert!(fnmatch_test("/a*"));
        assert!(fnmatch_test("/a[bc]"));
        assert!(!fnmatch_test("/a[bc"));
        assert!(!fnmatch_test("/a\\*"));
        assert!(!fnmatch_test("/plain"));
    }
}
