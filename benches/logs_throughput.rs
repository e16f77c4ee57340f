//! Throughput and memory of `proxylint logs` on a ~1 GB nginx error log and a ~1 GB Apache
//! error log of realistic mixed lines, and the peak memory on a 150 MB log whose every line
//! is distinct (generated in a temp dir, not committed).
//!
//! Measures, for each log: lines/s of the release binary on one thread
//! (`--threads 1`) and with its default pipeline (one thread per core), the time of
//! `rg -c upstream` on the same file and the ratio, and the peak RSS (`/usr/bin/time -v`).
//! Every figure is the median of `BENCH_REPS` runs (other jobs share the cores: the best
//! run flatters, the median does not), and CPU time (user + system) is reported beside
//! wall time.
//!
//! `rg -c upstream` is the spec's yardstick, but Apache never writes "upstream": on the
//! Apache log ripgrep matches nothing and only streams memory, which no analysis can
//! approach. Its Apache counterpart, `rg -c proxy` (the module of every upstream line:
//! `[proxy:error]`, `[proxy_http:error]`, `[proxy_fcgi:error]`), is measured too.
//!
//! Run: `cargo bench --bench logs_throughput` (sizes: `BENCH_LOG_MB=1024`,
//! `BENCH_HOSTILE_MB=150`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Small deterministic generator (xorshift64*): the benchmark input is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const PATHS: [&str; 8] = [
    "/api/v1/orders",
    "/api/v1/users/42",
    "/checkout",
    "/index.php",
    "/search?q=shoes",
    "/static/app.js",
    "/graphql",
    "/healthz",
];
const SERVERS: [&str; 4] = [
    "shop.example.com",
    "api.example.com",
    "admin.example.com",
    "_",
];

/// Upstream peers: two groups and a FastCGI pool.
const PEERS: [&str; 6] = [
    "10.0.0.11:8080",
    "10.0.0.12:8080",
    "10.0.0.13:8080",
    "10.0.1.21:3000",
    "10.0.1.22:3000",
    "127.0.0.1:9000",
];

/// Real error logs come in incidents: one upstream misbehaves the same way for a stretch
/// of lines (an outage, a slow deploy) over a background of everyday lines.
struct Incident {
    left: u64,
    kind: u64,
    peer: usize,
}

impl Incident {
    /// The message selector (0..100) and peer of the next line.
    fn next(&mut self, rng: &mut Rng, upstream_kinds: u64) -> (u64, usize) {
        if self.left == 0 {
            self.left = 1 + rng.below(400);
            self.kind = rng.below(upstream_kinds);
            self.peer = rng.below(PEERS.len() as u64) as usize;
        }
        self.left -= 1;
        if rng.below(10) < 6 {
            (self.kind, self.peer)
        } else {
            (rng.below(100), rng.below(PEERS.len() as u64) as usize)
        }
    }
}

/// Message bodies of an nginx error log, upstream failures and everyday noise, with the
/// share they get (out of 100).
fn nginx_message(rng: &mut Rng, r: u64) -> (&'static str, String) {
    let (level, msg) = match r {
        0..=17 => ("error", "connect() failed (111: Connection refused) while connecting to upstream".to_owned()),
        18..=29 => ("error", "upstream timed out (110: Connection timed out) while reading response header from upstream".to_owned()),
        30..=37 => ("error", "upstream prematurely closed connection while reading response header from upstream".to_owned()),
        38..=41 => ("error", "recv() failed (104: Connection reset by peer) while reading response header from upstream".to_owned()),
        42..=45 => ("error", "no live upstreams while connecting to upstream".to_owned()),
        46..=49 => ("warn", "upstream server temporarily disabled while connecting to upstream".to_owned()),
        50..=52 => ("error", "upstream sent too big header while reading response header from upstream".to_owned()),
        53..=55 => ("crit", "connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream".to_owned()),
        56..=59 => ("error", format!("FastCGI sent in stderr: \"PHP message: PHP Warning:  Undefined array key \"id\" in /var/www/html/app/item.php on line {}\" while reading response header from upstream", rng.below(400))),
        60..=62 => ("info", "client prematurely closed connection, so upstream connection is closed too while reading upstream".to_owned()),
        63..=74 => ("error", format!("open() \"/var/www/html/assets/img{}.png\" failed (2: No such file or directory)", rng.below(5000))),
        75..=84 => ("info", "client closed connection while waiting for request".to_owned()),
        85..=90 => ("error", format!("limiting requests, excess: {}.{:03} by zone \"api\"", rng.below(20), rng.below(1000))),
        91..=94 => ("error", "access forbidden by rule".to_owned()),
        _ => ("error", format!("client intended to send too large body: {} bytes", 1_000_000 + rng.below(9_000_000))),
    };
    (level, msg)
}

