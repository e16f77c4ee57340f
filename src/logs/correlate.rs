//! Incident correlation: which lines belong to the same client request, so clusters count
//! requests as well as lines, and consequence lines join the cause logged before them.
//!
//! nginx tags every line of a request with its connection number (`*5`), which each worker
//! process hands out in increasing order; a keepalive connection carries several requests,
//! so the request line is part of the key too. The open requests of one worker live in a
//! ring indexed by connection number: recent connections are adjacent in memory and a new
//! connection overwrites one that is `RING` connections old, so memory is bounded without
//! any eviction bookkeeping. Apache 2.4 serves one request per thread at a time: `[pid P:tid
//! T]` within a couple of seconds identifies it (the connect-failure lines carry no
//! `[client]`; 2.2 has only the client); those few keys live in a small bounded map.

use std::collections::{HashMap, VecDeque};

use super::record::{Format, Record};
use super::text::{FastHasher, IdBuild};
use std::hash::Hasher;

/// Open requests remembered per nginx worker process (by connection number).
const RING: usize = 4096;
/// nginx worker processes (per file) whose rings are kept; the least recent is dropped.
const MAX_RINGS: usize = 64;
/// Apache / other keys remembered.
const MAX_OPEN: usize = 16_384;
/// nginx: lines of one request may be a few proxy timeouts apart (one per peer tried).
const NGINX_WINDOW: i64 = 600;
/// Apache: a thread's lines for one failure are written within the same second or two.
const APACHE_WINDOW: i64 = 2;

/// What a line is correlated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// nginx: worker (file + pid), connection number, and a hash of the request line.
    Conn { worker: u64, conn: u64, tag: u64 },
    /// Apache: a hash of file + pid + tid (or client), with its time window.
    Hashed { hash: u64, window: i64 },
}

/// Per-request state: 48 bytes, so that with its connection it fills one cache line.
#[derive(Debug, Clone)]
pub struct Request {
    /// Sequential id, unique in this run (ndjson `request`).
    pub id: u64,
    last_time: i64,
    /// Cluster of the last cause line of this request, which consequence lines join, or
    /// `NO_PRIMARY` (not an `Option`, whose tag would push the slot past 64 bytes).
    primary: u32,
    /// Clusters this request has already been counted in (inline: a request rarely fails
    /// in more than a few clusters, and an allocation per request showed in profiles).
    counted: [u32; MAX_COUNTED],
    n_counted: u8,
}

/// Clusters remembered per request; past that a request is not counted again.
const MAX_COUNTED: usize = 6;
/// `Request::primary` when no line has set it (cluster ids stay far below).
const NO_PRIMARY: u32 = u32::MAX;

impl Default for Request {
    fn default() -> Request {
        Request::new(0, 0)
    }
}

impl Request {
    fn new(id: u64, last_time: i64) -> Request {
        Request {
            id,
            last_time,
            primary: NO_PRIMARY,
            counted: [0; MAX_COUNTED],
            n_counted: 0,
        }
    }

    /// The cluster the request's consequence lines join.
    pub fn primary(&self) -> Option<u32> {
        (self.primary != NO_PRIMARY).then_some(self.primary)
    }

