//! Classifier: record → cause, on the stable key only (message stem, errno number, nginx
//! action, Apache AH code + APR status, upstream scheme). Never on the level or the errno
//! text, which differ between builds (glibc and musl word errnos differently).
//! Also extracts the upstream a record is about, which clusters are keyed on.

use std::collections::HashMap;

use super::catalogue::{Catalogue, CauseId, Role, Rule, SchemeSel, Server};
use super::record::{Format, Record};
use super::text;

/// The catalogue with per-first-byte indexes, so a line is compared with the few rules
/// that can match rather than all of them.
pub struct Classifier {
    catalogue: &'static Catalogue,
    /// nginx rules whose stem may start with a given byte (including `*`-led ones), in
    /// catalogue order.
    nginx_by_byte: Vec<Vec<usize>>,
    /// Apache rules by AH code, and the code-less (2.2) rules, in catalogue order.
    apache_by_code: foldhash::HashMap<&'static str, CodeRules>,
    apache_stems: Vec<usize>,
    /// What the backend wrote on its FastCGI stderr channel is not always a failure.
    app: AppCauses,
}

/// The causes of a backend's stderr messages (see [`Classifier::refine`]).
struct AppCauses {
    error: Option<CauseId>,
    warning: Option<CauseId>,
    not_found: Option<CauseId>,
}

/// The kinds of PHP message (after `PHP `) a backend logs while still answering (the
/// client got its page); any other kind (`Fatal error`, `Parse error`...) failed it.
const PHP_WARNINGS: &[&str] = &[
    "Warning",
    "Notice",
    "Deprecated",
    "Strict Standards",
    "User Warning",
    "User Notice",
    "User Deprecated",
];

/// The rules of one AH code.
#[derive(Default)]
struct CodeRules {
    rules: Vec<usize>,
    /// Whether any of them looks at the message stem (asked on every Apache line).
    uses_stem: bool,
}

/// The verdict for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub cause: CauseId,
    pub role: Role,
    pub rule: usize,
}

/// What an upstream address looks like, for the scheme column and the advice commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scheme<'a> {
    pub url_scheme: &'a str,
    pub unix: bool,
}

impl Default for Classifier {
    fn default() -> Self {
        Self::new(Catalogue::get())
    }
}

impl Classifier {
    pub fn new(catalogue: &'static Catalogue) -> Classifier {
        let mut nginx_by_byte = vec![Vec::new(); 256];
        let mut apache_by_code: HashMap<&'static str, CodeRules, _> = HashMap::default();
        let mut apache_stems = Vec::new();
        for (i, rule) in catalogue.rules.iter().enumerate() {
            match rule.server {
                Server::Nginx => match rule.stem.first_byte() {
                    Some(b) => nginx_by_byte[usize::from(b)].push(i),
                    None => nginx_by_byte.iter_mut().for_each(|v| v.push(i)),
                },
                Server::Apache if rule.code.is_empty() => apache_stems.push(i),
                Server::Apache => {
                    let code = apache_by_code.entry(rule.code.as_str()).or_default();
                    code.rules.push(i);
                    code.uses_stem |= rule.stem_text != "*";
                }
            }
        }
        Classifier {
            catalogue,
            nginx_by_byte,
            apache_by_code,
            apache_stems,
            app: AppCauses {
                error: catalogue.cause_id("app-error"),
                warning: catalogue.cause_id("app-warning"),
                not_found: catalogue.cause_id("script-not-found"),
            },
        }
    }

