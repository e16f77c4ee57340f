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
use super::template::{Fnv, FnvBuild};
use std::hash::Hasher;

const MAX_OPEN: usize = 65_536;
/// nginx: lines of one request may be a few proxy timeouts apart (one per peer tried).
const NGINX_WINDOW: i64 = 600;
/// Apache: a thread's lines for one failure are written within the same second or two.
const APACHE_WINDOW: i64 = 2;

/// Per-request state.
#[derive(Debug, Clone)]
pub struct Request {
    /// Sequential id, unique in this run (ndjson `request`).
    pub id: u64,
    last_time: i64,
    /// Cluster of the last cause line of this request, which consequence lines join.
    pub primary: Option<u32>,
    /// Clusters this request has already been counted in.
    pub counted: Vec<u32>,
}

impl Request {
    fn new(id: u64, last_time: i64) -> Request {
        Request {
            id,
            last_time,
            primary: None,
            counted: Vec::new(),
        }
    }
}

#[derive(Default)]
pub struct Correlator {
    open: HashMap<u64, Request, FnvBuild>,
    order: VecDeque<(u64, u64)>,
    next_id: u64,
}

/// The correlation key of a record, `None` if the record carries nothing to correlate on.
pub fn key_of(file: u32, rec: &Record<'_>) -> Option<(u64, i64)> {
    let mut h = Fnv::default();
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

impl Correlator {
    pub fn new() -> Correlator {
        Correlator::default()
    }

    /// The request a line belongs to; a new one when the key is unknown, stale, or absent.
    pub fn request(&mut self, key: Option<(u64, i64)>, time: Option<i64>) -> &mut Request {
        let t = time.unwrap_or(0);
        let Some((key, window)) = key else {
            // Nothing to correlate on: every line is its own request. Keyed by a fresh id
            // so the returned reference has a home; it is evicted like any other entry.
            let id = self.new_id();
            return self.insert(id ^ 0x9e37_79b9_7f4a_7c15, id, t);
        };
        let stale = self
            .open
            .get(&key)
            .is_none_or(|r| (t - r.last_time).abs() > window);
        if stale {
            let id = self.new_id();
            return self.insert(key, id, t);
        }
        // Present (checked above): the entry API only avoids a second lookup that could fail.
        let r = self.open.entry(key).or_insert_with(|| Request::new(0, t));
        r.last_time = t;
        r
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn insert(&mut self, key: u64, id: u64, t: i64) -> &mut Request {
        while self.open.len() >= MAX_OPEN {
            match self.order.pop_front() {
                Some((k, old_id)) => {
                    if self.open.get(&k).is_some_and(|r| r.id == old_id) {
                        self.open.remove(&k);
                    }
                }
                None => break,
            }
        }
        self.order.push_back((key, id));
        let slot = self.open.entry(key).or_insert_with(|| Request::new(id, t));
        *slot = Request::new(id, t);
        slot
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
        let ida = cor.request(key_of(0, &a), a.time).id;
        let idb = cor.request(key_of(0, &b), b.time).id;
        let idc = cor.request(key_of(0, &c), c.time).id;
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
