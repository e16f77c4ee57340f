//! The filter between the rules and the printers: inline suppression comments and the
//! `exclude` setting drop findings, and suppressions that drop nothing become PXL001
//! findings.
//!
//! Syntax (in a configuration comment):
//! - `# proxylint: disable=NGX102[,NGX103]` at the end of a line suppresses those codes
//!   on that line; alone on its line, on the line below.
//! - `# proxylint: disable-file=NGX109` anywhere in a file suppresses in the whole file.
//! - `all` stands for every code. Text after the codes (separated by a space) is a
//!   free-form reason.
//!
//! A finding belongs to the line its primary span starts on (the line `--format
//! concise` prints). Findings of an unsuppressible rule (NGX001, syntax errors) are never
//! dropped: a configuration the server cannot parse is never reported clean.
//! Dialect-neutral: reads the comments each dialect hands over (spans starting at their
//! `#`) and the sources; whether a comment ends a line or stands alone is read from the
//! source text.

use foldhash::{HashMap, HashSet};

use crate::diagnostic::Diagnostic;
use crate::rules::meta::pxl001_unused_suppression::RULE as UNUSED;
use crate::settings::Settings;
use crate::source::Span;
use crate::workspace::Workspace;

const MARKER: &str = "proxylint:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// One line (1-based).
    Line(usize),
    File,
}

/// What one code of a suppression comment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    All,
    Rule(&'static str),
}

#[derive(Debug)]
struct Entry {
    target: Target,
    /// The code's text in the comment.
    span: Span,
    used: bool,
}

#[derive(Debug)]
struct Suppression<'a> {
    /// Display name of the file: a file included twice is one file to its author.
    file: &'a str,
    reach: Reach,
    /// `disable` or `disable-file`, as written, for messages.
    action: &'static str,
    entries: Vec<Entry>,
}

/// A `# proxylint:` comment, parsed. Offsets are relative to the comment's text (after
/// the `#`).
#[derive(Debug, PartialEq, Eq)]
enum Parsed<'t> {
    Disable {
        file: bool,
        /// (offset, code) of each code.
        codes: Vec<(usize, &'t str)>,
    },
    /// Starts like a suppression but is none; (offset, length) of the part at fault.
    Malformed(usize, usize),
}

/// Parses a comment's text; `None` when it is not a `proxylint:` comment.
fn parse(text: &str) -> Option<Parsed<'_>> {
    let lead = text.len() - text.trim_start().len();
    let rest = text[lead..].strip_prefix(MARKER)?;
    let at = text.len() - rest.trim_start().len();
    let word_end = text[at..]
        .find(|c: char| c.is_whitespace())
        .map_or(text.len(), |n| at + n);
    let word = &text[at..word_end];
    if word.is_empty() {
        return Some(Parsed::Malformed(lead, MARKER.len()));
    }
    let (file, list) = if let Some(list) = word.strip_prefix("disable=") {
        (false, list)
    } else if let Some(list) = word.strip_prefix("disable-file=") {
        (true, list)
    } else {
        return Some(Parsed::Malformed(at, word.len()));
    };
    let mut offset = word_end - list.len();
    let mut codes = Vec::new();
    for code in list.split(',') {
        if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Some(Parsed::Malformed(at, word.len()));
        }
        codes.push((offset, code));
        offset += code.len() + 1;
    }
    Some(Parsed::Disable { file, codes })
}

/// Why a code of a suppression can never suppress anything, if so.
fn refused(code: &str) -> Option<String> {
    if let Some((rule, what)) = crate::rules::unsuppressible(code) {
        return Some(format!(
            "{} ({what}) cannot be suppressed: {} the file",
            rule.code,
            rule.reads.refuser()
        ));
    }
    if code.eq_ignore_ascii_case(UNUSED.code) {
        return Some(format!(
            "{} cannot be suppressed by a comment: use `--ignore {0}` or `{0} = \"off\"` in proxylint.toml",
            UNUSED.code
        ));
    }
    None
}

