//! httpd's config reader at the level of text (server/util.c `ap_cfg_getline`,
//! `cfg_trim_line`, `ap_getword_conf`; server/core.c `ap_resolve_env`): physical lines
//! joined into logical lines, `${VAR}` expanded on the whole line, words split, with
//! every byte of the resulting text traced back to the source bytes it came from.
//!
//! Pure functions over bytes and strings; no I/O.

use std::borrow::Cow;
use std::ops::Range;

use super::grammar::args::{getword_conf, is_space};

/// Longest logical line of a configuration file (`VARBUF_MAX_LEN`, 16 MiB).
pub const MAX_LINE: usize = 16 * 1024 * 1024;

/// Longest line of a `<Macro>` body (`MAX_STRING_LEN`, read with a fixed buffer).
pub const MAX_STRING_LEN: usize = 8192;

/// Where a run of text bytes comes from in the source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seg {
    /// Offset of the run in the text.
    at: u32,
    /// Source byte range. An exact run maps byte by byte (`src..src + len`); any other
    /// run (a variable's value, a replacement character) maps as a whole to it.
    src: u32,
    src_end: u32,
    exact: bool,
}

/// The runs of a [`Mapped`]: nearly every logical line is one piece of its file, kept
/// inline (a vector per line was an allocation per directive, a tenth of reading).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Segs {
    #[default]
    Empty,
    One(Seg),
    Many(Vec<Seg>),
}

impl Segs {
    fn as_slice(&self) -> &[Seg] {
        match self {
            Segs::Empty => &[],
            Segs::One(seg) => std::slice::from_ref(seg),
            Segs::Many(segs) => segs,
        }
    }

    fn last_mut(&mut self) -> Option<&mut Seg> {
        match self {
            Segs::Empty => None,
            Segs::One(seg) => Some(seg),
            Segs::Many(segs) => segs.last_mut(),
        }
    }

    fn push(&mut self, seg: Seg) {
        *self = match std::mem::take(self) {
            Segs::Empty => Segs::One(seg),
            Segs::One(first) => Segs::Many(vec![first, seg]),
            Segs::Many(mut segs) => {
                segs.push(seg);
                Segs::Many(segs)
            }
        };
    }
}

/// Text derived from source bytes (a logical line, an expanded line) and, for every
/// byte of it, the source bytes it stands for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapped {
    pub text: String,
    segs: Segs,
}

impl Mapped {
    pub fn new() -> Self {
        Self::default()
    }

    /// Text copied from the source unchanged: byte `i` of `s` is source byte `src + i`.
    pub fn push_exact(&mut self, s: &str, src: u32) {
        if s.is_empty() {
            return;
        }
        let at = self.text.len() as u32;
        let len = s.len() as u32;
        self.text.push_str(s);
        if let Some(last) = self.segs.last_mut()
            && last.exact
            && last.src_end == src
        {
            last.src_end = src + len;
            return;
        }
        self.segs.push(Seg {
            at,
            src,
            src_end: src + len,
            exact: true,
        });
    }

    /// Text standing for the source bytes `src` as a whole (a variable's value for its
    /// `${NAME}`, U+FFFD for an invalid byte sequence).
    pub fn push_opaque(&mut self, s: &str, src: Range<u32>) {
        if s.is_empty() {
            return;
        }
        let at = self.text.len() as u32;
        self.text.push_str(s);
        self.segs.push(Seg {
            at,
            src: src.start,
            src_end: src.end.max(src.start),
            exact: false,
        });
    }

    /// Appends `other.text[range]` with its origins.
    pub fn push_from(&mut self, other: &Mapped, range: Range<usize>) {
        let (start, end) = (range.start as u32, range.end as u32);
        if start >= end {
            return;
        }
        let first = other.seg_index(start);
        let segs = other.segs.as_slice();
        for (i, seg) in segs.iter().enumerate().skip(first) {
            let seg_end = segs.get(i + 1).map_or(other.text.len() as u32, |s| s.at);
            let (a, b) = (seg.at.max(start), seg_end.min(end));
            if a >= b {
                if seg.at >= end {
                    break;
                }
                continue;
            }
            let piece = &other.text[a as usize..b as usize];
            if seg.exact {
                self.push_exact(piece, seg.src + (a - seg.at));
            } else {
                self.push_opaque(piece, seg.src..seg.src_end);
            }
        }
    }

    /// Index of the run holding text offset `at` (the last run for the end).
    fn seg_index(&self, at: u32) -> usize {
        self.segs
            .as_slice()
            .partition_point(|s| s.at <= at)
            .saturating_sub(1)
    }

