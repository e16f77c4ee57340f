//! ## What it does
//! Reports a parameter nginx refuses: a time or size it cannot parse (`10x`, `1m30`
//! with units in the wrong order, `500ms` where seconds are expected), a flag that is
//! not `on`/`off`, a value outside the directive's list, a port out of range, a `*_pass`
//! URL without a valid scheme or host, an unknown `listen` or upstream `server`
//! parameter, a malformed `if` condition, an invalid `return` code.
//!
//! ## Why is this bad?
//! nginx refuses the configuration (`"x" directive invalid value`, `invalid value "v"
//! in "x" directive`, `invalid parameter "p"`...). Parameters accepted by one nginx
//! version and not another (`listen ... quic`, upstream `resolve`) break upgrades and
//! downgrades.
//!
//! ## Example
//! ```nginx
//! location / {
//!     proxy_buffering yes;
//!     proxy_read_timeout 30x;
//!     proxy_pass 127.0.0.1:8080;
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! location / {
//!     proxy_buffering on;
//!     proxy_read_timeout 30s;
//!     proxy_pass http://127.0.0.1:8080;
//! }
//! ```
//!
//! ## Exceptions
//! Values containing variables are checked only where nginx checks them at startup.
//! Host names are not resolved.
//!
//! A pass without a port (`fastcgi_pass php;`) may name an upstream group defined where
//! proxylint cannot see (an `include` that could not be read, or the main configuration
//! around a site or snippet linted on its own): the finding is then only an info, and
//! the include's NGX007 finding says what may be missing.
//!
//! ## References
//! - <https://nginx.org/en/docs/syntax.html> (time and size units)
//! - nginx source: `ngx_conf_set_*_slot` (src/core/ngx_conf_file.c), `ngx_parse_time`,
//!   `ngx_parse_size` (src/core/ngx_parse.c), `ngx_parse_url` (src/core/ngx_inet.c)

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::report::{NginxReport, Phase, RefusedByNginx};
use crate::nginx::handlers;
use crate::nginx::model::{Config, Scope};
use crate::nginx::url::is_ip;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX005",
    name: "invalid-value",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (id, _) in config.directives() {
        let Some((def, d)) = config.checked_def(id) else {
            continue;
        };
        let context = config.info(id).context;
        let Some(bad) = handlers::check(def, context, &d.args, config.avail.version) else {
            continue;
        };
        let token = d.args.get(bad.arg).map_or(d.name.span, |w| w.span);
        let mut diag = config.refusal(RULE.code, bad.message, d, token);
        if let Some(help) = bad.help {
            diag = diag.with_help(help);
        }
        out.push(diag);
    }
    out.extend(missing_ports(config));
    out.extend(unknown_log_formats(config));
    out.extend(data_lines(config));
    out
}

/// A geo block entry's network: an address or CIDR block.
fn network(text: &str) -> bool {
    let (addr, bits) = match text.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if ip.is_ipv4() { 32 } else { 128 };
    bits.is_none_or(|b| crate::nginx::values::atoi(b).is_some_and(|n| n <= max))
}

/// A geo `ranges` entry: `IPv4-IPv4`.
fn range(text: &str) -> bool {
    text.split_once('-').is_some_and(|(a, b)| {
        a.parse::<std::net::Ipv4Addr>().is_ok() && b.parse::<std::net::Ipv4Addr>().is_ok()
    })
}

/// A split_clients percentage in hundredths (`33.3%` is 3330), as `ngx_atofp(.., 2)`
/// reads it: at most two decimals.
fn percent(key: &str) -> Option<i64> {
    let number = key.strip_suffix('%')?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = crate::nginx::values::atoi(whole)?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    Some(whole * 100 + fraction)
}

