//! The regular expressions of a configuration and the syntax errors PCRE2 reports for
//! them. [`directive_patterns`] and [`map_key_pattern`] say which arguments nginx
//! compiles as regular expressions (every `ngx_regex_compile` call of nginx's source:
//! `location ~`, `if ($x ~ ...)`, `rewrite`, `server_name ~`, map keys, `valid_referers
//! ~`, `gzip_disable`, `fastcgi_split_path_info`, `proxy_redirect ~`,
//! `proxy_cookie_domain ~`, `proxy_cookie_path ~`, `proxy_cookie_flags ~`), cut the way
//! nginx cuts them. [`check`] finds the mistakes people actually make: unbalanced
//! parentheses, an unclosed character class, a quantifier with nothing to repeat, a
//! trailing backslash. Anything this scanner does not understand is accepted: it must
//! never refuse a pattern PCRE2 accepts. Pure functions of the text.

use super::ast::Word;
use super::handlers::{IF_OPERATORS, LocationKind, if_condition_words, location_kind};

/// A PCRE2 compile error: nginx prints `pcre2_compile() failed: {message} in "{pattern}"`
/// and, unless the error is at the end, ` at "{rest}"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    pub message: &'static str,
    /// Byte offset PCRE2 reports.
    pub offset: usize,
}

impl RegexError {
    /// nginx's message for this error in `pattern`.
    pub fn nginx_message(&self, pattern: &str) -> String {
        let mut out = format!("pcre2_compile() failed: {} in \"{pattern}\"", self.message);
        if self.offset < pattern.len() {
            out.push_str(&format!(" at \"{}\"", &pattern[self.offset..]));
        }
        out
    }

    /// What to change, for this kind of error.
    pub fn help(&self) -> &'static str {
        match self.message {
            NOTHING_TO_REPEAT => {
                "a regular expression, not a glob: escape `.` as `\\.`, and `*` repeats the item before it"
            }
            MISSING_PAREN => {
                "a group opened with `(` is not closed: add its `)`, or write a literal parenthesis as `\\(`"
            }
            UNMATCHED_PAREN => {
                "this `)` closes no group: remove it, or write a literal parenthesis as `\\)`"
            }
            MISSING_BRACKET => {
                "a character class opened with `[` is not closed: add its `]`, or write a literal bracket as `\\[`"
            }
            TRAILING_BACKSLASH => "a literal backslash is written `\\\\`",
            OUT_OF_ORDER => "write the smaller number first: `{min,max}`",
            _ => "close the comment group with `)`",
        }
    }
}

/// A regular expression nginx compiles from a directive's arguments: the argument's
/// index and the pattern as nginx cuts it from the argument.
pub type Pattern<'a> = (usize, &'a str);