    /// The source bytes text offset `at` stands for.
    fn origin(&self, at: u32) -> (u32, u32) {
        let Some(seg) = self.segs.as_slice().get(self.seg_index(at)) else {
            return (0, 0);
        };
        if seg.exact {
            let o = (seg.src + at.saturating_sub(seg.at)).min(seg.src_end);
            (o, (o + 1).min(seg.src_end).max(o))
        } else {
            (seg.src, seg.src_end)
        }
    }

    /// The source byte range that text `range` comes from (an empty range: the point
    /// where it would be).
    pub fn source(&self, range: Range<usize>) -> Range<u32> {
        if self.segs.as_slice().is_empty() {
            return 0..0;
        }
        let start = self.origin(range.start as u32).0;
        if range.end <= range.start {
            return start..start;
        }
        let end = self.origin(range.end as u32 - 1).1;
        start..end.max(start)
    }

    /// The source range of the whole text.
    pub fn whole(&self) -> Range<u32> {
        self.source(0..self.text.len())
    }
}

/// Appends source bytes `bytes` (starting at source offset `src`) to `out`, decoded
/// lossily: each invalid sequence becomes U+FFFD standing for its bytes.
fn push_decoded(out: &mut Mapped, bytes: &[u8], src: u32) {
    let mut offset = src;
    for chunk in bytes.utf8_chunks() {
        out.push_exact(chunk.valid(), offset);
        offset += chunk.valid().len() as u32;
        let bad = chunk.invalid().len() as u32;
        if bad > 0 {
            out.push_opaque("\u{FFFD}", offset..offset + bad);
            offset += bad;
        }
    }
}

/// A logical line: the physical lines it joins, trimmed, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logical {
    pub text: Mapped,
    /// The line number httpd gives it: its last physical line (one past the end of the
    /// file when a continuation ends the file).
    pub line: u32,
}

/// A logical line longer than the reader's limit: httpd's "Line too long", at the
/// physical line where the limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLong {
    pub line: u32,
}

/// Reads logical lines out of a file's bytes as `ap_varbuf_cfg_getline` does: a line
/// ends at LF; a backslash right before the LF (or CR LF) joins the next physical line
/// to it, with no space added; a NUL byte ends the line's text (httpd's strings end
/// there) and what follows it on that physical line is dropped; leading and trailing
/// white space is trimmed.
#[derive(Debug, Clone)]
pub struct LineReader {
    pos: usize,
    /// httpd's `line_number`: physical lines read so far.
    pub line: u32,
    limit: usize,
    /// The physical pieces of the logical line being read: kept between lines for its
    /// buffer (one allocation per line otherwise).
    pieces: Vec<Range<usize>>,
}

impl LineReader {
    /// A reader of configuration-file lines (limit [`MAX_LINE`]).
    pub fn new() -> Self {
        Self::with_limit(MAX_LINE)
    }

    pub fn with_limit(limit: usize) -> Self {
        LineReader {
            pos: 0,
            line: 0,
            limit,
            pieces: Vec::new(),
        }
    }

    /// Sets the longest logical line (a `<Macro>` body is read with a smaller one).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Whether every byte has been read.
    pub fn at_end(&self, bytes: &[u8]) -> bool {
        self.pos >= bytes.len()
    }

    /// The source offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Continues from where another reader of the same bytes stands: `offset` its
    /// [`Self::offset`], `line` its [`Self::line`].
    pub fn resume(&mut self, offset: usize, line: u32) {
        self.pos = offset;
        self.line = line;
    }

    /// The next logical line of `bytes` (always the same bytes for one reader). After
    /// [`TooLong`] the reader is at the end.
    pub fn next_line(&mut self, bytes: &[u8]) -> Option<Result<Logical, TooLong>> {
        let mut pieces = std::mem::take(&mut self.pieces);
        pieces.clear();
        let line = self.read_pieces(bytes, &mut pieces);
        self.pieces = pieces;
        line
    }

