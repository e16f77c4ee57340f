//! The cause catalogue against the servers' own message lists: every upstream-related
//! format string of ../shared/reference/nginx-source-messages.tsv must be matched by a
//! catalogue stem, or be listed in grammars/logs/source-notes.tsv as not upstream-related
//! (with the reason) or with the text it is logged as. Every Apache row (above debug level),
//! written as a full httpd 2.4 log line, must be classified, or be listed there by its own
//! `file:line` with the reason it is no upstream failure; a listed row that is classified is
//! a stale note.
//! Also: the cause ids of causes.md (public API) are exactly those of advice.toml.

#[path = "common/skip.rs"]
mod skip;

use std::fs;
use std::path::{Path, PathBuf};

use proxylint::logs::catalogue::{Catalogue, Glob, Server};
use proxylint::logs::classify::Classifier;
use proxylint::logs::record;

fn shared() -> Option<PathBuf> {
    skip::shared("reference", "catalogue against the servers' message lists")
}

/// One row of source-notes.tsv: a TSV row reference (glob over `file:line`) and either the
/// message as logged (for formats whose first word is a macro the extraction elided) or `-`
/// with the reason it is not an upstream failure.
struct Note {
    server: Server,
    reference_text: String,
    reference: Glob,
    logged_as: Option<String>,
}

fn notes() -> Vec<Note> {
    let text = include_str!("../grammars/logs/source-notes.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "source-notes.tsv: 4 columns expected: {l}");
            assert!(
                !cols[3].trim().is_empty(),
                "source-notes.tsv: reason missing: {l}"
            );
            Note {
                server: if cols[0] == "nginx" {
                    Server::Nginx
                } else {
                    Server::Apache
                },
                reference_text: cols[1].to_owned(),
                reference: Glob::new(cols[1]),
                logged_as: (cols[2] != "-").then(|| cols[2].to_owned()),
            }
        })
        .collect()
}

/// A message as the format would print it: `\"` unescaped, conversions replaced by `1`
/// (numbers and names alike: an errno-like `(%i: %s)` must read as one).
fn sample_message(format: &str) -> String {
    let f = format.replace("\\\"", "\"").replace("\\\\", "\\");
    let mut out = String::new();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        while chars
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '*' | '.' | '-' | '#'))
        {
            chars.next();
        }
        // Two-letter conversions: %ui %uz %xd (nginx), %pI %pp %pT (APR), %hu.
        let second: fn(&char) -> bool = match chars.next() {
            Some('u' | 'x' | 'X') => |c| c.is_ascii_alphabetic(),
            Some('p') => |c| matches!(c, 'I' | 'p' | 'T'),
            Some('h') => |_| true,
            _ => |_| false,
        };
        if chars.peek().is_some_and(second) {
            chars.next();
        }
        out.push('1');
    }
    out
}

/// `None` when the nginx row is covered; otherwise the row, for the failure message.
fn check_nginx(reference: &str, format: &str, notes: &[Note], c: &Classifier) -> Option<String> {
    let mut notes = notes
        .iter()
        .filter(|n| n.server == Server::Nginx && n.reference.is_match(reference));
    let logged_as = notes.clone().find_map(|n| n.logged_as.clone());
    let text = logged_as.unwrap_or_else(|| sample_message(format));
    // The stem as the record parser sees it: errno, action and context peeled off.
    let stem = record::parse(&text).message.to_owned();
    if c.stem_is_known(Server::Nginx, "", &stem) || notes.any(|n| n.logged_as.is_none()) {
        return None;
    }
    Some(format!("{reference}\t{stem}"))
}

/// APR statuses an Apache row that logs one is tried with: the status decides the cause as
/// errno does for nginx, so the row is covered when one of them (or none) gets a cause.
const STATUSES: [&str; 7] = [
    "",
    "(24)Too many open files: ",
    "(111)Connection refused: ",
    "(70007)The timeout specified has expired: ",
    "(104)Connection reset by peer: ",
    "(20014)Internal error (specific information not available): ",
    "(22)Invalid argument: ",
];

/// An Apache row as httpd 2.4 writes it, with each status its call may log.
fn apache_lines(code: &str, status_arg: &str, format: &str) -> Vec<String> {
    let code = if code.is_empty() {
        String::new()
    } else {
        format!("{code}: ")
    };
    let statuses: &[&str] = if status_arg == "0" {
        &STATUSES[..1]
    } else {
        &STATUSES
    };
    statuses
        .iter()
        .map(|status| {
            format!(
                "[Sun May 05 10:00:00.000001 2024] [proxy:error] [pid 1:tid 2] {status}[client 192.0.2.1:5000] {code}{}",
                sample_message(format)
            )
        })
        .collect()
}

