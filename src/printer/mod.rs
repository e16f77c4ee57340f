//! Printers: one file per output format, all fed the same diagnostics. Rules never
//! format output; printers never decide what is wrong.

pub mod concise;
pub mod full;

use std::io::{self, Write};

use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};

/// Output formats of the lint command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical report with source snippets (miette).
    Full,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Concise,
}

/// Everything a printer needs about one run.
pub struct Report<'a> {
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [Diagnostic],
    /// Number of configuration files read (entry files and includes).
    pub files: usize,
    /// Use colors (full format only).
    pub color: bool,
}

impl Report<'_> {
    /// `path`, 1-based line and column (UTF-8 characters) of a span.
    pub fn location(&self, span: Span) -> (&str, usize, usize) {
        let file = self.sources.get(span.file);
        let (line, col) = file.line_col(span.start);
        (&file.name, line, col)
    }
}

pub fn print(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Full => full::print(report, out),
        Format::Concise => concise::print(report, out),
    }
}

/// "3 errors, 1 warning" style count.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    use crate::diagnostic::Severity;
    let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
    let part = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![
        part(count(Severity::Error), "error"),
        part(count(Severity::Warning), "warning"),
    ];
    let infos = count(Severity::Info);
    if infos > 0 {
        parts.push(part(infos, "info"));
    }
    parts.join(", ")
}