fn nginx_log(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut written, mut lines, mut t) = (0u64, 0u64, 1_714_521_600u64);
    let mut conn = 1u64;
    let mut incident = Incident {
        left: 0,
        kind: 0,
        peer: 0,
    };
    while written < bytes {
        t += rng.below(2);
        let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
        let day = 1 + (t / 86_400) % 28;
        let (kind, peer) = incident.next(&mut rng, 63);
        let up = PEERS[peer];
        let (level, msg) = nginx_message(&mut rng, kind);
        conn += 1 + rng.below(3);
        let pid = 1200 + rng.below(4);
        let client = format!("203.0.{}.{}", rng.below(255), rng.below(255));
        let path = rng.pick(&PATHS);
        let server = rng.pick(&SERVERS);
        let line = if msg.contains("upstream") && !msg.starts_with("client closed") {
            format!(
                "2024/05/{day:02} {h:02}:{m:02}:{s:02} [{level}] {pid}#{pid}: *{conn} {msg}, client: {client}, server: {server}, request: \"GET {path} HTTP/1.1\", upstream: \"http://{up}{path}\", host: \"{server}\"\n"
            )
        } else {
            format!(
                "2024/05/{day:02} {h:02}:{m:02}:{s:02} [{level}] {pid}#{pid}: *{conn} {msg}, client: {client}, server: {server}, request: \"GET {path} HTTP/1.1\", host: \"{server}\"\n"
            )
        };
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        lines += 1;
    }
    w.flush()?;
    Ok(lines)
}

fn apache_log(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut written, mut lines, mut t) = (0u64, 0u64, 1_714_521_600u64);
    let days = ["Wed", "Thu", "Fri", "Sat", "Sun", "Mon", "Tue"];
    let mut incident = Incident {
        left: 0,
        kind: 0,
        peer: 0,
    };
    while written < bytes {
        t += rng.below(2);
        let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
        let day = 1 + (t / 86_400) % 28;
        let stamp = format!(
            "[{} May {day:02} {h:02}:{m:02}:{s:02}.{:06} 2024]",
            days[(day % 7) as usize],
            rng.below(1_000_000)
        );
        let (pid, tid) = (3000 + rng.below(8), 140_000_000 + rng.below(64));
        let client = format!(
            "203.0.{}.{}:{}",
            rng.below(255),
            rng.below(255),
            30_000 + rng.below(30_000)
        );
        let (kind, peer) = incident.next(&mut rng, 65);
        let up = PEERS[peer];
        let path = rng.pick(&PATHS);
        let block = match kind {
            0..=24 => format!(
                "{stamp} [proxy:error] [pid {pid}:tid {tid}] (111)Connection refused: AH00957: http: attempt to connect to {up} ({up}) failed\n{stamp} [proxy_http:error] [pid {pid}:tid {tid}] [client {client}] AH01114: HTTP: failed to make connection to backend: 10.0.0.1\n"
            ),
            25..=44 => format!(
                "{stamp} [proxy_http:error] [pid {pid}:tid {tid}] (70007)The timeout specified has expired: [client {client}] AH01102: error reading status line from remote server {up}\n{stamp} [proxy:error] [pid {pid}:tid {tid}] [client {client}] AH00898: Error reading from remote server returned by {path}\n"
            ),
            45..=54 => format!(
                "{stamp} [proxy:error] [pid {pid}:tid {tid}] AH00959: ap_proxy_connect_backend disabling worker for ({up}) for 60s\n"
            ),
            55..=64 => format!(
                "{stamp} [proxy_fcgi:error] [pid {pid}:tid {tid}] [client {client}] AH01071: Got error 'PHP message: PHP Warning:  Undefined variable $x in /var/www/html/index.php on line {}'\n",
                rng.below(300)
            ),
            65..=79 => format!(
                "{stamp} [core:error] [pid {pid}:tid {tid}] [client {client}] AH00126: Invalid URI in request GET /%{} HTTP/1.1\n",
                rng.below(99)
            ),
            80..=89 => format!(
                "{stamp} [authz_core:error] [pid {pid}:tid {tid}] [client {client}] AH01630: client denied by server configuration: /var/www/html{path}\n"
            ),
            _ => format!(
                "{stamp} [mpm_event:notice] [pid {pid}:tid {tid}] AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations\n"
            ),
        };
        w.write_all(block.as_bytes())?;
        written += block.len() as u64;
        lines += block.matches('\n').count() as u64;
    }
    w.flush()?;
    Ok(lines)
}