    /// [`Self::next_line`] with the pieces in `pieces` (empty on entry).
    fn read_pieces(
        &mut self,
        bytes: &[u8],
        pieces: &mut Vec<Range<usize>>,
    ) -> Option<Result<Logical, TooLong>> {
        let mut total = 0usize;
        loop {
            self.line += 1;
            if self.pos >= bytes.len() {
                if pieces.is_empty() {
                    self.line -= 1;
                    return None;
                }
                // A continuation on the last line: the joined text so far.
                break;
            }
            let start = self.pos;
            let (mut content_end, mut has_lf, next) = match memchr::memchr(b'\n', &bytes[start..]) {
                Some(i) => (start + i, true, start + i + 1),
                None => (bytes.len(), false, bytes.len()),
            };
            if let Some(nul) = memchr::memchr(0, &bytes[start..content_end]) {
                content_end = start + nul;
                has_lf = false;
            }
            self.pos = next;
            pieces.push(start..content_end);
            total += content_end - start;
            if total + 1 >= self.limit {
                self.pos = bytes.len();
                return Some(Err(TooLong { line: self.line }));
            }
            if !has_lf {
                break;
            }
            // `[\\][\r]\n`: the backslash and line end go, the next line is appended.
            let cr = (last_byte(bytes, pieces) == Some(b'\r')).then(|| pop_byte(pieces));
            if last_byte(bytes, pieces) == Some(b'\\') {
                pop_byte(pieces);
                // The joined length and the pieces kept in step, never recounted: a
                // file of 200,000 continued lines took minutes when every line summed
                // every piece again.
                total -= 1 + usize::from(matches!(cr, Some(Some(_))));
                while pieces.last().is_some_and(|r| r.is_empty()) {
                    pieces.pop();
                }
                continue;
            }
            if let Some(Some(i)) = cr {
                pieces[i].end += 1;
            }
            break;
        }
        trim_pieces(bytes, pieces);
        let mut text = Mapped {
            text: String::with_capacity(total),
            segs: Segs::Empty,
        };
        for piece in pieces.iter() {
            push_decoded(&mut text, &bytes[piece.clone()], piece.start as u32);
        }
        Some(Ok(Logical {
            text,
            line: self.line,
        }))
    }
}

impl Default for LineReader {
    fn default() -> Self {
        Self::new()
    }
}

fn last_byte(bytes: &[u8], pieces: &[Range<usize>]) -> Option<u8> {
    pieces
        .iter()
        .rev()
        .find(|r| r.start < r.end)
        .map(|r| bytes[r.end - 1])
}

/// Drops the last byte of the joined text; the index of the piece it came from.
fn pop_byte(pieces: &mut [Range<usize>]) -> Option<usize> {
    let i = pieces.iter().rposition(|r| r.start < r.end)?;
    pieces[i].end -= 1;
    Some(i)
}

/// `cfg_trim_line`: white space off both ends of the joined line.
fn trim_pieces(bytes: &[u8], pieces: &mut Vec<Range<usize>>) {
    for r in pieces.iter_mut() {
        while r.start < r.end && is_space(bytes[r.start]) {
            r.start += 1;
        }
        if r.start < r.end {
            break;
        }
    }
    for r in pieces.iter_mut().rev() {
        while r.start < r.end && is_space(bytes[r.end - 1]) {
            r.end -= 1;
        }
        if r.start < r.end {
            break;
        }
    }
    pieces.retain(|r| r.start < r.end);
}

/// A `${NAME}` that neither `Define` nor the environment sets: httpd warns (AH00111)
/// and keeps the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    pub name: String,
    /// Where `${NAME}` is in the line's text.
    pub range: Range<usize>,
}

/// The result of [`resolve_env`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub text: Mapped,
    pub undefined: Vec<Undefined>,
    /// Expansion stopped at this many bytes (proxylint's bound, not httpd's).
    pub truncated: bool,
}

/// `ap_resolve_env` on a whole line: each `${NAME}` with a closing `}` later on the line
/// becomes the value `lookup` gives, or stays as written; a `$` not starting such a
/// reference is literal. No re-expansion. `None` when the line holds no `$` (nothing
/// to do). The result is cut at `max` bytes.
pub fn resolve_env<'v>(
    line: &Mapped,
    lookup: impl Fn(&str) -> Option<&'v str>,
    max: usize,
) -> Option<Expanded> {
    let text = line.text.as_str();
    let first = text.find('$')?;
    let mut out = Mapped::new();
    let mut undefined = Vec::new();
    out.push_from(line, 0..first);
    let mut i = first;
    let bytes = text.as_bytes();
    let mut truncated = false;
    while i < bytes.len() {
        if out.text.len() > max {
            truncated = true;
            break;
        }
        if bytes[i] != b'$' {
            let next = text[i..].find('$').map_or(text.len(), |j| i + j);
            out.push_from(line, i..next);
            i = next;
            continue;
        }
        let close = (bytes.get(i + 1) == Some(&b'{'))
            .then(|| text[i + 2..].find('}').map(|j| i + 2 + j))
            .flatten();
        let Some(close) = close else {
            out.push_from(line, i..i + 1);
            i += 1;
            continue;
        };
        let name = &text[i + 2..close];
        match lookup(name) {
            Some(value) => {
                let src = line.source(i..close + 1);
                let room = (max + 1).saturating_sub(out.text.len());
                let value = if value.len() > room {
                    truncated = true;
                    let mut cut = room;
                    while !value.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    &value[..cut]
                } else {
                    value
                };
                out.push_opaque(value, src);
            }
            None => {
                if !name.contains(':') {
                    undefined.push(Undefined {
                        name: name.to_string(),
                        range: i..close + 1,
                    });
                }
                out.push_from(line, i..close + 1);
            }
        }
        i = close + 1;
    }
    Some(Expanded {
        text: out,
        undefined,
        truncated,
    })
}