fn unused(span: Span, message: String) -> Diagnostic {
    Diagnostic::new(UNUSED.code, UNUSED.severity, message, span)
        .with_help("remove the suppression, or the code from it")
}

/// Reads every suppression comment. Comments that can never suppress anything are
/// reported right away.
fn collect<'a>(ws: &'a Workspace, problems: &mut Vec<Diagnostic>) -> Vec<Suppression<'a>> {
    let mut seen: HashSet<(&str, u32)> = HashSet::default();
    let mut out = Vec::new();
    for span in ws.comments() {
        let file = ws.sources.get(span.file);
        // The same file included twice holds the same comments twice.
        if !seen.insert((&file.name, span.start)) {
            continue;
        }
        // Parse the source bytes, not the lossily decoded text, so offsets stay exact.
        let start = span.start as usize + 1;
        let raw = file.text.get(start..span.end as usize).unwrap_or_default();
        let text = raw.utf8_chunks().next().map_or("", |c| c.valid());
        let at =
            |offset: usize, len: usize| Span::new(span.file, start + offset, start + offset + len);
        let (file_wide, codes) = match parse(text) {
            None => continue,
            Some(Parsed::Malformed(offset, len)) => {
                problems.push(unused(
                    at(offset, len),
                    format!(
                        "not a suppression: expected `{MARKER} disable=CODE[,CODE]` or `{MARKER} disable-file=CODE[,CODE]`"
                    ),
                ));
                continue;
            }
            Some(Parsed::Disable { file, codes }) => (file, codes),
        };
        let line = file.line(span.start);
        let line_start =
            memchr::memrchr(b'\n', &file.text[..span.start as usize]).map_or(0, |nl| nl + 1);
        let alone = file.text[line_start..span.start as usize]
            .iter()
            .all(|&b| b == b' ' || b == b'\t');
        let reach = match (file_wide, alone) {
            (true, _) => Reach::File,
            (false, true) => Reach::Line(line + 1),
            (false, false) => Reach::Line(line),
        };
        let mut entries = Vec::new();
        for (offset, code) in codes {
            let code_span = at(offset, code.len());
            if let Some(why) = refused(code) {
                problems.push(unused(code_span, why));
                continue;
            }
            let target = if code.eq_ignore_ascii_case("all") {
                Target::All
            } else if let Some(rule) =
                crate::rules::all().find(|r| r.code.eq_ignore_ascii_case(code))
            {
                Target::Rule(rule.code)
            } else {
                problems.push(unused(
                    code_span,
                    format!("unknown rule code \"{code}\" (see `proxylint rules`)"),
                ));
                continue;
            };
            entries.push(Entry {
                target,
                span: code_span,
                used: false,
            });
        }
        out.push(Suppression {
            file: &file.name,
            reach,
            action: if file_wide { "disable-file" } else { "disable" },
            entries,
        });
    }
    out
}

/// Drops suppressed findings (marking what suppressed them) and returns the rest.
fn apply_suppressions(
    ws: &Workspace,
    suppressions: &mut [Suppression],
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    if suppressions.is_empty() {
        return diagnostics;
    }
    let mut by_line: HashMap<(&str, usize), Vec<usize>> = HashMap::default();
    let mut by_file: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, s) in suppressions.iter().enumerate() {
        match s.reach {
            Reach::Line(line) => by_line.entry((s.file, line)).or_default().push(i),
            Reach::File => by_file.entry(s.file).or_default().push(i),
        }
    }
    diagnostics
        .into_iter()
        .filter(|d| {
            let Some(span) = d.span else { return true };
            if crate::rules::unsuppressible(d.code).is_some() {
                return true;
            }
            let file = ws.sources.get(span.file);
            let line = file.line(span.start);
            let candidates = by_line
                .get(&(file.name.as_str(), line))
                .into_iter()
                .chain(by_file.get(file.name.as_str()))
                .flatten();
            let mut suppressed = false;
            for &i in candidates {
                for entry in &mut suppressions[i].entries {
                    if entry.target == Target::All || entry.target == Target::Rule(d.code) {
                        entry.used = true;
                        suppressed = true;
                    }
                }
            }
            !suppressed
        })
        .collect()
}

