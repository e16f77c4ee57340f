//! Source files, spans and line/column lookup.
//!
//! Every node of every syntax tree points back into a [`SourceFile`] through a [`Span`]
//! (file id + byte range). Line and column numbers are only computed when a diagnostic
//! is printed, from a line index built lazily per file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`]. A file included twice (from two contexts) gets
/// two ids, so that every span knows its include chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        // Offsets fit in u32: SourceMap refuses files of 4 GiB or more.
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        debug_assert_eq!(self.file, other.file);
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// An empty span at the start of this one.
    pub fn start_point(self) -> Span {
        Span {
            end: self.start,
            ..self
        }
    }
}

/// One loaded file (or stdin), as bytes: nginx reads bytes, not text.
#[derive(Debug)]
pub struct SourceFile {
    /// Path as given or resolved (used to read the file and resolve relative includes).
    pub path: PathBuf,
    /// Name shown in diagnostics.
    pub name: String,
    pub text: Arc<[u8]>,
    /// The `include` directive that loaded this file, if any.
    pub included_from: Option<Span>,
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', &self.text).map(|i| i as u32 + 1))
                .collect()
        })
    }

    /// 1-based line and column of a byte offset; columns count UTF-8 characters
    /// (invalid bytes count one each).
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        self.position(offset, Columns::Chars)
    }

    /// 1-based line of a byte offset. Cheaper than [`Self::line_col`], whose column
    /// counts the line's characters up to the offset: a caller comparing lines of many
    /// positions on one long line would be quadratic with it.
    pub fn line(&self, offset: u32) -> usize {
        self.line_starts().partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line and column of a byte offset, columns counted in `columns` units.
    pub fn position(&self, offset: u32, columns: Columns) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.line_starts()[line - 1] as usize;
        let end = (offset as usize).min(self.text.len());
        let prefix = &self.text[start..end.max(start)];
        (line, columns.count(prefix) + 1)
    }

    /// The bytes of a span, lossily decoded.
    pub fn snippet(&self, span: Span) -> String {
        let end = (span.end as usize).min(self.text.len());
        let start = (span.start as usize).min(end);
        String::from_utf8_lossy(&self.text[start..end]).into_owned()
    }
}

/// What a column counts: printers count characters (code points); a language server
/// speaks UTF-16 code units (LSP's default) or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Columns {
    /// Unicode code points (an invalid byte counts one).
    #[default]
    Chars,
    /// UTF-8 bytes.
    Bytes,
    /// UTF-16 code units: characters beyond U+FFFF count two.
    Utf16,
}

impl Columns {
    /// The length of `bytes` in these units.
    pub fn count(self, bytes: &[u8]) -> usize {
        match self {
            Columns::Chars => count_chars(bytes),
            Columns::Bytes => bytes.len(),
            // A 4-byte sequence (lead byte F0-F4) is one code point above U+FFFF: a
            // surrogate pair. Invalid bytes become U+FFFD, one unit.
            Columns::Utf16 => {
                count_chars(bytes)
                    + bytes
                        .iter()
                        .filter(|&&b| (0xF0..=0xF4).contains(&b))
                        .count()
            }
        }
    }
}

/// UTF-8 characters in `bytes`.
pub fn count_chars(bytes: &[u8]) -> usize {
    // A UTF-8 character starts at every byte that is not a continuation byte; stray
    // continuation bytes of invalid sequences are rare enough to count as part of the
    // previous character.
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Why a file looks like binary data rather than a text configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryEvidence {
    /// UTF-16 text (an editor's "Unicode" save): every other byte is NUL to a server.
    Utf16 { bom: String },
    /// A control byte where text has none.
    Control { byte: u8, offset: usize },
}

/// Whether `text` looks like binary data: it starts with a UTF-16 byte order mark, or
/// its first 8 KiB hold a NUL byte or more than one control character in 32 (text has
/// none but tab, line breaks and form feed). Readers report such a file once, when it
/// does not parse, instead of error by error.
pub fn binary_evidence(text: &[u8]) -> Option<BinaryEvidence> {
    if let Some(bom) = [b"\xFF\xFE", b"\xFE\xFF"]
        .iter()
        .find(|b| text.starts_with(&b[..]))
    {
        return Some(BinaryEvidence::Utf16 {
            bom: format!("{:02X} {:02X}", bom[0], bom[1]),
        });
    }
    let head = &text[..text.len().min(8192)];
    let is_control = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)) || b == 0x7f;
    let controls = head.iter().filter(|&&b| is_control(b)).count();
    let offset = match memchr::memchr(0, head) {
        Some(at) => at,
        None if controls * 32 > head.len() => head.iter().position(|&b| is_control(b))?,
        None => return None,
    };
    Some(BinaryEvidence::Control {
        byte: head[offset],
        offset,
    })
}

/// Largest file proxylint loads. nginx has no limit, but the largest real
/// configurations (generated virtual hosts, IP block lists in `geo`) stay far below,
/// and memory grows with the file. (Spans store u32 offsets, which allow 4 GiB.)
pub const MAX_FILE_SIZE: u64 = 64 << 20;

