//! Facts the rules of both dialects use about backends: which hosts are the loopback
//! name, which directories systemd makes private, what a URL's host and port are.
//! Dialect-neutral: strings in, answers out.

/// `localhost`: resolves to `::1` and `127.0.0.1`, and a backend listening on one
/// refuses the other (NGX108, APA108).
pub fn is_localhost(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
}

/// A socket path under /tmp or /var/tmp: systemd's PrivateTmp gives each service its own
/// (NGX106, APA109).
pub fn in_private_tmp(path: &str) -> bool {
    path.starts_with("/tmp/") || path.starts_with("/var/tmp/")
}

/// The host and port of `scheme://host[:port][/path]` (IPv6 in brackets); the scheme's
/// default port when none is written, `None` for a scheme without one.
pub fn host_port(url: &str) -> Option<(&str, Option<u16>)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse().ok()?),
        None => default_port(scheme),
    };
    Some((host, port))
}

/// The port a scheme's URL means when it names none.
pub fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" | "h2c" => 80,
        "https" | "wss" | "h2" => 443,
        "ajp" => 8009,
        "fcgi" => 8000,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_port("http://a:81/x"), Some(("a", Some(81))));
        assert_eq!(host_port("https://a/x"), Some(("a", Some(443))));
        assert_eq!(host_port("http://[::1]:3000/"), Some(("::1", Some(3000))));
        assert_eq!(
            host_port("fcgi://127.0.0.1:9000/srv"),
            Some(("127.0.0.1", Some(9000)))
        );
        assert_eq!(host_port("balancer://app/"), Some(("app", None)));
        assert_eq!(host_port("http://a:port/"), None);
        assert_eq!(host_port("no-scheme"), None);
    }
}
