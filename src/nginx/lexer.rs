//! nginx's tokenizer, byte for byte as `ngx_conf_read_token` (src/core/ngx_conf_file.c)
//! reads a configuration:
//!
//! - whitespace is only space, tab, CR and LF (a UTF-8 no-break space is part of a word);
//! - `#` starts a comment only where a token may start (`a#b` is one word);
//! - a quote opens a string only at a token start, and the closing quote must be followed
//!   by whitespace, `;`, `{` or `)`;
//! - a backslash makes the next byte literal; in the word's value `\"`, `\'`, `\\` lose
//!   the backslash and `\t`, `\r`, `\n` become control characters, other escapes stay;
//! - `}` inside a word is literal, `{` right after `$` is literal (`${var}`);
//! - a token whose bytes reach nginx's 4096-byte read buffer is "too long".
//!
//! The lexer never fails: problems are recorded as [`SyntaxError`]s and lexing goes on.

use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{take_till, take_while};

use super::ast::{SyntaxError, SyntaxErrorKind};
use crate::source::{FileId, Span};

/// nginx reads configuration files through a buffer of this size; a token (from its
/// start to the byte nginx must read to finish it) may not fill it.
pub const NGX_CONF_BUFFER: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Semicolon,
    OpenBrace,
    CloseBrace,
    Comment,
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: TokenKind,
    /// Raw extent, quotes included for quoted words, `#` included for comments.
    pub span: Span,
    /// Unescaped value of a word, text of a comment (after `#`), empty otherwise.
    pub value: Box<str>,
    pub quoted: bool,
}

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    file: FileId,
    pub errors: Vec<SyntaxError>,
}

/// nginx's whitespace: only space, tab, CR and LF.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Skips nginx whitespace.
fn whitespace(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(is_space).parse(i)
}

/// A comment body: everything up to the end of the line (the `#` already consumed).
fn comment_body(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_till(|b| b == b'\n').parse(i)
}

/// Bytes of an unquoted word: up to whitespace, `;` or `{` (a `{` right after `$` and
/// any byte after a backslash do not end it).
fn word_body(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let mut n = 0;
    let mut variable = false;
    while n < i.len() {
        let b = i[n];
        if b == b'{' && variable {
            // nginx keeps `variable` set here, so `${{` stays literal too.
            n += 1;
            continue;
        }
        variable = false;
        match b {
            b'\\' => n += 2,
            b'$' => {
                variable = true;
                n += 1;
            }
            b';' | b'{' => break,
            _ if is_space(b) => break,
            _ => n += 1,
        }
    }
    let n = n.min(i.len());
    Ok((&i[n..], &i[..n]))
}

/// Bytes of a quoted string up to (not including) the closing quote; the opening quote
/// already consumed. Returns `None` in the output position when the file ends first.
fn quoted_body(quote: u8) -> impl Fn(&[u8]) -> IResult<&[u8], (&[u8], bool)> {
    move |i: &[u8]| {
        let mut n = 0;
        while n < i.len() {
            match i[n] {
                b'\\' => n += 2,
                b if b == quote => return Ok((&i[n..], (&i[..n], true))),
                _ => n += 1,
            }
        }
        Ok((&i[i.len()..], (i, false)))
    }
}

/// A word's value: nginx's unescaping of its raw bytes, lossily decoded.
fn word_value(raw: &[u8]) -> Box<str> {
    // Nearly every word is ASCII without a backslash: one pass over its few bytes tells,
    // and it is copied as it is (a memchr for the backslash and the lossy decoder's
    // chunking were 2% of a run on 70,000 lines).
    if raw.iter().all(|&b| b.is_ascii() && b != b'\\') {
        return std::str::from_utf8(raw).map_or_else(|_| lossy(raw), Box::from);
    }
    if memchr::memchr(b'\\', raw).is_none() {
        return lossy(raw);
    }
    lossy(&unescape(raw))
}