/// The next word of `text` from byte `*pos` as `ap_getword_conf` reads it, with the
/// text range it was read from (quotes included); `*pos` moves past it and the blanks
/// after it. `None` at the end of the text; `Some("")` for an empty quoted word.
pub fn next_word<'a>(text: &'a str, pos: &mut usize) -> Option<(Cow<'a, str>, Range<usize>)> {
    let from = (*pos).min(text.len());
    let mut rest = &text[from..];
    let start = text.len() - rest.trim_start_matches(is_space_char).len();
    if start >= text.len() {
        *pos = text.len();
        return None;
    }
    let word = getword_conf(&mut rest);
    let after = text.len() - rest.len();
    let mut end = after;
    while end > start && text.as_bytes().get(end - 1).copied().is_some_and(is_space) {
        end -= 1;
    }
    *pos = after;
    Some((word, start..end))
}

/// The directive name a line's first word gives (`ap_build_config_sub`): a closing tag
/// as written, any other word without a final `>`; and whether it is a closing tag.
pub fn directive_word(word: &str) -> (&str, bool) {
    let closing = word.as_bytes().get(1) == Some(&b'/');
    if closing {
        (word, true)
    } else {
        (word.strip_suffix('>').unwrap_or(word), false)
    }
}

fn is_space_char(c: char) -> bool {
    c.is_ascii() && is_space(c as u8)
}

