//! The terminal report: clusters ranked by requests, each with a sparkline over the run's
//! time range, the status the client saw, a sample line, explanations, commands and
//! directives; then the most frequent templates of the lines no cause matched.

use std::io::{self, Write};

use crate::source::printable;

use super::advice;
use super::catalogue::Catalogue;
use super::config::ConfigRefs;
use super::report::{Cluster, Report, iso};

const SPARK: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPARK_WIDTH: usize = 32;
/// Templates of unclassified lines shown in the terminal (JSON has them all).
const TEMPLATES_SHOWN: usize = 10;

/// Sparkline of counts; empty slots are spaces so bursts stand out.
pub fn sparkline(counts: &[u64]) -> String {
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if c == 0 || max == 0 {
                ' '
            } else {
                SPARK[((c - 1) * 8 / max) as usize % 8]
            }
        })
        .collect()
}

fn human(t: Option<i64>) -> String {
    t.map(|t| iso(t).replace('T', " "))
        .unwrap_or_else(|| "-".into())
}

/// How the text report looks: `--color`, `--quiet`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// The heading of each cluster in bold, its cause in red.
    pub color: bool,
    /// The clusters only: no totals line, no "Other lines" section, nothing when there
    /// is no upstream failure.
    pub quiet: bool,
}

pub fn write_report(
    out: &mut dyn Write,
    report: &Report,
    cat: &Catalogue,
    config: Option<&dyn ConfigRefs>,
    style: Style,
) -> io::Result<()> {
    let t = &report.totals;
    let (from, to) = (t.first_seen.unwrap_or(0), t.last_seen.unwrap_or(0));
    if style.quiet {
        for (rank, c) in report.clusters.iter().enumerate() {
            write_cluster(out, rank + 1, c, cat, (from, to), config, style)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{} upstream failure line(s) in {} request(s), {} cluster(s); {} line(s) read from {} file(s), {} {}",
        t.upstream_lines,
        t.requests,
        report.clusters.len(),
        t.lines,
        t.files,
        human(t.first_seen),
        if t.first_seen.is_some() {
            format!("→ {}", human(t.last_seen))
        } else {
            String::new()
        },
    )?;
    if report.clusters.is_empty() {
        writeln!(out, "\nNo upstream failures found.")?;
    }
    for (rank, c) in report.clusters.iter().enumerate() {
        write_cluster(out, rank + 1, c, cat, (from, to), config, style)?;
    }
    if !report.templates.is_empty() {
        writeln!(
            out,
            "\nOther lines ({} line(s), {} template(s)); the most frequent:",
            t.unclassified,
            report.templates.len()
        )?;
        for tg in report.templates.iter().take(TEMPLATES_SHOWN) {
            writeln!(
                out,
                "  {:>8}  [{}] {}",
                tg.count,
                printable(&tg.level),
                printable(&tg.template)
            )?;
        }
    }
    Ok(())
}

fn write_cluster(
    out: &mut dyn Write,
    rank: usize,
    c: &Cluster,
    cat: &Catalogue,
    (from, to): (i64, i64),
    config: Option<&dyn ConfigRefs>,
    style: Style,
) -> io::Result<()> {
    let cause = cat.cause(c.cause);
    let spark = sparkline(&c.hist.resample(from, to, SPARK_WIDTH));
    // ANSI bold for the heading, red for the cause; nothing without --color.
    let (bold, red, reset) = if style.color {
        ("\x1b[1m", "\x1b[31m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    writeln!(out)?;
    writeln!(
        out,
        "{bold}#{rank} {red}{}{reset}{bold}  {} request(s){}, {} line(s)  upstream {}{}{reset}",
        cause.id,
        c.requests,
        if c.retried > 0 {
            format!(" (+{} retried elsewhere)", c.retried)
        } else {
            String::new()
        },
        c.count,
        if c.upstream.is_empty() {
            "-".into()
        } else if c.addresses > 1 {
            format!("{} ({} addresses)", printable(&c.upstream), c.addresses)
        } else {
            printable(&c.upstream).into_owned()
        },
        if c.server.is_empty() {
            String::new()
        } else {
            format!("  server {}", printable(&c.server))
        },
    )?;
    writeln!(out, "   {}", cause.advice.title)?;
    let status = advice::client_saw(cause, c);
    writeln!(
        out,
        "   |{spark}|  {} → {}  client saw: {status}",
        human(c.first),
        human(c.last)
    )?;
    let paths = c.paths.top(3);
    if !paths.is_empty() {
        let list: Vec<String> = paths
            .iter()
            .map(|(p, n)| format!("{} ({n})", printable(p)))
            .collect();
        writeln!(out, "   paths:   {}", list.join(", "))?;
    }
    let ups = c.upstreams.top(if c.addresses > 1 { 5 } else { 3 });
    if ups.len() > 1 {
        let list: Vec<String> = ups
            .iter()
            .map(|(p, n)| format!("{} ({n})", printable(p)))
            .collect();
        writeln!(out, "   peers:   {}", list.join(", "))?;
    }
    if !c.caused_by.is_empty() {
        let list: Vec<String> = c
            .caused_by
            .iter()
            .map(|(cause, up, n)| format!("{} {} ({n})", cat.cause(*cause).id, printable(up)))
            .collect();
        writeln!(out, "   after:   {}", list.join(", "))?;
    }
    writeln!(
        out,
        "   sample:  {}:{}",
        printable(&c.sample.file),
        c.sample.line
    )?;
    // Multi-line entries (FastCGI stderr) stay indented under the sample.
    writeln!(
        out,
        "            {}",
        printable(&c.sample.text).replace('\n', "\n            ")
    )?;
    writeln!(out, "   likely:")?;
    for e in &cause.advice.explanations {
        writeln!(out, "     - {e}")?;
    }
    let checks = advice::checks(cause, c);
    if !checks.is_empty() {
        writeln!(out, "   check:")?;
        for cmd in checks {
            writeln!(out, "     $ {cmd}")?;
        }
    }
    let directives = advice::directives(cause, c.source);
    if !directives.is_empty() {
        writeln!(out, "   config:  {}", directives.join(", "))?;
    }
    if let Some(model) = config {
        for r in model.refs_for(&c.upstream, &c.server, &cause.id) {
            writeln!(
                out,
                "   at:      {}:{}  {}",
                printable(&r.file),
                r.line,
                printable(&r.directive)
            )?;
            for s in &r.effective {
                let default = if s.default { " (default)" } else { "" };
                writeln!(
                    out,
                    "            {} {}{default}",
                    s.name,
                    printable(&s.value)
                )?;
            }
            for f in &r.findings {
                writeln!(out, "            finding: {}", printable(f))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_max() {
        assert_eq!(sparkline(&[0, 1, 8]), " ▁█");
        assert_eq!(sparkline(&[]), "");
    }
}