    /// A verdict narrowed by what the line says beyond its stable key: a backend's stderr
    /// (`app-error`) that holds only PHP warnings or notices is `app-warning` (the client
    /// got its page), "Primary script unknown" is `script-not-found` (a 404); any fatal
    /// error among the messages keeps it `app-error`. Applied after the verdict cache,
    /// whose key leaves the message out for some codes.
    pub fn refine(&self, rec: &Record<'_>, verdict: Verdict) -> Verdict {
        if Some(verdict.cause) != self.app.error {
            return verdict;
        }
        static PHP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"PHP "));
        static NO_SCRIPT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"Primary script unknown"));
        let text = rec.message.as_bytes();
        // One pass over the message: every `PHP <kind>:` says whether it failed the request.
        let (mut warnings, mut failures) = (0, 0);
        for at in PHP.find_iter(text) {
            let kind = &text[at + 4..];
            if PHP_WARNINGS.iter().any(|w| kind.starts_with(w.as_bytes())) {
                warnings += 1;
            } else if kind.starts_with(b"message:") {
                // "PHP message: PHP Warning: ...": the kind follows.
            } else {
                failures += 1;
            }
        }
        let cause = if failures > 0 {
            self.app.error
        } else if NO_SCRIPT.find(text).is_some() {
            self.app.not_found
        } else if warnings > 0 {
            self.app.warning
        } else {
            self.app.error
        };
        Verdict {
            cause: cause.unwrap_or(verdict.cause),
            ..verdict
        }
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.catalogue
    }

    /// The cause of a record, or `None` when it is not an upstream failure we know.
    pub fn classify(&self, rec: &Record<'_>) -> Option<Verdict> {
        self.by_key(rec).map(|v| self.refine(rec, v))
    }

    /// The verdict of a record's stable key (the catalogue row it matches), before
    /// [`Classifier::refine`] reads the rest of the message: what a verdict cache keyed
    /// on the stable key may hold.
    pub fn by_key(&self, rec: &Record<'_>) -> Option<Verdict> {
        // A row without a cause names a line that is known not to be an upstream failure.
        self.rule_of(rec).and_then(|i| {
            let rule = &self.catalogue.rules[i];
            rule.cause.map(|cause| Verdict {
                cause,
                role: rule.role,
                rule: i,
            })
        })
    }

    /// The index of the first catalogue row that matches a record, with or without a cause.
    pub fn rule_of(&self, rec: &Record<'_>) -> Option<usize> {
        let scheme = scheme_of(rec);
        let candidates: &[usize] = if rec.format == Some(Format::Apache) || !rec.code.is_empty() {
            if rec.code.is_empty() {
                &self.apache_stems
            } else {
                self.apache_by_code
                    .get(rec.code)
                    .map_or(&[], |c| c.rules.as_slice())
            }
        } else {
            let first = rec.message.bytes().next().unwrap_or(0);
            &self.nginx_by_byte[usize::from(first)]
        };
        let found = candidates
            .iter()
            .copied()
            .find(|&i| rule_matches(&self.catalogue.rules[i], rec, scheme));
        // A 2.2-style Apache message pasted without header comes here as nginx-looking text.
        found.or_else(|| {
            (rec.format == Some(Format::Fragment) && rec.code.is_empty())
                .then(|| {
                    self.apache_stems
                        .iter()
                        .copied()
                        .find(|&i| rule_matches(&self.catalogue.rules[i], rec, scheme))
                })
                .flatten()
        })
    }

    /// Whether the rules of an AH code look at the message stem (only a few do, like
    /// AH00898 whose text names the failure); if not, the code and status decide alone.
    pub fn code_uses_stem(&self, code: &str) -> bool {
        self.apache_by_code.get(code).is_none_or(|c| c.uses_stem)
    }

    /// Whether some rule's stem matches a message of `server` (for the coverage test).
    pub fn stem_is_known(&self, server: Server, code: &str, message: &str) -> bool {
        self.catalogue.rules.iter().any(|r| {
            r.server == server
                && r.cause.is_some()
                && r.code == code
                && (r.stem_text != "*" || !r.code.is_empty())
                && r.stem.is_match(message)
        })
    }
}

