//! Both cores on large inputs: the input is cut into units (whole files, and line-aligned
//! byte ranges of big plain files), each analysed by its own pipeline on a worker thread,
//! and the reports are merged in input order.
//!
//! Used for `--format text|json` only: ndjson and `--follow` need one pipeline so request
//! and template ids run in input order. A request whose lines straddle a unit boundary is
//! counted in both units (at most one per boundary and cluster).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Options;
use super::analyze::Analyzer;
use super::entries::{Entries, FileNotes, RunError, drain_into};
use super::reader::{self, Input, LineReader};
use super::record;
use super::report::Report;
use super::sink::Discard;

/// Byte ranges smaller than this are not worth a thread.
pub const MIN_CHUNK: u64 = 32 * 1024 * 1024;

/// One piece of work.
pub struct Unit {
    /// Index of the input (its file id for correlation).
    pub input: usize,
    /// Byte range of a plain file, or `None` for the whole input (gzip, stdin, small).
    pub range: Option<(u64, u64)>,
}

/// What a unit produced.
pub struct Done {
    pub report: Report,
    pub notes: FileNotes,
    pub lines: u64,
    pub bytes: u64,
    pub error: Option<String>,
}

/// Cuts the inputs into units: big plain files into line-aligned ranges, so that there are
/// a few units per thread to balance the load.
pub fn plan(inputs: &[Input], threads: usize, min_chunk: u64) -> Vec<Unit> {
    let mut units = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let ranges = input
            .path
            .as_deref()
            .and_then(|p| split(p, threads, min_chunk).ok().flatten());
        match ranges {
            Some(ranges) => units.extend(ranges.into_iter().map(|r| Unit {
                input: i,
                range: Some(r),
            })),
            None => units.push(Unit {
                input: i,
                range: None,
            }),
        }
    }
    units
}

/// Line-aligned ranges of a plain (not gzip) file large enough to split.
fn split(path: &Path, threads: usize, min_chunk: u64) -> io::Result<Option<Vec<(u64, u64)>>> {
    let mut f = File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() || meta.len() < 2 * min_chunk || threads < 2 {
        return Ok(None);
    }
    let mut magic = [0u8; 2];
    let n = f.read(&mut magic)?;
    if reader::is_gzip(&magic[..n]) {
        return Ok(None);
    }
    let size = meta.len();
    let n = (size / min_chunk).min(threads as u64 * 4).max(2);
    let mut starts = vec![0u64];
    for k in 1..n {
        let at = record_start_after(&mut f, size * k / n)?;
        if at > *starts.last().unwrap_or(&0) && at < size {
            starts.push(at);
        }
    }
    let mut ranges: Vec<(u64, u64)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    ranges.push((*starts.last().unwrap_or(&0), size));
    Ok(Some(ranges))
}

/// The start of the first line at or after `offset` that begins a record (so a multi-line
/// FastCGI entry is not cut), looking at most 64 kB ahead.
fn record_start_after(f: &mut File, offset: u64) -> io::Result<u64> {
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_full(f, &mut buf)?;
    let buf = &buf[..n];
    let Some(first_nl) = memchr::memchr(b'\n', buf) else {
        return Ok(offset + n as u64);
    };
    let mut at = first_nl + 1;
    let fallback = at;
    while at < buf.len() {
        let end = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |e| at + e);
        let line = String::from_utf8_lossy(&buf[at..end]);
        if record::parse(&line).format != Some(record::Format::Fragment) {
            return Ok(offset + at as u64);
        }
        at = end + 1;
    }
    Ok(offset + fallback as u64)
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Runs the units on worker threads and hands each unit's result to `fold` on this
/// thread, in unit order, as soon as it and those before it are done: results are
/// merged as they come, so what is held at once is bounded by the threads, not by the
/// number of inputs (10,000 small files held 10,000 reports).
pub fn run(
    opts: &Options,
    inputs: &[Input],
    units: &[Unit],
    progress: Option<&indicatif::ProgressBar>,
    mut fold: impl FnMut(&Unit, Done),
) {
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Done)>(0);
    std::thread::scope(|s| {
        for _ in 0..opts.threads.min(units.len()) {
            let tx = tx.clone();
            let next = &next;
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(unit) = units.get(i) else { break };
                    let done = process(opts, &inputs[unit.input], unit);
                    if let Some(p) = progress {
                        p.inc(done.bytes);
                    }
                    if tx.send((i, done)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Results that came before their turn; a worker runs ahead by at most a unit.
        let mut waiting: std::collections::BTreeMap<usize, Done> = Default::default();
        let mut turn = 0;
        for (i, done) in rx {
            waiting.insert(i, done);
            while let Some(done) = waiting.remove(&turn) {
                fold(&units[turn], done);
                turn += 1;
            }
        }
    });
}

fn process(opts: &Options, input: &Input, unit: &Unit) -> Done {
    let mut analyzer = Analyzer::new(opts.since, opts.until);
    let opened: io::Result<(Box<dyn Read + Send>, u64)> = match (unit.range, &input.path) {
        (Some((start, end)), Some(path)) => File::open(path).and_then(|mut f| {
            f.seek(SeekFrom::Start(start))?;
            Ok((
                Box::new(f.take(end - start)) as Box<dyn Read + Send>,
                end - start,
            ))
        }),
        _ => reader::open(input, None).map(|r| {
            let size = input
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
            (r, size)
        }),
    };
    let (r, bytes) = match opened {
        Ok(o) => o,
        Err(e) => {
            let mut report = Report::default();
            report.totals.unreadable_files = u64::from(unit.range.is_none_or(|(s, _)| s == 0));
            return Done {
                report,
                notes: FileNotes::default(),
                lines: 0,
                bytes: 0,
                error: Some(format!("{}: {e}", input.name)),
            };
        }
    };
    // Counted once per file, by its first unit.
    analyzer.totals.files = u64::from(unit.range.is_none_or(|(s, _)| s == 0));
    let mut lines = LineReader::new(r, opts.max_line, false);
    let mut entries = Entries::default();
    let file = unit.input as u32;
    let error = drain_into(
        file,
        input,
        &mut entries,
        &mut lines,
        &mut analyzer,
        &mut Discard,
    )
    .err()
    .map(|e| match e {
        RunError::Input(msg) => msg,
        RunError::Output(e) => format!("{}: {e}", input.name),
    });
    Done {
        lines: lines.line_number(),
        report: analyzer.finish(),
        notes: entries.notes,
        bytes,
        error,
    }
}
