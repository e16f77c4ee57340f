//! The default report: miette's graphical rendering (source snippet, labels, help).
//!
//! The only place that knows miette: [`Adapter`] turns a [`Diagnostic`] into a
//! `miette::Diagnostic`. Each snippet is cut from a window of lines around the spans, so
//! a finding deep inside a huge file costs no more than one near the top; a window of
//! long lines is cut around the spans too, so a finding on a 2 MB line costs no more
//! than one on a short line.

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Span, is_unprintable, printable};

/// Lines of context shown around a span.
const CONTEXT: usize = 2;

/// A window of lines larger than this is cut around its spans instead: each finding's
/// snippet was its whole line, so 1,001 findings on one 2 MB line took 23 s to print.
const MAX_WINDOW: usize = 4096;

/// Bytes kept before the first span and after the last when a window is cut.
const CUT_CONTEXT: usize = 80;

/// Marks where a cut window's text was cut off.
const CUT_MARK: &[u8] = b"...";

/// Text of a window of a file, with invalid UTF-8 bytes and characters a terminal
/// would act on replaced by `?` byte for byte, so byte offsets stay valid.
struct Window {
    name: String,
    text: String,
    /// Byte offset of the window in its file.
    base: usize,
    /// 0-based line of the window's first line.
    first_line: usize,
    /// Characters of that line before the window (a cut window starts inside a line).
    first_column: usize,
}

fn offset_preserving_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            // CRLF line ends stay; a lone CR would move the cursor back over the line.
            if is_unprintable(c) && !(c == '\r' && chars.peek() == Some(&'\n')) {
                out.extend(std::iter::repeat_n('?', c.len_utf8()));
            } else {
                out.push(c);
            }
        }
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

impl Window {
    fn new(file: &SourceFile, spans: &[Span]) -> Window {
        let text = &file.text;
        let first = spans
            .iter()
            .map(|s| s.start as usize)
            .min()
            .unwrap_or(0)
            .min(text.len());
        let last = spans
            .iter()
            .map(|s| s.end as usize)
            .max()
            .unwrap_or(0)
            .min(text.len());
        // Start CONTEXT lines above the first span, end CONTEXT lines below the last.
        let mut start = first;
        for _ in 0..=CONTEXT {
            start = match memchr::memrchr(b'\n', &text[..start]) {
                Some(nl) if start > 0 => nl,
                _ => 0,
            };
            if start == 0 {
                break;
            }
        }
        if start > 0 {
            start += 1;
        }
        let mut end = last;
        for _ in 0..=CONTEXT {
            match memchr::memchr(b'\n', &text[end..]) {
                Some(nl) => end += nl + 1,
                None => {
                    end = text.len();
                    break;
                }
            }
        }
        if end - start > MAX_WINDOW {
            return Window::cut(file, first, last);
        }
        let first_line = file.line(start as u32) - 1;
        Window {
            name: file.name.clone(),
            text: offset_preserving_text(&text[start..end]),
            base: start,
            first_line,
            first_column: 0,
        }
    }