/// All files of one run.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file's content; `name` is what diagnostics show (made [`printable`]: a
    /// `--stdin-filename` may hold anything).
    pub fn add(
        &mut self,
        path: PathBuf,
        name: String,
        text: Arc<[u8]>,
        included_from: Option<Span>,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path,
            name: printable(&name).into_owned(),
            text,
            included_from,
            line_starts: OnceLock::new(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Forgets the files added after the first `len` (a loader reading its inputs
    /// again from scratch).
    pub fn truncate(&mut self, len: usize) {
        self.files.truncate(len);
    }

    /// Line/column (1-based) of the start of a span.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        self.get(span.file).line_col(span.start)
    }

    /// Line (1-based) of the start of a span; see [`SourceFile::line`].
    pub fn line(&self, span: Span) -> usize {
        self.get(span.file).line(span.start)
    }

    /// The include chain of a file, innermost first: the spans of the `include`
    /// directives that led to it.
    pub fn include_chain(&self, id: FileId) -> Vec<Span> {
        let mut chain = Vec::new();
        let mut current = self.get(id).included_from;
        while let Some(span) = current {
            chain.push(span);
            current = self.get(span.file).included_from;
        }
        chain
    }

    /// Key that orders spans the way nginx meets them while reading the
    /// configuration: an included file is read at its `include` directive, the files
    /// of one glob in the order they were loaded (file ids are assigned in load order).
    pub fn load_order(&self, span: Span) -> Vec<u32> {
        let mut outer_to_inner = self.include_chain(span.file);
        outer_to_inner.reverse();
        let root = outer_to_inner.first().map_or(span.file, |s| s.file);
        let mut key = vec![root.0];
        for (i, include) in outer_to_inner.iter().enumerate() {
            let child = outer_to_inner.get(i + 1).map_or(span.file, |s| s.file);
            key.extend([include.start, child.0]);
        }
        key.push(span.start);
        key
    }
}

/// Whether a terminal (or a log viewer) would act on `c` instead of showing it, or show
/// nothing: C0 controls other than tab and line feed, DEL, C1 controls (U+0080-U+009F:
/// `CSI` is U+009B), the bidirectional overrides and isolates that reorder what
/// follows, and zero-width characters (a byte order mark read as part of a name).
pub fn is_unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// `text` with every [`is_unprintable`] character written as an escape (`\x1b`,
/// `\u{9b}`, `\u{202e}`): messages quote the configuration, and a configuration (or a
/// file name) may hold any byte. Every text printer writes messages, help and file
/// names through this; JSON and SARIF escape them as JSON (`printer::write_json`).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unprintable(c) {
            out.push(c);
        } else if c.is_ascii() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Display name for a path: relative to the current directory when below it, with
/// bytes that are not UTF-8 written as `\xNN` (a name nginx reads through a glob may be
/// Latin-1) and [`printable`]'s escapes, so that two files never show the same name
/// and no name drives the terminal.
pub fn display_name(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .filter(|rel| !rel.as_os_str().is_empty())
        .unwrap_or(path);
    let mut out = String::new();
    for chunk in shown.as_os_str().as_encoded_bytes().utf8_chunks() {
        out.push_str(&printable(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A language server needs UTF-16 columns: "é" is one unit, "😀" (U+1F600) two;
    /// printers keep counting code points.
    #[test]
    fn columns_in_code_points_bytes_and_utf16_units() {
        let mut map = SourceMap::new();
        let text = "a\nxé😀 proxy_pass;\n".as_bytes();
        let file = map.add("t.conf".into(), "t.conf".into(), Arc::from(text), None);
        let at = text.iter().position(|&b| b == b'p').unwrap_or(0) as u32;
        let f = map.get(file);
        assert_eq!(f.position(at, Columns::Chars), (2, 5));
        assert_eq!(f.position(at, Columns::Bytes), (2, 9));
        assert_eq!(f.position(at, Columns::Utf16), (2, 6));
        assert_eq!(f.line_col(at), f.position(at, Columns::Chars));
        assert_eq!(f.line(at), f.line_col(at).0);
        // An invalid byte is one unit of each kind but bytes.
        assert_eq!(Columns::Utf16.count(b"\xff\xfe"), 2);
        assert_eq!(Columns::Chars.count(b"\xff\xfe"), 2);
    }

    #[test]
    fn printable_escapes_what_a_terminal_acts_on() {
        assert_eq!(
            printable("a\u{1b}[31mb\u{7}c\rd\u{7f}\u{9b}e\u{202e}f\tg\nh"),
            "a\\x1b[31mb\\x07c\\x0dd\\x7f\\u{9b}e\\u{202e}f\tg\nh"
        );
        assert!(matches!(
            printable("plain é"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn display_names_escape_invalid_utf8_and_controls() {
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(b"/etc/caf\xe9\x1b[0m.conf"));
        assert_eq!(display_name(path), "/etc/caf\\xe9\\x1b[0m.conf");
    }
}