/// The data lines of map, geo and split_clients blocks, as their modules read them:
/// the number of words, duplicate keys, networks, ranges and percentages.
fn data_lines(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut percent_total: foldhash::HashMap<Scope, i64> = foldhash::HashMap::default();
    let mut map_keys: foldhash::HashMap<(Scope, String), ()> = foldhash::HashMap::default();
    let mut geo_ranges: foldhash::HashSet<Scope> = foldhash::HashSet::default();
    for (id, d) in config.data_lines() {
        let scope = config.scope(id);
        let Scope::Block(owner) = scope else { continue };
        let Some(block) = config.tree.directive(owner) else {
            continue;
        };
        let key = &*d.name.value;
        let message = match (&*block.name.value, key, d.args.len()) {
            ("map", "hostnames" | "volatile", 0) | ("map", "include", 1) => continue,
            ("map", _, 1) => {
                let lowered = key.to_ascii_lowercase();
                if key.starts_with('~') || map_keys.insert((scope, lowered), ()).is_none() {
                    continue;
                }
                if key == "default" {
                    "duplicate default map parameter".to_string()
                } else {
                    format!("conflicting parameter \"{key}\"")
                }
            }
            ("map", _, _) => "invalid number of the map parameters".to_string(),
            ("geo", "ranges", 0) => {
                geo_ranges.insert(scope);
                continue;
            }
            ("geo", "proxy_recursive" | "volatile", 0)
            | ("geo", "default" | "delete" | "proxy" | "include", 1) => continue,
            ("geo", _, 1) if geo_ranges.contains(&scope) => {
                if range(key) {
                    continue;
                }
                format!("invalid range \"{key}\"")
            }
            ("geo", _, 1) => {
                if network(key) {
                    continue;
                }
                format!("invalid network \"{key}\"")
            }
            ("geo", _, _) => "invalid number of the geo parameters".to_string(),
            ("charset_map", _, 1) => {
                let byte =
                    |h: &str| u8::from_str_radix(h, 16).is_ok() && !h.is_empty() && h.len() <= 2;
                let utf8 = block
                    .args
                    .iter()
                    .any(|a| a.value.eq_ignore_ascii_case("utf-8"));
                let value = &*d.args[0].value;
                // A UTF-8 map's value is the character's bytes in hex (up to 4 bytes).
                let value_ok = if utf8 {
                    value.len() % 2 == 0
                        && value.len() <= 8
                        && value
                            .as_bytes()
                            .chunks(2)
                            .all(|c| std::str::from_utf8(c).is_ok_and(byte))
                } else {
                    byte(value)
                };
                match (byte(key), value_ok) {
                    (true, true) => continue,
                    (false, _) => format!("invalid value \"{key}\""),
                    (true, false) => format!("invalid value \"{value}\""),
                }
            }
            ("split_clients", "*", _) => continue,
            ("split_clients", _, _) => match percent(key) {
                Some(p) => {
                    let total = percent_total.entry(scope).or_default();
                    *total += p;
                    if *total <= 10_000 {
                        continue;
                    }
                    // nginx adds them up when it has read the block: at its `}`.
                    let close = block.block_end_span();
                    *total = i64::MIN;
                    out.push(
                        RULE.diagnostic("percent total is greater than 100%", d.name.span)
                            .with_help("the percentages of a split_clients block add up to 100% at most (`*` takes the rest)")
                            .refused_by_nginx(NginxReport::At(close)),
                    );
                    continue;
                }
                None => format!("invalid percent value \"{key}\""),
            },
            _ => continue,
        };
        out.push(config.refusal(RULE.code, message, d, d.name.span));
    }
    out
}

/// `access_log path FORMAT`: nginx looks the format up when it reads the access_log,
/// among the `log_format`s read before it (and the built-in `combined`).
fn unknown_log_formats(config: &Config) -> Vec<Diagnostic> {
    let mut known: Vec<&str> = vec!["combined"];
    let mut out = Vec::new();
    let formats = config.checked_where(|def| matches!(def.name, "log_format" | "access_log"));
    for (id, def, d) in formats {
        if !config.info(id).context.starts_with("http") {
            continue;
        }
        match def.name {
            "log_format" => known.push(&d.args[0].value),
            "access_log" => {
                let Some(format) = d.args.get(1) else {
                    continue;
                };
                if known.contains(&&*format.value) {
                    continue;
                }
                let defined_later = config
                    .occurrences("log_format")
                    .any(|(_, f)| f.arg(0) == Some(&*format.value));
                let help = if defined_later {
                    "the log_format is defined after this access_log: nginx needs it first; move the log_format up"
                } else {
                    "define it with `log_format NAME ...;` in http, or use `combined`"
                };
                out.push(
                    config
                        .refusal(
                            RULE.code,
                            format!("unknown log format \"{}\"", format.value),
                            d,
                            format.span,
                        )
                        .with_help(help),
                );
            }
            _ => {}
        }
    }
    out
}

/// `fastcgi_pass 127.0.0.1;`: the passes without a default port need one, unless they
/// name an upstream group. nginx finds out when it sets up the upstreams, after the
/// http block.
fn missing_ports(config: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for pass in &config.index().passes {
        let Some(target) = &pass.target else { continue };
        let defaulted = matches!(target.scheme, "http" | "https");
        if defaulted || target.addr.unix || target.addr.port.is_some() || pass.upstream.is_some() {
            continue;
        }
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let after = config.top_block_end(pass.scope).unwrap_or(d.nginx_span());
        let host = &target.addr.host;
        let diag = RULE
            .diagnostic(format!("no port in upstream \"{host}\""), d.args[0].span)
            .with_help(format!(
                "{} has no default port: write the backend's port (PHP-FPM: 9000)",
                pass.directive
            ))
            .refused_by_nginx(NginxReport::Deferred {
                printed: Some(d.nginx_span()),
                after,
                phase: Phase::UpstreamInit,
            });
        // A name may be an upstream group defined where proxylint cannot see.
        out.push(if is_ip(host) {
            diag
        } else {
            unless_defined_elsewhere(config, pass.scope, diag, &format!("upstream \"{host}\""))
        });
    }
    out
}