/// `None` when the Apache row is classified or listed (by its own `file:line`, with a
/// reason) in source-notes.tsv; otherwise the problem.
fn check_apache(
    reference: &str,
    code: &str,
    status_arg: &str,
    format: &str,
    notes: &[Note],
    c: &Classifier,
) -> Option<String> {
    let classified = apache_lines(code, status_arg, format)
        .iter()
        .any(|l| c.classify(&record::parse(l)).is_some());
    let noted = notes
        .iter()
        .any(|n| n.server == Server::Apache && n.reference_text == reference);
    match (classified, noted) {
        (true, false) | (false, true) => None,
        (true, true) => Some(format!(
            "{reference}\t{code}\t{format}\tclassified, but source-notes.tsv says it is no upstream failure"
        )),
        (false, false) => Some(format!(
            "{reference}\t{code}\t{format}\tneither classified nor in source-notes.tsv"
        )),
    }
}

#[test]
fn every_upstream_message_of_both_servers_is_catalogued() {
    let Some(dir) = shared() else { return };
    let notes = notes();
    let c = Classifier::default();
    let mut missing = Vec::new();
    let nginx = fs::read_to_string(dir.join("nginx-source-messages.tsv")).expect("nginx tsv");
    for row in nginx.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [reference, _level, _errno, format] = cols[..] else {
            continue;
        };
        missing.extend(check_nginx(reference, format, &notes, &c));
    }
    let httpd = fs::read_to_string(dir.join("httpd-proxy-source-messages.tsv")).expect("httpd tsv");
    for row in httpd.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [reference, code, level, status_arg, format] = cols[..] else {
            continue;
        };
        // Debug and trace messages describe normal operation; a failure is logged at
        // info or above.
        if level.starts_with("APLOG_TRACE") || level == "APLOG_DEBUG" {
            continue;
        }
        let code = if code == "-" { "" } else { code };
        missing.extend(check_apache(
            reference, code, status_arg, format, &notes, &c,
        ));
    }
    assert!(
        missing.is_empty(),
        "{} format string(s) not covered:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

/// Apache notes name one row each: a whole file excluded at once hid upstream failures
/// (mod_proxy_ajp's receive errors, the balancer's) among its internal messages.
#[test]
fn apache_notes_name_single_rows() {
    for n in notes().iter().filter(|n| n.server == Server::Apache) {
        assert!(
            !n.reference_text.contains('*') && n.logged_as.is_none(),
            "source-notes.tsv: an Apache note names one file:line and no logged text: {}",
            n.reference_text
        );
    }
}

/// mod_ssl's proxy side (httpd 2.4.x modules/ssl, server/ssl.c; httpd-proxy-source-messages.tsv
/// has no mod_ssl rows): each message the backend connection can log, as httpd writes it,
/// with its cause. `[remote addr]` is the backend connection, `[client addr]` a client's.
const MOD_SSL_PROXY: [(&str, &str, &str); 14] = [
    (
        "ssl_engine_io.c:1308",
        "[client 192.0.2.1:5000] AH02003: SSL Proxy connect failed",
        "tls-handshake-failed",
    ),
    (
        "ssl_engine_io.c:1326",
        "[client 192.0.2.1:5000] AH02004: SSL Proxy: Peer certificate is expired",
        "tls-verify-failed",
    ),
    (
        "ssl_engine_io.c:1338",
        "[client 192.0.2.1:5000] AH02411: SSL Proxy: Peer certificate does not match for hostname backend.internal",
        "tls-verify-failed",
    ),
    (
        "ssl_engine_io.c:1362",
        "[client 192.0.2.1:5000] AH02005: SSL Proxy: Peer certificate CN mismatch: Certificate CN: a Requested hostname: b",
        "tls-verify-failed",
    ),
    (
        "ssl_engine_io.c:1387",
        "[client 192.0.2.1:5000] AH10273: SSL Proxy: Peer did not select any of our ALPN protocols [h2].",
        "protocol-mismatch",
    ),
    (
        "ssl_engine_io.c:1404",
        "[client 192.0.2.1:5000] AH10274: SSL Proxy: Peer proposed ALPN protocol http/1.1 which is none of our proposals [h2].",
        "protocol-mismatch",
    ),
    (
        "ssl_engine_io.c:1250",
        "[client 192.0.2.1:5000] AH03309: ALPN proxy protocol identifier too long: x",
        "proxy-misconfigured",
    ),
    (
        "ssl_engine_kernel.c:1868",
        "[remote 10.0.0.9:443] AH02039: Certificate Verification: Error (18): self-signed certificate",
        "tls-verify-failed",
    ),
    (
        "ssl_engine_kernel.c:1897",
        "[remote 10.0.0.9:443] AH02040: Certificate Verification: Certificate Chain too long (chain has 12 certificates, but maximum allowed are only 10)",
        "tls-verify-failed",
    ),
    (
        "ssl_engine_init.c:1791",
        "AH02252: incomplete client cert configured for SSL proxy (missing or encrypted private key?)",
        "proxy-misconfigured",
    ),
    (
        "ssl_engine_init.c:1799",
        "AH02326: proxy client certificate and private key do not match",
        "proxy-misconfigured",
    ),
    (
        "ssl_engine_init.c:1833",
        "AH02208: SSL proxy client cert initialization failed",
        "proxy-misconfigured",
    ),
    (
        "server/ssl.c:157",
        "[remote 10.0.0.9:443] AH01961:  failed to enable ssl support [Hint: if using mod_ssl, see SSLProxyEngine]",
        "proxy-misconfigured",
    ),
    (
        "mod_ssl.c:560 (2.4.48 and older)",
        "[client 192.0.2.1:5000] AH01961: SSL Proxy requested for backend:443 but not enabled [Hint: SSLProxyEngine]",
        "proxy-misconfigured",
    ),
];

#[test]
fn mod_ssl_proxy_side_messages_get_their_causes() {
    let c = Classifier::default();
    for (reference, body, want) in MOD_SSL_PROXY {
        let line = format!("[Sun May 05 10:00:00.000001 2024] [ssl:error] [pid 1:tid 2] {body}");
        let got = c
            .classify(&record::parse(&line))
            .map(|v| c.catalogue().cause(v.cause).id.as_str());
        assert_eq!(got, Some(want), "{reference}: {line}");
    }
    // The same verification failure on a client's certificate is no upstream failure.
    let client = "[Sun May 05 10:00:00.000001 2024] [ssl:error] [pid 1:tid 2] [client 192.0.2.1:5000] AH02039: Certificate Verification: Error (20): unable to get local issuer certificate";
    assert_eq!(c.classify(&record::parse(client)), None);
}

#[test]
fn every_source_note_refers_to_a_real_row() {
    let Some(dir) = shared() else { return };
    let nginx = fs::read_to_string(dir.join("nginx-source-messages.tsv")).expect("nginx tsv");
    let httpd = fs::read_to_string(dir.join("httpd-proxy-source-messages.tsv")).expect("httpd tsv");
    let refs = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .filter_map(|l| l.split('\t').next())
            .map(str::to_owned)
            .collect()
    };
    let (nginx, httpd) = (refs(&nginx), refs(&httpd));
    for n in notes() {
        let rows = if n.server == Server::Nginx {
            &nginx
        } else {
            &httpd
        };
        assert!(
            rows.iter().any(|r| n.reference.is_match(r)),
            "source-notes.tsv row matches no reference row"
        );
    }
}