fn rule_matches(rule: &Rule, rec: &Record<'_>, scheme: Scheme<'_>) -> bool {
    if !rule.errnos.is_empty() && !rec.errno.is_some_and(|e| rule.errnos.contains(&e)) {
        return false;
    }
    let scheme_ok = match &rule.scheme {
        SchemeSel::Any => true,
        SchemeSel::Unix => scheme.unix,
        SchemeSel::Tcp => !scheme.unix,
        SchemeSel::Scheme(s) => scheme.url_scheme == s,
    };
    let action_ok =
        rule.action.is_match(rec.action) || (rec.cut && rule.action.is_cut_match(rec.action));
    scheme_ok && action_ok && rule.stem.is_match(rec.message)
}

/// The upstream's URL scheme and whether it is a unix socket.
pub fn scheme_of<'a>(rec: &Record<'a>) -> Scheme<'a> {
    let up = rec.upstream;
    let (url_scheme, rest) = match text::find_at(up, "://", 0) {
        Some(i) => (&up[..i], &up[i + 3..]),
        None => ("", up),
    };
    let unix = rest.starts_with("unix:")
        || rec
            .message
            .starts_with("FastCGI: failed to connect to server \"/")
        || names_unix_socket(rec.message);
    let url_scheme = if !url_scheme.is_empty() {
        url_scheme
    } else if rec.module == "ssl" && !rec.upstream.is_empty() {
        // mod_ssl logs the backend connection as `[remote addr]`: TLS to the upstream.
        "https"
    } else {
        apache_function_scheme(rec.message)
    };
    Scheme { url_scheme, unix }
}

/// Whether a message contains ` unix:` or `Unix domain socket`: one pass over the rare
/// bytes `x` and `U` of both.
fn names_unix_socket(message: &str) -> bool {
    let b = message.as_bytes();
    memchr::memchr2_iter(b'x', b'U', b).any(|i| {
        if b[i] == b'x' {
            i >= 4 && b[i - 4..].starts_with(b" unix:")
        } else {
            b[i..].starts_with(b"Unix domain socket")
        }
    })
}

/// Apache prefixes proxy messages with the scheme handler (`HTTP: `, `FCGI: `, `AJP: `).
fn apache_function_scheme(message: &str) -> &'static str {
    let m = message
        .strip_prefix("proxy: ")
        .unwrap_or(message)
        .as_bytes();
    // The text before the first `": "` must be a handler name, five letters at most: only
    // the first seven bytes can hold that `": "`, so the rest of the message is not read.
    let head = &m[..m.len().min(7)];
    let Some(colon) = head.windows(2).position(|w| w == b": ") else {
        return "";
    };
    match &head[..colon] {
        b"HTTP" => "http",
        b"HTTPS" => "https",
        b"FCGI" => "fcgi",
        b"AJP" => "ajp",
        b"SCGI" => "scgi",
        b"UWSGI" => "uwsgi",
        b"WS" => "ws",
        _ => "",
    }
}

/// The upstream a record is about: an address (`127.0.0.1:8080`, `unix:/run/php.sock`),
/// a group (`backend`, `balancer://pool`) or a hostname that failed to resolve.
pub fn upstream_of<'a>(rec: &Record<'a>) -> &'a str {
    if !rec.upstream.is_empty() {
        return strip_url(rec.upstream);
    }
    let m = rec.message;
    if let Some(name) = m.strip_suffix(" could not be resolved") {
        return name.rsplit(' ').next().unwrap_or(name);
    }
    // The markers are tried in their order, each at its first occurrence. One pass over
    // the message finds those first occurrences for all of them: at each byte that is some
    // marker's anchor, the markers anchored there and not yet found are compared (a search
    // per marker was the largest cost of an Apache line).
    let b = m.as_bytes();
    let mut first = [usize::MAX; UPSTREAM_MARKERS.len()];
    let mut missing = MARKERS_BY_ANCHOR.iter().fold(0, |acc, &k| acc | k);
    for (p, &c) in b.iter().enumerate() {
        let mut candidates = MARKERS_BY_ANCHOR[usize::from(c)] & missing;
        while candidates != 0 {
            let k = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            let (marker, anchor, _) = UPSTREAM_MARKERS[k];
            if p >= anchor && b[p - anchor..].starts_with(marker.as_bytes()) {
                first[k] = p - anchor;
                missing &= !(1 << k);
            }
        }
    }
    for (&(marker, _, end), &i) in UPSTREAM_MARKERS.iter().zip(&first) {
        if i == usize::MAX {
            continue;
        }
        let rest = &m[i + marker.len()..];
        let stop = text::find_byte(end, rest.as_bytes()).unwrap_or(rest.len());
        let token = trim_ascii_punct(&rest[..stop]);
        // "Error reading from remote server returned by /x" names no server.
        if !token.is_empty() && token != "returned" {
            return token;
        }
    }
    ""
}

