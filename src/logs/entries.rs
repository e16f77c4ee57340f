//! The reader stage of `proxylint logs`: one input's lines become records. It decodes
//! bytes (binary and invalid UTF-8 handling), unwraps JSON-wrapped lines (docker,
//! journald), assembles multi-line FastCGI entries, and with `--follow` keeps reading the
//! input as it grows, across rotation. Each record goes to the analysis stage
//! ([`Analyzer::push`]), which hands what it makes of it to a [`Sink`].

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::analyze::Analyzer;
use super::reader::{self, Input, LineReader};
use super::record::{self, Format, Record};
use super::report::Totals;
use super::sink::Sink;
use super::warn;

/// Polling interval of `--follow`.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Longest multi-line entry assembled (FastCGI stderr); the rest is dropped.
const MAX_ENTRY: usize = 64 * 1024;
/// Per-file notes about odd lines shown individually before summarising.
const NOTES_PER_FILE: usize = 3;

pub(super) enum RunError {
    /// Writing the output failed.
    Output(io::Error),
    /// This input could not be (fully) read; the others still are.
    Input(String),
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> RunError {
        RunError::Output(e)
    }
}

/// Odd lines seen in one file, reported on stderr after it.
#[derive(Default)]
pub(super) struct FileNotes {
    binary: u64,
    invalid_utf8: u64,
    cut: Vec<(u64, u64)>,
    cut_total: u64,
}

impl FileNotes {
    /// Adds the notes of a later byte range of the same file, whose line numbers start
    /// after `offset` lines.
    pub(super) fn absorb(&mut self, other: FileNotes, offset: u64) {
        self.binary += other.binary;
        self.invalid_utf8 += other.invalid_utf8;
        self.cut_total += other.cut_total;
        for (line, total) in other.cut {
            if self.cut.len() < NOTES_PER_FILE {
                self.cut.push((line + offset, total));
            }
        }
    }

    /// Says on stderr what was odd in the file.
    pub(super) fn report(&self, input: &Input, max_line: usize) {
        if self.binary > 0 {
            warn(&format!(
                "{}: {} line(s) of binary data skipped",
                input.name, self.binary
            ));
        }
        if self.invalid_utf8 > 0 {
            warn(&format!(
                "{}: {} line(s) with invalid UTF-8 analysed with U+FFFD replacement characters",
                input.name, self.invalid_utf8
            ));
        }
        for (line, total) in &self.cut {
            warn(&format!(
                "{}:{line}: line of {total} bytes cut to its first {max_line} bytes for analysis",
                input.name
            ));
        }
        if self.cut_total > self.cut.len() as u64 {
            warn(&format!(
                "{}: {} more overlong line(s) cut",
                input.name,
                self.cut_total - self.cut.len() as u64
            ));
        }
    }
}

/// A FastCGI stderr entry spanning several lines, being assembled.
struct Pending {
    text: String,
    line: u64,
}

/// Turns the lines of one input into records: decoding, unwrapping, assembling.
#[derive(Default)]
pub(super) struct Entries {
    pending: Option<Pending>,
    pub(super) notes: FileNotes,
    /// Lines read since the counts were last moved into the run's totals.
    read: Totals,
}

impl Entries {
    /// Reads lines until the end of the input (for now, when following), handing each
    /// complete record to `each` as `(line number, text, record)`.
    pub(super) fn drain<R: io::Read>(
        &mut self,
        input: &Input,
        lines: &mut LineReader<R>,
        each: &mut dyn FnMut(u64, &str, &Record<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        loop {
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(()),
                Err(e) => {
                    return Err(RunError::Input(format!(
                        "{}: read error after line {}: {e}; the lines before it were analysed",
                        input.name,
                        lines.line_number()
                    )));
                }
            };
            self.read.lines += 1;
            let number = line.number;
            if let Some(total) = line.cut_from {
                self.read.cut_lines += 1;
                self.notes.cut_total += 1;
                if self.notes.cut.len() < NOTES_PER_FILE {
                    self.notes.cut.push((number, total));
                }
            }
            let text = match reader::decode(line.bytes) {
                reader::Decoded::Text(t) => std::borrow::Cow::Borrowed(t),
                reader::Decoded::Lossy(t) => {
                    self.read.invalid_utf8_lines += 1;
                    self.notes.invalid_utf8 += 1;
                    std::borrow::Cow::Owned(t)
                }
                reader::Decoded::Binary => {
                    self.read.binary_lines += 1;
                    self.notes.binary += 1;
                    continue;
                }
            };
            let unwrapped = unwrap_json(&text);
            let text = unwrapped.as_deref().unwrap_or(&text);
            self.line(number, text, each)?;
        }
    }

