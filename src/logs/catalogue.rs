//! The cause catalogue and the advice per cause, loaded from `grammars/logs/` (embedded at
//! build time). Data only: matching lives in `classify`, wording in the printers.

use std::sync::OnceLock;

use serde::Deserialize;

const CATALOGUE_TSV: &str = include_str!("../../grammars/logs/catalogue.tsv");
const ADVICE_TOML: &str = include_str!("../../grammars/logs/advice.toml");
const ERRNO_TSV: &str = include_str!("../../grammars/logs/errno.tsv");

/// Index of a cause in [`Catalogue::causes`]; the id string is the public name.
pub type CauseId = u8;

/// Which server wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Nginx,
    Apache,
}

/// Whether a matching line names a failure, is a consequence of the failure logged before
/// it in the same request ("upstream server temporarily disabled"), or is a generic line
/// that takes its request's cause wherever it sits (AH01114 after AH00957, AH01084 before
/// AH00898). Ordered by how much a line says about the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Context,
    Follows,
    Cause,
}

/// `*` matches any run of characters; everything else is literal.
#[derive(Debug, Clone)]
pub struct Glob {
    parts: Vec<String>,
    /// Searchers for the parts, built once (a searcher per call showed in profiles).
    finders: Vec<memchr::memmem::Finder<'static>>,
    lead_star: bool,
    trail_star: bool,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let parts: Vec<String> = pattern
            .split('*')
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect();
        Glob {
            finders: parts
                .iter()
                .map(|p| memchr::memmem::Finder::new(p.as_bytes()).into_owned())
                .collect(),
            parts,
            lead_star: pattern.starts_with('*'),
            trail_star: pattern.ends_with('*'),
        }
    }

    /// The first byte a matching text must start with, if the pattern is anchored.
    pub fn first_byte(&self) -> Option<u8> {
        if self.lead_star {
            return None;
        }
        self.parts.first().and_then(|p| p.bytes().next())
    }

    pub fn is_match(&self, text: &str) -> bool {
        let mut rest = text;
        let last = self.parts.len();
        for (i, part) in self.parts.iter().enumerate() {
            let anchored_start = i == 0 && !self.lead_star;
            let anchored_end = i + 1 == last && !self.trail_star;
            if anchored_start && anchored_end {
                return rest == part;
            }
            if anchored_start {
                match rest.strip_prefix(part.as_str()) {
                    Some(r) => rest = r,
                    None => return false,
                }
            } else if anchored_end {
                return rest.ends_with(part.as_str());
            } else {
                match self.finders[i].find(rest.as_bytes()) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        // Pattern consumed: the text must be consumed too unless the pattern ends in `*`.
        self.trail_star || self.parts.is_empty() || rest.is_empty()
    }
}

impl Glob {
    /// Whether `text`, cut in the middle of a word, is the start of what the pattern
    /// matches: `connecting to ups` for `connecting to upstream*`. A cut at a word's end is
    /// not taken: `SSL handshaking` is a whole action (the client's), not a cut
    /// `SSL handshaking to upstream`. Patterns that start with `*` never match this way.
    pub fn is_cut_match(&self, text: &str) -> bool {
        if self.lead_star || text.is_empty() {
            return false;
        }
        self.parts.first().is_some_and(|p| {
            p.len() > text.len()
                && p.starts_with(text)
                && p.as_bytes()[text.len()] != b' '
                && !text.ends_with(' ')
        })
    }
}

/// Upstream address family / URL scheme selector of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeSel {
    Any,
    Unix,
    Tcp,
    Scheme(String),
}

/// One catalogue row.
#[derive(Debug, Clone)]
pub struct Rule {
    pub server: Server,
    /// Apache AH code; empty for nginx and for Apache 2.2 stems.
    pub code: String,
    pub stem: Glob,
    pub stem_text: String,
    /// Empty: any errno (or none).
    pub errnos: Vec<u32>,
    pub action: Glob,
    pub scheme: SchemeSel,
    pub role: Role,
    /// `None`: a known line that is not an upstream failure (a client's TLS handshake, a
    /// syslog socket): it stops the search, and the record stays unclassified.
    pub cause: Option<CauseId>,
}

