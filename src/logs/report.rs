//! The report: clusters (cause + upstream + server) with their counts, time histogram, top
//! upstreams / servers / hosts / paths and a sample line, the unknown-line templates, and the
//! run totals. Every piece has a fixed size bound, so memory does not grow with the input.

use super::catalogue::{Catalogue, CauseId, Server};
use super::text::hash;

/// Most clusters kept; further (cause, upstream, server) keys are folded into `(other)`
/// so a log with millions of distinct upstream names cannot exhaust memory (the analysis
/// of one part and the merge of parts alike).
pub const MAX_CLUSTERS: usize = 2_000;

/// Most buckets a histogram keeps; past that the bucket width doubles.
const MAX_BUCKETS: usize = 256;
/// Width a histogram starts with: one minute.
const FIRST_WIDTH: i64 = 60;
/// How many names a top-k counter tracks (it reports fewer: the heavy hitters).
const TOPK_CAPACITY: usize = 10;
/// Longest sample text kept for a cluster.
const SAMPLE_CHARS: usize = 2000;
/// Longest sample text kept for a template (there are up to 10,000 of them).
const TEMPLATE_SAMPLE_CHARS: usize = 500;
/// Longest name a top-k counter keeps (a path, a host): a 2 kB request path in each of
/// the ten names of every cluster would dominate the memory.
const NAME_CHARS: usize = 256;

/// Counts per time bucket; the bucket width grows (doubling) to keep at most
/// `MAX_BUCKETS` buckets whatever the time span.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub origin: i64,
    pub width: i64,
    pub counts: Vec<u64>,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            origin: 0,
            width: FIRST_WIDTH,
            counts: Vec::new(),
        }
    }
}

impl Histogram {
    pub fn add(&mut self, t: i64) {
        self.add_n(t, 1);
    }

    /// Adds the counts of another histogram (bucket starts keep their counts).
    pub fn merge(&mut self, other: &Histogram) {
        for (i, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                self.add_n(other.origin + i as i64 * other.width, c);
            }
        }
    }

    fn add_n(&mut self, t: i64, n: u64) {
        if self.counts.is_empty() {
            self.origin = t - t.rem_euclid(self.width);
            self.counts.push(n);
            return;
        }
        while t < self.origin || t >= self.origin + self.width * MAX_BUCKETS as i64 {
            let lo = self.origin.min(t);
            let hi = self.end().max(t + 1);
            if hi - lo <= self.width * MAX_BUCKETS as i64 - self.width {
                // Fits at this width once the origin moves left.
                self.rebin(lo - lo.rem_euclid(self.width), self.width);
                break;
            }
            self.rebin(self.origin, self.width * 2);
        }
        let idx = ((t - self.origin) / self.width) as usize;
        if idx >= self.counts.len() {
            self.counts.resize(idx + 1, 0);
        }
        self.counts[idx] += n;
    }

    fn end(&self) -> i64 {
        self.origin + self.width * self.counts.len() as i64
    }

    /// Re-buckets onto a new (aligned) origin and width.
    fn rebin(&mut self, origin: i64, width: i64) {
        let origin = origin - origin.rem_euclid(width);
        let mut counts: Vec<u64> = Vec::new();
        for (i, &c) in self.counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let start = self.origin + i as i64 * self.width;
            let idx = ((start - origin) / width) as usize;
            if idx >= counts.len() {
                counts.resize(idx + 1, 0);
            }
            counts[idx] += c;
        }
        self.origin = origin;
        self.width = width;
        self.counts = counts;
    }

    /// Spreads the counts over `n` equal slots between `from` and `to` (for sparklines that
    /// share one time axis across clusters).
    pub fn resample(&self, from: i64, to: i64, n: usize) -> Vec<u64> {
        let mut out = vec![0; n];
        let span = (to - from).max(1);
        for (i, &c) in self.counts.iter().enumerate() {
            let t = self.origin + i as i64 * self.width + self.width / 2;
            let slot =
                ((t.clamp(from, to) - from) as i128 * n as i128 / (span as i128 + 1)) as usize;
            out[slot.min(n - 1)] += c;
        }
        out
    }
}

