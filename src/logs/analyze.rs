//! The per-record pipeline state: classify → correlate → cluster, or mine a template for a
//! line no catalogue entry knows. Fed one record at a time in input order; produces the
//! [`Report`] at the end. No I/O here.

use std::hash::Hasher;

use super::catalogue::{Catalogue, Role, Server};
use super::classify::{Classifier, Verdict, scheme_of, upstream_of};
use super::correlate::{Correlator, Counted, key_of};
use super::record::{Format, Record};
use super::report::{Cluster, Report, Sample, TemplateGroup, Totals};
use super::sink::{Analysed, Sink};
use super::template::Miner;
use super::text;

/// Most lines of one Apache request held back for joint analysis.
const MAX_GROUP: usize = 32;
/// Lines of one Apache request are written within this many seconds.
const GROUP_WINDOW: i64 = 2;

/// Consecutive Apache lines of one thread (one request), analysed together.
#[derive(Default)]
struct Group {
    key: (u64, u64),
    time: i64,
    lines: Vec<(u64, String)>,
}

use super::report::MAX_CLUSTERS;
/// Verdict cache slots (a power of two). The working set of stems is small; lines whose
/// message carries a number or a path miss anyway. Small enough to stay in the L1/L2 cache:
/// a 4096-entry hash map was a cache miss on most lookups.
const VERDICT_SLOTS: usize = 1024;

/// A classification key's hash and its verdict.
type CachedVerdict = (u64, Option<Verdict>);

/// What identifies a cluster.
#[derive(Clone, Copy)]
struct ClusterKey<'a> {
    cause: u8,
    source: Server,
    upstream: &'a str,
    server: &'a str,
    /// Logged while nginx read its configuration: a cluster apart from request-time lines.
    config_time: bool,
}

impl ClusterKey<'_> {
    fn hash(&self) -> u64 {
        let mut h = text::hasher();
        h.write(&[self.cause, self.source as u8, u8::from(self.config_time)]);
        h.write(self.upstream.as_bytes());
        h.write(&[0xff]);
        h.write(self.server.as_bytes());
        h.finish()
    }
}

/// The clusters and their index by the hash of their key. A hit is compared with the
/// key itself, so two keys whose hashes collide stay two clusters; the keys' bytes are
/// kept together in one small arena, where comparing them costs no cache miss (the
/// clusters' own strings are spread over the heap: reading them on every line was a
/// tenth of the Apache profile).
#[derive(Default)]
struct Clusters {
    list: Vec<Cluster>,
    /// First slot of each key hash.
    index: foldhash::HashMap<u64, u32>,
    slots: Vec<Slot>,
    /// The upstream and server bytes of every slot, back to back.
    arena: Vec<u8>,
}

/// One cluster's key in the index.
struct Slot {
    cluster: u32,
    /// Where its upstream starts in the arena; the server follows it.
    at: u32,
    upstream_len: u32,
    server_len: u32,
    cause: u8,
    source: Server,
    config_time: bool,
    /// The next slot with the same hash (`u32::MAX`: none).
    next: u32,
}

impl Slot {
    fn is(&self, key: &ClusterKey<'_>, arena: &[u8]) -> bool {
        let at = self.at as usize;
        let mid = at + self.upstream_len as usize;
        let end = mid + self.server_len as usize;
        self.cause == key.cause
            && self.source == key.source
            && self.config_time == key.config_time
            && arena.get(at..mid) == Some(key.upstream.as_bytes())
            && arena.get(mid..end) == Some(key.server.as_bytes())
    }
}

impl Clusters {
    /// The cluster of a key, created on first sight with the upstream's URL scheme and a
    /// sample from `new`; past `MAX_CLUSTERS` new keys fold into one `(other)` cluster per
    /// cause.
    fn get_or_insert<'a>(
        &mut self,
        key: &ClusterKey<'_>,
        new: impl FnOnce() -> (&'a str, Sample),
    ) -> u32 {
        if let Some(id) = self.find(key) {
            return id;
        }
        let folded;
        let key = if self.list.len() >= MAX_CLUSTERS {
            folded = ClusterKey {
                upstream: "(other)",
                server: "",
                ..*key
            };
            if let Some(id) = self.find(&folded) {
                return id;
            }
            &folded
        } else {
            key
        };
        let id = self.list.len() as u32;
        let (scheme, sample) = new();
        let mut cluster = Cluster::new(
            key.cause,
            key.source,
            key.upstream,
            scheme,
            key.server,
            sample,
        );
        cluster.config_time = key.config_time;
        self.list.push(cluster);
        let slot = self.slots.len() as u32;
        let next = self.index.insert(key.hash(), slot).unwrap_or(u32::MAX);
        self.slots.push(Slot {
            cluster: id,
            at: self.arena.len() as u32,
            upstream_len: key.upstream.len() as u32,
            server_len: key.server.len() as u32,
            cause: key.cause,
            source: key.source,
            config_time: key.config_time,
            next,
        });
        self.arena.extend_from_slice(key.upstream.as_bytes());
        self.arena.extend_from_slice(key.server.as_bytes());
        id
    }

