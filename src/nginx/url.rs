//! nginx's address parser (`ngx_parse_url`, src/core/ngx_inet.c) for `*_pass`, upstream
//! `server` and `listen` values, with the same errors, plus the scheme handling of the
//! `*_pass` directives.

/// A parsed address: `host[:port][/uri]`, `[v6]:port`, `unix:/path[:uri]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    /// Host name or IP (brackets removed for IPv6), or the socket path for `unix:`.
    pub host: String,
    pub port: Option<u16>,
    pub unix: bool,
    /// The URI part (from the first `/` or `?` after the host, or after `unix:/path:`).
    pub uri: Option<String>,
}

/// What `ngx_parse_url` is asked to accept.
#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    /// `listen`: a bare number is a port, `*` is the wildcard host.
    pub listen: bool,
    /// `proxy_pass`: a URI part may follow the address.
    pub uri_part: bool,
}

/// `ngx_parse_url`; the error is nginx's `u->err` text ("invalid port", "no host"...).
pub fn parse_addr(url: &str, opts: ParseOptions) -> Result<Addr, &'static str> {
    if url.len() >= 5 && url[..5].eq_ignore_ascii_case("unix:") {
        return parse_unix(&url[5..], opts);
    }
    if url.starts_with('[') {
        return parse_inet6(url, opts);
    }
    parse_inet(url, opts)
}

fn parse_unix(rest: &str, opts: ParseOptions) -> Result<Addr, &'static str> {
    let (path, uri) = match rest.find(':').filter(|_| opts.uri_part) {
        Some(at) => (&rest[..at], Some(rest[at + 1..].to_string())),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err("no path in the unix domain socket");
    }
    // sizeof(sun_path) on Linux, including the terminating NUL.
    if path.len() + 1 > 108 {
        return Err("too long path in the unix domain socket");
    }
    Ok(Addr {
        host: path.to_string(),
        port: None,
        unix: true,
        uri,
    })
}

/// `listen` takes a port range (`8000-8010`); the first port stands for it here.
fn parse_listen_port(text: &str) -> Result<u16, &'static str> {
    match text.split_once('-') {
        Some((first, last)) => {
            let (a, b) = (parse_port(first)?, parse_port(last)?);
            if a > b {
                return Err("invalid port");
            }
            Ok(a)
        }
        None => parse_port(text),
    }
}

fn parse_port(text: &str) -> Result<u16, &'static str> {
    match super::values::atoi(text) {
        Some(n) if (1..=65535).contains(&n) => Ok(n as u16),
        _ => Err("invalid port"),
    }
}

fn split_uri(url: &str, opts: ParseOptions) -> Result<(&str, Option<String>), &'static str> {
    let uri_at = match (url.find('/'), url.find('?')) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match uri_at {
        Some(at) => {
            if opts.listen || !opts.uri_part {
                return Err("invalid host");
            }
            Ok((&url[..at], Some(url[at..].to_string())))
        }
        None => Ok((url, None)),
    }
}

fn parse_inet(url: &str, opts: ParseOptions) -> Result<Addr, &'static str> {
    let (hostport, uri) = split_uri(url, opts)?;
    let port_of = |text: &str| {
        if opts.listen {
            parse_listen_port(text)
        } else {
            parse_port(text)
        }
    };
    let (host, port) = match hostport.find(':') {
        Some(at) => (&hostport[..at], Some(port_of(&hostport[at + 1..])?)),
        None => {
            if opts.listen
                && uri.is_none()
                && let Some(n) = super::values::atoi(hostport)
            {
                if !(1..=65535).contains(&n) {
                    return Err("invalid port");
                }
                return Ok(Addr {
                    host: "*".into(),
                    port: Some(n as u16),
                    unix: false,
                    uri: None,
                });
            }
            (hostport, None)
        }
    };
    if host.is_empty() {
        return Err("no host");
    }
    Ok(Addr {
        host: host.to_string(),
        port,
        unix: false,
        uri,
    })
}