/// Space-saving top-k counter (Metwally et al.): bounded memory, exact for heavy hitters.
///
/// Three of these are updated for every classified line. Hashes and counts live inline (in
/// the cluster), the names behind a pointer that only a new name follows: a `Vec` of
/// `(hash, name, count)` made every update a dependent load through the heap, which
/// showed as cache misses in profiles.
#[derive(Debug, Clone, Default)]
pub struct TopK {
    hashes: [u64; TOPK_CAPACITY],
    counts: [u64; TOPK_CAPACITY],
    /// One name per tracked item: `names.len()` items are in use.
    names: Vec<String>,
    /// Index of the last name counted: logs repeat the same value in bursts.
    last: usize,
}

impl TopK {
    pub fn add(&mut self, name: &str) {
        self.add_n(name, 1);
    }

    /// Adds the counts of another counter.
    pub fn merge(&mut self, other: &TopK) {
        for (name, c) in other.names.iter().zip(other.counts) {
            self.add_n(name, c);
        }
    }

    fn add_n(&mut self, name: &str, n: u64) {
        if name.is_empty() {
            return;
        }
        let h = hash(name.as_bytes());
        let len = self.names.len();
        if self.last < len && self.hashes[self.last] == h {
            self.counts[self.last] += n;
            return;
        }
        // Compared by a 64-bit hash, no string compare on the hot path: a space-saving
        // counter is approximate by design (a newcomer inherits the smallest count), and
        // two names colliding would at worst share one line of a top-5 list.
        if let Some(i) = self.hashes[..len].iter().position(|&ih| ih == h) {
            self.counts[i] += n;
            self.last = i;
            return;
        }
        if len < TOPK_CAPACITY {
            self.hashes[len] = h;
            self.counts[len] = n;
            self.names.push(shorten(name, NAME_CHARS));
            self.last = len;
            return;
        }
        if let Some((i, &min)) = self.counts.iter().enumerate().min_by_key(|&(_, c)| c) {
            self.hashes[i] = h;
            self.counts[i] = min + n;
            self.names[i] = shorten(name, NAME_CHARS);
            self.last = i;
        }
    }

    /// The `n` most frequent names, most frequent first.
    pub fn top(&self, n: usize) -> Vec<(&str, u64)> {
        let mut v: Vec<(&str, u64)> = self
            .names
            .iter()
            .map(String::as_str)
            .zip(self.counts)
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

/// Where a cluster's or template's example comes from.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub file: String,
    pub line: u64,
    pub text: String,
}

impl Sample {
    pub fn new(file: &str, line: u64, text: &str) -> Sample {
        Sample::cut(file, line, text, SAMPLE_CHARS)
    }

    /// A template's sample: shorter (there are many more templates than clusters).
    pub fn of_template(file: &str, line: u64, text: &str) -> Sample {
        Sample::cut(file, line, text, TEMPLATE_SAMPLE_CHARS)
    }