    pub fn set_primary(&mut self, cluster: u32) {
        self.primary = cluster;
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
pub fn key_of(file: u32, rec: &Record<'_>) -> Option<Key> {
    let mut h = FastHasher::default();
    h.write_u64(u64::from(file));
    match rec.format {
        Some(Format::Nginx) => {
            let conn = rec.conn?;
            h.write_u64(rec.pid.unwrap_or(0));
            let worker = h.finish();
            let mut t = FastHasher::default();
            t.write(rec.request.as_bytes());
            Some(Key::Conn {
                worker,
                conn,
                tag: t.finish(),
            })
        }
        Some(Format::Apache) => {
            // The connect-failure lines carry no [client]: a thread is the request.
            match rec.pid {
                Some(pid) => {
                    h.write_u64(pid);
                    h.write_u64(rec.tid.unwrap_or(0));
                }
                None if !rec.client.is_empty() => h.write(rec.client.as_bytes()),
                None => return None,
            }
            Some(Key::Hashed {
                hash: h.finish(),
                window: APACHE_WINDOW,
            })
        }
        _ => None,
    }
}

/// One slot of a worker's ring: the connection and request it holds, in one cache line.
/// Reaching the slot of a new connection is a cache miss on every nginx line (the ring was
/// the top entry of the profile); a 72-byte slot straddled two lines.
#[derive(Debug, Clone, Default)]
#[repr(align(64))]
struct Slot {
    conn: u64,
    tag: u64,
    request: Request,
}

const _: () = assert!(std::mem::size_of::<Slot>() == 64);

#[derive(Default)]
pub struct Correlator {
    /// Rings by worker, oldest first: a handful of workers, so a scan beats hashing.
    rings: Vec<(u64, Box<[Slot]>)>,
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
    pub fn request(&mut self, key: Option<Key>, time: Option<i64>) -> (&mut Request, bool) {
        let t = time.unwrap_or(0);
        let next_id = self.next_id + 1;
        match key {
            None => {
                self.next_id = next_id;
                self.lone = Request::new(next_id, t);
                (&mut self.lone, true)
            }
            Some(Key::Conn { worker, conn, tag }) => {
                let at = match self.rings.iter().position(|(w, _)| *w == worker) {
                    Some(at) => at,
                    None => self.add_ring(worker),
                };
                let slot = &mut self.rings[at].1[(conn % RING as u64) as usize];
                let live = slot.request.id != 0
                    && slot.conn == conn
                    && slot.tag == tag
                    && (t - slot.request.last_time).abs() <= NGINX_WINDOW;
                if !live {
                    self.next_id = next_id;
                    *slot = Slot {
                        conn,
                        tag,
                        request: Request::new(next_id, t),
                    };
                }
                slot.request.last_time = t;
                (&mut slot.request, !live)
            }
            Some(Key::Hashed { hash, window }) => self.hashed(hash, window, t, next_id),
        }
    }

    /// Starts loading the ring slot of a line's request into the cache. The slot of a new
    /// connection is a cache miss on nearly every nginx line (4096 slots of 64 bytes per
    /// worker do not stay cached beside the input stream): asked for as soon as the record
    /// is parsed, the load overlaps with classification instead of stalling [`request`]
    /// (15% of the single-thread profile before, 3% after).
    ///
    /// [`request`]: Correlator::request
    pub fn prefetch(&self, key: Option<Key>) {
        if let Some(Key::Conn { worker, conn, .. }) = key
            && let Some((_, ring)) = self.rings.iter().find(|(w, _)| *w == worker)
        {
            prefetch(&ring[(conn % RING as u64) as usize]);
        }
    }

    /// A ring for a new worker, and its index; the least recently added one goes past
    /// `MAX_RINGS`.
    fn add_ring(&mut self, worker: u64) -> usize {
        if self.rings.len() >= MAX_RINGS {
            self.rings.remove(0);
        }
        self.rings.push((worker, new_ring()));
        self.rings.len() - 1
    }

    fn hashed(&mut self, key: u64, window: i64, t: i64, next_id: u64) -> (&mut Request, bool) {
        if self.open.len() >= MAX_OPEN {
            self.evict();
        }
        if self.order.len() > 4 * MAX_OPEN {
            // Keys reused after going stale leave dead entries behind: drop them.
            let open = &self.open;
            self.order
                .retain(|(k, id)| open.get(k).is_some_and(|r| r.id == *id));
        }
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
    pub fn primary_of(&self, key: Option<Key>, time: Option<i64>) -> Option<u32> {
        let t = time.unwrap_or(0);
        match key? {
            Key::Conn { worker, conn, tag } => {
                let (_, ring) = self.rings.iter().find(|(w, _)| *w == worker)?;
                let slot = &ring[(conn % RING as u64) as usize];
                (slot.conn == conn
                    && slot.tag == tag
                    && (t - slot.request.last_time).abs() <= NGINX_WINDOW)
                    .then(|| slot.request.primary())
                    .flatten()
            }
            Key::Hashed { hash, window } => {
                let r = self.open.get(&hash)?;
                ((t - r.last_time).abs() <= window)
                    .then(|| r.primary())
                    .flatten()
            }
        }
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

#[cfg(target_arch = "x86_64")]
fn prefetch<T>(value: &T) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is a hint: it never faults and changes nothing the program can
    // observe, and the address comes from a live reference anyway.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast()) }
}

/// Elsewhere the hint is skipped: only the speed differs.
#[cfg(not(target_arch = "x86_64"))]
fn prefetch<T>(_: &T) {}

fn new_ring() -> Box<[Slot]> {
    vec![Slot::default(); RING].into_boxed_slice()
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
            cor.request(
                Some(Key::Hashed {
                    hash: i,
                    window: 10,
                }),
                Some(0),
            );
            cor.request(
                Some(Key::Conn {
                    worker: i % 100,
                    conn: i,
                    tag: 0,
                }),
                Some(0),
            );
        }
        assert!(cor.open.len() <= MAX_OPEN);
        assert!(cor.rings.len() <= MAX_RINGS);
    }

    #[test]
    fn a_reused_ring_slot_is_a_new_request() {
        let mut cor = Correlator::new();
        let k = |conn| {
            Some(Key::Conn {
                worker: 1,
                conn,
                tag: 7,
            })
        };
        let a = cor.request(k(5), Some(0)).0.id;
        let b = cor.request(k(5 + RING as u64), Some(0)).0.id;
        let c = cor.request(k(5), Some(1)).0.id;
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_eq!(cor.request(k(5), Some(2)).0.id, c);
    }
}
