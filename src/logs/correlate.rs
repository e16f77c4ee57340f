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

use std::collections::VecDeque;
use std::hash::Hasher;

use super::record::{Format, Record};
use super::text;

/// Open requests remembered per nginx worker process (by connection number).
const RING: usize = 4096;
/// nginx worker processes (per file) whose rings are kept; the least recent is dropped.
const MAX_RINGS: usize = 16;
/// Apache / other keys remembered.
const MAX_OPEN: usize = 16_384;
/// nginx: lines of one request may be a few proxy timeouts apart (one per peer tried).
const NGINX_WINDOW: i64 = 600;
/// Apache: a thread's lines for one failure are written within the same second or two.
const APACHE_WINDOW: i64 = 2;

/// An nginx worker process: the file it logs to and its pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Worker {
    file: u32,
    pid: u64,
}

/// What a line is correlated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// nginx: the worker, the connection number and a fingerprint of the request line (a
    /// keepalive connection carries several requests; the fingerprint only tells the
    /// request of one connection slot from the next).
    Conn { worker: Worker, conn: u64, tag: u64 },
    /// Apache 2.4: a thread of a process serves one request at a time; the client the
    /// line names (empty: the connect-failure lines name none) tells two requests of one
    /// thread apart.
    Thread {
        file: u32,
        pid: u64,
        tid: u64,
        client: &'a str,
    },
    /// Apache 2.2: only the client.
    Client { file: u32, client: &'a str },
}

/// Where an Apache request is remembered.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Open {
    Thread { file: u32, pid: u64, tid: u64 },
    Client { file: u32, client: Box<str> },
}

/// Per-request state: 24 bytes, so that with its connection it fits one cache line.
#[derive(Debug, Clone)]
pub struct Request {
    /// Sequential id, unique in this run (ndjson `request`).
    pub id: u64,
    last_time: i64,
    /// Cluster of the last cause line of this request, which consequence lines join, or
    /// `NONE` (not an `Option`, whose tag would grow the slot).
    primary: u32,
    /// The cluster the request is counted in: its latest failure (a request nginx
    /// retried on another peer counts where it failed last), or `NONE`.
    counted: u32,
}

/// `Request::primary`/`counted` when no line has set it (cluster ids stay far below).
const NONE: u32 = u32::MAX;

impl Default for Request {
    fn default() -> Request {
        Request::new(0, 0)
    }
}

/// Where a request is counted after one more of its failure lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Already counted in this cluster.
    Already,
    /// First counted here.
    New,
    /// Counted here now, and no longer in the cluster of its earlier failure: that
    /// attempt was retried (nginx's next peer, a balancer's next member).
    MovedFrom(u32),
}

impl Request {
    fn new(id: u64, last_time: i64) -> Request {
        Request {
            id,
            last_time,
            primary: NONE,
            counted: NONE,
        }
    }

    /// The cluster the request's consequence lines join.
    pub fn primary(&self) -> Option<u32> {
        (self.primary != NONE).then_some(self.primary)
    }

    pub fn set_primary(&mut self, cluster: u32) {
        self.primary = cluster;
    }

    /// Counts the request in the cluster of a failure line.
    pub fn count_in(&mut self, cluster: u32) -> Counted {
        let before = std::mem::replace(&mut self.counted, cluster);
        match before {
            NONE => Counted::New,
            same if same == cluster => Counted::Already,
            other => Counted::MovedFrom(other),
        }
    }
}

/// A client's fingerprint for [`Correlator::open`]; 0 for no client.
fn fingerprint(client: &str) -> u64 {
    if client.is_empty() {
        return 0;
    }
    text::hash(client.as_bytes()) | 1
}

