//! What nginx's set-handlers refuse in a directive's parameters: the standard slots
//! (`ngx_conf_set_*_slot`, driven by the kind in the directive table) and the module
//! handlers of the directives real configurations use most (`listen`, `return`,
//! `*_pass`, upstream `server`, `if`, `rewrite`...). Messages are nginx's.

use super::ast::Word;
use super::grammar::{DirectiveDef, Kind, Version};
use super::url::{ParseOptions, has_variables, parse_addr, parse_pass};
use super::values::{atoi, parse_offset, parse_size, parse_time};

/// A refused parameter: which argument (index into the directive's arguments) and
/// nginx's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub arg: usize,
    pub message: String,
    pub help: Option<String>,
}

fn invalid(arg: usize, message: String) -> Option<Invalid> {
    Some(Invalid {
        arg,
        message,
        help: None,
    })
}

fn directive_invalid(name: &str, arg: usize) -> Option<Invalid> {
    invalid(arg, format!("\"{name}\" directive invalid value"))
}

/// Checks the parameters of a well-formed directive (known, allowed, right count).
pub fn check(
    def: &DirectiveDef,
    context: &str,
    args: &[Word],
    version: Version,
) -> Option<Invalid> {
    let name = def.name;
    let value = |i: usize| args.get(i).map_or("", |w| &*w.value);
    match &def.kind {
        Kind::Flag => {
            let v = value(0);
            if !v.eq_ignore_ascii_case("on") && !v.eq_ignore_ascii_case("off") {
                return Some(Invalid {
                    arg: 0,
                    message: format!(
                        "invalid value \"{v}\" in \"{name}\" directive, it must be \"on\" or \"off\""
                    ),
                    help: Some(format!("write `{name} on;` or `{name} off;`")),
                });
            }
            None
        }
        Kind::Msec | Kind::Sec => {
            if parse_time(value(0), def.kind == Kind::Sec).is_none() {
                return Some(Invalid {
                    arg: 0,
                    message: format!("\"{name}\" directive invalid value"),
                    help: Some(time_help(def.kind == Kind::Sec)),
                });
            }
            None
        }
        Kind::Size => parse_size(value(0))
            .is_none()
            .then(|| size_invalid(name, 0))
            .flatten(),
        Kind::Off => parse_offset(value(0))
            .is_none()
            .then(|| size_invalid(name, 0))
            .flatten(),
        Kind::SizeOrVar => (!has_variables(value(0)) && parse_size(value(0)).is_none())
            .then(|| size_invalid(name, 0))
            .flatten(),
        Kind::Num => atoi(value(0))
            .is_none()
            .then(|| invalid(0, format!("\"{name}\" directive invalid number")))
            .flatten(),
        Kind::Enum(values) => {
            let v = value(0);
            if values.is_empty() || values.iter().any(|e| e.eq_ignore_ascii_case(v)) {
                return None;
            }
            Some(Invalid {
                arg: 0,
                message: format!("invalid value \"{v}\""),
                help: Some(format!("\"{name}\" accepts: {}", values.join(", "))),
            })
        }
        Kind::Bitmask(values) => {
            if values.is_empty() {
                return None;
            }
            let (i, v) = args
                .iter()
                .enumerate()
                .find(|(_, w)| !values.iter().any(|e| e.eq_ignore_ascii_case(&w.value)))?;
            Some(Invalid {
                arg: i,
                message: format!("invalid value \"{}\"", v.value),
                help: Some(format!("\"{name}\" accepts: {}", values.join(", "))),
            })
        }
        Kind::Bufs => {
            if atoi(value(0)).is_none_or(|n| n <= 0) {
                return directive_invalid(name, 0);
            }
            if parse_size(value(1)).is_none_or(|n| n <= 0) {
                return size_invalid(name, 1);
            }
            None
        }
        Kind::Path => {
            let mut total: i64 = 0;
            for (i, level) in args.iter().enumerate().skip(1) {
                match atoi(&level.value) {
                    // Saturating: a level of i64::MAX must read as too deep, not overflow.
                    Some(n @ 1..) => total = total.saturating_add(n.saturating_add(1)),
                    _ => return directive_invalid(name, i),
                }
            }
            (total > 10 + (args.len() as i64 - 1))
                .then(|| directive_invalid(name, 1))
                .flatten()
        }
        Kind::Access => args.iter().enumerate().find_map(|(i, w)| {
            let ok = ["user:", "group:", "all:"].iter().any(|p| {
                w.value
                    .strip_prefix(p)
                    .is_some_and(|r| r == "r" || r == "rw")
            });
            (!ok)
                .then(|| invalid(i, format!("invalid value \"{}\"", w.value)))
                .flatten()
        }),
        Kind::Custom => custom(name, context, args, version),
        Kind::Str | Kind::Strs | Kind::Keyval | Kind::Obsolete => None,
    }
}