    /// One text line: continues a pending multi-line entry or is a record of its own.
    fn line(
        &mut self,
        number: u64,
        text: &str,
        each: &mut dyn FnMut(u64, &str, &Record<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        let rec = record::parse(text);
        if let Some(p) = &mut self.pending {
            if rec.format == Some(Format::Fragment) {
                if p.text.len() < MAX_ENTRY {
                    p.text.push('\n');
                    p.text.push_str(text);
                }
                if text.contains("\" while ") || text.contains(", client: ") {
                    self.flush(each)?;
                }
                return Ok(());
            }
            self.flush(each)?;
        }
        if opens_multiline(&rec) {
            self.pending = Some(Pending {
                text: text.to_owned(),
                line: number,
            });
            return Ok(());
        }
        each(number, text, &rec)
    }

    /// Moves the counts of the lines read into `totals`.
    pub(super) fn count_into(&mut self, totals: &mut Totals) {
        let read = std::mem::take(&mut self.read);
        totals.lines += read.lines;
        totals.cut_lines += read.cut_lines;
        totals.invalid_utf8_lines += read.invalid_utf8_lines;
        totals.binary_lines += read.binary_lines;
    }

    /// Hands over the multi-line entry being assembled, if any.
    pub(super) fn flush(
        &mut self,
        each: &mut dyn FnMut(u64, &str, &Record<'_>) -> Result<(), RunError>,
    ) -> Result<(), RunError> {
        if let Some(p) = self.pending.take() {
            let rec = record::parse(&p.text);
            each(p.line, &p.text, &rec)?;
        }
        Ok(())
    }
}

/// Reads one input through the pipeline: lines → records ([`Entries`]) → analysis
/// ([`Analyzer::push`]) → `sink`. With `follow`, keeps reading as the input grows: when
/// the path is renamed and recreated the old file is read to its end first; a file
/// truncated in place (copytruncate) is read again from its start, also when it grew
/// past the old offset between two polls.
pub(super) fn read_input(
    file: u32,
    input: &Input,
    max_line: usize,
    follow: bool,
    analyzer: &mut Analyzer,
    sink: &mut dyn Sink,
    progress: Option<&indicatif::ProgressBar>,
) -> Result<(), RunError> {
    let counter = Arc::new(AtomicU64::new(0));
    let opened = reader::open(input, Some(counter.clone()))
        .map_err(|e| RunError::Input(format!("{}: {e}", input.name)))?;
    analyzer.totals.files += 1;
    let mut entries = Entries::default();
    let mut lines = LineReader::new(opened, max_line, follow);
    let mut identity = input.path.as_deref().and_then(Identity::of);
    let mut reported = 0u64;
    loop {
        let result = drain_into(file, input, &mut entries, &mut lines, analyzer, sink);
        if let Some(p) = progress {
            let now = counter.load(Ordering::Relaxed);
            p.inc(now.saturating_sub(reported));
            reported = now;
        }
        if let Err(e) = result {
            entries.notes.report(input, max_line);
            return Err(e);
        }
        if !follow || (input.path.is_none() && lines.at_eof()) {
            break;
        }
        sink.flush()?;
        std::thread::sleep(FOLLOW_POLL);
        let Some(path) = &input.path else { continue };
        let now = Identity::of(path);
        let read = counter.load(Ordering::Relaxed);
        let change = match (&identity, &now) {
            (Some(before), Some(now)) => now.change_from(before, read),
            _ => Change::None,
        };
        if change != Change::None {
            if change == Change::Replaced {
                // What was appended to the old file after the last read is read first:
                // the open reader still holds that file. (A truncated file is the same
                // file: its old offset now points into new lines.)
                drain_into(file, input, &mut entries, &mut lines, analyzer, sink)?;
            }
            eprintln!("proxylint: {}: rotated, reopening", input.name);
            let fresh = reader::open(input, Some(counter.clone()))
                .map_err(|e| RunError::Input(format!("{}: {e}", input.name)))?;
            counter.store(0, Ordering::Relaxed);
            lines = LineReader::new(fresh, max_line, follow);
            identity = Identity::of(path);
        }
    }
    entries.notes.report(input, max_line);
    Ok(())
}

/// Reads what the input holds now into the analysis, then hands over what is pending.
pub(super) fn drain_into<R: io::Read>(
    file: u32,
    input: &Input,
    entries: &mut Entries,
    lines: &mut LineReader<R>,
    analyzer: &mut Analyzer,
    sink: &mut dyn Sink,
) -> Result<(), RunError> {
    let mut each = |number: u64, text: &str, rec: &Record<'_>| {
        analyzer
            .push(file, &input.name, number, rec, text, sink)
            .map_err(RunError::Output)
    };
    // What was read before a read error is still analysed.
    let read = entries.drain(input, lines, &mut each);
    let flushed = entries.flush(&mut each);
    entries.count_into(&mut analyzer.totals);
    analyzer.flush(file, &input.name, sink)?;
    read.and(flushed)
}

/// What tells a file from the one that replaced it at the same path.
struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    /// The file's first bytes: a copytruncate that regrew past the old offset between
    /// two polls has the same inode and no smaller size, but other first lines.
    head: Vec<u8>,
}