fn parse_inet6(url: &str, opts: ParseOptions) -> Result<Addr, &'static str> {
    let Some(close) = url.find(']') else {
        return Err("invalid host");
    };
    let host = &url[1..close];
    let rest = &url[close + 1..];
    let (port_part, uri) = match rest.find(['/', '?']) {
        Some(at) => {
            if opts.listen || !opts.uri_part {
                return Err("invalid host");
            }
            (&rest[..at], Some(rest[at..].to_string()))
        }
        None => (rest, None),
    };
    let port = match port_part.strip_prefix(':') {
        Some(p) => Some(if opts.listen {
            parse_listen_port(p)?
        } else {
            parse_port(p)?
        }),
        None if port_part.is_empty() => None,
        None => return Err("invalid port"),
    };
    if host.is_empty() || host.parse::<std::net::Ipv6Addr>().is_err() {
        return Err("invalid IPv6 address");
    }
    Ok(Addr {
        host: host.to_string(),
        port,
        unix: false,
        uri,
    })
}

/// Whether a host is an IP address literal (no name resolution needed).
pub fn is_ip(host: &str) -> bool {
    host.parse::<std::net::IpAddr>().is_ok()
}

/// A piece of a value with variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Literal(&'a str),
    /// A variable's name (without `$` and braces).
    Variable(&'a str),
}

/// Splits a value into literal text and `$name` / `${name}` variables.
pub fn pieces(value: &str) -> Vec<Piece<'_>> {
    let b = value.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut lit) = (0, 0);
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let (start, end, next) = if b.get(i + 1) == Some(&b'{') {
            let close = value[i..].find('}').map_or(b.len(), |c| i + c);
            (i + 2, close, (close + 1).min(b.len()))
        } else {
            let len = b[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            (i + 1, i + 1 + len, i + 1 + len)
        };
        if end == start {
            i += 1;
            continue;
        }
        if lit < i {
            out.push(Piece::Literal(&value[lit..i]));
        }
        out.push(Piece::Variable(&value[start..end]));
        i = next;
        lit = next;
    }
    if lit < b.len() {
        out.push(Piece::Literal(&value[lit..]));
    }
    out
}

/// The pieces of a `*_pass` value that make its host: after the scheme, up to the
/// port, the URI (a `/`, `?` or a variable such as `$request_uri`) or the end.
pub fn host_pieces(value: &str) -> Vec<Piece<'_>> {
    // `http:/$uri`: the whole address, host included, comes from one variable.
    if !value.contains("://")
        && let Some(at) = value.find(":/")
        && value[at + 2..].starts_with('$')
    {
        return pieces(&value[at + 2..]).into_iter().take(1).collect();
    }
    let rest = value.find("://").map_or(value, |at| &value[at + 3..]);
    let mut host = Vec::new();
    for piece in pieces(rest) {
        match piece {
            // Variables that expand to the request's URI start the URI part.
            Piece::Variable(
                "request_uri" | "uri" | "document_uri" | "is_args" | "args" | "query_string",
            ) => break,
            Piece::Variable(_) => host.push(piece),
            Piece::Literal(text) => match text.find(['/', '?', ':']) {
                Some(0) => break,
                Some(at) => {
                    host.push(Piece::Literal(&text[..at]));
                    break;
                }
                None => host.push(piece),
            },
        }
    }
    host
}

/// Whether a value holds nginx variables (`$name`, `${name}`), which defer its parsing
/// to request time.
pub fn has_variables(value: &str) -> bool {
    let b = value.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && b.get(i + 1)
                .is_some_and(|&n| n == b'{' || n.is_ascii_alphanumeric() || n == b'_')
    })
}

