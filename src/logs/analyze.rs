//! The per-record pipeline state: classify → correlate → cluster, or mine a template for a
//! line no catalogue entry knows. Fed one record at a time in input order; produces the
//! [`Report`] at the end. No I/O here.

use std::collections::HashMap;

use super::catalogue::{Catalogue, Role, Server};
use super::classify::{Classifier, Verdict, scheme_of, upstream_of};
use super::correlate::{Correlator, key_of};
use super::record::{Format, Record};
use super::report::{Cluster, Report, Sample, TemplateGroup, Totals};
use super::template::{Fnv, FnvBuild, Miner};
use std::hash::Hasher;

/// Most clusters kept; further (cause, upstream, server) keys are folded into `(other)`
/// so a log with millions of distinct upstream names cannot exhaust memory.
const MAX_CLUSTERS: usize = 10_000;

/// What became of one record (for ndjson and `--follow` output).
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    pub cause: Option<&'static str>,
    /// Index into the clusters, for classified records.
    pub cluster: Option<u32>,
    pub template: Option<u32>,
    pub request: Option<u64>,
}

pub struct Analyzer {
    classifier: Classifier,
    correlator: Correlator,
    miner: Miner,
    clusters: Vec<Cluster>,
    cluster_index: HashMap<u64, Vec<u32>, FnvBuild>,
    template_info: Vec<(String, Sample)>,
    pub totals: Totals,
    /// Only records in [since, until) are analysed.
    since: Option<i64>,
    until: Option<i64>,
}

impl Analyzer {
    pub fn new(since: Option<i64>, until: Option<i64>) -> Analyzer {
        Analyzer {
            classifier: Classifier::default(),
            correlator: Correlator::new(),
            miner: Miner::new(),
            clusters: Vec::new(),
            cluster_index: HashMap::default(),
            template_info: Vec::new(),
            totals: Totals::default(),
            since,
            until,
        }
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.classifier.catalogue()
    }

    pub fn cluster(&self, i: u32) -> Option<&Cluster> {
        self.clusters.get(i as usize)
    }

    /// Whether a record passes `--since`/`--until`; records without a time pass.
    pub fn in_window(&self, time: Option<i64>) -> bool {
        match time {
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
            None => true,
        }
    }

    pub fn classify(&self, rec: &Record<'_>) -> Option<Verdict> {
        self.classifier.classify(rec)
    }

    /// Analyses one record; `None` when the time window filters it out.
    pub fn record(
        &mut self,
        file: u32,
        file_name: &str,
        line: u64,
        rec: &Record<'_>,
        text: &str,
    ) -> Option<Outcome> {
        let verdict = self.classifier.classify(rec);
        self.record_classified(file, file_name, line, rec, text, verdict)
    }

    /// Analyses the consecutive lines of one Apache request (same `[pid:tid]`): the line that
    /// says most about the failure is taken first, so generic lines logged before it
    /// (AH01084 before "Error during SSL Handshake") still join its cause. Outcomes come
    /// back in input order.
    pub fn record_group(
        &mut self,
        file: u32,
        file_name: &str,
        items: &[(u64, Record<'_>, &str)],
    ) -> Vec<Option<Outcome>> {
        let verdicts: Vec<Option<Verdict>> =
            items.iter().map(|(_, rec, _)| self.classify(rec)).collect();
        let anchor = verdicts
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (v.role, std::cmp::Reverse(i))))
            .max()
            .map(|(_, std::cmp::Reverse(i))| i);
        let mut outcomes = vec![None; items.len()];
        let order = anchor
            .into_iter()
            .chain((0..items.len()).filter(|&i| Some(i) != anchor));
        for i in order {
            let (line, rec, text) = &items[i];
            outcomes[i] = self.record_classified(file, file_name, *line, rec, text, verdicts[i]);
        }
        outcomes
    }