fn time_help(is_sec: bool) -> String {
    if is_sec {
        "a time in seconds: a number with units y M w d h m s from largest to smallest (`1h30m`, `90s`, `90`)".into()
    } else {
        "a time: a number with units d h m s ms from largest to smallest (`1m30s`, `500ms`, `60` for seconds)".into()
    }
}

fn size_invalid(name: &str, arg: usize) -> Option<Invalid> {
    Some(Invalid {
        arg,
        message: format!("\"{name}\" directive invalid value"),
        help: Some("a size: a number of bytes with an optional k or m suffix (`16k`, `1m`)".into()),
    })
}

/// Handlers of directives whose values have their own grammar.
fn custom(name: &str, context: &str, args: &[Word], version: Version) -> Option<Invalid> {
    match name {
        "listen" if context == "http>server" => listen(args, version, HTTP_LISTEN),
        "listen" if context == "stream>server" => listen(args, version, STREAM_LISTEN),
        "return" if context.starts_with("http") => http_return(args),
        "proxy_pass" | "fastcgi_pass" | "uwsgi_pass" | "scgi_pass" | "grpc_pass"
        | "memcached_pass"
            if context.starts_with("http") =>
        {
            pass(name, args)
        }
        "proxy_pass" if context.starts_with("stream") => stream_pass(args),
        "server" if context == "http>upstream" || context == "stream>upstream" => {
            upstream_server(args, version, context)
        }
        "keepalive" if context == "http>upstream" => {
            if atoi(&args[0].value).is_none_or(|n| n <= 0) {
                return invalid(
                    0,
                    format!(
                        "invalid value \"{}\" in \"keepalive\" directive",
                        args[0].value
                    ),
                );
            }
            match args.get(1) {
                Some(w) if &*w.value != "local" => {
                    invalid(1, format!("invalid parameter \"{}\"", w.value))
                }
                _ => None,
            }
        }
        "if" => if_condition(args),
        "rewrite" => match args.get(2) {
            Some(w) if !matches!(&*w.value, "last" | "break" | "redirect" | "permanent") => {
                invalid(2, format!("invalid parameter \"{}\"", w.value))
            }
            _ => None,
        },
        "add_header" | "add_trailer" => match args.get(2) {
            Some(w) if &*w.value != "always" => {
                invalid(2, format!("invalid parameter \"{}\"", w.value))
            }
            _ => None,
        },
        "worker_processes" => {
            let v = &*args[0].value;
            (v != "auto" && atoi(v).is_none())
                .then(|| directive_invalid(name, 0))
                .flatten()
        }
        "location" => location(args),
        "set" if context.starts_with("http") || context.starts_with("stream") => {
            let v = &*args[0].value;
            (!v.starts_with('$'))
                .then(|| invalid(0, format!("invalid variable name \"{v}\"")))
                .flatten()
        }
        "error_page" => error_page(args),
        "error_log" => error_log_levels(args),
        "access_log" if context.starts_with("http") => access_log_params(args),
        "worker_connections" => atoi(&args[0].value)
            .is_none()
            .then(|| invalid(0, format!("invalid number \"{}\"", args[0].value)))
            .flatten(),
        "proxy_cache_valid" | "fastcgi_cache_valid" | "uwsgi_cache_valid" | "scgi_cache_valid" => {
            cache_valid(args)
        }
        "expires" => expires(args),
        "limit_except" => args.iter().enumerate().find_map(|(i, w)| {
            const METHODS: &[&str] = &[
                "GET",
                "HEAD",
                "POST",
                "PUT",
                "DELETE",
                "MKCOL",
                "COPY",
                "MOVE",
                "OPTIONS",
                "PROPFIND",
                "PROPPATCH",
                "LOCK",
                "UNLOCK",
                "PATCH",
            ];
            (!METHODS.iter().any(|m| m.eq_ignore_ascii_case(&w.value)))
                .then(|| invalid(i, format!("invalid method \"{}\"", w.value)))
                .flatten()
        }),
        // With one argument these take only a keyword.
        "proxy_redirect" if args.len() == 1 && !matches!(&*args[0].value, "default" | "off") => {
            invalid(0, format!("invalid parameter \"{}\"", args[0].value))
        }
        "proxy_cookie_path" | "proxy_cookie_domain"
            if args.len() == 1 && &*args[0].value != "off" =>
        {
            invalid(0, format!("invalid parameter \"{}\"", args[0].value))
        }
        "fastcgi_param" | "uwsgi_param" | "scgi_param" => match args.get(2) {
            Some(w) if &*w.value != "if_not_empty" => {
                invalid(2, format!("invalid parameter \"{}\"", w.value))
            }
            _ => None,
        },
        "zone" if context.ends_with("upstream") => match args.get(1) {
            Some(size) if parse_size(&size.value).is_none() => {
                invalid(1, format!("invalid zone size \"{}\"", size.value))
            }
            // nginx wants at least 8 pages.
            Some(size) if parse_size(&size.value).is_some_and(|s| s < 8 * 4096) => {
                invalid(1, format!("zone \"{}\" is too small", args[0].value))
            }
            _ => None,
        },
        "proxy_cache_path" | "fastcgi_cache_path" | "uwsgi_cache_path" | "scgi_cache_path" => {
            cache_path(name, args)
        }
        "limit_conn" => match atoi(&args[1].value) {
            Some(n) if n > 0 => None,
            _ => invalid(
                1,
                format!("invalid number of connections \"{}\"", args[1].value),
            ),
        },
        _ => None,
    }
}