    fn cut(file: &str, line: u64, text: &str, chars: usize) -> Sample {
        // A CRLF log's line ends (also inside a multi-line entry) are not part of it.
        let text = text.trim_end_matches('\r');
        let text = shorten(text, chars);
        let text = if text.contains("\r\n") {
            text.replace("\r\n", "\n")
        } else {
            text
        };
        Sample {
            file: file.to_owned(),
            line,
            text,
        }
    }
}

/// One cause at one upstream (and server block).
#[derive(Debug, Clone)]
pub struct Cluster {
    pub cause: CauseId,
    pub source: Server,
    pub upstream: String,
    /// URL scheme of the upstream (`http`, `fastcgi`, `fcgi`...), empty if not logged.
    pub scheme: String,
    pub server: String,
    pub count: u64,
    /// Requests whose latest failure is here (a request counts in one cluster).
    pub requests: u64,
    /// Requests that failed here and were then retried on another upstream (they count
    /// where they failed last).
    pub retried: u64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub hist: Histogram,
    pub upstreams: TopK,
    pub hosts: TopK,
    pub paths: TopK,
    pub sample: Sample,
    /// The lines were logged while nginx read its configuration (start, reload, `nginx
    /// -t`): no client request saw them.
    pub config_time: bool,
    /// Distinct upstream addresses folded into this cluster (1 unless a rollout's churning
    /// addresses were grouped: see [`Report::finish`]).
    pub addresses: u64,
    /// For `no-live-upstreams`: the failures of members logged on the same server before
    /// or while the pool was down, (cluster cause, upstream, lines), most lines first.
    pub caused_by: Vec<(CauseId, String, u64)>,
}

impl Cluster {
    pub fn new(
        cause: CauseId,
        source: Server,
        upstream: &str,
        scheme: &str,
        server: &str,
        sample: Sample,
    ) -> Cluster {
        Cluster {
            cause,
            source,
            upstream: upstream.to_owned(),
            scheme: scheme.to_owned(),
            server: server.to_owned(),
            count: 0,
            requests: 0,
            retried: 0,
            first: None,
            last: None,
            hist: Histogram::default(),
            upstreams: TopK::default(),
            hosts: TopK::default(),
            paths: TopK::default(),
            sample,
            config_time: false,
            addresses: 1,
            caused_by: Vec::new(),
        }
    }

    /// Folds another part's cluster with the same key into this one.
    fn merge(&mut self, o: &Cluster) {
        self.count += o.count;
        self.requests += o.requests;
        self.retried += o.retried;
        self.first = min_opt(self.first, o.first);
        self.last = max_opt(self.last, o.last);
        self.hist.merge(&o.hist);
        self.upstreams.merge(&o.upstreams);
        self.hosts.merge(&o.hosts);
        self.paths.merge(&o.paths);
    }

    pub fn see_time(&mut self, t: Option<i64>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
            self.hist.add(t);
        }
    }
}

/// Lines no catalogue entry matched, grouped by template.
#[derive(Debug, Clone)]
pub struct TemplateGroup {
    pub id: u32,
    pub template: String,
    pub count: u64,
    pub level: String,
    pub sample: Sample,
}

/// Counters over the whole run.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub files: u64,
    pub lines: u64,
    pub records: u64,
    pub upstream_lines: u64,
    pub requests: u64,
    pub unclassified: u64,
    pub binary_lines: u64,
    pub invalid_utf8_lines: u64,
    pub cut_lines: u64,
    pub filtered_out: u64,
    pub unreadable_files: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
}

/// Everything the printers show.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Ranked: most requests first, then most lines.
    pub clusters: Vec<Cluster>,
    /// Most frequent first.
    pub templates: Vec<TemplateGroup>,
    pub totals: Totals,
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        _ => a.or(b),
    }
}

fn max_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.max(b)
}

impl Report {
    /// Ranks clusters (most requests first) and templates (most lines first).
    pub fn rank(&mut self) {
        let cat = Catalogue::get();
        let failure = |c: &Cluster| cat.cause(c.cause).advice.failure;
        self.clusters.sort_by(|a, b| {
            failure(b)
                .cmp(&failure(a))
                .then(b.requests.cmp(&a.requests))
                .then(b.count.cmp(&a.count))
                .then(a.first.cmp(&b.first))
        });
        self.templates
            .sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
    }

    /// What is done once the whole input is in (after [`Report::merge`]): a rollout's
    /// churning addresses grouped, the member failures of each `no-live-upstreams`
    /// cluster named, clusters ranked.
    pub fn finish(&mut self) {
        self.group_churn();
        self.explain_no_live();
        self.rank();
    }