/// The regular expressions of directive `name` with these arguments (an `http` or
/// `stream` directive; map entries are data lines: see [`map_key_pattern`]).
pub fn directive_patterns<'a>(name: &str, args: &'a [Word]) -> Vec<Pattern<'a>> {
    let first = || args.first().map(|w| (0, &*w.value));
    // `~pattern` (and `~*pattern` where nginx reads the `*` as "caseless").
    let tilde = |star: bool| {
        first().and_then(|(i, v)| {
            let p = v.strip_prefix('~')?;
            Some((
                i,
                if star {
                    p.strip_prefix('*').unwrap_or(p)
                } else {
                    p
                },
            ))
        })
    };
    match name {
        "location" => match location_kind(args) {
            Some((LocationKind::Regex { .. }, pattern)) => vec![(args.len() - 1, pattern)],
            _ => Vec::new(),
        },
        "rewrite" | "fastcgi_split_path_info" => first().into_iter().collect(),
        "gzip_disable" => args
            .iter()
            .enumerate()
            .filter(|(_, w)| !matches!(&*w.value, "msie6" | "degradation"))
            .map(|(i, w)| (i, &*w.value))
            .collect(),
        // `~` alone is "empty regex" to the referer module, not a pattern.
        "server_name" | "valid_referers" => args
            .iter()
            .enumerate()
            .filter_map(|(i, w)| w.value.strip_prefix('~').map(|p| (i, p)))
            .filter(|(_, p)| name == "server_name" || !p.is_empty())
            .collect(),
        "proxy_redirect" if args.len() == 2 => tilde(true).into_iter().collect(),
        "proxy_cookie_path" => tilde(true).into_iter().collect(),
        // Caseless always: nginx takes no `~*` here, a `*` is part of the pattern.
        "proxy_cookie_domain" | "proxy_cookie_flags" => tilde(false).into_iter().collect(),
        "if" => match if_condition_words(args).as_deref() {
            Ok([_, (_, op), pattern]) if IF_OPERATORS[2..].contains(op) => vec![*pattern],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The regular expression of a map entry's key (`~pattern`, `~*pattern`).
pub fn map_key_pattern(key: &str) -> Option<&str> {
    let pattern = key.strip_prefix('~')?;
    Some(pattern.strip_prefix('*').unwrap_or(pattern))
}

/// Whether a pattern switches on extended mode (`(?x)`), where whitespace and `#`
/// comments are ignored: the scanner does not model it.
fn extended(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(at, _)| {
        pattern[at + 2..]
            .bytes()
            .take_while(|c| c.is_ascii_alphabetic() || *c == b'^')
            .any(|c| c == b'x')
    })
}

const MISSING_PAREN: &str = "missing closing parenthesis";
const UNMATCHED_PAREN: &str = "unmatched closing parenthesis";
const MISSING_BRACKET: &str = "missing terminating ] for character class";
const TRAILING_BACKSLASH: &str = "\\ at end of pattern";
const OUT_OF_ORDER: &str = "numbers out of order in {} quantifier";
const NOTHING_TO_REPEAT: &str = "quantifier does not follow a repeatable item";

/// Longest `{n,m}` looked for: PCRE2's numbers stop at 65535.
const MAX_QUANTIFIER: usize = 16;
/// Longest POSIX class (`[:^xdigit:]`) after its `[:`, closing `:]` included.
const POSIX_NAME: usize = 12;

/// What precedes a quantifier.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Start of pattern or group, `|`, an anchor or assertion, an option setting.
    Nothing,
    /// Something a quantifier applies to.
    Item,
    /// A quantifier; it may take one `?` or `+` modifier.
    Quantifier,
    /// A quantifier with its modifier.
    Modified,
}

/// `{n}`, `{n,}`, `{n,m}` at `i`: its end (index of `}`) and whether the numbers are out
/// of order. Anything else is a literal `{`.
fn brace_quantifier(b: &[u8], i: usize) -> Option<(usize, bool)> {
    // Numbers, not text: the search stops early, so a run of `{` stays linear.
    let window = &b[i..b.len().min(i + MAX_QUANTIFIER)];
    let close = i + window.iter().position(|&c| c == b'}')?;
    let inner = std::str::from_utf8(&b[i + 1..close]).ok()?;
    let (lo, hi) = match inner.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (inner, None),
    };
    let lo: u64 = lo.parse().ok()?;
    let out_of_order = match hi {
        Some("") | None => false,
        Some(hi) => hi.parse::<u64>().ok()? < lo,
    };
    Some((close, out_of_order))
}

/// End of a character class starting at `i` (`[`), or `None` when unterminated.
fn class_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if b.get(j) == Some(&b'^') {
        j += 1;
    }
    // A `]` first in the class is literal.
    if b.get(j) == Some(&b']') {
        j += 1;
    }
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'[' if b.get(j + 1) == Some(&b':') => {
                // POSIX class `[:alpha:]`: a short name, so the search for its end is
                // short too (a long run of `[:` stays linear).
                let rest = &b[j + 2..b.len().min(j + 2 + POSIX_NAME)];
                j += 2 + rest
                    .windows(2)
                    .position(|w| w == b":]")
                    .map_or(0, |p| p + 2);
            }
            b']' => return Some(j),
            _ => j += 1,
        }
    }
    None
}