/// How many first bytes [`Identity`] compares.
const HEAD: usize = 256;

impl Identity {
    fn of(path: &Path) -> Option<Identity> {
        use std::io::Read;
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        let mut head = Vec::with_capacity(HEAD);
        if let Ok(f) = std::fs::File::open(path) {
            let _ = f.take(HEAD as u64).read_to_end(&mut head);
        }
        Some(Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            head,
        })
    }

    /// How the file at the path differs from the one `before` described, `read` bytes
    /// into it: another file, or the same one truncated (shorter than what was read, or
    /// with other first bytes than when it was opened).
    fn change_from(&self, before: &Identity, read: u64) -> Change {
        if (self.dev, self.ino) != (before.dev, before.ino) {
            return Change::Replaced;
        }
        let common = self.head.len().min(before.head.len());
        if self.len < read || self.len < before.len || self.head[..common] != before.head[..common]
        {
            return Change::Truncated;
        }
        Change::None
    }
}

/// What became of a followed file between two polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    None,
    /// Renamed away and recreated (logrotate's default).
    Replaced,
    /// Truncated in place (copytruncate), perhaps regrown since.
    Truncated,
}

/// nginx writes a FastCGI stderr message verbatim, newlines included: the entry continues
/// until a line closes the quote and adds the `while ...` action / context.
fn opens_multiline(rec: &Record<'_>) -> bool {
    rec.format == Some(Format::Nginx)
        && rec.message.starts_with("FastCGI sent in stderr: \"")
        && rec.action.is_empty()
        && rec.client.is_empty()
}

/// Docker's json-file driver and `journalctl -o json` wrap each line in JSON; the log line
/// is in `log`, `message` or `MESSAGE`.
fn unwrap_json(text: &str) -> Option<String> {
    if !text.starts_with("{\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    ["log", "message", "MESSAGE", "msg"]
        .iter()
        .find_map(|k| v.get(k).and_then(serde_json::Value::as_str))
        .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
}
