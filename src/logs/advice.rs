//! Advice for one cluster: the status the client most likely saw, and the catalogue's
//! check commands with the cluster's upstream filled in. Shared by all printers.

use super::catalogue::{Cause, Server};
use super::report::Cluster;

/// The pieces of an upstream the check commands need.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Target {
    addr: String,
    host: Option<String>,
    /// The host when it is a name, not an IP literal (for DNS lookups).
    name: Option<String>,
    port: Option<String>,
    socket: Option<String>,
    url: Option<String>,
    group: Option<String>,
}

fn target(upstream: &str, scheme: &str) -> Target {
    let mut t = Target {
        addr: upstream.to_owned(),
        ..Target::default()
    };
    if let Some(path) = upstream.strip_prefix("unix:") {
        t.socket = Some(path.to_owned());
        return t;
    }
    if upstream.starts_with('/') {
        t.socket = Some(upstream.to_owned());
        return t;
    }
    if let Some(name) = upstream.strip_prefix("balancer://") {
        t.group = Some(name.to_owned());
        return t;
    }
    let (host, port) = match upstream.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()) => (h, Some(p)),
        _ => (upstream, None),
    };
    if host.is_empty() || host == "(other)" {
        return t;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    t.host = Some(bare.to_owned());
    if bare.parse::<std::net::IpAddr>().is_err() {
        t.name = Some(bare.to_owned());
    }
    t.port = port.map(str::to_owned);
    if port.is_none() {
        // nginx logs an upstream group by its name (`http://backend/`): no URL to try.
        t.group = Some(host.to_owned());
        return t;
    }
    let web = matches!(scheme, "" | "http" | "https");
    if web {
        let s = if scheme.is_empty() { "http" } else { scheme };
        t.url = Some(format!("{s}://{upstream}/"));
    }
    t
}

/// The check commands with placeholders filled; commands whose placeholder does not apply
/// to this upstream are left out.
pub fn checks(cause: &Cause, cluster: &Cluster) -> Vec<String> {
    let t = target(&cluster.upstream, &cluster.scheme);
    cause
        .advice
        .checks
        .iter()
        .filter_map(|c| fill(c, &t))
        .collect()
}

fn fill(template: &str, t: &Target) -> Option<String> {
    let mut out = template.to_owned();
    let fields: [(&str, Option<&String>); 7] = [
        ("{addr}", Some(&t.addr)),
        ("{host}", t.host.as_ref()),
        ("{name}", t.name.as_ref()),
        ("{port}", t.port.as_ref()),
        ("{socket}", t.socket.as_ref()),
        ("{url}", t.url.as_ref()),
        ("{group}", t.group.as_ref()),
    ];
    for (name, value) in fields {
        if out.contains(name) {
            out = out.replace(name, value?);
        }
    }
    Some(out)
}

/// What the client most likely saw for a cluster's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSaw {
    Status(u16),
    /// It varies (app errors), or no response was involved (peer-marked-down).
    Varies,
    /// No client: nginx logged the lines while reading its configuration, where an
    /// `[emerg]` stops a start or a reload (the old configuration keeps serving).
    NoRequest,
}

impl ClientSaw {
    /// The status, when one is known.
    pub fn status(self) -> Option<u16> {
        match self {
            ClientSaw::Status(s) => Some(s),
            ClientSaw::Varies | ClientSaw::NoRequest => None,
        }
    }
}

impl std::fmt::Display for ClientSaw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientSaw::Status(s) => write!(f, "{s}"),
            ClientSaw::Varies => f.write_str("varies"),
            ClientSaw::NoRequest => f.write_str(
                "nothing: nginx logged this while loading its configuration (at [emerg], the start or reload failed)",
            ),
        }
    }
}

/// What the client most likely saw for a cluster: the cause's status on the server that
/// wrote the log, or no client at all for lines logged while loading the configuration.
pub fn client_saw(cause: &Cause, cluster: &Cluster) -> ClientSaw {
    if cluster.config_time {
        return ClientSaw::NoRequest;
    }
    let status = match cluster.source {
        Server::Nginx => cause.advice.status_nginx,
        Server::Apache => cause.advice.status_apache,
    };
    status.map_or(ClientSaw::Varies, ClientSaw::Status)
}

/// The configuration directives involved, for the server that wrote the log.
pub fn directives(cause: &Cause, source: Server) -> &[String] {
    match source {
        Server::Nginx => &cause.advice.directives_nginx,
        Server::Apache => &cause.advice.directives_apache,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_per_upstream_kind() {
        let tcp = target("127.0.0.1:8080", "http");
        assert_eq!(
            fill("ss -ltnp 'sport = :{port}'", &tcp).as_deref(),
            Some("ss -ltnp 'sport = :8080'")
        );
        assert_eq!(
            fill("curl -v {url}", &tcp).as_deref(),
            Some("curl -v http://127.0.0.1:8080/")
        );
        assert_eq!(fill("ls -l {socket}", &tcp), None);
        let unix = target("unix:/run/php/php8.2-fpm.sock", "fastcgi");
        assert_eq!(
            fill("ls -l {socket}", &unix).as_deref(),
            Some("ls -l /run/php/php8.2-fpm.sock")
        );
        assert_eq!(fill("curl -v {url}", &unix), None);
        let fcgi = target("127.0.0.1:9000", "fastcgi");
        assert_eq!(fill("curl -v {url}", &fcgi), None);
        assert_eq!(fill("getent ahosts {name}", &fcgi), None);
        let group = target("backend", "http");
        assert_eq!(fill("curl -v {url}", &group), None);
        assert_eq!(fill("dig {name}", &group).as_deref(), Some("dig backend"));
        let v6 = target("[2001:db8::1]:80", "http");
        assert_eq!(
            fill("ip route get {host}", &v6).as_deref(),
            Some("ip route get 2001:db8::1")
        );
    }
}
