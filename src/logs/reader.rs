//! Line reader: turns the command-line paths into inputs (files, globs, directories, stdin)
//! and streams each one line by line with bounded memory, whatever the file size.
//!
//! Gzip (also multi-member, as logrotate + `cat` produce) is detected by its magic bytes,
//! not by the file name. Lines longer than the cap are cut (the rest is skipped while
//! counting its length) so one 10 MB line cannot blow the memory bound.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

/// One input to read: a file or stdin.
#[derive(Debug, Clone)]
pub struct Input {
    /// The name shown to the user (`-` is shown as `<stdin>`).
    pub name: String,
    /// `None` for stdin.
    pub path: Option<PathBuf>,
}

impl Input {
    fn stdin() -> Input {
        Input {
            name: "<stdin>".into(),
            path: None,
        }
    }

    fn file(path: PathBuf) -> Input {
        Input {
            name: crate::source::display_name(&path),
            path: Some(path),
        }
    }
}

/// Expands command-line paths. Problems with one path (no such file, a glob without
/// matches, an empty directory) are returned as messages; the other paths still count.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input::stdin());
            continue;
        }
        let arg = crate::source::display_name(path);
        let wildcard = path
            .as_os_str()
            .as_encoded_bytes()
            .iter()
            .any(|b| b"*?[".contains(b));
        if path.is_dir() {
            match log_files_in(path) {
                Ok(files) if files.is_empty() => problems.push(format!(
                    "{arg}: directory has no error log (looked for files named *error*)"
                )),
                Ok(files) => inputs.extend(files.into_iter().map(Input::file)),
                Err(e) => problems.push(format!("{arg}: {e}")),
            }
        } else if path.exists() || !wildcard {
            // A missing plain path is reported when it is opened, with the OS error.
            inputs.push(Input::file(path.to_path_buf()));
        } else {
            match crate::pathglob::glob_paths(path) {
                Ok(matches) => {
                    let files: Vec<PathBuf> = matches.into_iter().filter(|p| p.is_file()).collect();
                    if files.is_empty() {
                        problems.push(format!("{arg}: no file matches"));
                    }
                    inputs.extend(files.into_iter().map(Input::file));
                }
                Err(e) => problems.push(format!("{arg}: invalid pattern: {e}")),
            }
        }
    }
    (inputs, problems)
}

/// The error logs of a log directory: `error.log`, `error.log.1`, `error.log.2.gz`,
/// `error_log`, `site-error.log`...
fn log_files_in(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            // Names that are not UTF-8 count too (`error` is ASCII).
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("error"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Counts the bytes read from the underlying file (before decompression), for the
/// progress bar and for noticing a file truncated in place while following.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Whether data starts like gzip (by content: a rotated log's name says nothing).
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Opens an input, transparently decompressing gzip; `counter` receives the raw bytes read.
pub fn open(input: &Input, counter: Option<Arc<AtomicU64>>) -> io::Result<Box<dyn Read + Send>> {
    let mut raw: Box<dyn Read + Send> = match &input.path {
        Some(p) => Box::new(File::open(p)?),
        None => Box::new(io::stdin()),
    };
    if let Some(count) = counter {
        raw = Box::new(Counting { inner: raw, count });
    }
    let mut buffered = BufReader::with_capacity(256 * 1024, raw);
    let head = buffered.fill_buf()?;
    if is_gzip(head) {
        Ok(Box::new(MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// One line handed out by [`LineReader`].
#[derive(Debug)]
pub struct Line<'a> {
    pub bytes: &'a [u8],
    /// 1-based line number in the input.
    pub number: u64,
    /// The full length when the line was longer than the cap and was cut.
    pub cut_from: Option<u64>,
}

/// Streams lines from a reader with a fixed-size buffer.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    max_line: usize,
    line_no: u64,
    long: Vec<u8>,
    /// Keep an unterminated last line back at end of input (the writer may be mid-line).
    follow: bool,
    /// The last read hit the end of the input.
    at_eof: bool,
}

pub const DEFAULT_MAX_LINE: usize = 64 * 1024;
const BUF_SIZE: usize = 1024 * 1024;

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, max_line: usize, follow: bool) -> LineReader<R> {
        LineReader {
            inner,
            buf: vec![0; BUF_SIZE.max(max_line * 2)],
            start: 0,
            end: 0,
            max_line,
            line_no: 0,
            long: Vec::new(),
            follow,
            at_eof: false,
        }
    }

    /// Lines read so far.
    pub fn line_number(&self) -> u64 {
        self.line_no
    }

    /// Whether the last call ended at the end of the input (for `--follow` polling).
    pub fn at_eof(&self) -> bool {
        self.at_eof
    }

    /// The next line, `Ok(None)` at the end of the input (for now, when following).
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.at_eof = false;
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line_start = self.start;
                self.start += pos + 1;
                self.line_no += 1;
                return Ok(Some(Line {
                    bytes: &self.buf[line_start..line_start + pos.min(self.max_line)],
                    number: self.line_no,
                    cut_from: (pos > self.max_line).then_some(pos as u64),
                }));
            }
            if self.end - self.start > self.max_line {
                return self.cut_long_line().map(Some);
            }
            if self.fill()? == 0 {
                self.at_eof = true;
                if self.start == self.end || self.follow {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                self.line_no += 1;
                return Ok(Some(Line {
                    bytes: &self.buf[line_start..self.end],
                    number: self.line_no,
                    cut_from: None,
                }));
            }
        }
    }

    /// Reads more input after moving the pending bytes to the front; returns bytes read.
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Keeps the first `max_line` bytes of an overlong line and skips the rest up to the
    /// newline, counting it, so memory stays bounded.
    fn cut_long_line(&mut self) -> io::Result<Line<'_>> {
        self.long.clear();
        self.long
            .extend_from_slice(&self.buf[self.start..self.start + self.max_line]);
        let mut total = 0u64;
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                total += pos as u64;
                self.start += pos + 1;
                break;
            }
            total += (self.end - self.start) as u64;
            self.start = self.end;
            if self.fill()? == 0 {
                break;
            }
        }
        self.line_no += 1;
        Ok(Line {
            bytes: &self.long,
            number: self.line_no,
            cut_from: Some(total),
        })
    }
}

