//! SARIF 2.1.0 (OASIS), the format GitHub code scanning and other SARIF viewers read.
//!
//! One run: the tool with every registered rule (so viewers can show a rule's
//! documentation), one result per finding. Locations are URIs relative to the
//! repository root (`uriBaseId: %SRCROOT%`), which is where code scanning resolves
//! them; files outside it get absolute `file://` URIs. Columns count Unicode code
//! points (`columnKind`), as proxylint's columns do.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Report, message_with_help, secondary};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{self, Rule};
use crate::source::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: &'static str,
    markdown: &'static str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<TextRef<'a>>,
}

#[derive(Serialize)]
struct TextRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Text {
            text: rule.summary(),
        },
        full_description: Text {
            text: rule
                .section("What it does")
                .unwrap_or_default()
                .replace('\n', " "),
        },
        help: Help {
            text: rule.doc(),
            markdown: rule.doc(),
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

/// The directory code scanning resolves URIs against: the git repository holding the
/// current directory, else the current directory.
fn source_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    cwd.ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&cwd)
        .to_path_buf()
}

/// Percent-encodes a path for a URI: everything but unreserved characters and `/`.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn artifact(path: &Path, root: &Path) -> ArtifactLocation {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match absolute.strip_prefix(root) {
        Ok(relative) => ArtifactLocation {
            uri: encode(&relative.to_string_lossy()),
            uri_base_id: Some(SRCROOT),
        },
        Err(_) => ArtifactLocation {
            uri: format!("file://{}", encode(&absolute.to_string_lossy())),
            uri_base_id: None,
        },
    }
}

fn physical(report: &Report, root: &Path, span: Span) -> PhysicalLocation {
    let r = report.range(span);
    PhysicalLocation {
        artifact_location: artifact(&report.sources.get(span.file).path, root),
        region: Region {
            start_line: r.line,
            start_column: r.column,
            end_line: r.end_line,
            end_column: r.end_column,
        },
    }
}

fn result<'a>(report: &Report, root: &Path, d: &'a Diagnostic) -> SarifResult<'a> {
    SarifResult {
        rule_id: d.code,
        rule_index: rules::all().position(|r| r.code == d.code),
        level: level(d.severity),
        message: Text {
            text: message_with_help(d),
        },
        locations: d
            .span
            .map(|span| Location {
                id: None,
                physical_location: physical(report, root, span),
                message: None,
            })
            .into_iter()
            .collect(),
        related_locations: secondary(d)
            .enumerate()
            .map(|(i, l)| Location {
                id: Some(i),
                physical_location: physical(report, root, l.span),
                message: Some(TextRef { text: &l.message }),
            })
            .collect(),
    }
}

pub fn print(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let root = source_root();
    let homepage = env!("CARGO_PKG_HOMEPAGE");
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: (!homepage.is_empty()).then_some(homepage),
                    rules: rules::all().map(descriptor).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results: report
                .diagnostics
                .iter()
                .map(|d| result(report, &root, d))
                .collect(),
        }],
    };
    super::write_json(out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            encode("conf.d/my site,v2.conf"),
            "conf.d/my%20site%2Cv2.conf"
        );
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn files_outside_the_root_get_absolute_uris() {
        let root = Path::new("/repo");
        let inside = artifact(Path::new("/repo/nginx/nginx.conf"), root);
        assert_eq!(inside.uri, "nginx/nginx.conf");
        assert_eq!(inside.uri_base_id, Some(SRCROOT));
        let outside = artifact(Path::new("/etc/nginx/nginx.conf"), root);
        assert_eq!(outside.uri, "file:///etc/nginx/nginx.conf");
        assert_eq!(outside.uri_base_id, None);
    }
}
