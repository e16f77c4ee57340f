//! How httpd splits and counts a directive's arguments: `ap_getword_conf` (server/util.c)
//! and the argument-count checks of `invoke_cmd` (server/config.c), with httpd's
//! messages ("X takes one argument, <help>").
//!
//! `args` is the text after the directive name on its logical line, as httpd hands it
//! to `invoke_cmd`: continuation lines joined, `${VAR}` expanded, trailing blanks
//! trimmed. There are no trailing comments in httpd: a `#` later on the line is an
//! argument like any other.

use std::borrow::Cow;

use super::{ArgsKind, DirectiveDef};

/// `apr_isspace`: the C locale's white space.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn skip_space(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8))
}

/// `substring_conf`: `\\` becomes `\`, and inside quotes `\<quote>` becomes the quote.
/// A lone backslash ending the line is dropped, as httpd copies the terminating NUL
/// over it.
fn unescape(raw: &str, quote: Option<u8>, at_end_of_line: bool) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        if b == b'\\' {
            match next {
                Some(n) if n == b'\\' || Some(n) == quote => {
                    out.push(n);
                    i += 2;
                    continue;
                }
                // httpd compares the byte after the word with the (absent) quote, NUL:
                // at the end of the line that drops the backslash.
                None if quote.is_none() && at_end_of_line => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    // Only ASCII bytes were removed, at ASCII positions: still UTF-8.
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// `ap_getword_conf`: the next word of `line` (quoted with `"` or `'`, or up to white
/// space), advancing `line` past it and the blanks after it. An empty result means no
/// more words, or an empty quoted word (`""`), which httpd cannot tell apart.
pub fn getword_conf<'a>(line: &mut &'a str) -> Cow<'a, str> {
    let s = skip_space(line);
    let bytes = s.as_bytes();
    let Some(&first) = bytes.first() else {
        *line = s;
        return Cow::Borrowed("");
    };
    let (word, rest) = if first == b'"' || first == b'\'' {
        let mut end = 1;
        while end < bytes.len() && bytes[end] != first {
            if bytes[end] == b'\\'
                && end + 1 < bytes.len()
                && (bytes[end + 1] == first || bytes[end + 1] == b'\\')
            {
                end += 2;
            } else {
                end += 1;
            }
        }
        let word = unescape(&s[1..end], Some(first), false);
        let rest = if end < bytes.len() {
            &s[end + 1..]
        } else {
            &s[end..]
        };
        (word, rest)
    } else {
        let end = bytes
            .iter()
            .position(|&b| is_space(b))
            .unwrap_or(bytes.len());
        (unescape(&s[..end], None, end == bytes.len()), &s[end..])
    };
    *line = skip_space(rest);
    word
}

/// `ap_getword_conf2`: [`getword_conf`], where a word may also be `{...}` (braces
/// nested; the outer pair removed, `\\` read as one backslash), as expressions are
/// written (`ProxyHCExpr ok {%{REQUEST_STATUS} =~ /^2/}`).
pub fn getword_conf2<'a>(line: &mut &'a str) -> Cow<'a, str> {
    let s = skip_space(line);
    if !s.starts_with('{') {
        return getword_conf(line);
    }
    let bytes = s.as_bytes();
    let (mut end, mut depth) = (1, 1usize);
    while end < bytes.len() {
        match bytes[end] {
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b'{' => depth += 1,
            b'\\' if bytes.get(end + 1) == Some(&b'\\') => end += 1,
            _ => {}
        }
        end += 1;
    }
    let word = unescape(&s[1..end], None, false);
    let rest = if end < bytes.len() {
        &s[end + 1..]
    } else {
        &s[end..]
    };
    *line = skip_space(rest);
    word
}

/// All words of `args` as `getword_conf` yields them, up to the first empty one (the end
/// of the line, or an empty quoted word, which ends the list for httpd too).
pub fn words(args: &str) -> Vec<Cow<'_, str>> {
    let mut rest = args;
    let mut out = Vec::new();
    loop {
        let w = getword_conf(&mut rest);
        if w.is_empty() {
            return out;
        }
        out.push(w);
    }
}

/// Every word of `args`, empty ones (`""`) included, as a handler that loops
/// `while (*arg)` over `ap_getword_conf` reads them ([`words`] stops at the first empty
/// one, as `ap_getword_conf`'s callers that test the word do).
pub fn all_words(args: &str) -> Vec<Cow<'_, str>> {
    let mut rest = args;
    let mut out = Vec::new();
    while !rest.is_empty() {
        out.push(getword_conf(&mut rest));
    }
    out
}

