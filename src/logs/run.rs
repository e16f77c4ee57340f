//! The per-line loop of `proxylint logs`: reads one input line by line (following it when
//! asked, across rotation), decodes bytes (binary and invalid UTF-8 handling), unwraps
//! JSON-wrapped lines, assembles multi-line FastCGI entries, splits glued records, holds back
//! Apache lines logged before their request's cause, and feeds records to the [`Analyzer`]
//! and, for ndjson or text `--follow`, to the output as they come.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::analyze::{Analyzer, Outcome};
use super::reader::{self, Input, LineReader};
use super::record::{self, Format};
use super::{LogsArgs, OutputFormat, catalogue, print_json, report, warn};

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
}

/// A FastCGI stderr entry spanning several lines, being assembled.
struct Pending {
    text: String,
    line: u64,
}

/// Consecutive Apache lines of one thread (one request), analysed together.
#[derive(Default)]
struct Group {
    key: (u64, u64),
    time: i64,
    lines: Vec<(u64, String)>,
}

/// Most lines of one Apache request held back for joint analysis.
const MAX_GROUP: usize = 32;
/// Lines of one Apache request are written within this many seconds.
const GROUP_WINDOW: i64 = 2;

pub(super) struct Run<'a> {
    args: &'a LogsArgs,
    pub(super) analyzer: Analyzer,
    pub(super) progress: Option<indicatif::ProgressBar>,
    pending: Option<Pending>,
    group: Group,
}

impl<'a> Run<'a> {
    pub(super) fn new(args: &'a LogsArgs, analyzer: Analyzer) -> Run<'a> {
        Run {
            args,
            analyzer,
            progress: None,
            pending: None,
            group: Group::default(),
        }
    }

    pub(super) fn read_input(
        &mut self,
        file: u32,
        input: &Input,
        follow: bool,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        let counter = Arc::new(AtomicU64::new(0));
        let opened = reader::open(input, Some(counter.clone()))
            .map_err(|e| RunError::Input(format!("{}: {e}", input.name)))?;
        self.analyzer.totals.files += 1;
        let mut notes = FileNotes::default();
        let mut lines = LineReader::new(opened, self.args.max_line, follow);
        let mut identity = input.path.as_ref().and_then(|p| file_identity(p));
        let mut reported = 0u64;
        loop {
            let result = self.drain(file, input, &mut lines, &mut notes, out);
            self.flush_pending(file, input, out)?;
            self.flush_group(file, input, out)?;
            if let Some(p) = &self.progress {
                let now = counter.load(Ordering::Relaxed);
                p.inc(now.saturating_sub(reported));
                reported = now;
            }
            if let Err(e) = result {
                self.report_notes(input, &notes);
                return Err(e);
            }
            if !follow || (input.path.is_none() && lines.at_eof()) {
                break;
            }
            out.flush().map_err(RunError::Output)?;
            std::thread::sleep(FOLLOW_POLL);
            // Rotation: the path now names another file, or the file was truncated in place.
            if let Some(path) = &input.path {
                let now = file_identity(path);
                let truncated = now.is_some_and(|(_, len)| len < counter.load(Ordering::Relaxed));
                let replaced = now.is_some() && now.map(|n| n.0) != identity.map(|i| i.0);
                if replaced || truncated {
                    eprintln!("proxylint: {}: rotated, reopening", input.name);
                    let fresh = reader::open(input, Some(counter.clone()))
                        .map_err(|e| RunError::Input(format!("{}: {e}", input.name)))?;
                    counter.store(0, Ordering::Relaxed);
                    lines = LineReader::new(fresh, self.args.max_line, follow);
                    identity = now;
                }
            }
        }
        self.report_notes(input, &notes);
        Ok(())
    }

    /// Reads lines until the end of the input (for now, when following).
    fn drain<R: io::Read>(
        &mut self,
        file: u32,
        input: &Input,
        lines: &mut LineReader<R>,
        notes: &mut FileNotes,
        out: &mut dyn Write,
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
            self.analyzer.totals.lines += 1;
            let number = line.number;
            if let Some(total) = line.cut_from {
                self.analyzer.totals.cut_lines += 1;
                notes.cut_total += 1;
                if notes.cut.len() < NOTES_PER_FILE {
                    notes.cut.push((number, total));
                }
            }
            let bytes = line.bytes;
            let text = match reader::decode(bytes) {
                reader::Decoded::Text(t) => std::borrow::Cow::Borrowed(t),
                reader::Decoded::Lossy(t) => {
                    self.analyzer.totals.invalid_utf8_lines += 1;
                    notes.invalid_utf8 += 1;
                    std::borrow::Cow::Owned(t)
                }
                reader::Decoded::Binary => {
                    self.analyzer.totals.binary_lines += 1;
                    notes.binary += 1;
                    continue;
                }
            };
            let unwrapped = unwrap_json(&text);
            let text = unwrapped.as_deref().unwrap_or(&text);
            self.line(file, input, number, text, out)?;
        }
    }