/// Whether every rule an entry names runs with these settings: a suppression of a rule
/// that does not run may be in use where it does.
fn covers_enabled(target: Target, settings: &Settings) -> bool {
    match target {
        Target::All => crate::rules::all().all(|r| settings.rule_enabled(r.code)),
        Target::Rule(code) => settings.rule_enabled(code),
    }
}

fn report_unused(suppressions: &[Suppression], settings: &Settings, out: &mut Vec<Diagnostic>) {
    for s in suppressions {
        for e in s.entries.iter().filter(|e| !e.used) {
            if !covers_enabled(e.target, settings) {
                continue;
            }
            let (code, what) = match e.target {
                Target::All => ("all", "finding".to_string()),
                Target::Rule(code) => (code, format!("{code} finding")),
            };
            let place = match s.reach {
                Reach::Line(line) => format!("on line {line}"),
                Reach::File => "in this file".to_string(),
            };
            out.push(unused(
                e.span,
                format!(
                    "`{}={code}` suppresses nothing: no {what} {place}",
                    s.action
                ),
            ));
        }
    }
}

/// Whether the findings of each file are dropped by `exclude`, by file index.
fn excluded_files(ws: &Workspace, settings: &Settings) -> Vec<bool> {
    ws.sources
        .files()
        .map(|(_, f)| settings.excluded(&f.path))
        .collect()
}

/// The filter stage of the pipeline: drops findings of excluded files and suppressed
/// findings, and adds a PXL001 finding for each suppression that dropped nothing.
/// Severity overrides of PXL001 apply here, as `rules::run` applies the others'.
pub fn filter(
    ws: &Workspace,
    settings: &Settings,
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut problems = Vec::new();
    let mut suppressions = collect(ws, &mut problems);
    let mut kept = apply_suppressions(ws, &mut suppressions, diagnostics);
    if settings.rule_enabled(UNUSED.code) {
        report_unused(&suppressions, settings, &mut problems);
        if let Some(&severity) = settings.severity.get(UNUSED.code) {
            for p in &mut problems {
                p.severity = severity;
            }
        }
        kept.extend(problems);
    }
    if !settings.exclude.is_empty() {
        let excluded = excluded_files(ws, settings);
        kept.retain(|d| match d.span {
            Some(span) => {
                crate::rules::unsuppressible(d.code).is_some() || !excluded[span.file.0 as usize]
            }
            None => true,
        });
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_with_offsets_and_ignores_the_reason() {
        assert_eq!(
            parse(" proxylint: disable=NGX102,NGX103 slow legacy backend"),
            Some(Parsed::Disable {
                file: false,
                codes: vec![(20, "NGX102"), (27, "NGX103")],
            })
        );
        assert_eq!(
            parse("proxylint:disable-file=all"),
            Some(Parsed::Disable {
                file: true,
                codes: vec![(23, "all")],
            })
        );
    }

    #[test]
    fn other_comments_are_not_suppressions() {
        assert_eq!(parse(" a comment about proxylint: disable=NGX102"), None);
        assert_eq!(parse(" expect: NGX102"), None);
    }

    #[test]
    fn misspelled_actions_and_lists_are_malformed() {
        assert_eq!(
            parse(" proxylint: disabel=NGX102"),
            Some(Parsed::Malformed(12, 14))
        );
        assert_eq!(
            parse(" proxylint: disable="),
            Some(Parsed::Malformed(12, 8))
        );
        assert_eq!(
            parse(" proxylint: disable=NGX102,"),
            Some(Parsed::Malformed(12, 15))
        );
        assert_eq!(parse(" proxylint:"), Some(Parsed::Malformed(1, 10)));
    }
}
