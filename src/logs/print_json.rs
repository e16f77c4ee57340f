//! `--format json` (one report object) and `--format ndjson` (one object per input record).
//! Schemas are documented in README.md; field names are public API.

use std::io::{self, Write};

use serde::Serialize;

use super::advice;
use super::analyze::Outcome;
use super::catalogue::{Catalogue, Server};
use super::classify::upstream_of;
use super::config::{ConfigRef, ConfigRefs};
use super::record::Record;
use super::report::{Cluster, Report, Sample, iso};

#[derive(Serialize)]
struct Named<'a> {
    name: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct SampleOut<'a> {
    file: &'a str,
    line: u64,
    text: &'a str,
}

impl<'a> From<&'a Sample> for SampleOut<'a> {
    fn from(s: &'a Sample) -> Self {
        SampleOut {
            file: &s.file,
            line: s.line,
            text: &s.text,
        }
    }
}

#[derive(Serialize)]
struct HistogramOut {
    start: Option<String>,
    bucket_seconds: i64,
    counts: Vec<u64>,
}

#[derive(Serialize)]
struct AdviceOut<'a> {
    explanations: &'a [String],
    checks: Vec<String>,
    directives: &'a [String],
}

#[derive(Serialize)]
struct CausedBy<'a> {
    cause: &'a str,
    upstream: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct ClusterOut<'a> {
    cause: &'a str,
    title: &'a str,
    source: &'static str,
    count: u64,
    requests: u64,
    retried: u64,
    /// Distinct upstream addresses grouped into the cluster (a rollout's churn).
    addresses: u64,
    /// For no-live-upstreams: the member failures before it.
    caused_by: Vec<CausedBy<'a>>,
    first_seen: Option<String>,
    last_seen: Option<String>,
    upstream: &'a str,
    server: &'a str,
    upstreams: Vec<Named<'a>>,
    servers: Vec<Named<'a>>,
    hosts: Vec<Named<'a>>,
    paths: Vec<Named<'a>>,
    histogram: HistogramOut,
    sample: SampleOut<'a>,
    status: Option<u16>,
    /// Logged while nginx read its configuration: no client saw a status.
    config_time: bool,
    advice: AdviceOut<'a>,
    config_refs: Vec<ConfigRef>,
}

#[derive(Serialize)]
struct TemplateOut<'a> {
    id: u32,
    template: &'a str,
    count: u64,
    level: &'a str,
    sample: SampleOut<'a>,
}

#[derive(Serialize)]
struct TotalsOut {
    files: u64,
    lines: u64,
    records: u64,
    upstream_lines: u64,
    requests: u64,
    unclassified: u64,
    binary_lines: u64,
    invalid_utf8_lines: u64,
    cut_lines: u64,
    filtered_out: u64,
    unreadable_files: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    by_cause: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct ReportOut<'a> {
    clusters: Vec<ClusterOut<'a>>,
    templates: Vec<TemplateOut<'a>>,
    totals: TotalsOut,
}

fn named(v: Vec<(&str, u64)>) -> Vec<Named<'_>> {
    v.into_iter()
        .map(|(name, count)| Named { name, count })
        .collect()
}

fn source_name(s: Server) -> &'static str {
    match s {
        Server::Nginx => "nginx",
        Server::Apache => "apache",
    }
}

fn cluster_out<'a>(
    c: &'a Cluster,
    cat: &'a Catalogue,
    config: Option<&dyn ConfigRefs>,
) -> ClusterOut<'a> {
    let cause = cat.cause(c.cause);
    ClusterOut {
        cause: &cause.id,
        title: &cause.advice.title,
        source: source_name(c.source),
        count: c.count,
        requests: c.requests,
        retried: c.retried,
        addresses: c.addresses,
        caused_by: c
            .caused_by
            .iter()
            .map(|(cause, upstream, count)| CausedBy {
                cause: &cat.cause(*cause).id,
                upstream,
                count: *count,
            })
            .collect(),
        first_seen: c.first.map(iso),
        last_seen: c.last.map(iso),
        upstream: &c.upstream,
        server: &c.server,
        upstreams: named(c.upstreams.top(5)),
        // The server is part of the cluster key: one value, all lines.
        servers: (!c.server.is_empty())
            .then(|| Named {
                name: &c.server,
                count: c.count,
            })
            .into_iter()
            .collect(),
        hosts: named(c.hosts.top(5)),
        paths: named(c.paths.top(5)),
        histogram: HistogramOut {
            start: (!c.hist.counts.is_empty()).then(|| iso(c.hist.origin)),
            bucket_seconds: c.hist.width,
            counts: c.hist.counts.clone(),
        },
        sample: (&c.sample).into(),
        status: advice::client_saw(cause, c).status(),
        config_time: c.config_time,
        advice: AdviceOut {
            explanations: &cause.advice.explanations,
            checks: advice::checks(cause, c),
            directives: advice::directives(cause, c.source),
        },
        config_refs: config
            .map_or_else(Vec::new, |m| m.refs_for(&c.upstream, &c.server, &cause.id)),
    }
}