/// nginx's unescaping of a word's raw bytes.
pub fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            match raw[i + 1] {
                b'"' | b'\'' | b'\\' => {
                    out.push(raw[i + 1]);
                    i += 2;
                    continue;
                }
                b't' => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                b'r' => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                b'n' => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn lossy(bytes: &[u8]) -> Box<str> {
    String::from_utf8_lossy(bytes).into()
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8], file: FileId) -> Self {
        Self::starting_at(src, file, 0)
    }

    /// A lexer that starts reading `src` at byte `pos` (spans stay offsets in `src`).
    pub fn starting_at(src: &'a [u8], file: FileId, pos: usize) -> Self {
        Lexer {
            src,
            pos: pos.min(src.len()),
            file,
            errors: Vec::new(),
        }
    }

    /// Where the next token is looked for.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The text being read.
    pub fn src(&self) -> &'a [u8] {
        self.src
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn rest(&self) -> &'a [u8] {
        &self.src[self.pos..]
    }

    fn error(&mut self, kind: SyntaxErrorKind, start: usize, end: usize) {
        let span = self.span(start, end);
        self.errors.push(SyntaxError {
            kind,
            span,
            unclosed: None,
        });
    }

    /// Records "too long parameter" when nginx had to read byte `last` (an absolute
    /// offset that exists in the file) while the token starting at `start` was still open.
    fn check_length(&mut self, start: usize, last: usize, open_quote: Option<u8>) {
        if last >= self.src.len() || last - start < NGX_CONF_BUFFER {
            return;
        }
        let kind = match open_quote {
            Some(q) => SyntaxErrorKind::TooLongQuoted { quote: q as char },
            None => {
                let prefix = &self.src[start..start + 10];
                SyntaxErrorKind::TooLongParameter {
                    prefix: lossy(prefix).into(),
                }
            }
        };
        // nginx reports the line where the token started.
        self.error(kind, start, start);
    }

    pub fn next_token(&mut self) -> Token {
        if let Ok((rest, _)) = whitespace(self.rest()) {
            self.pos = self.src.len() - rest.len();
        }
        let start = self.pos;
        let Some(&b) = self.src.get(start) else {
            return Token {
                kind: TokenKind::Eof,
                span: self.span(start, start),
                value: "".into(),
                quoted: false,
            };
        };
        let simple = |kind| Token {
            kind,
            span: Span::new(self.file, start, start + 1),
            value: "".into(),
            quoted: false,
        };
        match b {
            b';' => {
                self.pos += 1;
                simple(TokenKind::Semicolon)
            }
            b'{' => {
                self.pos += 1;
                simple(TokenKind::OpenBrace)
            }
            b'}' => {
                self.pos += 1;
                simple(TokenKind::CloseBrace)
            }
            b'#' => self.comment(start),
            b'"' | b'\'' => self.quoted(start, b),
            _ => self.word(start),
        }
    }

    fn comment(&mut self, start: usize) -> Token {
        let body = match comment_body(&self.src[start + 1..]) {
            Ok((_, body)) => body,
            Err(_) => &[],
        };
        let end = start + 1 + body.len();
        // nginx reads the LF that ends the comment with the comment's start still set.
        self.check_length(start, end, None);
        self.pos = end;
        Token {
            kind: TokenKind::Comment,
            span: self.span(start, end),
            value: lossy(body),
            quoted: false,
        }
    }

    fn word(&mut self, start: usize) -> Token {
        let raw = match word_body(&self.src[start..]) {
            Ok((_, raw)) => raw,
            Err(_) => &[],
        };
        let end = start + raw.len();
        self.check_length(start, end, None);
        self.pos = end;
        Token {
            kind: TokenKind::Word,
            span: self.span(start, end),
            value: word_value(raw),
            quoted: false,
        }
    }

    fn quoted(&mut self, open: usize, quote: u8) -> Token {
        let start = open + 1;
        let (raw, closed) = match quoted_body(quote)(&self.src[start..]) {
            Ok((_, found)) => found,
            Err(_) => (&[][..], false),
        };
        let close = start + raw.len();
        let value = word_value(raw);
        if !closed {
            self.check_length(start, close, Some(quote));
            self.pos = close;
            return Token {
                kind: TokenKind::Word,
                span: self.span(open, close),
                value,
                quoted: true,
            };
        }
        let after = close + 1;
        if close - start >= NGX_CONF_BUFFER {
            // nginx ran out of buffer before it saw the closing quote.
            self.check_length(start, close, Some(quote));
        } else {
            // The byte after the closing quote is read on the token's account; when it
            // is whitespace nginx consumes it without resetting the token start and
            // reads one more.
            let last = match self.src.get(after) {
                Some(&c) if is_space(c) => after + 1,
                _ => after,
            };
            self.check_length(start, last, None);
        }
        match self.src.get(after) {
            Some(&c) if is_space(c) => {}
            Some(b';' | b'{' | b')') | None => {}
            Some(_) => {
                self.error(
                    SyntaxErrorKind::UnexpectedChar {
                        ch: lossy(&self.src[after..self.char_end(after)]).into(),
                    },
                    after,
                    self.char_end(after),
                );
            }
        }
        self.pos = after;
        Token {
            kind: TokenKind::Word,
            span: self.span(open, after),
            value,
            quoted: true,
        }
    }

    /// End of the (possibly multi-byte) character starting at `at`.
    fn char_end(&self, at: usize) -> usize {
        let len = match self.src[at] {
            b if b < 0x80 => 1,
            b if b >= 0xF0 => 4,
            b if b >= 0xE0 => 3,
            b if b >= 0xC0 => 2,
            _ => 1,
        };
        (at + len).min(self.src.len())
    }

    /// Reads the body of a `*_by_lua_block { ... }` as Lua source, the way
    /// lua-nginx-module does: braces count only outside Lua strings and comments.
    /// Returns the body span and the closing brace span (None at end of file).
    pub fn lua_block(&mut self) -> (Span, Option<Span>) {
        let start = self.pos;
        let (body_end, close) = lua::scan(&self.src[start..]);
        let body = self.span(start, start + body_end);
        match close {
            Some(at) => {
                self.pos = start + at + 1;
                (body, Some(self.span(start + at, start + at + 1)))
            }
            None => {
                self.pos = self.src.len();
                (body, None)
            }
        }
    }
}

