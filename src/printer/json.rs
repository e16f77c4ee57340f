//! One JSON document per run, for scripts and tools: every finding with its rule,
//! location and help, and a summary. The schema is documented in README.md
//! ("JSON output"); fields are only ever added to it.

use std::io::{self, Write};

use serde::Serialize;

use super::{Counts, Range, Report, rule_name, secondary};
use crate::diagnostic::Severity;
use crate::source::Span;

#[derive(Serialize)]
struct Document<'a> {
    /// proxylint's version.
    version: &'static str,
    diagnostics: Vec<Finding<'a>>,
    summary: Summary,
}

/// Location fields, `null` for a finding without a place.
#[derive(Serialize, Default)]
struct Place<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
}

impl<'a> From<Range<'a>> for Place<'a> {
    fn from(r: Range<'a>) -> Self {
        Place {
            file: Some(r.file),
            line: Some(r.line),
            column: Some(r.column),
            end_line: Some(r.end_line),
            end_column: Some(r.end_column),
        }
    }
}

#[derive(Serialize)]
struct Finding<'a> {
    code: &'a str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    #[serde(flatten)]
    place: Place<'a>,
    help: Option<&'a str>,
    related: Vec<Related<'a>>,
}

#[derive(Serialize)]
struct Related<'a> {
    #[serde(flatten)]
    place: Place<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Configuration files read (entry files and includes).
    files: usize,
    /// Per server checked against: `<server>_version`, `<server>_version_from`
    /// (`option`, `config`, `nginx -v`, `default`; `null` when not said) and
    /// `<server>_binary` (the binary asked for its version, when it was).
    #[serde(flatten)]
    versions: Versions,
}

/// The `<server>_version*` fields, in the order they are made.
struct Versions(Vec<(String, serde_json::Value)>);

impl Serialize for Versions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

fn place<'a>(report: &'a Report, span: Option<Span>) -> Place<'a> {
    span.map(|s| report.range(s).into()).unwrap_or_default()
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let counts = Counts::of(report.diagnostics);
    let document = Document {
        version: env!("CARGO_PKG_VERSION"),
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| Finding {
                code: d.code,
                name: rule_name(d.code),
                severity: d.severity,
                message: &d.message,
                place: place(report, d.span),
                help: d.help.as_deref(),
                related: secondary(d)
                    .map(|l| Related {
                        place: place(report, Some(l.span)),
                        message: &l.message,
                    })
                    .collect(),
            })
            .collect(),
        summary: Summary {
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
            files: report.files,
            versions: Versions(
                report
                    .checked
                    .iter()
                    .flat_map(|c| {
                        [
                            (format!("{}_version", c.server), c.version.clone().into()),
                            (format!("{}_version_from", c.server), c.from.into()),
                            (format!("{}_binary", c.server), c.binary.clone().into()),
                        ]
                    })
                    .collect(),
            ),
        },
    };
    super::write_json(out, &document)?;
    writeln!(out)
}