    /// A service rolled out across many pods logs each pod's address: one cluster per
    /// address would bury the one cause. Clusters of one cause on one server whose
    /// upstreams are `CHURN_MIN` or more IP addresses on one port become one, `*:PORT`,
    /// listing the addresses.
    fn group_churn(&mut self) {
        use std::collections::HashMap;
        type Group = (CauseId, bool, bool, String, String);
        let mut groups: HashMap<Group, Vec<usize>> = HashMap::new();
        for (i, c) in self.clusters.iter().enumerate() {
            if let Some(port) = ip_port(&c.upstream) {
                let key = (
                    c.cause,
                    c.source == Server::Apache,
                    c.config_time,
                    c.server.clone(),
                    port.to_string(),
                );
                groups.entry(key).or_default().push(i);
            }
        }
        let mut gone = vec![false; self.clusters.len()];
        for ((_, _, _, _, port), members) in groups {
            let addresses: u64 = members.iter().map(|&i| self.clusters[i].addresses).sum();
            if addresses < CHURN_MIN {
                continue;
            }
            let (&first, rest) = members.split_first().unwrap_or((&0, &[]));
            let merged: Vec<Cluster> = rest.iter().map(|&i| self.clusters[i].clone()).collect();
            // The addresses are in each cluster's `upstreams`, which merge.
            let into = &mut self.clusters[first];
            for c in &merged {
                into.merge(c);
            }
            into.upstream = format!("*:{port}");
            into.addresses = addresses;
            for &i in rest {
                gone[i] = true;
            }
        }
        let mut i = 0;
        self.clusters.retain(|_| {
            i += 1;
            !gone[i - 1]
        });
    }

    /// A pool is down because its members failed first: name those failures (same
    /// source, same server, seen before the pool's last refusal) at each
    /// `no-live-upstreams` cluster.
    fn explain_no_live(&mut self) {
        let cat = Catalogue::get();
        let Some(no_live) = cat.cause_id("no-live-upstreams") else {
            return;
        };
        for i in 0..self.clusters.len() {
            if self.clusters[i].cause != no_live {
                continue;
            }
            let pool = &self.clusters[i];
            let mut causes: Vec<(CauseId, String, u64)> = self
                .clusters
                .iter()
                .filter(|m| {
                    m.cause != no_live
                        && cat.cause(m.cause).advice.failure
                        && m.source == pool.source
                        && m.server == pool.server
                        && !m.config_time
                        && m.first.is_none_or(|f| pool.last.is_none_or(|l| f <= l))
                })
                .map(|m| (m.cause, m.upstream.clone(), m.count))
                .collect();
            causes.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
            causes.truncate(5);
            self.clusters[i].caused_by = causes;
        }
    }

    /// Moves every sample line number by `offset` (a part that started mid-file).
    pub fn shift_lines(&mut self, offset: u64) {
        for c in &mut self.clusters {
            c.sample.line += offset;
        }
        for t in &mut self.templates {
            t.sample.line += offset;
        }
    }
}

/// Merges the reports of parts of the input analysed separately (files, or byte ranges of
/// one file), added in input order: clusters and templates with the same key are folded,
/// keeping the first part's sample. Parts are folded as they come, so only the merged
/// report is held.
#[derive(Default)]
pub struct Merger {
    out: Report,
    by_key: foldhash::HashMap<(u8, bool, bool, String, String), usize>,
    by_template: foldhash::HashMap<String, usize>,
}

impl Merger {
    pub fn add(&mut self, part: Report) {
        let t = part.totals;
        let o = &mut self.out.totals;
        o.files += t.files;
        o.lines += t.lines;
        o.records += t.records;
        o.upstream_lines += t.upstream_lines;
        o.requests += t.requests;
        o.unclassified += t.unclassified;
        o.binary_lines += t.binary_lines;
        o.invalid_utf8_lines += t.invalid_utf8_lines;
        o.cut_lines += t.cut_lines;
        o.filtered_out += t.filtered_out;
        o.unreadable_files += t.unreadable_files;
        o.first_seen = min_opt(o.first_seen, t.first_seen);
        o.last_seen = max_opt(o.last_seen, t.last_seen);
        for mut c in part.clusters {
            let mut key = (
                c.cause,
                c.source == Server::Apache,
                c.config_time,
                c.upstream.clone(),
                c.server.clone(),
            );
            // Parts hold at most MAX_CLUSTERS each; their union is capped the same way.
            if !self.by_key.contains_key(&key) && self.out.clusters.len() >= MAX_CLUSTERS {
                key.3 = "(other)".into();
                key.4 = String::new();
                c.upstream = key.3.clone();
                c.server = String::new();
            }
            match self.by_key.get(&key) {
                Some(&i) => self.out.clusters[i].merge(&c),
                None => {
                    self.by_key.insert(key, self.out.clusters.len());
                    self.out.clusters.push(c);
                }
            }
        }
        for mut tg in part.templates {
            if !self.by_template.contains_key(&tg.template)
                && self.out.templates.len() >= super::template::MAX_TEMPLATES
            {
                tg.template = super::template::WILDCARD.into();
            }
            match self.by_template.get(&tg.template) {
                Some(&i) => self.out.templates[i].count += tg.count,
                None => {
                    self.by_template
                        .insert(tg.template.clone(), self.out.templates.len());
                    self.out.templates.push(tg);
                }
            }
        }
    }