/// Skimming of Lua source: only what is needed to find the brace that ends a block.
mod lua {
    use nom::IResult;
    use nom::Parser;
    use nom::bytes::complete::{tag, take_while};
    use nom::sequence::delimited;

    /// `[` `=`* `[`: the opening of a long string or long comment; returns its level.
    fn long_open(i: &[u8]) -> IResult<&[u8], usize> {
        let (i, eqs) =
            delimited(tag(&b"["[..]), take_while(|b| b == b'='), tag(&b"["[..])).parse(i)?;
        Ok((i, eqs.len()))
    }

    /// Offset just past the `]` `=`{level} `]` that closes a long bracket, if any.
    fn long_close(i: &[u8], level: usize) -> Option<usize> {
        let mut at = 0;
        while let Some(p) = memchr::memchr(b']', &i[at..]) {
            let p = at + p;
            let eqs = i[p + 1..].iter().take_while(|&&b| b == b'=').count();
            if eqs == level && i.get(p + 1 + eqs) == Some(&b']') {
                return Some(p + eqs + 2);
            }
            at = p + 1;
        }
        None
    }

    /// Length of a short string body plus its closing quote (quote consumed before).
    fn short_string(i: &[u8], quote: u8) -> usize {
        let mut n = 0;
        while n < i.len() {
            match i[n] {
                b'\\' => n += 2,
                b'\n' => return n,
                b if b == quote => return n + 1,
                _ => n += 1,
            }
        }
        i.len()
    }