    /// One text line: continues a pending multi-line entry or is parsed on its own.
    fn line(
        &mut self,
        file: u32,
        input: &Input,
        number: u64,
        text: &str,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        let rec = record::parse(text);
        self.analyzer.prefetch(file, &rec);
        if let Some(p) = &mut self.pending {
            if rec.format == Some(Format::Fragment) {
                if p.text.len() < MAX_ENTRY {
                    p.text.push('\n');
                    p.text.push_str(text);
                }
                if text.contains("\" while ") || text.contains(", client: ") {
                    self.flush_pending(file, input, out)?;
                }
                return Ok(());
            }
            self.flush_pending(file, input, out)?;
        }
        if opens_multiline(&rec) {
            self.pending = Some(Pending {
                text: text.to_owned(),
                line: number,
            });
            return Ok(());
        }
        self.record(file, input, number, &rec, text, out)
    }

    fn flush_pending(
        &mut self,
        file: u32,
        input: &Input,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        if let Some(p) = self.pending.take() {
            let rec = record::parse(&p.text);
            self.record(file, input, p.line, &rec, &p.text, out)?;
        }
        Ok(())
    }

    fn record(
        &mut self,
        file: u32,
        input: &Input,
        number: u64,
        rec: &record::Record<'_>,
        text: &str,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        let own_text = own_part(text, rec.glued);
        let group_key = match (rec.format, rec.pid) {
            (Some(Format::Apache), Some(pid)) => Some((pid, rec.tid.unwrap_or(0))),
            _ => None,
        };
        if !self.group.lines.is_empty() {
            let joins = group_key.is_some_and(|k| {
                k == self.group.key
                    && self.group.lines.len() < MAX_GROUP
                    && (rec.time.unwrap_or(0) - self.group.time).abs() <= GROUP_WINDOW
            });
            if joins {
                self.group.lines.push((number, own_text.to_owned()));
                let verdict = self.analyzer.classify(rec);
                if verdict.is_some_and(|v| v.role == catalogue::Role::Cause) {
                    self.flush_group(file, input, out)?;
                }
                return self.glued(file, input, number, rec, out);
            }
            self.flush_group(file, input, out)?;
        }
        let verdict = self.analyzer.classify(rec);
        // An Apache consequence line logged before its request's cause is held back until
        // the cause arrives (or the thread moves on), so it joins that cause.
        if let Some(key) = group_key
            && self.analyzer.awaits_cause(file, rec, verdict)
        {
            self.group.key = key;
            self.group.time = rec.time.unwrap_or(0);
            self.group.lines.push((number, own_text.to_owned()));
            return self.glued(file, input, number, rec, out);
        }
        if let Some(outcome) =
            self.analyzer
                .record_classified(file, &input.name, number, rec, own_text, verdict)
        {
            self.emit(input, number, rec, &outcome, out)?;
        }
        self.glued(file, input, number, rec, out)
    }