/// The taxonomy ships with proxylint (docs/causes.md, generated from advice.toml), so
/// README and users need nothing outside the repository.
#[test]
fn shipped_causes_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/causes.md");
    let generated = Catalogue::get().causes_markdown();
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current != generated {
        if std::env::var_os("UPDATE_DOCS").is_some() {
            fs::write(&path, generated).expect("write docs/causes.md");
            return;
        }
        panic!("docs/causes.md is stale: run `UPDATE_DOCS=1 cargo test --test logs_catalogue`");
    }
    for c in &Catalogue::get().causes {
        assert!(
            current.contains(&format!("## `{}`", c.id)),
            "{} undocumented",
            c.id
        );
    }
}

#[test]
fn causes_md_ids_are_the_catalogue_ids() {
    let Some(dir) = shared() else { return };
    let md = fs::read_to_string(dir.join("causes.md")).expect("causes.md");
    let documented: Vec<String> = md
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    let ours: Vec<String> = Catalogue::get()
        .causes
        .iter()
        .map(|c| c.id.clone())
        .collect();
    // The taxonomy's ids come first, in its order; causes added since (documented in the
    // shipped docs/causes.md, checked by `shipped_causes_doc_is_current`) follow.
    assert_eq!(
        documented,
        ours[..documented.len().min(ours.len())],
        "advice.toml must list the causes of causes.md first, in its order"
    );
}
