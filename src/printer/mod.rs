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
use crate::source::{Columns, SourceMap, Span, is_unprintable, printable};
use crate::workspace::Workspace;

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
    /// Findings only: no summary line (`--quiet`).
    pub quiet: bool,
    /// What the columns of [`Report::range`] count (code points unless a client such
    /// as a language server asks for UTF-16 code units or bytes).
    pub columns: Columns,
    /// The server versions the configuration was checked against, for the summary.
    pub checked: Vec<Checked>,
}

impl<'a> Report<'a> {
    /// The report of a linted workspace, without colors.
    pub fn new(ws: &'a Workspace, diagnostics: &'a [Diagnostic]) -> Report<'a> {
        Report {
            sources: &ws.sources,
            diagnostics,
            files: ws.sources.len(),
            color: false,
            quiet: false,
            columns: Columns::Chars,
            checked: ws
                .nginx()
                .map(|c| Checked::nginx(c.avail.version, None))
                .into_iter()
                .collect(),
        }
    }

    /// "nginx 1.22.1 (`/usr/sbin/nginx -v`)", for the summary line, when the source
    /// of the version is known.
    pub fn checked_against(&self) -> Option<String> {
        let said: Vec<&str> = self
            .checked
            .iter()
            .filter_map(|c| c.described.as_deref())
            .collect();
        (!said.is_empty()).then(|| said.join(" and "))
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
        let (line, column) = file.position(span.start, self.columns);
        let (end_line, end_column) = file.position(span.end, self.columns);
        Range {
            file: &file.name,
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// A server version a configuration was checked against: the summary line says it, the
/// JSON summary gives `<server>_version`, `<server>_version_from`, `<server>_binary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `nginx`, `apache`.
    pub server: &'static str,
    pub version: String,
    /// Where the version comes from in one word (`option`, `config`, `nginx -v`,
    /// `default`); `None` when not said.
    pub from: Option<&'static str>,
    /// The binary asked for its version, when it was.
    pub binary: Option<String>,
    /// The version and its source in words, for the summary line; `None` leaves it out.
    pub described: Option<String>,
}

impl Checked {
    /// The nginx version checked against, and where it comes from if known.
    pub fn nginx(
        version: crate::nginx::grammar::Version,
        from: Option<&crate::settings::VersionSource>,
    ) -> Checked {
        Checked {
            server: "nginx",
            version: version.to_string(),
            from: from.map(|f| f.key()),
            binary: match from {
                Some(crate::settings::VersionSource::Detected { binary, .. }) => {
                    Some(binary.to_string_lossy().into_owned())
                }
                _ => None,
            },
            described: from.map(|f| f.describe(version)),
        }
    }
}

impl Checked {
    /// The httpd version Apache configurations were checked against.
    pub fn apache(
        version: crate::apache::grammar::Version,
        from: &crate::settings::VersionSource,
    ) -> Checked {
        use crate::settings::VersionSource;
        let why = match from {
            VersionSource::Option => "--apache-version".to_string(),
            VersionSource::File(path) => {
                format!("[apache] version in {}", crate::source::display_name(path))
            }
            _ => "the current 2.4 release; set --apache-version to yours".to_string(),
        };
        Checked {
            server: "apache",
            version: version.to_string(),
            from: Some(from.key()),
            binary: None,
            described: Some(format!("Apache httpd {version} ({why})")),
        }
    }
}

/// A span as 1-based lines and columns (code points, unless [`Report::columns`] says
/// otherwise). The end is exclusive: the
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

/// `--statistics`: how many findings each rule has, most first (ties by code), then
/// the summary line unless quiet.
pub fn statistics(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for d in report.diagnostics {
        match counts.iter_mut().find(|(code, _)| *code == d.code) {
            Some((_, n)) => *n += 1,
            None => counts.push((d.code, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let width = counts.first().map_or(1, |(_, n)| n.to_string().len());
    for (code, n) in &counts {
        writeln!(out, "{n:>width$}  {code}  {}", rule_name(code))?;
    }
    if !report.quiet {
        summary_line(report, out)?;
    }
    Ok(())
}

/// The last line of the text reports: what was found in how many files.
fn summary_line(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let against = report
        .checked_against()
        .map_or_else(String::new, |v| format!("; checked against {v}"));
    if report.diagnostics.is_empty() {
        writeln!(
            out,
            "No problems found in {} file(s){against}.",
            report.files
        )
    } else {
        writeln!(
            out,
            "Found {} in {} file(s){against}.",
            summary(report.diagnostics),
            report.files
        )
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

/// A serde_json formatter (pretty or compact) also escaping as `\uXXXX` what serde
/// leaves raw and a terminal would act on (DEL, C1 controls, bidirectional overrides):
/// the JSON decodes to the same text, and `cat report.json` cannot drive the terminal.
struct TerminalSafe<F>(F);

/// Serializes `value` as pretty JSON through [`TerminalSafe`].
pub fn write_json<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let formatter = TerminalSafe(serde_json::ser::PrettyFormatter::new());
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Serializes `value` as one line of JSON (an NDJSON record) through [`TerminalSafe`].
pub fn write_json_line<T: serde::Serialize>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let formatter = TerminalSafe(serde_json::ser::CompactFormatter);
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    value.serialize(&mut ser).map_err(io::Error::other)
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for TerminalSafe<F> {
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

    // The layout, delegated.
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
        let mut line = Vec::new();
        write_json_line(&mut line, &["a\u{9b}"]).expect("write");
        assert_eq!(String::from_utf8(line).expect("utf-8"), "[\"a\\u009b\"]");
    }
}