/// The first word of `args` (a TAKE1 handler's argument).
pub(super) fn first_word(args: &str) -> String {
    let mut rest = args;
    getword_conf(&mut rest).into_owned()
}

/// A handler that takes one of a few keywords (compared without case), else refuses
/// the line with `message`.
pub(super) fn one_of(arg: &str, choices: &[&str], message: &str) -> Result<(), String> {
    if choices.iter().any(|c| c.eq_ignore_ascii_case(arg)) {
        Ok(())
    } else {
        Err(message.to_string())
    }
}

/// The most words a TAKE_ARGV directive receives (`AP_MAX_ARGC`); httpd drops the rest.
pub const MAX_ARGV: usize = 64;

/// The words a TAKE_ARGV handler receives: empty quoted words included, at most 64.
pub fn argv(args: &str) -> Vec<Cow<'_, str>> {
    let mut rest = args;
    let mut out = Vec::new();
    loop {
        let w = getword_conf(&mut rest);
        if w.is_empty() && rest.is_empty() {
            return out;
        }
        out.push(w);
        if out.len() == MAX_ARGV || rest.is_empty() {
            return out;
        }
    }
}

fn takes(def: &DirectiveDef, what: &str) -> String {
    if def.help.is_empty() {
        format!("{} {what}", def.name)
    } else {
        format!("{} {what}, {}", def.name, def.help)
    }
}

/// `invoke_cmd`'s argument checks for `def` on `args`: the count for TAKE* and ITERATE*,
/// On/Off for FLAG, nothing for RAW_ARGS and TAKE_ARGV (their handlers count).
pub fn check_args(def: &DirectiveDef, args: &str) -> Result<(), String> {
    let mut rest = skip_space(args);
    let next = getword_conf;
    match def.args {
        ArgsKind::RawArgs | ArgsKind::TakeArgv => Ok(()),
        ArgsKind::NoArgs => {
            if rest.is_empty() {
                Ok(())
            } else {
                Err(format!("{} takes no arguments", def.name))
            }
        }
        ArgsKind::Take1 => {
            let w = next(&mut rest);
            if w.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes one argument"));
            }
            Ok(())
        }
        ArgsKind::Take2 => {
            let w = next(&mut rest);
            let w2 = next(&mut rest);
            if w.is_empty() || w2.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes two arguments"));
            }
            Ok(())
        }
        ArgsKind::Take12 => {
            let w = next(&mut rest);
            next(&mut rest);
            if w.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes 1-2 arguments"));
            }
            Ok(())
        }
        ArgsKind::Take3 => {
            let w = next(&mut rest);
            let w2 = next(&mut rest);
            let w3 = next(&mut rest);
            if w.is_empty() || w2.is_empty() || w3.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes three arguments"));
            }
            Ok(())
        }
        ArgsKind::Take23 => {
            let w = next(&mut rest);
            let w2 = next(&mut rest);
            if !rest.is_empty() {
                next(&mut rest);
            }
            if w.is_empty() || w2.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes two or three arguments"));
            }
            Ok(())
        }
        ArgsKind::Take123 => {
            let w = next(&mut rest);
            for _ in 0..2 {
                if !rest.is_empty() {
                    next(&mut rest);
                }
            }
            if w.is_empty() || !rest.is_empty() {
                return Err(takes(def, "takes one, two or three arguments"));
            }
            Ok(())
        }
        ArgsKind::Take13 => {
            let w = next(&mut rest);
            let w2 = (!rest.is_empty()).then(|| next(&mut rest));
            let w3 = (!rest.is_empty()).then(|| next(&mut rest));
            let two_only = w2.as_ref().is_some_and(|w2| !w2.is_empty()) && w3.is_none();
            if w.is_empty() || two_only || !rest.is_empty() {
                return Err(takes(def, "takes one or three arguments"));
            }
            Ok(())
        }
        ArgsKind::Iterate => {
            if next(&mut rest).is_empty() {
                return Err(takes(def, "requires at least one argument"));
            }
            Ok(())
        }
        ArgsKind::Iterate2 => {
            if next(&mut rest).is_empty() || rest.is_empty() {
                return Err(takes(def, "requires at least two arguments"));
            }
            Ok(())
        }
        ArgsKind::Flag => {
            // Words after the first are not looked at.
            let w = next(&mut rest);
            if w.eq_ignore_ascii_case("on") || w.eq_ignore_ascii_case("off") {
                Ok(())
            } else {
                Err(format!("{} must be On or Off", def.name))
            }
        }
    }
}