/// Where the body of a `(?...` group starts, `i` just after the `?`: past `:`, `=`,
/// `!`, `>`, `|`, `<=`, `<!`, a name (`<name>`, `P<name>`, `'name'`) or option letters
/// with their `:`. Other forms (`(?R)`, `(?1)`, `(?&name)`) are read as ordinary text.
fn group_body(b: &[u8], i: usize) -> usize {
    let until = |from: usize, end: u8| {
        b[from..]
            .iter()
            .position(|&c| c == end)
            .map_or(b.len(), |p| from + p + 1)
    };
    match b.get(i) {
        Some(b':' | b'=' | b'!' | b'>' | b'|') => i + 1,
        Some(b'<') if matches!(b.get(i + 1), Some(b'=' | b'!')) => i + 2,
        Some(b'<') => until(i, b'>'),
        Some(b'P') if b.get(i + 1) == Some(&b'<') => until(i, b'>'),
        Some(b'\'') => until(i + 1, b'\''),
        Some(c) if c.is_ascii_alphabetic() || *c == b'-' || *c == b'^' => {
            let flags = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic() || **c == b'-' || **c == b'^')
                .count();
            if b.get(i + flags) == Some(&b':') {
                i + flags + 1
            } else {
                i
            }
        }
        _ => i,
    }
}

