//! The syntax errors PCRE2 reports for the regular expressions of a configuration
//! (`location ~`, `if ($x ~ ...)`, `rewrite`, `server_name ~`), for the mistakes people
//! actually make: unbalanced parentheses, an unclosed character class, a quantifier with
//! nothing to repeat, a trailing backslash. Anything this scanner does not understand
//! is accepted: it must never refuse a pattern PCRE2 accepts.

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
}

const NOTHING_TO_REPEAT: &str = "quantifier does not follow a repeatable item";

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
    let close = i + b[i..].iter().position(|&c| c == b'}')?;
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
                // POSIX class `[:alpha:]`.
                let rest = &b[j + 2..];
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

pub fn check(pattern: &str) -> Result<(), RegexError> {
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
                    return err("\\ at end of pattern", b.len());
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
                None => return err("missing terminating ] for character class", b.len()),
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
                    return err("unmatched closing parenthesis", i);
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
                        return err("numbers out of order in {} quantifier", end);
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
        return err("missing closing parenthesis", b.len());
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