/// Every word of `text` with its range (empty quoted words included).
pub fn words_with_ranges(text: &str) -> Vec<(Cow<'_, str>, Range<usize>)> {
    let mut pos = 0;
    let mut out = Vec::new();
    while let Some(w) = next_word(text, &mut pos) {
        out.push(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &[u8]) -> Vec<(String, u32)> {
        let mut r = LineReader::new();
        let mut out = Vec::new();
        while let Some(l) = r.next_line(src) {
            let l = l.expect("line");
            out.push((l.text.text.clone(), l.line));
        }
        out
    }

    #[test]
    fn continuation_joins_without_a_space_and_keeps_the_last_line_number() {
        assert_eq!(
            lines(b"ServerName \\\n   example.org\nListen 80\n"),
            vec![
                ("ServerName    example.org".to_string(), 2),
                ("Listen 80".to_string(), 3)
            ]
        );
        // CR LF, and whitespace after the backslash breaks the continuation.
        assert_eq!(
            lines(b"A \\\r\nB\r\nC \\ \nD"),
            vec![
                ("A B".to_string(), 2),
                ("C \\".to_string(), 3),
                ("D".to_string(), 4)
            ]
        );
    }

    #[test]
    fn continuation_at_the_end_of_the_file_counts_one_more_line() {
        assert_eq!(
            lines(b"A\nB \\\n"),
            vec![("A".to_string(), 1), ("B".to_string(), 3)]
        );
    }

    #[test]
    fn comments_continue_too_and_blank_lines_stay_lines() {
        assert_eq!(
            lines(b"# note \\\nListen 80\n\n  \t\nX"),
            vec![
                ("# note Listen 80".to_string(), 2),
                (String::new(), 3),
                (String::new(), 4),
                ("X".to_string(), 5)
            ]
        );
    }

    #[test]
    fn a_nul_ends_the_line_text() {
        assert_eq!(
            lines(b"Listen 80\0garbage \\\nNext\n"),
            vec![("Listen 80".to_string(), 1), ("Next".to_string(), 2)]
        );
    }

    #[test]
    fn double_backslash_joins_too_as_httpd_checks_only_the_last_one() {
        assert_eq!(lines(b"A \\\\\nB\n"), vec![("A \\B".to_string(), 2)]);
    }

    #[test]
    fn lines_over_the_limit_are_too_long_at_their_physical_line() {
        let mut r = LineReader::with_limit(10);
        let src = b"ok\nabcdef\\\nijk\nnext\n";
        assert_eq!(r.next_line(src).map(|l| l.map(|l| l.line)), Some(Ok(1)));
        assert_eq!(r.next_line(src), Some(Err(TooLong { line: 3 })));
        assert_eq!(r.next_line(src), None);
        // 8 bytes plus the line end fit a 10-byte buffer.
        let mut r = LineReader::with_limit(10);
        assert!(matches!(r.next_line(b"abcdefgh\n"), Some(Ok(_))));
    }

    #[test]
    fn invalid_utf8_maps_back_to_its_bytes() {
        let src = b"  Caf\xe9 x\n";
        let mut r = LineReader::new();
        let l = r.next_line(src).expect("line").expect("ok");
        assert_eq!(l.text.text, "Caf\u{FFFD} x");
        let x = l.text.text.find('x').expect("x");
        assert_eq!(l.text.source(x..x + 1), 7..8);
        assert_eq!(l.text.source(0..6), 2..6);
        assert_eq!(l.text.whole(), 2..8);
    }

    #[test]
    fn joined_lines_map_each_word_to_its_physical_line() {
        let src = b"Alias /a \\\n  /srv/a\n";
        let mut r = LineReader::new();
        let l = r.next_line(src).expect("line").expect("ok");
        let words = words_with_ranges(&l.text.text);
        let (w, range) = &words[2];
        assert_eq!(w, "/srv/a");
        assert_eq!(l.text.source(range.clone()), 13..19);
    }

    #[test]
    fn variables_expand_on_the_whole_line_with_origins() {
        let mut line = Mapped::new();
        line.push_exact("Listen ${PORT} ${NOPE} $x ${a:b} ${", 100);
        let vars = |n: &str| (n == "PORT").then_some("8080");
        let e = resolve_env(&line, vars, MAX_LINE).expect("has $");
        assert_eq!(e.text.text, "Listen 8080 ${NOPE} $x ${a:b} ${");
        assert_eq!(
            e.undefined,
            vec![Undefined {
                name: "NOPE".to_string(),
                range: 15..22
            }]
        );
        // The value stands for `${PORT}` as a whole.
        assert_eq!(e.text.source(7..11), 107..114);
        assert_eq!(e.text.source(9..10), 107..114);
        let nope = e.text.text.find("${NOPE}").expect("kept");
        assert_eq!(e.text.source(nope..nope + 7), 115..122);
        assert!(resolve_env(&Mapped::new(), vars, MAX_LINE).is_none());
    }

    #[test]
    fn variable_names_and_values_are_not_rescanned() {
        let mut line = Mapped::new();
        line.push_exact("${A}${B}", 0);
        let vars = |n: &str| match n {
            "A" => Some("${B}"),
            "B" => Some("b"),
            _ => None,
        };
        let e = resolve_env(&line, vars, MAX_LINE).expect("expanded");
        assert_eq!(e.text.text, "${B}b");
    }

    #[test]
    fn expansion_is_bounded() {
        let mut line = Mapped::new();
        line.push_exact(&"${A}".repeat(1000), 0);
        let big = "x".repeat(1000);
        let e = resolve_env(&line, |_| Some(big.as_str()), 10_000).expect("expanded");
        assert!(e.truncated);
        assert!(e.text.text.len() <= 10_001);
    }

    #[test]
    fn words_follow_getword_conf_with_ranges() {
        let w = words_with_ranges(r#"Header set X "a \" b" 'c'd "" e\\f"#);
        let got: Vec<(&str, Range<usize>)> =
            w.iter().map(|(s, r)| (s.as_ref(), r.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("Header", 0..6),
                ("set", 7..10),
                ("X", 11..12),
                ("a \" b", 13..21),
                ("c", 22..25),
                ("d", 25..26),
                ("", 27..29),
                ("e\\f", 30..34),
            ]
        );
    }

    #[test]
    fn push_from_keeps_origins_of_a_slice() {
        let mut a = Mapped::new();
        a.push_exact("abc", 10);
        a.push_opaque("VALUE", 20..26);
        a.push_exact("xyz", 30);
        let mut b = Mapped::new();
        b.push_from(&a, 1..10);
        assert_eq!(b.text, "bcVALUExy");
        assert_eq!(b.source(0..1), 11..12);
        assert_eq!(b.source(3..4), 20..26);
        assert_eq!(b.source(7..9), 30..32);
    }
}