/// Writes the whole report as one pretty JSON document.
pub fn write_report(
    out: &mut dyn Write,
    report: &Report,
    cat: &Catalogue,
    config: Option<&dyn ConfigRefs>,
) -> io::Result<()> {
    let t = &report.totals;
    let mut by_cause = serde_json::Map::new();
    for c in &report.clusters {
        let id = cat.cause(c.cause).id.clone();
        let n = by_cause
            .get(&id)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        by_cause.insert(id, (n + c.count).into());
    }
    let doc = ReportOut {
        clusters: report
            .clusters
            .iter()
            .map(|c| cluster_out(c, cat, config))
            .collect(),
        templates: report
            .templates
            .iter()
            .map(|t| TemplateOut {
                id: t.id,
                template: &t.template,
                count: t.count,
                level: &t.level,
                sample: (&t.sample).into(),
            })
            .collect(),
        totals: TotalsOut {
            files: t.files,
            lines: t.lines,
            records: t.records,
            upstream_lines: t.upstream_lines,
            requests: t.requests,
            unclassified: t.unclassified,
            binary_lines: t.binary_lines,
            invalid_utf8_lines: t.invalid_utf8_lines,
            cut_lines: t.cut_lines,
            filtered_out: t.filtered_out,
            unreadable_files: t.unreadable_files,
            first_seen: t.first_seen.map(iso),
            last_seen: t.last_seen.map(iso),
            by_cause,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
    writeln!(out)
}

#[derive(Serialize)]
struct RecordOut<'a> {
    file: &'a str,
    line: u64,
    time: Option<String>,
    level: &'a str,
    format: &'static str,
    cause: Option<&'a str>,
    template_id: Option<u32>,
    request_id: Option<u64>,
    upstream: Option<&'a str>,
    module: Option<&'a str>,
    pid: Option<u64>,
    tid: Option<u64>,
    connection: Option<u64>,
    code: Option<&'a str>,
    errno: Option<u32>,
    action: Option<&'a str>,
    client: Option<&'a str>,
    server: Option<&'a str>,
    request: Option<&'a str>,
    host: Option<&'a str>,
    referrer: Option<&'a str>,
    message: &'a str,
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// Writes one ndjson line for a record.
/// `upstream` is the cluster's upstream for classified records (a joined line like AH00898
/// names none itself), else what the line names.
pub fn write_record(
    out: &mut dyn Write,
    file: &str,
    line: u64,
    rec: &Record<'_>,
    outcome: &Outcome,
    upstream: Option<&str>,
) -> io::Result<()> {
    let obj = RecordOut {
        file,
        line,
        time: rec.time.map(iso),
        level: rec.level,
        format: rec.format.map_or("fragment", |f| f.name()),
        cause: outcome.cause,
        template_id: outcome.template,
        request_id: outcome.request,
        upstream: upstream.and_then(opt).or_else(|| opt(upstream_of(rec))),
        module: opt(rec.module),
        pid: rec.pid,
        tid: rec.tid,
        connection: rec.conn,
        code: opt(rec.code),
        errno: rec.errno,
        action: opt(rec.action),
        client: opt(rec.client),
        server: opt(rec.server),
        request: opt(rec.request),
        host: opt(rec.host),
        referrer: opt(rec.referrer),
        message: rec.message,
    };
    serde_json::to_writer(&mut *out, &obj).map_err(io::Error::other)?;
    out.write_all(b"\n")
}