    /// A window of at most [`MAX_WINDOW`] bytes from [`CUT_CONTEXT`] before `first` on,
    /// without context lines: its lines are too long to show whole. Where it cuts a
    /// line, `...` replaces the bytes at the cut when they are plain ASCII (so that
    /// counting characters still gives the file's columns).
    fn cut(file: &SourceFile, first: usize, last: usize) -> Window {
        let text = &file.text;
        let line_start = memchr::memrchr(b'\n', &text[..first]).map_or(0, |nl| nl + 1);
        // Cut between characters: a character's stray bytes would show as `?`, and
        // one at the start would count as a character of its own.
        let boundary = |mut at: usize| {
            while text.get(at).is_some_and(|&b| b & 0xC0 == 0x80) {
                at += 1;
            }
            at
        };
        let start = boundary(first.saturating_sub(CUT_CONTEXT).max(line_start));
        let end = boundary(
            last.max(first)
                .saturating_add(CUT_CONTEXT)
                .min(start + MAX_WINDOW),
        )
        .min(text.len());
        let mut bytes = text[start..end].to_vec();
        let n = CUT_MARK.len();
        let plain = |b: &[u8]| b.iter().all(|&c| c.is_ascii() && !c.is_ascii_control());
        // The marks never cover a span, nor a line end.
        if start > line_start && first >= start + n && bytes.len() >= n && plain(&bytes[..n]) {
            bytes[..n].copy_from_slice(CUT_MARK);
        }
        let cut_end = text.get(end).is_some_and(|&b| b != b'\n');
        let tail = bytes.len().saturating_sub(n);
        if cut_end && tail >= n && last <= start + tail && plain(&bytes[tail..]) {
            bytes[tail..].copy_from_slice(CUT_MARK);
        }
        let (line, column) = file.line_col(start as u32);
        Window {
            name: file.name.clone(),
            text: offset_preserving_text(&bytes),
            base: start,
            first_line: line - 1,
            first_column: column - 1,
        }
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // A span running past a cut window is shown up to the cut.
        let offset = span.offset().saturating_sub(self.base).min(self.text.len());
        let len = span.len().min(self.text.len() - offset);
        let local = SourceSpan::new(offset.into(), len);
        let inner = self.text.read_span(&local, before, after)?;
        let data_start = inner.span().offset();
        // miette counts the column (shown as `file:line:col`) in bytes; proxylint's
        // columns count characters, as in every other format.
        let before = &self.text.as_bytes()[..offset];
        let column = match memchr::memrchr(b'\n', before) {
            Some(nl) => crate::source::count_chars(&before[nl + 1..]),
            None => self.first_column + crate::source::count_chars(before),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((data_start + self.base).into(), inner.span().len()),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// A [`Diagnostic`] seen through miette's trait.
struct Adapter {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Window>,
    labels: Vec<LabeledSpan>,
    related: Vec<Adapter>,
}

impl fmt::Debug for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Adapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Adapter {}

impl miette::Diagnostic for Adapter {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(&self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = LabeledSpan>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty()).then(|| {
            Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

fn labeled(span: Span, text: Option<String>, primary: bool) -> LabeledSpan {
    let at = SourceSpan::new(
        (span.start as usize).into(),
        (span.end - span.start) as usize,
    );
    if primary {
        LabeledSpan::new_primary_with_span(text, at)
    } else {
        LabeledSpan::new_with_span(text, at)
    }
}

fn adapt(report: &Report, d: &Diagnostic) -> Adapter {
    let severity = match d.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut spans: Vec<Span> = Vec::new();
    let mut labels = Vec::new();
    if let Some(span) = d.span {
        spans.push(span);
        labels.push(labeled(span, None, true));
    }
    // Secondary places near the finding share its snippet; others get their own (a
    // shared snippet would show every line in between, or, on a long line, be cut
    // before reaching them).
    let line = |s: Span| report.sources.line(s);
    let near = |s: Span| {
        d.span.is_some_and(|p| {
            p.file == s.file
                && line(p).abs_diff(line(s)) <= 8
                && (p.start.abs_diff(s.end) as usize) < MAX_WINDOW - 2 * CUT_CONTEXT
        })
    };
    let mut related = Vec::new();
    for l in d.labels.iter().chain(&d.related) {
        if near(l.span) {
            spans.push(l.span);
            labels.push(labeled(
                l.span,
                Some(printable(&l.message).into_owned()),
                false,
            ));
        } else {
            related.push(note(report, l.span, &l.message));
        }
    }
    let source = d
        .span
        .map(|s| Window::new(report.sources.get(s.file), &spans));
    let name = crate::rules::find(d.code).map_or("", |r| r.name);
    Adapter {
        code: format!("{} {name}", d.code).trim_end().to_string(),
        message: printable(&d.message).into_owned(),
        severity,
        help: d.help.as_deref().map(|h| printable(h).into_owned()),
        source,
        labels,
        related,
    }
}

/// A secondary location shown under the main finding.
fn note(report: &Report, span: Span, message: &str) -> Adapter {
    let (path, line, col) = report.location(span);
    let message = printable(message);
    Adapter {
        code: "note".to_string(),
        message: format!("{message} ({path}:{line}:{col})"),
        severity: miette::Severity::Advice,
        help: None,
        source: Some(Window::new(report.sources.get(span.file), &[span])),
        labels: vec![labeled(span, Some(message.to_string()), true)],
        related: Vec::new(),
    }
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let theme = if report.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // A fixed width keeps output identical across terminals and in snapshots.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(CONTEXT);
    for d in report.diagnostics {
        let mut text = String::new();
        handler
            .render_report(&mut text, &adapt(report, d))
            .map_err(io::Error::other)?;
        writeln!(out, "{text}")?;
    }
    if !report.quiet {
        super::summary_line(report, out)?;
    }
    Ok(())
}