    /// Records glued onto this line without a newline.
    fn glued(
        &mut self,
        file: u32,
        input: &Input,
        number: u64,
        rec: &record::Record<'_>,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        if !rec.glued.is_empty() {
            let next = record::parse(rec.glued);
            self.record(file, input, number, &next, rec.glued, out)?;
        }
        Ok(())
    }

    /// Analyses the held Apache lines of one request together and emits them in order.
    fn flush_group(
        &mut self,
        file: u32,
        input: &Input,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        if self.group.lines.is_empty() {
            return Ok(());
        }
        let lines = std::mem::take(&mut self.group.lines);
        let items: Vec<(u64, record::Record<'_>, &str)> = lines
            .iter()
            .map(|(n, text)| (*n, record::parse(text), text.as_str()))
            .collect();
        let outcomes = self.analyzer.record_group(file, &input.name, &items);
        for ((number, rec, _), outcome) in items.iter().zip(outcomes) {
            if let Some(outcome) = outcome {
                self.emit(input, *number, rec, &outcome, out)?;
            }
        }
        let mut lines = lines;
        lines.clear();
        self.group.lines = lines;
        Ok(())
    }

    fn emit(
        &mut self,
        input: &Input,
        number: u64,
        rec: &record::Record<'_>,
        outcome: &Outcome,
        out: &mut dyn Write,
    ) -> Result<(), RunError> {
        match self.args.format {
            OutputFormat::Ndjson => {
                let upstream = outcome
                    .cluster
                    .and_then(|c| self.analyzer.cluster(c))
                    .map(|c| c.upstream.as_str());
                print_json::write_record(out, &input.name, number, rec, outcome, upstream)
                    .map_err(RunError::Output)
            }
            // Text --follow echoes each upstream failure as it is read: a live file's summary
            // would only be printed at an exit that never comes.
            OutputFormat::Text if self.args.follow => {
                let Some(cause) = outcome.cause else {
                    return Ok(());
                };
                let upstream = outcome
                    .cluster
                    .and_then(|c| self.analyzer.cluster(c))
                    .map_or("-", |c| c.upstream.as_str());
                writeln!(
                    out,
                    "{}  {cause}  {upstream}  {}:{number}",
                    rec.time.map(report::iso).unwrap_or_else(|| "-".into()),
                    input.name
                )
                .map_err(RunError::Output)
            }
            _ => Ok(()),
        }
    }

    /// Reads a whole stream (no follow): every line, then what is still held back.
    pub(super) fn read_all<R: io::Read>(
        &mut self,
        file: u32,
        input: &Input,
        lines: &mut LineReader<R>,
        notes: &mut FileNotes,
    ) -> Result<(), String> {
        let mut sink = io::sink();
        let result = self.drain(file, input, lines, notes, &mut sink);
        let flushed = self
            .flush_pending(file, input, &mut sink)
            .and_then(|()| self.flush_group(file, input, &mut sink));
        match result.and(flushed) {
            Ok(()) => Ok(()),
            Err(RunError::Input(msg)) => Err(msg),
            Err(RunError::Output(e)) => Err(format!("{}: {e}", input.name)),
        }
    }

    fn report_notes(&self, input: &Input, notes: &FileNotes) {
        report_notes(self.args, input, notes);
    }
}

pub(super) fn report_notes(args: &LogsArgs, input: &Input, notes: &FileNotes) {
    if notes.binary > 0 {
        warn(&format!(
            "{}: {} line(s) of binary data skipped",
            input.name, notes.binary
        ));
    }
    if notes.invalid_utf8 > 0 {
        warn(&format!(
            "{}: {} line(s) with invalid UTF-8 analysed with U+FFFD replacement characters",
            input.name, notes.invalid_utf8
        ));
    }
    for (line, total) in &notes.cut {
        warn(&format!(
            "{}:{line}: line of {total} bytes cut to its first {} bytes for analysis",
            input.name, args.max_line
        ));
    }
    if notes.cut_total > notes.cut.len() as u64 {
        warn(&format!(
            "{}: {} more overlong line(s) cut",
            input.name,
            notes.cut_total - notes.cut.len() as u64
        ));
    }
}

/// The part of a line before a glued second record (`glued` is a suffix slice of `text`,
/// possibly short of a trailing `\r` the parser trimmed).
fn own_part<'a>(text: &'a str, glued: &str) -> &'a str {
    if glued.is_empty() {
        return text;
    }
    let at = (glued.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    text.get(..at).unwrap_or(text)
}

/// nginx writes a FastCGI stderr message verbatim, newlines included: the entry continues
/// until a line closes the quote and adds the `while ...` action / context.
fn opens_multiline(rec: &record::Record<'_>) -> bool {
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

/// (inode, length) of a path, to notice rotation while following.
fn file_identity(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.ino(), m.len()))
}
