//! GitHub Actions workflow commands: each finding becomes an annotation on the pull
//! request's diff (`::error file=F,line=L,...::message`).
//!
//! GitHub shows at most 10 annotations of each severity per step. Every finding is
//! still printed (the log keeps them), and when a severity has more, a notice placed
//! before the annotations (so it is among those shown) says how many are not shown.

use std::io::{self, Write};

use super::{Counts, Report, message_with_help, rule_name};
use crate::diagnostic::Severity;
use crate::source::printable;

/// Annotations GitHub shows per severity and step.
const SHOWN_PER_SEVERITY: usize = 10;

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes a command's message (GitHub's `escapeData`), after writing the characters a
/// terminal would act on visibly ([`printable`]: the log is shown in a terminal view).
fn escape_data(s: &str) -> String {
    printable(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (GitHub's `escapeProperty`): `:` and `,` separate
/// properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let counts = Counts::of(report.diagnostics);
    for (severity, count) in [
        (Severity::Error, counts.errors),
        (Severity::Warning, counts.warnings),
        (Severity::Info, counts.infos),
    ] {
        if count > SHOWN_PER_SEVERITY {
            writeln!(
                out,
                "::notice::proxylint found {count} {} findings; GitHub shows {SHOWN_PER_SEVERITY} annotations per severity, so {} are only in this log",
                severity.as_str(),
                count - SHOWN_PER_SEVERITY
            )?;
        }
    }
    for d in report.diagnostics {
        let mut properties = Vec::new();
        if let Some(span) = d.span {
            let r = report.range(span);
            properties.extend([
                format!("file={}", escape_property(r.file)),
                format!("line={}", r.line),
                format!("col={}", r.column),
                format!("endLine={}", r.end_line),
                format!("endColumn={}", r.end_column),
            ]);
        }
        let title = format!("{} {}", d.code, rule_name(d.code));
        properties.push(format!("title={}", escape_property(title.trim_end())));
        writeln!(
            out,
            "::{} {}::{}",
            command(d.severity),
            properties.join(","),
            escape_data(&message_with_help(d))
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks() {
        assert_eq!(escape_data("50% a\nb: c, d"), "50%25 a%0Ab: c, d");
        assert_eq!(escape_data("a\u{1b}[2Jb\r"), "a\\x1b[2Jb\\x0d");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