/// What `/usr/bin/time -v` measured for one run.
/// A random word of `len` lowercase letters.
fn word(rng: &mut Rng, len: u64) -> String {
    (0..len)
        .map(|_| (b'a' + rng.below(26) as u8) as char)
        .collect()
}

/// The worst case for memory: every line distinct (random upstreams, servers, pids,
/// request paths, and unmatched lines of random words), so every cluster, template and
/// request budget fills in each part of the file. Peak RSS must stay bounded anyway.
fn hostile_log(path: &Path, bytes: u64) -> std::io::Result<u64> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut written, mut lines) = (0u64, 0u64);
    while written < bytes {
        let (pid, conn) = (1 + rng.below(1 << 20), 1 + rng.below(1 << 30));
        let ts = format!(
            "2024/05/01 {:02}:{:02}:{:02}",
            lines / 3600 % 24,
            lines / 60 % 60,
            lines % 60
        );
        let ip = format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        );
        let line = match lines % 4 {
            0 => format!(
                "{ts} [error] {pid}#{pid}: *{conn} connect() failed (111: Connection refused) while connecting to upstream, client: {ip}, server: {}.example, request: \"GET /{} HTTP/1.1\", upstream: \"http://{ip}:{}/{}\", host: \"{}\"\n",
                word(&mut rng, 40),
                word(&mut rng, 200),
                1 + rng.below(65_534),
                word(&mut rng, 300),
                word(&mut rng, 60)
            ),
            1 => format!(
                "{ts} [error] {pid}#{pid}: *{conn} upstream timed out (110: Connection timed out) while reading response header from upstream, client: ::1, server: {}, request: \"POST /{} HTTP/1.1\", upstream: \"fastcgi://unix:/run/{}.sock:\", host: \"{}\"\n",
                word(&mut rng, 50),
                word(&mut rng, 100),
                word(&mut rng, 80),
                word(&mut rng, 30)
            ),
            2 => {
                let words: Vec<String> = (0..30)
                    .map(|_| {
                        let len = 3 + rng.below(67);
                        format!("{}{}", word(&mut rng, len), rng.below(1_000_000))
                    })
                    .collect();
                format!("{ts} [warn] {pid}#{pid}: *{conn} {}\n", words.join(" "))
            }
            _ => format!(
                "[Wed May 01 {:02}:{:02}:{:02}.000000 2024] [proxy:error] [pid {pid}:tid {conn}] (111)Connection refused: AH00957: http: attempt to connect to {ip}:{} ({}.internal:{}) failed\n",
                lines / 3600 % 24,
                lines / 60 % 60,
                lines % 60,
                1 + rng.below(65_534),
                word(&mut rng, 50),
                1 + rng.below(65_534)
            ),
        };
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        lines += 1;
    }
    w.flush()?;
    Ok(lines)
}

#[derive(Clone, Copy, Default)]
struct Run {
    wall: f64,
    /// User + system CPU seconds: the figure that holds when other jobs share the cores.
    cpu: f64,
    rss_kb: u64,
}