/// The correlation key of a record, `None` if the record carries nothing to correlate on.
pub fn key_of<'a>(file: u32, rec: &Record<'a>) -> Option<Key<'a>> {
    match rec.format {
        Some(Format::Nginx) => {
            let conn = rec.conn?;
            let mut t = text::hasher();
            t.write(rec.request.as_bytes());
            Some(Key::Conn {
                worker: Worker {
                    file,
                    pid: rec.pid.unwrap_or(0),
                },
                conn,
                tag: t.finish(),
            })
        }
        Some(Format::Apache) => match rec.pid {
            Some(pid) => Some(Key::Thread {
                file,
                pid,
                tid: rec.tid.unwrap_or(0),
                client: rec.client,
            }),
            None if !rec.client.is_empty() => Some(Key::Client {
                file,
                client: rec.client,
            }),
            None => None,
        },
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
    rings: Vec<(Worker, Box<[Slot]>)>,
    /// Apache requests, with a fingerprint of the client their lines named (0 until one
    /// does): only compared with the next line of the same thread, where two clients'
    /// fingerprints colliding within its 2 s is not a practical concern, and no string is
    /// allocated per request.
    open: foldhash::HashMap<Open, (Request, u64)>,
    order: VecDeque<(Open, u64)>,
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
    pub fn request(&mut self, key: Option<Key<'_>>, time: Option<i64>) -> (&mut Request, bool) {
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
            Some(Key::Thread {
                file,
                pid,
                tid,
                client,
            }) => self.open_request(Open::Thread { file, pid, tid }, client, t, next_id),
            Some(Key::Client { file, client }) => self.open_request(
                Open::Client {
                    file,
                    client: client.into(),
                },
                client,
                t,
                next_id,
            ),
        }
    }

    /// Starts loading the ring slot of a line's request into the cache. The slot of a new
    /// connection is a cache miss on nearly every nginx line (4096 slots of 64 bytes per
    /// worker do not stay cached beside the input stream): asked for as soon as the record
    /// is parsed, the load overlaps with classification instead of stalling [`request`]
    /// (15% of the single-thread profile before, 3% after).
    ///
    /// [`request`]: Correlator::request
    pub fn prefetch(&self, key: Option<Key<'_>>) {
        if let Some(Key::Conn { worker, conn, .. }) = key
            && let Some((_, ring)) = self.rings.iter().find(|(w, _)| *w == worker)
        {
            prefetch(&ring[(conn % RING as u64) as usize]);
        }
    }

    /// A ring for a new worker, and its index; the least recently added one goes past
    /// `MAX_RINGS`.
    fn add_ring(&mut self, worker: Worker) -> usize {
        if self.rings.len() >= MAX_RINGS {
            self.rings.remove(0);
        }
        self.rings.push((worker, new_ring()));
        self.rings.len() - 1
    }

    /// An Apache request: the one its thread (or client) holds, unless that is stale or
    /// another client's.
    fn open_request(
        &mut self,
        key: Open,
        client: &str,
        t: i64,
        next_id: u64,
    ) -> (&mut Request, bool) {
        if self.open.len() >= MAX_OPEN {
            self.evict();
        }
        if self.order.len() > 4 * MAX_OPEN {
            // Keys reused after going stale leave dead entries behind: drop them.
            let open = &self.open;
            self.order
                .retain(|(k, id)| open.get(k).is_some_and(|(r, _)| r.id == *id));
        }
        let mut fresh = false;
        let client = fingerprint(client);
        let (r, seen) = self.open.entry(key.clone()).or_insert_with(|| {
            fresh = true;
            (Request::new(next_id, t), client)
        });
        let other_client = client != 0 && *seen != 0 && *seen != client;
        if !fresh && ((t - r.last_time).abs() > APACHE_WINDOW || other_client) {
            *r = Request::new(next_id, t);
            *seen = client;
            fresh = true;
        } else if *seen == 0 {
            *seen = client;
        }
        r.last_time = t;
        if fresh {
            self.next_id = next_id;
            self.order.push_back((key, next_id));
        }
        (r, fresh)
    }

    /// The cluster a live request's lines join, without touching the request.
    pub fn primary_of(&self, key: Option<Key<'_>>, time: Option<i64>) -> Option<u32> {
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
            Key::Thread {
                file,
                pid,
                tid,
                client,
            } => self.open_primary(&Open::Thread { file, pid, tid }, client, t),
            Key::Client { file, client } => self.open_primary(
                &Open::Client {
                    file,
                    client: client.into(),
                },
                client,
                t,
            ),
        }
    }

    fn open_primary(&self, key: &Open, client: &str, t: i64) -> Option<u32> {
        let (r, seen) = self.open.get(key)?;
        let client = fingerprint(client);
        let same_client = client == 0 || *seen == 0 || *seen == client;
        ((t - r.last_time).abs() <= APACHE_WINDOW && same_client)
            .then(|| r.primary())
            .flatten()
    }

    /// Forgets the oldest request still remembered.
    fn evict(&mut self) {
        while let Some((k, id)) = self.order.pop_front() {
            if self.open.get(&k).is_some_and(|(r, _)| r.id == id) {
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
                Some(Key::Thread {
                    file: 0,
                    pid: i,
                    tid: 0,
                    client: "",
                }),
                Some(0),
            );
            cor.request(
                Some(Key::Conn {
                    worker: Worker {
                        file: 0,
                        pid: i % 100,
                    },
                    conn: i,
                    tag: 0,
                }),
                Some(0),
            );
        }
        assert!(cor.open.len() <= MAX_OPEN);
        assert!(cor.rings.len() <= MAX_RINGS);
    }

    /// Two clients served one after the other by one Apache thread within the 2 s window
    /// were counted as one request (128 AH01170 lines became 85 requests).
    #[test]
    fn apache_thread_serving_two_clients_is_two_requests() {
        let line = |client: &str, msg: &str| {
            format!("[Fri May 01 12:00:00.000000 2024] [proxy:error] [pid 7:tid 9] {client}{msg}")
        };
        let a = line(
            "[client 10.0.0.1:5000] ",
            "AH01170: balancer://pool: All workers are in error state",
        );
        let b = line(
            "[client 10.0.0.2:6000] ",
            "AH01170: balancer://pool: All workers are in error state",
        );
        let c = line(
            "",
            "(111)Connection refused: AH00957: http: attempt to connect to 127.0.0.1:8080 (127.0.0.1:8080) failed",
        );
        let (a, b, c) = (parse(&a), parse(&b), parse(&c));
        let mut cor = Correlator::new();
        let ida = cor.request(key_of(0, &a), a.time).0.id;
        let idb = cor.request(key_of(0, &b), b.time).0.id;
        // A line naming no client joins the thread's current request.
        let idc = cor.request(key_of(0, &c), c.time).0.id;
        assert_ne!(ida, idb);
        assert_eq!(idb, idc);
    }

    #[test]
    fn a_request_counts_in_the_cluster_of_its_latest_failure() {
        let mut r = Request::new(1, 0);
        assert_eq!(r.count_in(3), Counted::New);
        assert_eq!(r.count_in(3), Counted::Already);
        assert_eq!(r.count_in(5), Counted::MovedFrom(3));
        assert_eq!(r.count_in(5), Counted::Already);
    }

    #[test]
    fn a_reused_ring_slot_is_a_new_request() {
        let mut cor = Correlator::new();
        let k = |conn| {
            Some(Key::Conn {
                worker: Worker { file: 0, pid: 1 },
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