/// What a line's bytes are.
pub enum Decoded<'a> {
    Text(&'a str),
    /// Invalid UTF-8 (a raw byte in a request URI): analysed with U+FFFD replacements.
    Lossy(String),
    /// NUL bytes, or mostly control and invalid bytes: skipped.
    Binary,
}

/// Decodes one line. Valid UTF-8 without NUL is text (the common case costs one
/// validation); only invalid lines are inspected further.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    if memchr::memchr(0, bytes).is_some() {
        return Decoded::Binary;
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Decoded::Text(t),
        Err(_) => {
            let lossy = String::from_utf8_lossy(bytes).into_owned();
            let bad = bytes
                .iter()
                .filter(|&&c| (c < 0x20 && c != b'\t' && c != b'\r') || c == 0x7f)
                .count()
                + lossy.matches('\u{fffd}').count();
            if bad * 4 > bytes.len().max(1) {
                Decoded::Binary
            } else {
                Decoded::Lossy(lossy)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], max: usize) -> Vec<(Vec<u8>, Option<u64>)> {
        let mut r = LineReader::new(data, max, false);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push((l.bytes.to_vec(), l.cut_from));
        }
        out
    }

    #[test]
    fn splits_lines_and_keeps_unterminated_last() {
        let v = lines(b"a\nbb\n\nccc", 16);
        let texts: Vec<&[u8]> = v.iter().map(|(b, _)| b.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"bb", b"", b"ccc"]);
    }

    #[test]
    fn overlong_line_is_cut_and_counted() {
        let mut data = vec![b'x'; 100_000];
        data.extend_from_slice(b"\nnext\n");
        let v = lines(&data, 1000);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].0.len(), 1000);
        assert_eq!(v[0].1, Some(100_000));
        assert_eq!(v[1].0, b"next");
    }

    #[test]
    fn follow_mode_holds_back_partial_line() {
        let mut r = LineReader::new(&b"a\npartial"[..], 64, true);
        assert_eq!(r.next_line().unwrap().unwrap().bytes, b"a");
        assert!(r.next_line().unwrap().is_none());
        assert!(r.at_eof());
    }

    #[test]
    fn binary_detection() {
        assert!(matches!(decode(b"\x00\x01\x02abc"), Decoded::Binary));
        assert!(matches!(
            decode(b"\xff\xfe\xfd\xfc\x81\x82abc"),
            Decoded::Binary
        ));
        assert!(matches!(
            decode(b"GET /caf\xe9 HTTP/1.1 upstream timed out while reading"),
            Decoded::Lossy(_)
        ));
        assert!(matches!(decode(b"plain text line"), Decoded::Text(_)));
    }
}