    /// Returns (end of body, offset of the closing `}`), scanning from just after `{`.
    pub fn scan(src: &[u8]) -> (usize, Option<usize>) {
        let mut depth = 0usize;
        let mut i = 0;
        while i < src.len() {
            let rest = &src[i..];
            match rest[0] {
                b'-' if rest.get(1) == Some(&b'-') => {
                    let after = &rest[2..];
                    i += 2 + match long_open(after) {
                        Ok((inner, level)) => {
                            let opened = after.len() - inner.len();
                            opened + long_close(inner, level).unwrap_or(inner.len())
                        }
                        Err(_) => memchr::memchr(b'\n', after).unwrap_or(after.len()),
                    };
                }
                b'[' => {
                    i += match long_open(rest) {
                        Ok((inner, level)) => {
                            let opened = rest.len() - inner.len();
                            opened + long_close(inner, level).unwrap_or(inner.len())
                        }
                        Err(_) => 1,
                    };
                }
                q @ (b'"' | b'\'') => i += 1 + short_string(&rest[1..], q),
                b'{' => {
                    depth += 1;
                    i += 1;
                }
                b'}' => {
                    if depth == 0 {
                        return (i, Some(i));
                    }
                    depth -= 1;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        (src.len(), None)
    }

    #[cfg(test)]
    mod tests {
        use super::scan;

        #[test]
        fn braces_in_strings_and_comments_do_not_count() {
            let src = b" local t = { a = \"}\" } -- }\n --[[ } ]] local s = [==[ } ]==] ngx.say('}') }rest";
            let (end, close) = scan(src);
            assert_eq!(close, Some(end));
            assert_eq!(&src[end + 1..], b"rest");
        }

        #[test]
        fn unterminated_block_runs_to_end() {
            assert_eq!(scan(b" if x then { "), (13, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<(TokenKind, String)> {
        let mut lx = Lexer::new(src.as_bytes(), FileId(0));
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            if t.kind == TokenKind::Eof {
                break;
            }
            out.push((t.kind, t.value.to_string()));
        }
        out
    }

    fn words(src: &str) -> Vec<String> {
        tokens(src)
            .into_iter()
            .filter(|(k, _)| *k == TokenKind::Word)
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn hash_inside_word_is_literal() {
        assert_eq!(words("server_name#x y;"), ["server_name#x", "y"]);
    }

    #[test]
    fn right_brace_inside_word_is_literal() {
        assert_eq!(words("server_name a}b;"), ["server_name", "a}b"]);
    }

    #[test]
    fn variable_braces_do_not_open_a_block() {
        assert_eq!(words("return 200 ${a}x;"), ["return", "200", "${a}x"]);
    }

    #[test]
    fn escapes_follow_nginx() {
        assert_eq!(
            words(r#"a "x\"y" 'p\'q' b\ c \d \n;"#),
            ["a", "x\"y", "p'q", "b\\ c", "\\d", "\n"]
        );
    }

    #[test]
    fn paren_after_quote_starts_a_word() {
        assert_eq!(words(r#"if ($a = "b") {"#), ["if", "($a", "=", "b", ")"]);
    }

    #[test]
    fn non_breaking_space_is_not_whitespace() {
        assert_eq!(words("a \u{a0}10s;"), ["a", "\u{a0}10s"]);
    }

    #[test]
    fn char_after_closing_quote_is_an_error() {
        let mut lx = Lexer::new(br#"return 200 "a"b;"#, FileId(0));
        while lx.next_token().kind != TokenKind::Eof {}
        assert!(
            matches!(&lx.errors[..], [SyntaxError { kind: SyntaxErrorKind::UnexpectedChar { ch }, .. }] if ch == "b")
        );
    }

    fn too_long(src: Vec<u8>) -> Vec<SyntaxErrorKind> {
        let mut lx = Lexer::new(&src, FileId(0));
        while lx.next_token().kind != TokenKind::Eof {}
        lx.errors.into_iter().map(|e| e.kind).collect()
    }

    #[test]
    fn token_length_limits_match_nginx() {
        // Figures measured with nginx 1.22.1 (see tests/parser_conformance.rs).
        let word = |n| [b"a ".to_vec(), vec![b'x'; n], b";\n".to_vec()].concat();
        assert!(too_long(word(4095)).is_empty());
        assert_eq!(too_long(word(4096)).len(), 1);
        let comment = |n| [b"#".to_vec(), vec![b'x'; n], b"\na;\n".to_vec()].concat();
        assert!(too_long(comment(4094)).is_empty());
        assert_eq!(too_long(comment(4095)).len(), 1);
        let quoted = |n| [b"a \"".to_vec(), vec![b'x'; n], b"\";\n".to_vec()].concat();
        assert!(too_long(quoted(4094)).is_empty());
        assert!(matches!(
            &too_long(quoted(4095))[..],
            [SyntaxErrorKind::TooLongParameter { .. }]
        ));
        assert!(matches!(
            &too_long(quoted(4096))[..],
            [SyntaxErrorKind::TooLongQuoted { .. }]
        ));
    }
}