/// What to tell the user about one cause.
#[derive(Debug, Clone, Deserialize)]
pub struct Advice {
    pub title: String,
    #[serde(default)]
    pub status_nginx: Option<u16>,
    #[serde(default)]
    pub status_apache: Option<u16>,
    pub explanations: Vec<String>,
    pub checks: Vec<String>,
    #[serde(default)]
    pub directives_nginx: Vec<String>,
    #[serde(default)]
    pub directives_apache: Vec<String>,
    /// Whether lines of this cause are upstream failures (counted in the headline);
    /// `false` for what a backend logs while still answering.
    #[serde(default = "yes")]
    pub failure: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone)]
pub struct Cause {
    pub id: String,
    pub advice: Advice,
}

#[derive(Debug)]
pub struct Catalogue {
    pub causes: Vec<Cause>,
    pub rules: Vec<Rule>,
}

impl Catalogue {
    /// The embedded catalogue. Its data is checked by tests, so a malformed row is a build
    /// defect, reported once here rather than handled on every line.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| match Catalogue::parse(CATALOGUE_TSV, ADVICE_TOML) {
            Ok(c) => c,
            Err(e) => panic!("embedded grammars/logs catalogue is invalid: {e}"),
        })
    }

    pub fn parse(tsv: &str, advice: &str) -> Result<Catalogue, String> {
        let causes = parse_advice(advice)?;
        let mut rules = Vec::new();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            rules.push(
                parse_rule(line, &causes).map_err(|e| format!("catalogue.tsv:{}: {e}", n + 1))?,
            );
        }
        Ok(Catalogue { causes, rules })
    }

    /// The cause taxonomy as Markdown (docs/causes.md, kept in sync by a test): every
    /// cause id with its description, the status clients saw, what explains it and the
    /// directives involved, from advice.toml.
    pub fn causes_markdown(&self) -> String {
        let mut out = String::from(
            "# Upstream failure causes\n\n\
             <!-- Generated from grammars/logs/advice.toml: \
             `UPDATE_DOCS=1 cargo test --test logs_catalogue` -->\n\n\
             `proxylint logs` classifies every upstream-related error-log line into one of \
             these causes. The ids are public API (JSON and NDJSON output, `--fail-on`): \
             causes are added, never renamed.\n",
        );
        let status = |s: Option<u16>| s.map_or("-".to_string(), |s| s.to_string());
        for c in &self.causes {
            let a = &c.advice;
            out.push_str(&format!(
                "\n## `{}`\n\n{}.\n\nClient saw: {} (nginx), {} (Apache).\n\nLikely:\n",
                c.id,
                a.title,
                status(a.status_nginx),
                status(a.status_apache)
            ));
            for e in &a.explanations {
                out.push_str(&format!("- {e}\n"));
            }
            let directives: Vec<String> = a
                .directives_nginx
                .iter()
                .chain(&a.directives_apache)
                .map(|d| format!("`{d}`"))
                .collect();
            if !directives.is_empty() {
                out.push_str(&format!("\nConfiguration: {}.\n", directives.join(", ")));
            }
        }
        out
    }

    pub fn cause_id(&self, name: &str) -> Option<CauseId> {
        self.causes
            .iter()
            .position(|c| c.id == name)
            .and_then(|i| CauseId::try_from(i).ok())
    }

    pub fn cause(&self, id: CauseId) -> &Cause {
        &self.causes[usize::from(id)]
    }
}

fn parse_advice(text: &str) -> Result<Vec<Cause>, String> {
    // toml keeps table order only through its `preserve_order` feature; the order of the
    // file is the documentation order, so read the table names in file order ourselves.
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("advice.toml: {e}"))?;
    let order = text
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        .map(str::to_owned);
    order
        .map(|id| {
            let value = table
                .get(&id)
                .cloned()
                .ok_or_else(|| format!("advice.toml: [{id}] missing"))?;
            let advice: Advice = value
                .try_into()
                .map_err(|e| format!("advice.toml: [{id}]: {e}"))?;
            Ok(Cause { id, advice })
        })
        .collect()
}

