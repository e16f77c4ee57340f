//! ## What it does
//! Reports a unix socket that is probably not the one the backend creates:
//! - the configuration uses two versions of the same socket (`php7.4-fpm.sock` in one
//!   place, `php8.2-fpm.sock` in another): after an upgrade only the new one exists;
//! - when the backends' addresses are declared (`backends = [...]` in
//!   `proxylint.toml`), a socket none of them creates, with the closest declared path.
//!
//! ## Why does this cause 502/504?
//! nginx connects to a path nobody listens on: **502 Bad Gateway** with `connect() to
//! unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory)`. It is the most
//! common 502 after a PHP upgrade (the pool's socket name carries the version) or a
//! rename of a systemd socket.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ \.php$ {
//!         fastcgi_pass unix:/run/php/php7.4-fpm.sock;
//!     }
//!     location /admin/ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! server {
//!     listen 80;
//!     location ~ \.php$ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//!     location /admin/ {
//!         fastcgi_pass unix:/run/php/php8.2-fpm.sock;
//!     }
//! }
//! ```
//!
//! Only sockets nginx can send requests to count: a `*_pass` to the socket, a `server`
//! of an upstream group some pass names, or a value a `map` (or `set`) can give the
//! variable of a `*_pass $backend;`. An upstream group left over from the old version
//! that no pass names and no map value selects receives no traffic, so it is not
//! reported (NGX117 reports the unused group).
//!
//! ## Exceptions
//! Two PHP versions installed side by side on purpose (one pool per version) are fine:
//! suppress the finding on the older one. A map entry counts as selectable unless the
//! map's source has known values (`set $php_version 8.2;`) that pick other entries.
//!
//! ## References
//! - <https://www.php.net/manual/en/install.fpm.configuration.php> (`listen`)

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::Config;
use crate::nginx::model::upstreams::Family;
use crate::nginx::url::{ParseOptions, Piece, host_pieces, parse_addr};
use crate::rules::{Check, Reads, Rule};
use crate::workspace::Workspace;
use crate::settings::Settings;
use crate::source::Span;

pub const RULE: Rule = Rule {
    code: "NGX107",
    name: "socket-path-mismatch",
    severity: Severity::Warning,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// A path with its dotted version numbers (`7.4`, `3.11`) replaced, and those versions:
/// sockets that differ only by such a version share the shape. Plain numbers (`app1`,
/// `unix.sock.3`) are instances, not versions.
fn shape(path: &str) -> (String, Vec<Vec<u64>>) {
    static VERSION: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // ASCII digits: versions are written so, and Unicode `\d` compiles to an automaton
    // that cost a small run a sixth of its page faults.
    let version =
        VERSION.get_or_init(|| regex::Regex::new(r"[0-9]+(?:\.[0-9]+)+").expect("a valid pattern"));
    let mut versions = Vec::new();
    let shape = version
        .replace_all(path, |c: &regex::Captures| {
            versions.push(
                c[0].split('.')
                    .map(|n| n.parse().unwrap_or(u64::MAX))
                    .collect(),
            );
            "#"
        })
        .into_owned();
    (shape, versions)
}

/// Every unix socket nginx can send requests to, with the word naming it, in reading
/// order: literal passes, servers of the upstream groups a pass can select, and the
/// values of the variables passes use.
fn reachable_sockets(config: &Config) -> Vec<(Span, String)> {
    let index = config.index();
    let mut sockets = Vec::new();
    // Group names (family, lower case) a variable pass can give; `None` for a family
    // whose variable passes can give any name.
    let mut named: HashMap<Family, Option<HashSet<String>>> = HashMap::default();
    let socket = |value: &str| {
        parse_addr(value, ParseOptions::default())
            .ok()
            .filter(|a| a.unix)
            .map(|a| a.host)
    };
    for pass in &index.passes {
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        if let Some(target) = pass.target.as_ref().filter(|t| t.addr.unix) {
            sockets.push((d.args[0].span, target.addr.host.clone()));
        }
        if !pass.has_variables {
            continue;
        }
        let values = match host_pieces(&pass.value).as_slice() {
            [Piece::Variable(name)] => config.variable_values(name),
            _ => None,
        };
        let Some(values) = values else {
            named.insert(pass.family, None);
            continue;
        };
        for (value, span) in values {
            // `fastcgi_pass $sock;` gives the whole address, `proxy_pass http://$b` a host.
            if let Some(path) = socket(&value) {
                sockets.push((span, path));
            } else if let Some(names) = named
                .entry(pass.family)
                .or_insert_with(|| Some(HashSet::default()))
            {
                names.insert(value.to_ascii_lowercase());
            }
        }
    }
    for (i, upstream) in index.upstreams.iter().enumerate() {
        let selected = index.passes_to(i).next().is_some()
            || named.get(&upstream.family).is_some_and(|names| {
                names
                    .as_ref()
                    .is_none_or(|n| n.contains(&upstream.name.to_ascii_lowercase()))
            });
        if !selected {
            continue;
        }
        for server in upstream.servers.iter().filter(|s| s.addr.unix) {
            if let Some(d) = config.tree.directive(server.id) {
                sockets.push((d.args[0].span, server.addr.host.clone()));
            }
        }
    }
    sockets.sort_by_key(|(span, _)| config.sources.load_order(*span));
    sockets
}

fn check(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let sockets = reachable_sockets(config);
    let declared: Vec<&str> = settings
        .backends
        .iter()
        .filter_map(|b| b.strip_prefix("unix:"))
        .collect();
    // The newest version of each shape, computed once per distinct path: comparing
    // every socket with every other was quadratic (25,000 sites: 5 s).
    let mut shapes: HashMap<&str, (String, Vec<Vec<u64>>)> = HashMap::default();
    for (_, path) in &sockets {
        shapes.entry(path.as_str()).or_insert_with(|| shape(path));
    }
    let mut newest: HashMap<&str, (&Vec<Vec<u64>>, Span, &str)> = HashMap::default();
    for (span, path) in &sockets {
        let (form, version) = &shapes[path.as_str()];
        if version.is_empty() {
            continue;
        }
        let entry = newest
            .entry(form.as_str())
            .or_insert((version, *span, path.as_str()));
        if version > entry.0 {
            *entry = (version, *span, path.as_str());
        }
    }
    for (span, path) in &sockets {
        if !declared.is_empty() && !declared.contains(&path.as_str()) {
            let closest = declared
                .iter()
                .min_by_key(|c| strsim::levenshtein(c, path))
                .copied()
                .unwrap_or_default();
            out.push(
                RULE.diagnostic(format!("no declared backend listens on unix:{path}"), *span)
                    .with_help(format!("did you mean unix:{closest}?")),
            );
            continue;
        }
        let (form, version) = &shapes[path.as_str()];
        let Some(&(newer_version, newer_span, newer)) = newest.get(form.as_str()) else {
            continue;
        };
        if version.is_empty() || newer_version <= version {
            continue;
        }
        out.push(
            RULE.diagnostic(
                format!("socket {path} looks like an older version of {newer}, also used here"),
                *span,
            )
            .with_related(newer_span, "the newer socket")
            .with_help(format!(
                "after an upgrade only one of them exists (check `ls -l {path} {newer}`); point both at the running backend"
            )),
        );
    }
    out
}