    fn find(&self, key: &ClusterKey<'_>) -> Option<u32> {
        let mut at = *self.index.get(&key.hash())?;
        while let Some(slot) = self.slots.get(at as usize) {
            if slot.is(key, &self.arena) {
                return Some(slot.cluster);
            }
            at = slot.next;
        }
        None
    }
}

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
    clusters: Clusters,
    /// Verdicts of recently seen classification keys, direct-mapped by the key's hash:
    /// stems repeat, so most lines skip the rule scan. A verdict is a function of the key,
    /// so what the cache holds changes only the speed.
    verdicts: Box<[Option<CachedVerdict>]>,
    template_info: Vec<(String, Sample)>,
    /// Apache lines held back until their request's cause arrives.
    group: Group,
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
            clusters: Clusters::default(),
            verdicts: vec![None; VERDICT_SLOTS].into_boxed_slice(),
            template_info: Vec::new(),
            group: Group::default(),
            totals: Totals::default(),
            since,
            until,
        }
    }

    pub fn catalogue(&self) -> &'static Catalogue {
        self.classifier.catalogue()
    }

    pub fn cluster(&self, i: u32) -> Option<&Cluster> {
        self.clusters.list.get(i as usize)
    }

    /// Whether a record passes `--since`/`--until`; records without a time pass.
    pub fn in_window(&self, time: Option<i64>) -> bool {
        match time {
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
            None => true,
        }
    }

    /// The verdict for a record, from the cache when its stable key was seen recently.
    pub fn classify(&mut self, rec: &Record<'_>) -> Option<Verdict> {
        let scheme = scheme_of(rec);
        let mut h = text::hasher();
        h.write(&[rec.format.map_or(0, |f| f as u8 + 1), u8::from(scheme.unix)]);
        h.write(&rec.errno.map_or(u64::MAX, u64::from).to_le_bytes());
        // Apache messages carry addresses: key on the code alone where its rules ignore
        // the text, or the cache would miss on every line.
        let message = if rec.code.is_empty() || self.classifier.code_uses_stem(rec.code) {
            rec.message
        } else {
            ""
        };
        for part in [rec.code, message, rec.action, scheme.url_scheme] {
            h.write(part.as_bytes());
            h.write(&[0xff]);
        }
        let key = h.finish();
        let slot = &mut self.verdicts[(key as usize) & (VERDICT_SLOTS - 1)];
        let v = match *slot {
            Some((k, v)) if k == key => v,
            _ => {
                let v = self.classifier.by_key(rec);
                *slot = Some((key, v));
                v
            }
        };
        v.map(|v| self.classifier.refine(rec, v))
    }

    /// Starts loading what correlating this record will read (see
    /// [`Correlator::prefetch`]); call it as early as possible before [`record_classified`].
    ///
    /// [`record_classified`]: Analyzer::record_classified
    fn prefetch(&self, file: u32, rec: &Record<'_>) {
        self.correlator.prefetch(key_of(file, rec));
    }

    /// The analysis stage's entry point: one record of input `file` (named `name`), in
    /// input order; what it makes of the record goes to `sink`. Apache lines logged before
    /// their request's cause are held back until it arrives (or the thread moves on), so
    /// they join it; [`Analyzer::flush`] hands over what is held at the end of an input.
    pub fn push(
        &mut self,
        file: u32,
        name: &str,
        number: u64,
        rec: &Record<'_>,
        text: &str,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        self.prefetch(file, rec);
        let own_text = own_part(text, rec.glued);
        let group_key = match (rec.format, rec.pid) {
            (Some(Format::Apache), Some(pid)) => Some((pid, rec.tid.unwrap_or(0))),
            _ => None,
        };
        if !self.group.lines.is_empty() {
            let joins = group_key.is_some_and(|k| {
                k == self.group.key
                    && self.group.lines.len() < MAX_GROUP
                    && (rec.time.unwrap_or(0) - self.group.time).abs() <= GROUP_WINDOW
            });
            if joins {
                self.group.lines.push((number, own_text.to_owned()));
                let verdict = self.classify(rec);
                if verdict.is_some_and(|v| v.role == Role::Cause) {
                    self.flush(file, name, sink)?;
                }
                return self.glued(file, name, number, rec, sink);
            }
            self.flush(file, name, sink)?;
        }
        let verdict = self.classify(rec);
        if let Some(key) = group_key
            && self.awaits_cause(file, rec, verdict)
        {
            self.group.key = key;
            self.group.time = rec.time.unwrap_or(0);
            self.group.lines.push((number, own_text.to_owned()));
            return self.glued(file, name, number, rec, sink);
        }
        if let Some(outcome) = self.record_classified(file, name, number, rec, own_text, verdict) {
            self.emit(name, number, rec, &outcome, sink)?;
        }
        self.glued(file, name, number, rec, sink)
    }

    /// Records glued onto a line without a newline.
    fn glued(
        &mut self,
        file: u32,
        name: &str,
        number: u64,
        rec: &Record<'_>,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        if rec.glued.is_empty() {
            return Ok(());
        }
        let next = super::record::parse(rec.glued);
        self.push(file, name, number, &next, rec.glued, sink)
    }

    /// Analyses the held Apache lines of one request together and hands them over in
    /// order.
    pub fn flush(&mut self, file: u32, name: &str, sink: &mut dyn Sink) -> std::io::Result<()> {
        if self.group.lines.is_empty() {
            return Ok(());
        }
        let lines = std::mem::take(&mut self.group.lines);
        let items: Vec<(u64, Record<'_>, &str)> = lines
            .iter()
            .map(|(n, text)| (*n, super::record::parse(text), text.as_str()))
            .collect();
        let outcomes = self.record_group(file, name, &items);
        for ((number, rec, _), outcome) in items.iter().zip(outcomes) {
            if let Some(outcome) = outcome {
                self.emit(name, *number, rec, &outcome, sink)?;
            }
        }
        let mut lines = lines;
        lines.clear();
        self.group.lines = lines;
        Ok(())
    }

    fn emit(
        &self,
        name: &str,
        number: u64,
        rec: &Record<'_>,
        outcome: &Outcome,
        sink: &mut dyn Sink,
    ) -> std::io::Result<()> {
        if !sink.wants_records() {
            return Ok(());
        }
        let upstream = outcome
            .cluster
            .and_then(|c| self.cluster(c))
            .map(|c| c.upstream.as_str());
        sink.record(&Analysed {
            file: name,
            line: number,
            record: rec,
            outcome,
            upstream,
        })
    }

    /// Whether a classified line is a consequence still waiting for its request's cause
    /// (Apache logs AH01084 before "Error during SSL Handshake").
    fn awaits_cause(&self, file: u32, rec: &Record<'_>, verdict: Option<Verdict>) -> bool {
        verdict.is_some_and(|v| v.role != Role::Cause)
            && self
                .correlator
                .primary_of(key_of(file, rec), rec.time)
                .is_none()
    }

    /// Analyses the consecutive lines of one Apache request (same `[pid:tid]`): the line that
    /// says most about the failure is taken first, so generic lines logged before it
    /// (AH01084 before "Error during SSL Handshake") still join its cause. Outcomes come
    /// back in input order.
    fn record_group(
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

    /// Analyses one record whose verdict is known (see [`Analyzer::classify`]).
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
        let Some(verdict) = verdict else {
            return Some(self.unclassified(file_name, line, rec, text));
        };
        let upstream = upstream_of(rec);
        let sample = || Sample::new(file_name, line, text);
        if !self
            .classifier
            .catalogue()
            .cause(verdict.cause)
            .advice
            .failure
        {
            // Not an upstream failure (a backend's warnings): its own cluster, each line
            // one event, apart from requests and the headline.
            let idx = self
                .clusters
                .get_or_insert(&cluster_key(rec, verdict, upstream), || {
                    (scheme_of(rec).url_scheme, sample())
                });
            let c = &mut self.clusters.list[idx as usize];
            c.requests += 1;
            c.upstreams.add(upstream);
            return Some(self.seen_in(idx, rec, None));
        }
        self.totals.upstream_lines += 1;
        let (req, new_request) = self.correlator.request(key_of(file, rec), rec.time);
        if new_request {
            self.totals.requests += 1;
        }
        // Consequence and generic lines join the cause their request already has.
        let joined = match (verdict.role, req.primary()) {
            (Role::Follows | Role::Context, Some(p)) => Some(p),
            _ => None,
        };
        let idx = match joined {
            Some(p) => p,
            None => {
                let idx = self
                    .clusters
                    .get_or_insert(&cluster_key(rec, verdict, upstream), || {
                        (scheme_of(rec).url_scheme, sample())
                    });
                // A cause line sets what later lines join; a lone consequence line too, so
                // its request's generic lines join it.
                if verdict.role == Role::Cause || req.primary().is_none() {
                    req.set_primary(idx);
                }
                idx
            }
        };
        let counted = req.count_in(idx);
        let req_id = req.id;
        if let Counted::MovedFrom(earlier) = counted {
            // Retried elsewhere: the request counts where it failed last.
            let e = &mut self.clusters.list[earlier as usize];
            e.requests -= 1;
            e.retried += 1;
        }
        let c = &mut self.clusters.list[idx as usize];
        if counted != Counted::Already {
            c.requests += 1;
        }
        // A joined line often names the upstream less precisely (AH01114 logs the host
        // without port): the peers list shows what cause lines named.
        if joined.is_none() {
            c.upstreams.add(upstream);
        }
        Some(self.seen_in(idx, rec, Some(req_id)))
    }

    /// Counts a classified line in its cluster: time, host, path.
    fn seen_in(&mut self, idx: u32, rec: &Record<'_>, request: Option<u64>) -> Outcome {
        let c = &mut self.clusters.list[idx as usize];
        c.count += 1;
        c.see_time(rec.time);
        c.hosts.add(rec.host);
        c.paths.add(request_path(rec.request));
        Outcome {
            cause: Some(self.classifier.catalogue().cause(c.cause).id.as_str()),
            cluster: Some(idx),
            template: None,
            request,
        }
    }

    fn unclassified(
        &mut self,
        file_name: &str,
        line: u64,
        rec: &Record<'_>,
        text: &str,
    ) -> Outcome {
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
            self.template_info[id as usize] = (
                rec.level.to_owned(),
                Sample::of_template(file_name, line, text),
            );
        }
        Outcome {
            cause: None,
            cluster: None,
            template: Some(id),
            request: None,
        }
    }

    /// The final report: clusters ranked by requests, templates by count.
    pub fn finish(self) -> Report {
        let templates: Vec<TemplateGroup> = self
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
        let mut report = Report {
            clusters: self.clusters.list,
            templates,
            totals: self.totals,
        };
        report.rank();
        report
    }
}