/// `s` without the quotes, commas, colons, closing parentheses and dots around it. They are
/// ASCII, which never occurs inside a multi-byte character: trimming bytes is trimming
/// characters, without decoding them.
fn trim_ascii_punct(s: &str) -> &str {
    let is_punct = |c: &u8| matches!(c, b'"' | b'\'' | b',' | b':' | b')' | b'.');
    let b = s.as_bytes();
    let start = b.iter().position(|c| !is_punct(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_punct(c))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// For each byte, the markers (bits of indexes into `UPSTREAM_MARKERS`) anchored on it.
const MARKERS_BY_ANCHOR: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut k = 0;
    while k < UPSTREAM_MARKERS.len() {
        let (marker, anchor, _) = UPSTREAM_MARKERS[k];
        t[marker.as_bytes()[anchor] as usize] |= 1 << k;
        k += 1;
    }
    t
};

/// Where the upstream sits in a message that has no `upstream:` context: marker, the index
/// of a byte of it that is rare in messages (what the search looks for: most Apache lines
/// try several markers before one matches), then the text up to the terminating byte.
const UPSTREAM_MARKERS: [(&str, usize, u8); 15] = [
    ("connect() to ", 7, b' '),
    ("in upstream \"", 12, b'"'),
    ("Unix domain socket ", 0, b' '),
    ("attempt to connect to ", 5, b' '),
    ("remote server ", 10, b' '),
    ("disabling worker for (", 21, b')'),
    ("disabled connection for (", 24, b')'),
    ("DNS lookup failure for: ", 0, b' '),
    ("failed to make connection to backend: ", 12, b' '),
    ("body failed to ", 3, b' '),
    ("Error dispatching request to ", 0, b' '),
    ("balancer://", 8, b' '),
    ("to server \"", 10, b'"'),
    ("with server \"", 12, b'"'),
    ("no resolver defined to resolve ", 8, b' '),
];

/// `http://127.0.0.1:9/path` → `127.0.0.1:9`; `fastcgi://unix:/run/php.sock:` → `unix:/run/php.sock`.
fn strip_url(up: &str) -> &str {
    let rest = text::find_at(up, "://", 0).map_or(up, |i| &up[i + 3..]);
    if let Some(path) = rest.strip_prefix("unix:") {
        let end = text::find_byte(b':', path.as_bytes()).unwrap_or(path.len());
        return &rest[..5 + end];
    }
    let end = text::find_byte(b'/', rest.as_bytes()).unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
mod tests {
    use super::super::record::parse;
    use super::*;

    fn cause(line: &str) -> Option<String> {
        let c = Classifier::default();
        c.classify(&parse(line))
            .map(|v| c.catalogue().cause(v.cause).id.clone())
    }

    #[test]
    fn errno_number_decides_not_its_text() {
        // musl words 110 differently from glibc: the number must decide.
        let glibc = "2024/05/01 12:00:00 [error] 1#1: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1";
        let musl = "2024/05/01 12:00:00 [error] 1#1: *1 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 1";
        assert_eq!(cause(glibc).as_deref(), Some("read-timeout"));
        assert_eq!(cause(musl).as_deref(), Some("read-timeout"));
    }

    #[test]
    fn level_does_not_decide() {
        let crit = "2024/05/01 12:00:00 [crit] 1#1: *1 connect() to unix:/run/php.sock failed (2: No such file or directory) while connecting to upstream, client: 1, upstream: \"fastcgi://unix:/run/php.sock:\"";
        let err = crit.replace("[crit]", "[error]");
        assert_eq!(cause(crit).as_deref(), Some("socket-not-found"));
        assert_eq!(cause(&err).as_deref(), Some("socket-not-found"));
    }

    #[test]
    fn action_splits_timeouts() {
        let l = "2024/05/01 12:00:00 [error] 1#1: *1 upstream timed out (110: Connection timed out) while connecting to upstream, client: 1";
        assert_eq!(cause(l).as_deref(), Some("connect-timeout"));
    }

    #[test]
    fn scheme_splits_eagain() {
        let unix = "2024/05/01 12:00:00 [error] 1#1: *1 connect() to unix:/run/a.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 1";
        assert_eq!(cause(unix).as_deref(), Some("backlog-full"));
    }

    #[test]
    fn marker_anchors_are_rare_bytes_inside_the_marker() {
        for (marker, anchor, _) in UPSTREAM_MARKERS {
            let b = marker.as_bytes()[anchor];
            assert!(!b.is_ascii_whitespace(), "{marker:?}");
            assert_eq!(text::find_at(marker, marker, anchor), Some(0), "{marker:?}");
        }
    }

    #[test]
    fn trimming_bytes_is_trimming_chars() {
        for s in ["", ".", "\"a\"", "(a.b).", "é,", ",é", "'x':", "a", "..é.."] {
            let chars = s.trim_matches(|c| matches!(c, '"' | '\'' | ',' | ':' | ')' | '.'));
            assert_eq!(trim_ascii_punct(s), chars, "{s:?}");
        }
    }

    /// The one-pass marker search against searching each marker in turn, the way it was.
    #[test]
    fn marker_pass_finds_what_a_search_per_marker_finds() {
        fn by_search(m: &str) -> &str {
            for (marker, _, end) in UPSTREAM_MARKERS {
                if let Some(i) = m.find(marker) {
                    let rest = &m[i + marker.len()..];
                    let stop = rest.find(end as char).unwrap_or(rest.len());
                    let token = rest[..stop]
                        .trim_matches(|c| matches!(c, '"' | '\'' | ',' | ':' | ')' | '.'));
                    if !token.is_empty() && token != "returned" {
                        return token;
                    }
                }
            }
            ""
        }
        for m in [
            "HTTP: attempt to connect to 10.0.0.1:80 (10.0.0.1:80) failed",
            "error reading status line from remote server returned by remote server 1.2.3.4:5",
            "Error reading from remote server returned by /x",
            "connect() to connect() to unix:/a.sock failed",
            "ap_proxy_connect_backend disabling worker for (backend:8080) for 60s",
            "DNS lookup failure for: db returned by /",
            "no resolver defined to resolve x.example",
            "balancer://pool: all workers are in error state",
            "upstream \"in upstream \"x\" with server \"y:1\" to server \"z\"",
            "",
            "(((( ",
        ] {
            let rec = Record {
                message: m,
                ..Record::default()
            };
            assert_eq!(upstream_of(&rec), by_search(m), "{m:?}");
        }
    }

    #[test]
    fn upstream_extraction() {
        let r = parse(
            "2024/05/01 12:00:00 [error] 1#1: *1 no live upstreams while connecting to upstream, client: 1, upstream: \"http://backend/x\"",
        );
        assert_eq!(upstream_of(&r), "backend");
        let r = parse(
            "[Sun May 05 10:00:00.1 2024] [proxy:error] [pid 1:tid 2] (111)Connection refused: AH00957: HTTP: attempt to connect to 127.0.0.1:9 (127.0.0.1:9) failed",
        );
        assert_eq!(upstream_of(&r), "127.0.0.1:9");
        let r = parse(
            "2024/05/01 12:00:00 [error] 1#1: *1 upstream sent too big header while reading response header from upstream, client: 1, upstream: \"fastcgi://unix:/run/php.sock:\"",
        );
        assert_eq!(upstream_of(&r), "unix:/run/php.sock");
    }
}