/// Runs a command under `/usr/bin/time -v` `reps` times; the median wall time, CPU time and
/// peak RSS (each the median of its own).
fn timed(cmd: &mut Command, reps: usize) -> Run {
    let mut runs = Vec::with_capacity(reps);
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let out = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .expect("run benchmark command");
        let wall = start.elapsed().as_secs_f64();
        let err = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| -> f64 {
            err.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0.0)
        };
        let run = Run {
            wall,
            cpu: field("User time (seconds):") + field("System time (seconds):"),
            rss_kb: field("Maximum resident set size (kbytes):") as u64,
        };
        runs.push(run);
    }
    let median = |key: fn(&Run) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(key).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    Run {
        wall: median(|r| r.wall),
        cpu: median(|r| r.cpu),
        rss_kb: median(|r| r.rss_kb as f64) as u64,
    }
}

fn rg(pattern: &str, file: &Path) -> Command {
    let mut c = Command::new("/usr/bin/time");
    c.args(["-v", "rg", "-c", pattern]).arg(file);
    c
}

fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn proxylint(file: &Path, threads: Option<&str>) -> Command {
    let mut c = Command::new("/usr/bin/time");
    c.arg("-v")
        .arg(env!("CARGO_BIN_EXE_proxylint"))
        .args(["logs", "--format", "json"]);
    if let Some(t) = threads {
        c.args(["--threads", t]);
    }
    c.arg(file);
    c
}

fn main() {
    let mb: u64 = std::env::var("BENCH_LOG_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    // BENCH_DIR keeps the generated logs (for profiling); by default they go to a temp dir.
    let tmp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(tmp.path());
    let reps: usize = std::env::var("BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "cores: {cores}; median of {reps} runs; load average before: {}",
        load_average()
    );
    println!(
        "| log | size | lines | 1 thread: wall s / CPU s | lines/s (wall / CPU) | {cores} threads: wall s / CPU s | lines/s (wall / CPU) | rg: wall s / CPU s | ratio to rg (wall) | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // The hostile log is about memory, not speed: 150 MB fill every budget many times.
    let hostile_mb: u64 = std::env::var("BENCH_HOSTILE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    for (name, generate, size_mb) in [
        (
            "nginx",
            nginx_log as fn(&Path, u64) -> std::io::Result<u64>,
            mb,
        ),
        ("apache", apache_log, mb),
        ("hostile", hostile_log, hostile_mb),
    ] {
        let file = dir.join(format!("{name}-error.log"));
        let lines = generate(&file, size_mb << 20).expect("generate log");
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        // Warm the page cache so every tool reads from memory, as on a hot log.
        let _ = timed(Command::new("cat").arg(&file), 1);
        let one = timed(&mut proxylint(&file, Some("1")), reps);
        let all = timed(&mut proxylint(&file, None), reps);
        // nginx: the spec's `upstream`; Apache: that, and `proxy`, which its upstream lines carry.
        let patterns: &[&str] = if name == "apache" {
            &["upstream", "proxy"]
        } else {
            &["upstream"]
        };
        let rgs: Vec<(&str, Run)> = patterns
            .iter()
            .map(|p| (*p, timed(&mut rg(p, &file), reps)))
            .collect();
        let n = lines as f64;
        let rg_times: Vec<String> = rgs
            .iter()
            .map(|(p, r)| format!("`{p}` {:.2} / {:.2}", r.wall, r.cpu))
            .collect();
        let ratios: Vec<String> = rgs
            .iter()
            .map(|(p, r)| format!("`{p}` {:.1}x", all.wall / r.wall.max(1e-9)))
            .collect();
        println!(
            "| {name} | {:.0} MB | {lines} | {:.2} / {:.2} | {:.0} / {:.0} | {:.2} / {:.2} | {:.0} / {:.0} | {} | {} | {:.1} MB (1 thread {:.1} MB) |",
            size as f64 / 1_048_576.0,
            one.wall,
            one.cpu,
            n / one.wall,
            n / one.cpu.max(1e-9),
            all.wall,
            all.cpu,
            n / all.wall,
            n / all.cpu.max(1e-9),
            rg_times.join(", "),
            ratios.join(", "),
            all.rss_kb as f64 / 1024.0,
            one.rss_kb as f64 / 1024.0,
        );
    }
    println!("load average after: {}", load_average());
}
