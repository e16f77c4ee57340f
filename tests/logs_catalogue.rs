//! The cause catalogue against the servers' own message lists: every upstream-related
//! format string of ../shared/reference/{nginx-source-messages,httpd-proxy-source-messages}.tsv
//! must be matched by a catalogue stem, or be listed in grammars/logs/source-notes.tsv as
//! not upstream-related (with the reason) or with the text it is logged as.
//! Also: the cause ids of causes.md (public API) are exactly those of advice.toml.

use std::fs;
use std::path::{Path, PathBuf};

use proxylint::logs::catalogue::{Catalogue, Glob, Server};
use proxylint::logs::classify::Classifier;
use proxylint::logs::record;

fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if p.is_dir() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but ../shared/reference is missing"
    );
    eprintln!("skipping: ../shared/reference not found");
    None
}

/// One row of source-notes.tsv: a TSV row reference (glob over `file:line`) and either the
/// message as logged (for formats whose first word is a macro the extraction elided) or `-`
/// with the reason it is not an upstream failure.
struct Note {
    server: Server,
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

/// `None` when the row is covered; otherwise the row, for the failure message.
fn check(
    server: Server,
    reference: &str,
    code: &str,
    format: &str,
    notes: &[Note],
    c: &Classifier,
) -> Option<String> {
    let mut notes = notes
        .iter()
        .filter(|n| n.server == server && n.reference.is_match(reference));
    let logged_as = notes.clone().find_map(|n| n.logged_as.clone());
    let text = logged_as.unwrap_or_else(|| sample_message(format));
    // The stem as the record parser sees it: errno, action and context peeled off.
    let stem = match server {
        Server::Nginx => record::parse(&text).message.to_owned(),
        Server::Apache => text.clone(),
    };
    if c.stem_is_known(server, code, &stem) || notes.any(|n| n.logged_as.is_none()) {
        return None;
    }
    Some(format!("{reference}\t{code}\t{stem}"))
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
        missing.extend(check(Server::Nginx, reference, "", format, &notes, &c));
    }
    let httpd = fs::read_to_string(dir.join("httpd-proxy-source-messages.tsv")).expect("httpd tsv");
    for row in httpd.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let [reference, code, level, _status, format] = cols[..] else {
            continue;
        };
        // Debug and trace messages describe normal operation; a failure is logged at
        // info or above.
        if level.starts_with("APLOG_TRACE") || level == "APLOG_DEBUG" {
            continue;
        }
        let code = if code == "-" { "" } else { code };
        missing.extend(check(Server::Apache, reference, code, format, &notes, &c));
    }
    assert!(
        missing.is_empty(),
        "{} format string(s) neither catalogued nor in source-notes.tsv:\n{}",
        missing.len(),
        missing.join("\n")
    );
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
    assert_eq!(
        documented, ours,
        "advice.toml must list the causes of causes.md, in its order"
    );
}