/// `listen` parameters: (name, takes `=value`, first version).
type ListenParams = &'static [(&'static str, bool, Version)];

const ANY: Version = Version(0, 0, 0);

const HTTP_LISTEN: ListenParams = &[
    ("default_server", false, ANY),
    ("default", false, ANY),
    ("ssl", false, ANY),
    ("http2", false, ANY),
    ("spdy", false, ANY),
    ("quic", false, Version(1, 25, 0)),
    ("proxy_protocol", false, ANY),
    ("setfib", true, ANY),
    ("fastopen", true, ANY),
    ("backlog", true, ANY),
    ("rcvbuf", true, ANY),
    ("sndbuf", true, ANY),
    ("accept_filter", true, ANY),
    ("deferred", false, ANY),
    ("bind", false, ANY),
    ("ipv6only", true, ANY),
    ("reuseport", false, ANY),
    ("so_keepalive", true, ANY),
    ("multipath", false, Version(1, 29, 0)),
];

const STREAM_LISTEN: ListenParams = &[
    ("default_server", false, Version(1, 25, 5)),
    ("ssl", false, ANY),
    ("udp", false, ANY),
    ("proxy_protocol", false, ANY),
    ("setfib", true, ANY),
    ("fastopen", true, ANY),
    ("backlog", true, ANY),
    ("rcvbuf", true, ANY),
    ("sndbuf", true, ANY),
    ("accept_filter", true, ANY),
    ("deferred", false, ANY),
    ("bind", false, ANY),
    ("ipv6only", true, ANY),
    ("reuseport", false, ANY),
    ("so_keepalive", true, ANY),
    ("multipath", false, Version(1, 29, 0)),
];

fn listen(args: &[Word], version: Version, params: ListenParams) -> Option<Invalid> {
    let addr = &*args[0].value;
    if !has_variables(addr)
        && let Err(e) = parse_addr(
            addr,
            ParseOptions {
                listen: true,
                uri_part: false,
            },
        )
    {
        return invalid(0, format!("{e} in \"{addr}\" of the \"listen\" directive"));
    }
    for (i, w) in args.iter().enumerate().skip(1) {
        let (key, has_value) = match w.value.split_once('=') {
            Some((k, _)) => (k, true),
            None => (&*w.value, false),
        };
        let known = params
            .iter()
            .any(|&(p, takes, since)| p == key && takes == has_value && version >= since);
        if !known {
            return invalid(i, format!("invalid parameter \"{}\"", w.value));
        }
    }
    None
}