/// The cluster a classified line belongs to: its cause at its upstream and server block
/// (nginx's `server`, else the `Host`), apart when logged while reading the configuration.
fn cluster_key<'a>(rec: &Record<'a>, verdict: Verdict, upstream: &'a str) -> ClusterKey<'a> {
    let source = match rec.format {
        Some(Format::Apache) => Server::Apache,
        _ if !rec.code.is_empty() => Server::Apache,
        _ => Server::Nginx,
    };
    ClusterKey {
        cause: verdict.cause,
        source,
        upstream,
        server: if rec.server.is_empty() {
            rec.host
        } else {
            rec.server
        },
        config_time: rec.config_time,
    }
}

/// The part of a line before a glued second record (`glued` is a suffix slice of `text`,
/// possibly short of a trailing `\r` the parser trimmed).
fn own_part<'a>(text: &'a str, glued: &str) -> &'a str {
    if glued.is_empty() {
        return text;
    }
    let at = (glued.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    text.get(..at).unwrap_or(text)
}

/// `GET /api/x?y=1 HTTP/1.1` → `/api/x`.
fn request_path(request: &str) -> &str {
    let b = request.as_bytes();
    let Some(space) = text::find_byte(b' ', b) else {
        return "";
    };
    let target = &request[space + 1..];
    let end = text::find_byte2(b' ', b'?', target.as_bytes()).unwrap_or(target.len());
    &target[..end]
}