    fn record_classified(
        &mut self,
        file: u32,
        file_name: &str,
        line: u64,
        rec: &Record<'_>,
        text: &str,
        verdict: Option<Verdict>,
    ) -> Option<Outcome> {
        if !self.in_window(rec.time) {
            self.totals.filtered_out += 1;
            return None;
        }
        self.totals.records += 1;
        if let Some(t) = rec.time {
            self.totals.first_seen = Some(self.totals.first_seen.map_or(t, |f| f.min(t)));
            self.totals.last_seen = Some(self.totals.last_seen.map_or(t, |l| l.max(t)));
        }
        match verdict {
            Some(verdict) => {
                self.totals.upstream_lines += 1;
                let source = match rec.format {
                    Some(Format::Apache) => Server::Apache,
                    _ if !rec.code.is_empty() => Server::Apache,
                    _ => Server::Nginx,
                };
                let before = self.correlator.requests();
                let req = self.correlator.request(key_of(file, rec), rec.time);
                let req_id = req.id;
                let joined = match (verdict.role, req.primary) {
                    (Role::Follows | Role::Context, Some(p)) => Some(p),
                    _ => None,
                };
                let new_request = self.correlator.requests() > before;
                let idx = match joined {
                    Some(p) => p,
                    None => {
                        let server = if rec.server.is_empty() {
                            rec.host
                        } else {
                            rec.server
                        };
                        let idx = self.cluster_for(
                            verdict.cause,
                            source,
                            upstream_of(rec),
                            scheme_of(rec).url_scheme,
                            server,
                            file_name,
                            line,
                            text,
                        );
                        // A cause line sets what later lines join; a lone consequence
                        // line too, so its request's generic lines join it.
                        if let Some(r) = self.correlator_request_mut(file, rec)
                            && (verdict.role == Role::Cause || r.primary.is_none())
                        {
                            r.primary = Some(idx);
                        }
                        idx
                    }
                };
                if new_request {
                    self.totals.requests += 1;
                }
                let counted = self
                    .correlator_request_mut(file, rec)
                    .map(|r| {
                        let first = !r.counted.contains(&idx);
                        if first {
                            r.counted.push(idx);
                        }
                        first
                    })
                    .unwrap_or(true);
                let c = &mut self.clusters[idx as usize];
                c.count += 1;
                if counted {
                    c.requests += 1;
                }
                c.see_time(rec.time);
                // A joined line often names the upstream less precisely (AH01114 logs the
                // host without port): the peers list shows what cause lines named.
                if joined.is_none() {
                    c.upstreams.add(upstream_of(rec));
                }
                c.servers.add(rec.server);
                c.hosts.add(rec.host);
                c.paths.add(request_path(rec.request));
                Some(Outcome {
                    cause: Some(self.classifier.catalogue().cause(c.cause).id.as_str()),
                    cluster: Some(idx),
                    template: None,
                    request: Some(req_id),
                })
            }
            None => {
                self.totals.unclassified += 1;
                let content = if rec.content.is_empty() {
                    rec.message
                } else {
                    rec.content
                };
                let id = self.miner.add(content);
                if self.template_info.len() <= id as usize {
                    self.template_info
                        .resize_with(id as usize + 1, || (String::new(), Sample::default()));
                    self.template_info[id as usize] =
                        (rec.level.to_owned(), Sample::new(file_name, line, text));
                }
                Some(Outcome {
                    cause: None,
                    cluster: None,
                    template: Some(id),
                    request: None,
                })
            }
        }
    }

    /// The correlator entry of a record again (after `cluster_for` needed `&mut self`).
    fn correlator_request_mut(
        &mut self,
        file: u32,
        rec: &Record<'_>,
    ) -> Option<&mut super::correlate::Request> {
        let key = key_of(file, rec)?;
        Some(self.correlator.request(Some(key), rec.time))
    }

    #[allow(clippy::too_many_arguments)]
    fn cluster_for(
        &mut self,
        cause: u8,
        source: Server,
        upstream: &str,
        scheme: &str,
        server: &str,
        file_name: &str,
        line: u64,
        text: &str,
    ) -> u32 {
        let mut h = Fnv::default();
        h.write(&[cause]);
        h.write(upstream.as_bytes());
        h.write(&[0]);
        h.write(server.as_bytes());
        let hash = h.finish();
        if let Some(ids) = self.cluster_index.get(&hash) {
            for &id in ids {
                let c = &self.clusters[id as usize];
                if c.cause == cause && c.upstream == upstream && c.server == server {
                    return id;
                }
            }
        }
        let (upstream, server, hash) = if self.clusters.len() >= MAX_CLUSTERS {
            let mut h = Fnv::default();
            h.write(&[cause, 0xff]);
            ("(other)", "", h.finish())
        } else {
            (upstream, server, hash)
        };
        if let Some(ids) = self.cluster_index.get(&hash)
            && let Some(&id) = ids
                .iter()
                .find(|&&id| self.clusters[id as usize].upstream == upstream)
        {
            return id;
        }
        let id = self.clusters.len() as u32;
        self.clusters.push(Cluster::new(
            cause,
            source,
            upstream,
            scheme,
            server,
            Sample::new(file_name, line, text),
        ));
        self.cluster_index.entry(hash).or_default().push(id);
        id
    }

    /// The final report: clusters ranked by requests, templates by count.
    pub fn finish(self) -> Report {
        let mut clusters = self.clusters;
        clusters.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(b.count.cmp(&a.count))
                .then(a.first.cmp(&b.first))
        });
        let mut templates: Vec<TemplateGroup> = self
            .miner
            .templates()
            .iter()
            .enumerate()
            .filter(|(_, t)| t.count > 0)
            .map(|(i, t)| {
                let (level, sample) = self.template_info.get(i).cloned().unwrap_or_default();
                TemplateGroup {
                    id: i as u32,
                    template: t.text(),
                    count: t.count,
                    level,
                    sample,
                }
            })
            .collect();
        templates.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
        Report {
            clusters,
            templates,
            totals: self.totals,
        }
    }
}

/// `GET /api/x?y=1 HTTP/1.1` → `/api/x`.
fn request_path(request: &str) -> &str {
    let mut parts = request.split(' ');
    let _method = parts.next();
    let target = parts.next().unwrap_or("");
    target.split('?').next().unwrap_or(target)
}