fn http_return(args: &[Word]) -> Option<Invalid> {
    let v = &*args[0].value;
    match atoi(v) {
        Some(n) if n <= 999 => None,
        Some(_) => invalid(0, format!("invalid return code \"{v}\"")),
        None if args.len() == 1
            && (v.starts_with("http://") || v.starts_with("https://") || v.starts_with("$scheme")) =>
        {
            None
        }
        None => Some(Invalid {
            arg: 0,
            message: format!("invalid return code \"{v}\""),
            help: Some("`return` takes a status code (`return 301 https://$host$request_uri;`) or a single URL".into()),
        }),
    }
}

fn pass(name: &str, args: &[Word]) -> Option<Invalid> {
    let v = &*args[0].value;
    if has_variables(v) {
        return None;
    }
    parse_pass(name, v)
        .err()
        .and_then(|message| invalid(0, message))
}

fn stream_pass(args: &[Word]) -> Option<Invalid> {
    let v = &*args[0].value;
    if has_variables(v) {
        return None;
    }
    parse_addr(v, ParseOptions::default())
        .err()
        .and_then(|e| invalid(0, format!("{e} in upstream \"{v}\"")))
}

fn upstream_server(args: &[Word], version: Version, context: &str) -> Option<Invalid> {
    let addr = &*args[0].value;
    if let Err(e) = parse_addr(addr, ParseOptions::default()) {
        return invalid(0, format!("{e} in upstream \"{addr}\""));
    }
    let resolve = Version(1, 27, 3);
    for (i, w) in args.iter().enumerate().skip(1) {
        let v = &*w.value;
        let ok = match v.split_once('=') {
            Some(("weight", n)) | Some(("max_conns", n)) | Some(("max_fails", n)) => {
                atoi(n).is_some_and(|n| n > 0 || !v.starts_with("weight"))
            }
            Some(("fail_timeout", t)) => parse_time(t, true).is_some(),
            Some(("service", _)) => version >= resolve && context == "http>upstream",
            None => match v {
                "backup" | "down" => true,
                "resolve" => version >= resolve,
                _ => false,
            },
            _ => false,
        };
        if !ok {
            return invalid(i, format!("invalid parameter \"{v}\""));
        }
    }
    None
}

/// The words of an `if` condition once nginx has stripped its parentheses
/// (`ngx_http_rewrite_if_condition`): the `(` that starts the first argument (or is
/// it) and the `)` that ends the last one (or is it), and nothing else, whether the
/// word was quoted or not. `if ($q ~ "a\(.*\)")` keeps its pattern whole: the `)` after
/// the quote is a word of its own. Each word comes with its argument index; nginx's
/// error when the condition does not start with `(` and end with `)`.
pub fn if_condition_words(args: &[Word]) -> Result<Vec<(usize, &str)>, Invalid> {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return Err(Invalid {
            arg: 0,
            message: "invalid condition \"\"".into(),
            help: None,
        });
    };
    let bad = |arg: usize, value: &str| Invalid {
        arg,
        message: format!("invalid condition \"{value}\""),
        help: None,
    };
    if !first.value.starts_with('(') {
        return Err(bad(0, &first.value));
    }
    if !last.value.ends_with(')') {
        return Err(bad(args.len() - 1, &last.value));
    }
    let mut words: Vec<(usize, &str)> = args.iter().map(|w| &*w.value).enumerate().collect();
    // `(` and `)` are one byte: slicing them off keeps the rest on char boundaries.
    if words[0].1 == "(" {
        words.remove(0);
    } else {
        words[0].1 = &words[0].1[1..];
    }
    match words.last_mut() {
        Some((_, ")")) => {
            words.pop();
        }
        Some((_, w)) => *w = &w[..w.len() - 1],
        // `if ()`: nothing is left between the parentheses.
        None => {}
    }
    Ok(words)
}

/// `ngx_http_rewrite_if_condition`: `($var)`, `($var op value)`, `(-f path)`.
fn if_condition(args: &[Word]) -> Option<Invalid> {
    let values = match if_condition_words(args) {
        Ok(values) => values,
        Err(e) => return Some(e),
    };
    let Some(&(i0, cur)) = values.first() else {
        return invalid(0, format!("invalid condition \"{}\"", args[0].value));
    };
    let n = values.len();
    if cur.len() > 1 && cur.starts_with('$') {
        if n != 1 && n != 3 {
            return invalid(i0, format!("invalid condition \"{cur}\""));
        }
        if n == 3 {
            let (i1, op) = values[1];
            if !IF_OPERATORS.contains(&op) {
                return invalid(i1, format!("unexpected \"{op}\" in condition"));
            }
        }
        return None;
    }
    if matches!(
        cur,
        "-f" | "!-f" | "-d" | "!-d" | "-e" | "!-e" | "-x" | "!-x"
    ) && n == 2
    {
        return None;
    }
    invalid(i0, format!("invalid condition \"{cur}\""))
}