/// The first syntax error PCRE2 would report for `pattern`, if this scanner sees it.
pub fn check(pattern: &str) -> Result<(), RegexError> {
    if extended(pattern) {
        return Ok(());
    }
    let b = pattern.as_bytes();
    let mut depth = 0usize;
    let mut prev = Prev::Nothing;
    let mut i = 0;
    let err = |message, offset| Err(RegexError { message, offset });
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' => {
                let Some(&next) = b.get(i + 1) else {
                    return err(TRAILING_BACKSLASH, b.len());
                };
                if next == b'Q' {
                    // Literal text up to \E (or the end).
                    let rest = &pattern[i + 2..];
                    i += 2 + rest.find("\\E").map_or(rest.len(), |p| p + 2);
                    prev = Prev::Item;
                    continue;
                }
                prev = if matches!(next, b'b' | b'B' | b'A' | b'z' | b'Z' | b'G' | b'K') {
                    Prev::Nothing
                } else {
                    Prev::Item
                };
                i += 2;
            }
            b'[' => match class_end(b, i) {
                Some(end) => {
                    i = end + 1;
                    prev = Prev::Item;
                }
                None => return err(MISSING_BRACKET, b.len()),
            },
            b'(' => {
                if b.get(i + 1) == Some(&b'*') {
                    // PCRE2 verbs and alpha assertions: not checked.
                    return Ok(());
                }
                if b.get(i + 1) == Some(&b'?') && b.get(i + 2) == Some(&b'#') {
                    // A comment group.
                    match pattern[i..].find(')') {
                        Some(p) => i += p + 1,
                        None => return err("missing ) after (?# comment", b.len()),
                    }
                    continue;
                }
                // `(?i)` alone sets options: nothing to repeat after it.
                let options_only = b.get(i + 1) == Some(&b'?')
                    && b[i + 2..]
                        .iter()
                        .take_while(|c| c.is_ascii_alphabetic() || **c == b'-' || **c == b'^')
                        .count()
                        .checked_add(i + 2)
                        .is_some_and(|end| b.get(end) == Some(&b')') && end > i + 2);
                if options_only {
                    i += pattern[i..].find(')').map_or(1, |p| p + 1);
                    prev = Prev::Nothing;
                    continue;
                }
                depth += 1;
                prev = Prev::Nothing;
                i += 1;
                if b.get(i) == Some(&b'?') {
                    i = group_body(b, i + 1);
                }
            }
            b')' => {
                if depth == 0 {
                    return err(UNMATCHED_PAREN, i);
                }
                depth -= 1;
                prev = Prev::Item;
                i += 1;
            }
            b'|' | b'^' | b'$' => {
                prev = Prev::Nothing;
                i += 1;
            }
            b'*' | b'+' | b'?' => {
                match (prev, c) {
                    (Prev::Item, _) => prev = Prev::Quantifier,
                    (Prev::Quantifier, b'?' | b'+') => prev = Prev::Modified,
                    _ => return err(NOTHING_TO_REPEAT, i),
                }
                i += 1;
            }
            b'{' => match brace_quantifier(b, i) {
                Some((end, out_of_order)) => {
                    if prev != Prev::Item {
                        return err(NOTHING_TO_REPEAT, end);
                    }
                    if out_of_order {
                        return err(OUT_OF_ORDER, end);
                    }
                    prev = Prev::Quantifier;
                    i = end + 1;
                }
                None => {
                    prev = Prev::Item;
                    i += 1;
                }
            },
            _ => {
                prev = Prev::Item;
                i += 1;
            }
        }
    }
    if depth > 0 {
        return err(MISSING_PAREN, b.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Patterns and the message Debian's nginx 1.22.1 (PCRE2 10.42) printed for them.
    const REFUSED: &[(&str, &str)] = &[
        (
            "^/(a",
            "pcre2_compile() failed: missing closing parenthesis in \"^/(a\"",
        ),
        (
            "^/a)b",
            "pcre2_compile() failed: unmatched closing parenthesis in \"^/a)b\" at \")b\"",
        ),
        (
            "^/[a",
            "pcre2_compile() failed: missing terminating ] for character class in \"^/[a\"",
        ),
        (
            "*a",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"*a\" at \"*a\"",
        ),
        (
            "(?<n>a",
            "pcre2_compile() failed: missing closing parenthesis in \"(?<n>a\"",
        ),
        (
            "^/(?:a|b))",
            "pcre2_compile() failed: unmatched closing parenthesis in \"^/(?:a|b))\" at \")\"",
        ),
        (
            "a**",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"a**\" at \"*\"",
        ),
        (
            "\\",
            "pcre2_compile() failed: \\ at end of pattern in \"\\\"",
        ),
        (
            "a|*b",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"a|*b\" at \"*b\"",
        ),
        (
            "^*a",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"^*a\" at \"*a\"",
        ),
        (
            "(?i)*a",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"(?i)*a\" at \"*a\"",
        ),
        (
            "a{2}{3}",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"a{2}{3}\" at \"}\"",
        ),
        (
            "a?*",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"a?*\" at \"*\"",
        ),
        (
            "a*?+",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"a*?+\" at \"+\"",
        ),
        (
            "$*",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"$*\" at \"*\"",
        ),
        (
            "\\b*",
            "pcre2_compile() failed: quantifier does not follow a repeatable item in \"\\b*\" at \"*\"",
        ),
        (
            "a{2,1}",
            "pcre2_compile() failed: numbers out of order in {} quantifier in \"a{2,1}\" at \"}\"",
        ),
        (
            "(?",
            "pcre2_compile() failed: missing closing parenthesis in \"(?\"",
        ),
    ];

    /// Patterns the same nginx accepted.
    const ACCEPTED: &[&str] = &[
        "^/a{2",
        "a++",
        "(?P<x>a)",
        "[]a]",
        "[^]a]",
        "a{,3}",
        "(?=a)",
        "\\Q(\\E",
        "[a-]",
        "[[:alpha:]]",
        "(?#c)a",
        "x{3}+",
        "\\.php$",
        "^/(?<name>[a-z]+)/(\\d+)$",
        "~*\\.(jpg|png)$",
    ];

    fn words(line: &[(&str, bool)]) -> Vec<Word> {
        let span = crate::source::Span::new(crate::source::FileId(0), 0, 0);
        line.iter()
            .map(|&(value, quoted)| Word {
                value: value.into(),
                span,
                quoted,
            })
            .collect()
    }

    /// Issue 7 item 1: `if ($query_string ~ "base64_(en|de)code\(.*\)")` lost the
    /// last `)` of its pattern (the `)` after the quote is a word of its own) and was
    /// reported as "missing closing parenthesis".
    #[test]
    fn quoted_if_pattern_ending_in_escaped_paren_keeps_it() {
        let quoted = words(&[
            ("($query_string", false),
            ("~", false),
            ("base64_(en|de)code\\(.*\\)", true),
            (")", false),
        ]);
        assert_eq!(
            directive_patterns("if", &quoted),
            [(2, "base64_(en|de)code\\(.*\\)")]
        );
        assert_eq!(check("base64_(en|de)code\\(.*\\)"), Ok(()));
        // Unquoted, the condition's `)` is the word's last byte: that one goes.
        let unquoted = words(&[
            ("($args", false),
            ("~*", false),
            ("sleep\\(\\d+\\))", false),
        ]);
        assert_eq!(
            directive_patterns("if", &unquoted),
            [(2, "sleep\\(\\d+\\)")]
        );
        // `=` compares strings: no pattern.
        let equal = words(&[("($a", false), ("=", false), ("x)", false)]);
        assert!(directive_patterns("if", &equal).is_empty());
    }

    #[test]
    fn tilde_forms_are_cut_as_nginx_cuts_them() {
        let w = words(&[("~*^/App/(.*)$", false), ("/$1", false)]);
        assert_eq!(
            directive_patterns("proxy_cookie_path", &w),
            [(0, "^/App/(.*)$")]
        );
        // No `~*` in proxy_cookie_domain: the `*` stays and PCRE2 refuses it.
        let w = words(&[("~*\\.lan$", false), ("example.com", false)]);
        assert_eq!(
            directive_patterns("proxy_cookie_domain", &w),
            [(0, "*\\.lan$")]
        );
        let w = words(&[("default", false)]);
        assert!(directive_patterns("proxy_redirect", &w).is_empty());
        let w = words(&[("msie6", false), ("MSIE [1-6]\\.", true)]);
        assert_eq!(
            directive_patterns("gzip_disable", &w),
            [(1, "MSIE [1-6]\\.")]
        );
        let w = words(&[("none", false), ("~", false), ("~\\.test$", false)]);
        assert_eq!(directive_patterns("valid_referers", &w), [(2, "\\.test$")]);
        assert_eq!(map_key_pattern("~*^curl/"), Some("^curl/"));
        assert_eq!(map_key_pattern("\\~x"), None);
    }

    /// A long run of `{` or `[:` is scanned in linear time.
    #[test]
    fn runs_of_braces_and_posix_openers_stay_linear() {
        let started = std::time::Instant::now();
        assert_eq!(check(&"a{".repeat(500_000)), Ok(()));
        assert!(check(&format!("[{}", "[:".repeat(500_000))).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn extended_mode_is_not_judged() {
        assert_eq!(check("(?x) a ( # a comment with ( and ["), Ok(()));
        assert_eq!(check("(?ix:a b)"), Ok(()));
    }

    #[test]
    fn refuses_what_pcre2_refuses_with_its_message() {
        for (pattern, message) in REFUSED {
            let e = check(pattern).expect_err(pattern);
            assert_eq!(&e.nginx_message(pattern), message);
        }
    }

    #[test]
    fn accepts_what_pcre2_accepts() {
        for pattern in ACCEPTED {
            assert_eq!(check(pattern), Ok(()), "{pattern}");
        }
    }
}