/// The scheme prefixes a `*_pass` directive accepts (matched case-insensitively), with
/// their default ports; an empty prefix means "no scheme".
pub fn pass_schemes(directive: &str) -> &'static [(&'static str, Option<u16>)] {
    match directive {
        "proxy_pass" => &[("http://", Some(80)), ("https://", Some(443))],
        "uwsgi_pass" => &[("uwsgi://", None), ("suwsgi://", None), ("", None)],
        "grpc_pass" => &[("grpc://", None), ("grpcs://", None), ("", None)],
        _ => &[("", None)],
    }
}

/// A `*_pass` target: scheme and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassTarget {
    /// Lowercase scheme without `://` (`http`, `https`, `grpcs`...), empty when none.
    pub scheme: &'static str,
    pub addr: Addr,
}

/// Parses a `*_pass` value (without variables) as nginx's pass handler does; the error is
/// the message nginx prints.
pub fn parse_pass(directive: &str, value: &str) -> Result<PassTarget, String> {
    let Some(&(prefix, _)) = pass_schemes(directive).iter().find(|(p, _)| {
        value
            .as_bytes()
            .get(..p.len())
            .is_some_and(|v| v.eq_ignore_ascii_case(p.as_bytes()))
    }) else {
        return Err(format!("invalid URL prefix in \"{value}\""));
    };
    let rest = &value[prefix.len()..];
    let opts = ParseOptions {
        listen: false,
        uri_part: directive == "proxy_pass",
    };
    let addr = parse_addr(rest, opts).map_err(|e| format!("{e} in upstream \"{rest}\""))?;
    Ok(PassTarget {
        scheme: prefix.trim_end_matches("://"),
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_targets() {
        let t = parse_pass("proxy_pass", "http://127.0.0.1:8080/api/").unwrap();
        assert_eq!(
            (t.scheme, t.addr.port, t.addr.uri.as_deref()),
            ("http", Some(8080), Some("/api/"))
        );
        let t = parse_pass("proxy_pass", "http://unix:/run/app.sock:/x").unwrap();
        assert!(t.addr.unix);
        assert_eq!(
            (t.addr.host.as_str(), t.addr.uri.as_deref()),
            ("/run/app.sock", Some("/x"))
        );
        let t = parse_pass("fastcgi_pass", "unix:/run/php/php8.2-fpm.sock").unwrap();
        assert_eq!(t.addr.host, "/run/php/php8.2-fpm.sock");
        assert_eq!(
            parse_pass("proxy_pass", "127.0.0.1:8080").unwrap_err(),
            "invalid URL prefix in \"127.0.0.1:8080\""
        );
        assert_eq!(
            parse_pass("proxy_pass", "http://:80").unwrap_err(),
            "no host in upstream \":80\""
        );
        assert_eq!(
            parse_pass("proxy_pass", "http://a:99999").unwrap_err(),
            "invalid port in upstream \"a:99999\""
        );
        assert_eq!(
            parse_pass("fastcgi_pass", "a:9000/x").unwrap_err(),
            "invalid host in upstream \"a:9000/x\""
        );
        let t = parse_pass("proxy_pass", "HTTPS://[::1]:8443").unwrap();
        assert_eq!(
            (t.scheme, t.addr.host.as_str(), t.addr.port),
            ("https", "::1", Some(8443))
        );
    }

    #[test]
    fn listen_addresses() {
        let l = ParseOptions {
            listen: true,
            uri_part: false,
        };
        assert_eq!(parse_addr("80", l).unwrap().port, Some(80));
        assert_eq!(parse_addr("127.0.0.1:8080", l).unwrap().host, "127.0.0.1");
        assert_eq!(parse_addr("0", l).unwrap_err(), "invalid port");
        assert_eq!(parse_addr("[::]:443", l).unwrap().port, Some(443));
    }

    #[test]
    fn variables() {
        assert!(has_variables("http://$host"));
        assert!(has_variables("http://${a}b"));
        assert!(!has_variables("http://a/$"));
    }
}
