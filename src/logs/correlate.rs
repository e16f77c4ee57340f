//! Incident correlation: which lines belong to the same client request, so clusters count
//! requests as well as lines, and consequence lines join the cause logged before them.
//!
//! nginx tags every line of a request with its connection number (`*5`); a keepalive
//! connection carries several requests, so the request line is part of the key too. Apache
//! 2.4 serves one request per thread at a time: `[pid P:tid T]` within a couple of seconds
//! identifies it (the connect-failure lines carry no `[client]`; 2.2 has only the client). Memory is bounded: only the most recent
//! `MAX_OPEN` requests are remembered (lines of one request are close together in a log).

use std::collections::{HashMap, VecDeque};

use super::record::{Format, Record};
use super::text::{FastHasher, IdBuild};
use std::hash::Hasher;

const MAX_OPEN: usize = 16_384;
/// nginx: lines of one request may be a few proxy timeouts apart (one per peer tried).
const NGINX_WINDOW: i64 = 600;
/// Apache: a thread's lines for one failure are written within the same second or two.
const APACHE_WINDOW: i64 = 2;

/// Per-request state.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Sequential id, unique in this run (ndjson `request`).
    pub id: u64,
    last_time: i64,
    /// Cluster of the last cause line of this request, which consequence lines join.
    pub primary: Option<u32>,
    /// Clusters this request has already been counted in (inline: a request rarely fails
    /// in more than a few clusters, and an allocation per request showed in profiles).
    counted: [u32; MAX_COUNTED],
    n_counted: u8,
}

/// Clusters remembered per request; past that a request is not counted again.
const MAX_COUNTED: usize = 6;

impl Request {
    fn new(id: u64, last_time: i64) -> Request {
        Request {
            id,
            last_time,
            primary: None,
            counted: [0; MAX_COUNTED],
            n_counted: 0,
        }
    }

    /// Marks the request counted in a cluster; true the first time.
    pub fn count_in(&mut self, cluster: u32) -> bool {
        let n = usize::from(self.n_counted);
        if self.counted[..n].contains(&cluster) || n == MAX_COUNTED {
            return false;
        }
        self.counted[n] = cluster;
        self.n_counted += 1;
        true
    }
}

/// The correlation key of a record, `None` if the record carries nothing to correlate on.
pub fn key_of(file: u32, rec: &Record<'_>) -> Option<(u64, i64)> {
    let mut h = FastHasher::default();
    h.write(&file.to_le_bytes());
    match rec.format {
        Some(Format::Nginx) => {
            let conn = rec.conn?;
            h.write(&rec.pid.unwrap_or(0).to_le_bytes());
            h.write(&conn.to_le_bytes());
            h.write(rec.request.as_bytes());
            Some((h.finish(), NGINX_WINDOW))
        }
        Some(Format::Apache) => {
            // The connect-failure lines carry no [client]: a thread is the request.
            match rec.pid {
                Some(pid) => {
                    h.write(&pid.to_le_bytes());
                    h.write(&rec.tid.unwrap_or(0).to_le_bytes());
                }
                None if !rec.client.is_empty() => h.write(rec.client.as_bytes()),
                None => return None,
            }
            Some((h.finish(), APACHE_WINDOW))
        }
        _ => None,
    }
}

#[derive(Default)]
pub struct Correlator {
    open: HashMap<u64, Request, IdBuild>,
    order: VecDeque<(u64, u64)>,
    next_id: u64,
    /// The request of a line with nothing to correlate on: its own, never stored.
    lone: Request,
}

impl Correlator {
    pub fn new() -> Correlator {
        Correlator::default()
    }

    /// The request a line belongs to, and whether it is new: a new one when the key is
    /// unknown or stale, or when the line has no key.
    pub fn request(&mut self, key: Option<(u64, i64)>, time: Option<i64>) -> (&mut Request, bool) {
        let t = time.unwrap_or(0);
        let Some((key, window)) = key else {
            self.next_id += 1;
            self.lone = Request::new(self.next_id, t);
            return (&mut self.lone, true);
        };
        if self.open.len() >= MAX_OPEN {
            self.evict();
        }
        if self.order.len() > 4 * MAX_OPEN {
            // Keys reused after going stale leave dead entries behind: drop them.
            let open = &self.open;
            self.order
                .retain(|(k, id)| open.get(k).is_some_and(|r| r.id == *id));
        }
        let next_id = self.next_id + 1;
        let mut fresh = false;
        let r = self.open.entry(key).or_insert_with(|| {
            fresh = true;
            Request::new(next_id, t)
        });
        if !fresh && (t - r.last_time).abs() > window {
            *r = Request::new(next_id, t);
            fresh = true;
        }
        r.last_time = t;
        if fresh {
            self.next_id = next_id;
            self.order.push_back((key, next_id));
        }
        (r, fresh)
    }

    /// The cluster a live request's lines join, without touching the request.
    pub fn primary_of(&self, key: Option<(u64, i64)>, time: Option<i64>) -> Option<u32> {
        let (key, window) = key?;
        let r = self.open.get(&key)?;
        ((time.unwrap_or(0) - r.last_time).abs() <= window)
            .then_some(r.primary)
            .flatten()
    }

    /// Forgets the oldest request still remembered.
    fn evict(&mut self) {
        while let Some((k, id)) = self.order.pop_front() {
            if self.open.get(&k).is_some_and(|r| r.id == id) {
                self.open.remove(&k);
                return;
            }
        }
    }

    /// Requests seen so far.
    pub fn requests(&self) -> u64 {
        self.next_id
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::parse;
    use super::*;

    #[test]
    fn same_connection_same_request() {
        let a = parse(
            "2024/05/01 12:00:00 [error] 1#1: *5 connect() failed (111: x) while connecting to upstream, client: 1, request: \"GET / HTTP/1.1\"",
        );
        let b = parse(
            "2024/05/01 12:00:00 [warn] 1#1: *5 upstream server temporarily disabled while connecting to upstream, client: 1, request: \"GET / HTTP/1.1\"",
        );
        let c = parse(
            "2024/05/01 12:00:00 [error] 1#1: *6 connect() failed (111: x) while connecting to upstream, client: 1, request: \"GET / HTTP/1.1\"",
        );
        let mut cor = Correlator::new();
        let ida = cor.request(key_of(0, &a), a.time).0.id;
        let idb = cor.request(key_of(0, &b), b.time).0.id;
        let idc = cor.request(key_of(0, &c), c.time).0.id;
        assert_eq!(ida, idb);
        assert_ne!(ida, idc);
        assert_eq!(cor.requests(), 2);
    }

    #[test]
    fn memory_is_bounded() {
        let mut cor = Correlator::new();
        for i in 0..(MAX_OPEN as u64 * 2) {
            cor.request(Some((i, 10)), Some(0));
        }
        assert!(cor.open.len() <= MAX_OPEN);
    }
}