/// The comparison operators of an `if` condition; the last four match a regular
/// expression.
pub const IF_OPERATORS: &[&str] = &["=", "!=", "~", "~*", "!~", "!~*"];

fn location(args: &[Word]) -> Option<Invalid> {
    if args.len() == 2 {
        let m = &*args[0].value;
        if !matches!(m, "=" | "~" | "~*" | "^~") {
            return invalid(0, format!("invalid location modifier \"{m}\""));
        }
    }
    None
}

fn error_page(args: &[Word]) -> Option<Invalid> {
    let last = args.len() - 1;
    for (i, w) in args.iter().enumerate().take(last) {
        let v = &*w.value;
        if i == last - 1 && v.starts_with('=') {
            if v.len() > 1 && atoi(&v[1..]).is_none() {
                return invalid(i, format!("invalid value \"{v}\""));
            }
            continue;
        }
        if has_variables(v) {
            continue;
        }
        match atoi(v) {
            Some(code) if (300..=599).contains(&code) && code != 499 => {}
            Some(_) => return invalid(i, format!("value \"{v}\" must be between 300 and 599")),
            None => return invalid(i, format!("invalid value \"{v}\"")),
        }
    }
    None
}

/// How a `location` matches (`ngx_http_core_location`): the modifier may be a separate
/// argument (`location ~ \.php$`) or glued to the path (`location ~\.php$`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationKind {
    Exact,
    Prefix,
    /// `^~`: prefix that stops the regex search.
    PrefixNoRegex,
    Regex {
        caseless: bool,
    },
    Named,
}

/// The kind and the path/pattern of a location's arguments.
pub fn location_kind(args: &[Word]) -> Option<(LocationKind, &str)> {
    let (modifier, path) = match args {
        [m, p] => (&*m.value, &*p.value),
        [one] => {
            let v = &*one.value;
            if let Some(rest) = v.strip_prefix("^~") {
                ("^~", rest)
            } else if let Some(rest) = v.strip_prefix("~*") {
                ("~*", rest)
            } else if let Some(rest) = v.strip_prefix('~') {
                ("~", rest)
            } else if let Some(rest) = v.strip_prefix('=') {
                ("=", rest)
            } else {
                ("", v)
            }
        }
        _ => return None,
    };
    let kind = match modifier {
        "=" => LocationKind::Exact,
        "^~" => LocationKind::PrefixNoRegex,
        "~" => LocationKind::Regex { caseless: false },
        "~*" => LocationKind::Regex { caseless: true },
        "" if path.starts_with('@') => LocationKind::Named,
        "" => LocationKind::Prefix,
        _ => return None,
    };
    Some((kind, path))
}

/// `ngx_log_set_levels`: one of the eight levels, plus any `debug_*` masks, each once.
fn error_log_levels(args: &[Word]) -> Option<Invalid> {
    const LEVELS: &[&str] = &[
        "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
    ];
    const DEBUG: &[&str] = &[
        "debug_core",
        "debug_alloc",
        "debug_mutex",
        "debug_event",
        "debug_http",
        "debug_mail",
        "debug_stream",
    ];
    let mut level_set = false;
    let mut seen: Vec<&str> = Vec::new();
    for (i, w) in args.iter().enumerate().skip(1) {
        let v = &*w.value;
        if LEVELS.contains(&v) {
            if level_set {
                return invalid(i, format!("duplicate log level \"{v}\""));
            }
            level_set = true;
        } else if DEBUG.contains(&v) {
            if seen.contains(&v) {
                return invalid(i, format!("duplicate log level \"{v}\""));
            }
            seen.push(v);
        } else {
            return Some(Invalid {
                arg: i,
                message: format!("invalid log level \"{v}\""),
                help: Some(format!("levels: {}", LEVELS.join(", "))),
            });
        }
    }
    None
}