    /// The merged report, template ids renumbered, ranked.
    pub fn finish(self) -> Report {
        let mut out = self.out;
        for (i, tg) in out.templates.iter_mut().enumerate() {
            tg.id = i as u32;
        }
        out.rank();
        out
    }
}

/// `text`, cut after `chars` characters with an ellipsis.
fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Addresses of one service's upstreams from which clusters are grouped (see
/// [`Report::group_churn`]).
const CHURN_MIN: u64 = 4;

/// The port of an `IP:PORT` upstream (`10.1.2.3:8080`, `[fd00::5]:8080`) or of a group
/// already made (`*:8080`); `None` for names, sockets and groups.
fn ip_port(upstream: &str) -> Option<u16> {
    let (host, port) = upstream.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host == "*" || host.parse::<std::net::IpAddr>().is_ok()).then_some(port)
}

/// Formats epoch seconds (local time as logged) as `2024-05-01T12:00:00`.
pub fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 20,000 small files, each its own part and cluster, made a report of 20,000
    /// clusters (124 MB): the merge caps them as the analysis does.
    #[test]
    fn merged_parts_keep_at_most_max_clusters() {
        let mut merger = Merger::default();
        for i in 0..(MAX_CLUSTERS + 500) {
            let mut part = Report::default();
            let mut c = Cluster::new(
                0,
                Server::Nginx,
                &format!("10.0.0.{i}:80"),
                "http",
                "s",
                Sample::default(),
            );
            c.count = 1;
            c.requests = 1;
            part.clusters.push(c);
            merger.add(part);
        }
        let report = merger.finish();
        assert_eq!(report.clusters.len(), MAX_CLUSTERS + 1);
        let other = report
            .clusters
            .iter()
            .find(|c| c.upstream == "(other)")
            .expect("an (other) cluster");
        assert_eq!(other.count, 500);
        assert_eq!(
            report.clusters.iter().map(|c| c.count).sum::<u64>(),
            (MAX_CLUSTERS + 500) as u64
        );
    }

    #[test]
    fn top_k_names_and_samples_are_cut() {
        let mut t = TopK::default();
        t.add(&"/x".repeat(10_000));
        assert!(t.top(1)[0].0.chars().count() <= NAME_CHARS + 1);
        let s = Sample::of_template("f", 1, &"y".repeat(10_000));
        assert!(s.text.chars().count() <= TEMPLATE_SAMPLE_CHARS + 1);
    }

    #[test]
    fn histogram_stays_bounded_and_keeps_counts() {
        let mut h = Histogram::default();
        for t in (0..10_000_000).step_by(997) {
            h.add(t);
        }
        h.add(-5_000_000);
        assert!(h.counts.len() <= MAX_BUCKETS);
        assert_eq!(h.counts.iter().sum::<u64>(), 10_000_000 / 997 + 2);
    }

    #[test]
    fn topk_finds_heavy_hitters() {
        let mut t = TopK::default();
        for i in 0..1000 {
            t.add(&format!("rare{i}"));
            t.add("hot");
        }
        assert_eq!(t.top(1)[0].0, "hot");
    }
}