fn parse_rule(line: &str, causes: &[Cause]) -> Result<Rule, String> {
    let cols: Vec<&str> = line.split('\t').collect();
    let [server, code, stem, errno, action, scheme, role_text, cause] = cols[..] else {
        return Err(format!(
            "expected 8 tab-separated columns, got {}",
            cols.len()
        ));
    };
    let server = match server {
        "nginx" => Server::Nginx,
        "apache" => Server::Apache,
        other => return Err(format!("unknown server {other:?}")),
    };
    let errnos = if errno == "*" {
        Vec::new()
    } else {
        errno
            .split(',')
            .map(|n| n.parse().map_err(|_| format!("bad errno {n:?}")))
            .collect::<Result<_, _>>()?
    };
    let scheme = match scheme {
        "*" => SchemeSel::Any,
        "unix" => SchemeSel::Unix,
        "tcp" => SchemeSel::Tcp,
        s => SchemeSel::Scheme(s.to_owned()),
    };
    let role = match role_text {
        "cause" => Role::Cause,
        "follows" => Role::Follows,
        "context" => Role::Context,
        // Never read: the row has no cause either (checked below).
        "-" => Role::Context,
        other => return Err(format!("unknown role {other:?}")),
    };
    if (role_text == "-") != (cause == "-") {
        return Err("role and cause are `-` together or not at all".into());
    }
    let cause = if cause == "-" {
        None
    } else {
        let id = causes
            .iter()
            .position(|c| c.id == cause)
            .and_then(|i| CauseId::try_from(i).ok())
            .ok_or_else(|| format!("unknown cause {cause:?} (not in advice.toml)"))?;
        Some(id)
    };
    Ok(Rule {
        server,
        code: if code == "-" {
            String::new()
        } else {
            code.to_owned()
        },
        stem: Glob::new(stem),
        stem_text: stem.to_owned(),
        errnos,
        action: Glob::new(action),
        scheme,
        role,
        cause,
    })
}

/// APR's status for an operating-system error on Windows: `APR_OS_START_SYSERR` + the
/// WSA/Win32 code, printed `(OS n)`.
pub const APR_OS_START_SYSERR: u32 = 720_000;

/// One error of grammars/logs/errno.tsv: its Linux number, its numbers elsewhere and
/// its wordings.
#[derive(Debug)]
struct ErrnoRow {
    linux: u32,
    bsd: Option<u32>,
    solaris: Option<u32>,
    windows: Option<u32>,
    texts: Vec<&'static str>,
}

impl ErrnoRow {
    fn says(&self, text: &str) -> bool {
        self.texts.contains(&text)
    }
}

/// Reads errno numbers of other systems as the Linux numbers the catalogue speaks.
#[derive(Debug)]
pub struct ErrnoTable {
    rows: Vec<ErrnoRow>,
    /// By number: true when the number is a Linux one of the table that no other system
    /// uses for another of its errors. Such a number can only mean the Linux error: the
    /// common case (a Linux log) is one lookup, without reading the text.
    linux_only: Vec<bool>,
}

