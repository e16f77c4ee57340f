//! Printers: one file per output format, all fed the same diagnostics. Rules never
//! format output; printers never decide what is wrong.

pub mod checkstyle;
pub mod concise;
pub mod full;
pub mod github;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::Config;
use crate::source::{SourceMap, Span, is_unprintable, printable};

/// Output formats of the lint command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical report with source snippets (miette); the default.
    Full,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Concise,
    /// One JSON document (schema in README.md).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`): annotations.
    Github,
    /// Checkstyle XML, for CI servers and editors that read it.
    Checkstyle,
}

/// Everything a printer needs about one run.
pub struct Report<'a> {
    pub sources: &'a SourceMap,
    pub diagnostics: &'a [Diagnostic],
    /// Number of configuration files read (entry files and includes).
    pub files: usize,
    /// Use colors (full format only).
    pub color: bool,
    /// Where the nginx version checked against comes from, for the summary; `None`
    /// leaves the version out.
    pub nginx: Option<&'a crate::settings::VersionSource>,
    /// The nginx version checked against.
    pub version: crate::nginx::grammar::Version,
}

impl<'a> Report<'a> {
    /// The report of a linted configuration, without colors.
    pub fn new(config: &'a Config, diagnostics: &'a [Diagnostic]) -> Report<'a> {
        Report {
            sources: &config.sources,
            diagnostics,
            files: config.sources.len(),
            color: false,
            nginx: None,
            version: config.avail.version,
        }
    }

    /// "nginx 1.22.1 (`/usr/sbin/nginx -v`)", for the summary line, when the source
    /// of the version is known.
    pub fn checked_against(&self) -> Option<String> {
        self.nginx.map(|from| from.describe(self.version))
    }

    /// `path`, 1-based line and column (UTF-8 characters) of a span.
    pub fn location(&self, span: Span) -> (&'a str, usize, usize) {
        let file = self.sources.get(span.file);
        let (line, col) = file.line_col(span.start);
        (&file.name, line, col)
    }

    /// Where a span starts and ends, for the machine-readable formats.
    pub fn range(&self, span: Span) -> Range<'a> {
        let file = self.sources.get(span.file);
        let (line, column) = file.line_col(span.start);
        let (end_line, end_column) = file.line_col(span.end);
        Range {
            file: &file.name,
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// A span as 1-based lines and columns (UTF-8 characters). The end is exclusive: the
/// column just past the last character, as in SARIF and LSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range<'a> {
    /// The file's name as displayed.
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn print(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Full => full::print(report, out),
        Format::Concise => concise::print(report, out),
        Format::Json => json::print(report, out),
        Format::Sarif => sarif::print(report, out),
        Format::Github => github::print(report, out),
        Format::Checkstyle => checkstyle::print(report, out),
    }
}

/// Findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let mut c = Counts::default();
        for d in diagnostics {
            match d.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

/// "3 errors, 1 warning" style count.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let c = Counts::of(diagnostics);
    let part = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = vec![part(c.errors, "error"), part(c.warnings, "warning")];
    if c.infos > 0 {
        parts.push(part(c.infos, "info"));
    }
    parts.join(", ")
}

/// The rule's kebab-case name, empty for a code no rule has.
pub fn rule_name(code: &str) -> &'static str {
    crate::rules::find(code).map_or("", |r| r.name)
}

/// The message, with the help on a line of its own: for formats with one text field.
/// Characters a terminal would act on are written visibly ([`printable`]).
pub fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{}\nhelp: {}", printable(&d.message), printable(help)),
        None => printable(&d.message).into_owned(),
    }
}

/// serde_json's pretty formatter, also escaping as `\uXXXX` what it leaves raw and a
/// terminal would act on (DEL, C1 controls, bidirectional overrides): the JSON
/// decodes to the same text, and `cat report.json` cannot drive the terminal.
struct TerminalSafe(serde_json::ser::PrettyFormatter<'static>);

/// Serializes `value` as pretty JSON through [`TerminalSafe`].
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let formatter = TerminalSafe(serde_json::ser::PrettyFormatter::new());
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_unprintable(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{:04x}", unit)?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // The pretty layout, delegated.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// The secondary locations of a finding, labels first: the flat formats have one list
/// for both.
pub fn secondary(d: &Diagnostic) -> impl Iterator<Item = &Label> {
    d.labels.iter().chain(&d.related)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_the_text_but_escapes_c1_and_bidi() {
        let mut out = Vec::new();
        write_json(&mut out, &"a\u{1b}b\u{9b}c\u{202e}d").expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert_eq!(text, "\"a\\u001bb\\u009bc\\u202ed\"");
        let back: String = serde_json::from_str(&text).expect("json");
        assert_eq!(back, "a\u{1b}b\u{9b}c\u{202e}d");
    }
}
