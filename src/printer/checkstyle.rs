//! Checkstyle XML: one `<file>` per file with findings, one `<error>` per finding. Read
//! by Jenkins' warnings plugin, reviewdog, GitLab and editors.

use std::io::{self, Write};

use super::{Report, message_with_help};
use crate::source::printable;

/// Escapes text for an XML attribute. Characters XML 1.0 cannot hold at all (control
/// characters other than tab and line breaks, which binary input can put in messages)
/// are written visibly first ([`printable`]).
fn escape(s: &str) -> String {
    let s = printable(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Attribute values normalize raw whitespace; references keep it.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<checkstyle version="4.3">"#)?;
    // Findings arrive ordered by file; a file's findings form one element.
    let mut open: Option<&str> = None;
    for d in report.diagnostics {
        let range = d.span.map(|s| report.range(s));
        let file = range.map_or("", |r| r.file);
        if open != Some(file) {
            if open.is_some() {
                writeln!(out, "  </file>")?;
            }
            writeln!(out, r#"  <file name="{}">"#, escape(file))?;
            open = Some(file);
        }
        let (line, column) = range.map_or((0, 0), |r| (r.line, r.column));
        writeln!(
            out,
            r#"    <error line="{line}" column="{column}" severity="{}" message="{}" source="proxylint.{}"/>"#,
            d.severity.as_str(),
            escape(&message_with_help(d)),
            escape(d.code)
        )?;
    }
    if open.is_some() {
        writeln!(out, "  </file>")?;
    }
    writeln!(out, "</checkstyle>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c\"'\n\u{0}\u{FFFE}"),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;&#10;\\x00\u{FFFD}"
        );
    }
}
