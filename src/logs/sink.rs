//! Where analysed records go as they are read (ripgrep's searcher/sink split): the
//! analysis stage calls a [`Sink`] once per record, in input order; `--format ndjson`
//! writes each as a JSON line, text `--follow` writes each upstream failure as one line,
//! and the summary formats discard them (their report is printed at the end).

use std::io::{self, Write};

use super::analyze::Outcome;
use super::print_json;
use super::record::Record;
use super::report::iso;
use crate::source::printable;

/// One analysed record.
pub struct Analysed<'a> {
    /// The input's name as shown.
    pub file: &'a str,
    pub line: u64,
    pub record: &'a Record<'a>,
    pub outcome: &'a Outcome,
    /// The upstream of the record's cluster, for classified records.
    pub upstream: Option<&'a str>,
}

pub trait Sink {
    fn record(&mut self, r: &Analysed<'_>) -> io::Result<()>;

    /// Whether the sink wants records at all (the analysis may skip building them).
    fn wants_records(&self) -> bool {
        true
    }

    /// Pushes what was written so far to its destination (`--follow` waits for more).
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The summary formats: records only feed the report.
pub struct Discard;

impl Sink for Discard {
    fn record(&mut self, _: &Analysed<'_>) -> io::Result<()> {
        Ok(())
    }

    fn wants_records(&self) -> bool {
        false
    }
}

/// `--format ndjson`: one JSON object per record.
pub struct Ndjson<'w>(pub &'w mut dyn Write);

impl Sink for Ndjson<'_> {
    fn record(&mut self, r: &Analysed<'_>) -> io::Result<()> {
        print_json::write_record(self.0, r.file, r.line, r.record, r.outcome, r.upstream)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Text `--follow`: each upstream failure as one line as it is read (a live file's summary
/// would only be printed at an exit that never comes).
pub struct FollowText<'w>(pub &'w mut dyn Write);

impl Sink for FollowText<'_> {
    fn record(&mut self, r: &Analysed<'_>) -> io::Result<()> {
        let Some(cause) = r.outcome.cause else {
            return Ok(());
        };
        writeln!(
            self.0,
            "{}  {cause}  {}  {}:{}",
            r.record.time.map(iso).unwrap_or_else(|| "-".into()),
            printable(r.upstream.unwrap_or("-")),
            printable(r.file),
            r.line
        )
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}