impl ErrnoTable {
    /// The embedded table (checked by tests, like the catalogue).
    pub fn get() -> &'static ErrnoTable {
        static TABLE: OnceLock<ErrnoTable> = OnceLock::new();
        TABLE.get_or_init(|| match ErrnoTable::parse(ERRNO_TSV) {
            Ok(t) => t,
            Err(e) => panic!("embedded grammars/logs/errno.tsv is invalid: {e}"),
        })
    }

    pub fn parse(tsv: &'static str) -> Result<ErrnoTable, String> {
        let number = |s: &str| -> Result<Option<u32>, String> {
            if s == "-" {
                return Ok(None);
            }
            s.parse().map(Some).map_err(|_| format!("bad errno {s:?}"))
        };
        let mut rows = Vec::new();
        for (n, line) in tsv.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let cols: Vec<&'static str> = line.split('\t').collect();
            let [linux, bsd, solaris, windows, texts] = cols[..] else {
                return Err(format!("errno.tsv:{}: expected 5 columns", n + 1));
            };
            let at = |e: String| format!("errno.tsv:{}: {e}", n + 1);
            rows.push(ErrnoRow {
                linux: number(linux)
                    .map_err(at)?
                    .ok_or_else(|| at("no Linux number".into()))?,
                bsd: number(bsd).map_err(at)?,
                solaris: number(solaris).map_err(at)?,
                windows: number(windows).map_err(at)?,
                texts: texts.split('|').collect(),
            });
        }
        let mut linux_only = vec![false; 256];
        for r in &rows {
            let elsewhere = rows.iter().any(|o| {
                o.linux != r.linux && (o.bsd == Some(r.linux) || o.solaris == Some(r.linux))
            });
            let slot = linux_only
                .get_mut(r.linux as usize)
                .ok_or_else(|| format!("errno.tsv: Linux number {} too large", r.linux))?;
            *slot = !elsewhere;
        }
        Ok(ErrnoTable { rows, linux_only })
    }

    /// The Linux number of an error logged as `n` with the text `text`. `kevent` says the
    /// line came from kqueue (BSD, macOS), whose numbers are then taken even when the text
    /// is not one we know. A number no evidence places on another system is kept as is.
    #[inline]
    pub fn to_linux(&self, n: u32, text: &str, kevent: bool) -> u32 {
        // Only small numbers, WSA numbers and Apache's `(OS n)` may be another system's;
        // APR's own statuses (70007, 20014...) and a Linux log's errnos return at once.
        let maybe_foreign = match n {
            0..=255 => kevent || !self.linux_only[n as usize],
            10_000..=19_999 => true,
            _ => n >= APR_OS_START_SYSERR,
        };
        if maybe_foreign {
            self.to_linux_by_evidence(n, text, kevent)
        } else {
            n
        }
    }

    fn to_linux_by_evidence(&self, n: u32, text: &str, kevent: bool) -> u32 {
        let text = text.trim_end_matches(['.', ' ']);
        if self.rows.iter().any(|r| r.linux == n && r.says(text)) {
            return n;
        }
        let windows = n.checked_sub(APR_OS_START_SYSERR).unwrap_or(n);
        let found = self.rows.iter().find(|r| {
            (windows >= 10_000 && r.windows == Some(windows))
                || ((r.bsd == Some(n) || r.solaris == Some(n)) && r.says(text))
                || (kevent && r.bsd == Some(n))
        });
        found.map_or(n, |r| r.linux)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_anchors_and_wildcards() {
        let g = Glob::new("connect() to * failed");
        assert!(g.is_match("connect() to 127.0.0.1:9 failed"));
        assert!(!g.is_match("connect() to 127.0.0.1:9 failed badly"));
        assert!(!g.is_match("xconnect() to a failed"));
        assert!(Glob::new("*").is_match("anything"));
        assert!(Glob::new("no live upstreams").is_match("no live upstreams"));
        assert!(!Glob::new("no live upstreams").is_match("no live upstreams!"));
        assert!(Glob::new("*upstream*").is_match("reading response header from upstream"));
        assert!(Glob::new("* could not be resolved").is_match("x could not be resolved"));
        assert!(!Glob::new("a*a").is_match("a"));
    }

    #[test]
    fn errno_tables_by_evidence() {
        let t = ErrnoTable::get();
        // Linux stays Linux, whatever libc wrote the text.
        assert_eq!(t.to_linux(110, "Connection timed out", false), 110);
        assert_eq!(t.to_linux(110, "Operation timed out", false), 110);
        // BSD / macOS and Solaris numbers, told by the text.
        assert_eq!(t.to_linux(61, "Connection refused", false), 111);
        assert_eq!(t.to_linux(60, "Operation timed out", false), 110);
        assert_eq!(t.to_linux(146, "Connection refused", false), 111);
        assert_eq!(t.to_linux(131, "Connection reset by peer", false), 104);
        assert_eq!(
            t.to_linux(35, "Resource temporarily unavailable", false),
            11
        );
        // 61 is ENODATA on Linux: without evidence the number stays.
        assert_eq!(t.to_linux(61, "No data available", false), 61);
        // kqueue says BSD even when the text is unknown.
        assert_eq!(t.to_linux(54, "", true), 104);
        // Windows: nginx's WSA numbers and Apache's (OS n).
        assert_eq!(t.to_linux(10061, "No connection could be made", false), 111);
        assert_eq!(t.to_linux(APR_OS_START_SYSERR + 10060, "", false), 110);
        assert_eq!(
            t.to_linux(APR_OS_START_SYSERR + 64, "", false),
            APR_OS_START_SYSERR + 64
        );
    }

    #[test]
    fn embedded_catalogue_loads() {
        let c = Catalogue::get();
        assert!(c.rules.len() > 100);
        assert!(c.cause_id("connection-refused").is_some());
    }
}