/// `access_log path [format [buffer=size] [gzip[=level]] [flush=time] [if=condition]]`:
/// the parameters after the format (the format's existence needs the configuration,
/// NGX005 checks it separately).
fn access_log_params(args: &[Word]) -> Option<Invalid> {
    for (i, w) in args.iter().enumerate().skip(2) {
        let v = &*w.value;
        let ok = match v.split_once('=') {
            Some(("buffer", size)) => parse_size(size).is_some_and(|n| n > 0),
            Some(("gzip", level)) => atoi(level).is_some_and(|n| (1..=9).contains(&n)),
            Some(("flush", time)) => parse_time(time, false).is_some(),
            Some(("if", cond)) => !cond.is_empty(),
            None => v == "gzip",
            _ => false,
        };
        if !ok {
            return invalid(i, format!("invalid parameter \"{v}\""));
        }
    }
    None
}

/// `ngx_http_file_cache_valid_set_slot`: status codes (or `any`), then a time.
fn cache_valid(args: &[Word]) -> Option<Invalid> {
    let last = args.len() - 1;
    if parse_time(&args[last].value, true).is_none() {
        return invalid(last, format!("invalid time value \"{}\"", args[last].value));
    }
    args[..last].iter().enumerate().find_map(|(i, w)| {
        let ok = &*w.value == "any" || atoi(&w.value).is_some_and(|s| (100..=599).contains(&s));
        (!ok)
            .then(|| invalid(i, format!("invalid status \"{}\"", w.value)))
            .flatten()
    })
}

/// `ngx_http_headers_expires`: `[modified] time|@daytime|epoch|max|off`.
fn expires(args: &[Word]) -> Option<Invalid> {
    let n = args.len() - 1;
    if n == 1 && &*args[0].value != "modified" {
        return directive_invalid("expires", 0);
    }
    let v = &*args[n].value;
    if matches!(v, "epoch" | "max" | "off") || has_variables(v) {
        return None;
    }
    let time = v
        .strip_prefix('@')
        .or_else(|| v.strip_prefix('-'))
        .or_else(|| v.strip_prefix('+'))
        .unwrap_or(v);
    match parse_time(time, true) {
        Some(t) if v.starts_with('@') && t > 24 * 60 * 60 => {
            invalid(n, "daily time value must be less than 24 hours".to_string())
        }
        Some(_) => None,
        None => directive_invalid("expires", n),
    }
}

/// `ngx_http_file_cache_set_slot`: known parameters, and a `keys_zone`.
fn cache_path(name: &str, args: &[Word]) -> Option<Invalid> {
    const PARAMS: &[&str] = &[
        "levels",
        "use_temp_path",
        "keys_zone",
        "inactive",
        "max_size",
        "min_free",
        "manager_files",
        "manager_sleep",
        "manager_threshold",
        "loader_files",
        "loader_sleep",
        "loader_threshold",
        "purger",
        "purger_files",
        "purger_sleep",
        "purger_threshold",
    ];
    for (i, w) in args.iter().enumerate().skip(1) {
        let known = w
            .value
            .split_once('=')
            .is_some_and(|(k, _)| PARAMS.contains(&k));
        if !known {
            return invalid(i, format!("invalid parameter \"{}\"", w.value));
        }
    }
    let zone = args.iter().any(|w| w.value.starts_with("keys_zone="));
    (!zone)
        .then(|| invalid(0, format!("\"{name}\" must have \"keys_zone\" parameter")))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nginx::grammar::{DEFAULT_VERSION, grammar};
    use crate::source::{FileId, Span};

    fn words(values: &[&str]) -> Vec<Word> {
        values
            .iter()
            .map(|v| Word {
                value: (*v).into(),
                span: Span {
                    file: FileId(0),
                    start: 0,
                    end: 0,
                },
                quoted: false,
            })
            .collect()
    }

    #[test]
    fn temp_path_level_of_i64_max_is_invalid_not_an_overflow() {
        let def = grammar()
            .defs("client_body_temp_path")
            .next()
            .expect("client_body_temp_path");
        let args = words(&["/tmp/body", "9223372036854775807"]);
        let bad = check(def, "http", &args, DEFAULT_VERSION).expect("refused");
        assert_eq!(
            bad.message,
            "\"client_body_temp_path\" directive invalid value"
        );
        assert!(
            check(
                def,
                "http",
                &words(&["/tmp/body", "1", "2"]),
                DEFAULT_VERSION
            )
            .is_none()
        );
    }
}