/// The words of a RewriteRule or RewriteCond line as mod_rewrite's `parseargline` splits
/// them: quotes group, a backslash escapes the blank after it, and anything after the
/// third word is ignored. `None` when there is no second word (httpd: "bad argument
/// line").
pub fn rewrite_args(args: &str) -> Option<(&str, &str, Option<&str>)> {
    fn word(s: &str) -> (&str, &str, bool) {
        let bytes = s.as_bytes();
        let quote = match bytes.first() {
            Some(&q @ (b'"' | b'\'')) => Some(q),
            _ => None,
        };
        let start = usize::from(quote.is_some());
        let mut i = start;
        while i < bytes.len() {
            let b = bytes[i];
            if (quote.is_none() && is_space(b)) || Some(b) == quote {
                return (&s[start..i], &s[i + 1..], true);
            }
            if b == b'\\' && bytes.get(i + 1).is_some_and(|&n| is_space(n)) {
                i += 2;
                continue;
            }
            i += 1;
        }
        (&s[start..], "", false)
    }
    let (a1, rest, more) = word(skip_space(args));
    if !more {
        return None;
    }
    let (a2, rest, more) = word(skip_space(rest));
    let rest = skip_space(rest);
    if !more || rest.is_empty() {
        return Some((a1, a2, None));
    }
    let (a3, _, _) = word(rest);
    Some((a1, a2, Some(a3)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::grammar::defs;

    fn def(name: &str) -> &'static DirectiveDef {
        defs(name).next().expect(name)
    }

    #[test]
    fn getword_conf2_reads_braced_words() {
        let mut line = "{%{A} =~ /{x}/} \"q w\" rest";
        assert_eq!(getword_conf2(&mut line), "%{A} =~ /{x}/");
        assert_eq!(getword_conf2(&mut line), "q w");
        assert_eq!(getword_conf2(&mut line), "rest");
        assert_eq!(getword_conf2(&mut line), "");
        let mut unclosed = "{a {b} c";
        assert_eq!(getword_conf2(&mut unclosed), "a {b} c");
        assert_eq!(unclosed, "");
        let mut escaped = "{a\\\\} b} c";
        assert_eq!(getword_conf2(&mut escaped), "a\\");
        assert_eq!(escaped, "b} c");
    }

    #[test]
    fn getword_splits_on_blanks_and_quotes() {
        assert_eq!(words("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(words(r#""a b" 'c d' e"#), ["a b", "c d", "e"]);
        assert_eq!(words(r#"x"y z""#), [r#"x"y"#, r#"z""#]);
        assert_eq!(words(r#""ab"cd"#), ["ab", "cd"]);
        assert_eq!(words("   "), Vec::<String>::new());
    }

    #[test]
    fn getword_unescapes_like_substring_conf() {
        assert_eq!(words(r#""a \"q\" \\ \n""#), [r#"a "q" \ \n"#]);
        assert_eq!(words(r"'it\'s'"), ["it's"]);
        assert_eq!(words(r"a\\b c\d"), [r"a\b", r"c\d"]);
        // A backslash ending the line is dropped; before a blank it stays.
        assert_eq!(words(r"a\"), ["a"]);
        assert_eq!(words(r"a\ b"), [r"a\", "b"]);
    }

    #[test]
    fn unclosed_quote_runs_to_end_of_line() {
        assert_eq!(words(r#""a b c"#), ["a b c"]);
        assert_eq!(words(r#""a \" b"#), [r#"a " b"#]);
    }

    #[test]
    fn empty_quoted_word_ends_the_words() {
        assert_eq!(words(r#"a "" b"#), ["a"]);
        assert_eq!(argv(r#"a "" b"#), ["a", "", "b"]);
    }

    #[test]
    fn argv_keeps_64_words() {
        let many = vec!["w"; 70].join(" ");
        assert_eq!(argv(&many).len(), 64);
        assert!(argv("").is_empty());
        // A final empty word ends the list, as in invoke_cmd.
        assert_eq!(argv("a \"\""), ["a"]);
    }

    #[test]
    fn non_ascii_and_lossy_text_is_kept() {
        assert_eq!(words("é \u{fffd}x"), ["é", "\u{fffd}x"]);
        assert_eq!(words("\"é\\\\\""), ["é\\"]);
    }

    #[test]
    fn take1_counts_one_argument_with_help() {
        let d = def("ServerName");
        assert!(check_args(d, "example.org").is_ok());
        assert_eq!(
            check_args(d, "").unwrap_err(),
            format!("ServerName takes one argument, {}", d.help)
        );
        assert!(check_args(d, "a b").is_err());
        // No trailing comments: `#` is an argument.
        assert!(check_args(d, "example.org # main site").is_err());
        assert!(check_args(d, "\"\"").is_err());
    }

    #[test]
    fn take2_take12_take3_take23_take123_take13() {
        let t2 = def("LoadModule");
        assert!(check_args(t2, "a b").is_ok());
        assert!(
            check_args(t2, "a")
                .unwrap_err()
                .starts_with("LoadModule takes two arguments, ")
        );
        let t12 = def("Define");
        assert!(check_args(t12, "A").is_ok());
        assert!(check_args(t12, "A B").is_ok());
        assert!(
            check_args(t12, "A B C")
                .unwrap_err()
                .starts_with("Define takes 1-2 arguments")
        );
        assert!(check_args(t12, "A \"\"").is_ok());
        let t123 = def("ProxyPassReverse");
        assert!(check_args(t123, "/ http://b/").is_ok());
        assert!(
            check_args(t123, "a b c d")
                .unwrap_err()
                .contains("one, two or three")
        );
        let t23 = def("ProxyRemote");
        assert!(check_args(t23, "* http://p:8080").is_ok());
        assert!(check_args(t23, "*").unwrap_err().contains("two or three"));
        let t3 = defs("LuaOutputFilter").next().expect("lua");
        assert!(check_args(t3, "a b c").is_ok());
        assert!(
            check_args(t3, "a b")
                .unwrap_err()
                .contains("takes three arguments")
        );
    }

    #[test]
    fn take13_refuses_two_words() {
        let t13 = DirectiveDef {
            args: ArgsKind::Take13,
            help: "",
            ..*def("ServerName")
        };
        assert!(check_args(&t13, "a").is_ok());
        assert!(check_args(&t13, "a b c").is_ok());
        assert_eq!(
            check_args(&t13, "a b").unwrap_err(),
            "ServerName takes one or three arguments"
        );
        assert!(check_args(&t13, "a b c d").is_err());
    }

    #[test]
    fn iterate_needs_one_and_iterate2_two() {
        let it = def("ProxyBlock");
        assert!(check_args(it, "a.example b.example").is_ok());
        assert!(
            check_args(it, "")
                .unwrap_err()
                .contains("requires at least one argument")
        );
        let it2 = def("AddType");
        assert!(check_args(it2, "text/x .x .y").is_ok());
        assert!(
            check_args(it2, "text/x")
                .unwrap_err()
                .contains("requires at least two arguments")
        );
    }

    #[test]
    fn flag_is_on_or_off_and_ignores_the_rest() {
        let f = def("ProxyPreserveHost");
        assert!(check_args(f, "On").is_ok());
        assert!(check_args(f, "off").is_ok());
        assert!(check_args(f, "On trailing words").is_ok());
        assert_eq!(
            check_args(f, "yes").unwrap_err(),
            "ProxyPreserveHost must be On or Off"
        );
        assert_eq!(
            check_args(f, "").unwrap_err(),
            "ProxyPreserveHost must be On or Off"
        );
    }

    #[test]
    fn no_args_and_raw_args() {
        let n = defs("SecResponseBodyMimeTypesClear")
            .next()
            .expect("modsec");
        assert!(check_args(n, "").is_ok());
        assert_eq!(
            check_args(n, "x").unwrap_err(),
            "SecResponseBodyMimeTypesClear takes no arguments"
        );
        assert!(check_args(def("RewriteRule"), "^ - # anything").is_ok());
        assert!(check_args(def("Listen"), "").is_ok());
    }

    #[test]
    fn rewrite_args_split_like_parseargline() {
        assert_eq!(rewrite_args("^/a /b"), Some(("^/a", "/b", None)));
        assert_eq!(rewrite_args("^/a /b [L]"), Some(("^/a", "/b", Some("[L]"))));
        // Words after the third are ignored; a # is a flags field.
        assert_eq!(
            rewrite_args("^/a /b [L] # x"),
            Some(("^/a", "/b", Some("[L]")))
        );
        assert_eq!(rewrite_args("^/a /b # x"), Some(("^/a", "/b", Some("#"))));
        assert_eq!(rewrite_args(r"^/a\ b /c"), Some((r"^/a\ b", "/c", None)));
        assert_eq!(
            rewrite_args(r#""^/a b" "/c d""#),
            Some(("^/a b", "/c d", None))
        );
        assert_eq!(rewrite_args("^/a"), None);
        assert_eq!(rewrite_args("^/a /b   "), Some(("^/a", "/b", None)));
    }
}
