//! Runs Debian's real nginx and apache2 on loopback against misbehaving upstreams started
//! in-process, collects what they write to their error logs, and checks that every
//! upstream-related line gets the expected cause (fixtures/logs/expected.tsv).
//!
//! With `UPDATE_LOG_FIXTURES=1` it (re)writes fixtures/logs/{nginx,apache}/*.log, which the
//! other tests read. Without nginx/apache2 it skips, unless `CI=true`, where it fails.
//! Every network wait is bounded; child servers are stopped by a drop guard.

#[path = "common/skip.rs"]
mod skip;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

mod logs_common;

use logs_common::{check_file, expected, fixtures_dir};

const NGINX: &str = "/usr/sbin/nginx";
const APACHE: &str = "/usr/sbin/apache2";
const APACHE_MODULES: &str = "/usr/lib/apache2/modules";
const IO_TIMEOUT: Duration = Duration::from_secs(8);

/// What a fake upstream does with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    /// Reads the request, answers only after `secs` (past the proxy's timeout).
    Slow(u64),
    /// Reads the request and closes without a word.
    EarlyClose,
    /// Closes with the request unread: the kernel answers with RST.
    Reset,
    /// Answers with a 20 kB header.
    HugeHeader,
    /// Answers with an SSH banner.
    NonHttp,
    /// Answers anything (an HTTP request, a TLS ClientHello, FastCGI records) with HTTP 400.
    HttpOnly,
    /// A FastCGI responder that reports a PHP error on stderr.
    FastCgiAppError,
    /// A FastCGI responder that logs PHP warnings on stderr and serves the page (200).
    FastCgiWarning,
    /// php-fpm's answer when SCRIPT_FILENAME names no file: "Primary script unknown"
    /// on stderr and a 404.
    FastCgiNoScript,
    /// Starts a chunked body with a malformed chunk size.
    BadChunked,
    /// Answers with binary garbage: a status "line" with NUL bytes in it (a backend that
    /// speaks no HTTP, like a database port).
    Garbage,
    /// An AJP backend (Tomcat's connector) that reads the header of Apache's forward
    /// request and resets the connection with the body unread.
    AjpReset,
}

struct Upstreams {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Upstreams {
    fn new() -> Upstreams {
        Upstreams {
            stop: Arc::new(AtomicBool::new(false)),
            threads: Vec::new(),
        }
    }

    /// Starts a fake upstream on a fresh loopback port.
    fn tcp(&mut self, behaviour: Behaviour) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind upstream");
        let port = listener.local_addr().expect("addr").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = self.stop.clone();
        self.threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let stop = stop.clone();
                        thread::spawn(move || serve(conn, behaviour, &stop));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
        port
    }
}

impl Drop for Upstreams {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Reads what the proxy sends until it pauses (bounded).
fn read_some(conn: &mut TcpStream) -> Vec<u8> {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(300)));
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                data.extend_from_slice(&buf[..n]);
                if data.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
        }
    }
    data
}

fn serve(mut conn: TcpStream, behaviour: Behaviour, stop: &AtomicBool) {
    let _ = conn.set_nonblocking(false);
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    match behaviour {
        Behaviour::Slow(secs) => {
            read_some(&mut conn);
            let until = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                thread::sleep(Duration::from_millis(20));
            }
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
        Behaviour::EarlyClose => {
            read_some(&mut conn);
        }
        Behaviour::Reset => {
            // Leave the request unread in the receive queue: close() then sends RST.
            thread::sleep(Duration::from_millis(200));
        }
        Behaviour::HugeHeader => {
            read_some(&mut conn);
            let big = "a".repeat(20_000);
            let _ = conn.write_all(
                format!("HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").as_bytes(),
            );
        }
        Behaviour::NonHttp => {
            read_some(&mut conn);
            let _ = conn.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
            thread::sleep(Duration::from_millis(100));
        }
        Behaviour::HttpOnly => {
            read_some(&mut conn);
            let _ = conn.write_all(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
        Behaviour::Garbage => {
            read_some(&mut conn);
            let _ =
                conn.write_all(b"\x00\x01\x02\x03\xff\xfe garbage \x00\x00\r\n\x7f\x10\r\n\r\n");
            thread::sleep(Duration::from_millis(100));
        }
        Behaviour::AjpReset => {
            // An AJP packet from the web server starts 0x12 0x34, then its length. Read the
            // four header bytes only: closing with the body unread sends RST.
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let mut header = [0u8; 4];
            if conn.read_exact(&mut header).is_ok() && header[..2] == [0x12, 0x34] {
                thread::sleep(Duration::from_millis(100));
            }
        }
        Behaviour::BadChunked => {
            read_some(&mut conn);
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\nzz\r\nnot a chunk\r\n");
            thread::sleep(Duration::from_millis(300));
        }
        Behaviour::FastCgiAppError => {
            read_some(&mut conn);
            let mut out = Vec::new();
            let stderr = b"PHP message: PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 3\nPHP message: PHP Fatal error:  Uncaught Error: Call to undefined function db_connect() in /var/www/html/index.php:7\nStack trace:\n#0 {main}\n  thrown in /var/www/html/index.php on line 7";
            fcgi_record(&mut out, 7, stderr);
            fcgi_record(
                &mut out,
                6,
                b"Status: 500 Internal Server Error\r\nContent-Type: text/html\r\n\r\nerror",
            );
            fcgi_record(&mut out, 6, b"");
            fcgi_record(&mut out, 3, &[0, 0, 0, 0, 0, 0, 0, 0]);
            let _ = conn.write_all(&out);
            thread::sleep(Duration::from_millis(100));
        }
        Behaviour::FastCgiWarning | Behaviour::FastCgiNoScript => {
            read_some(&mut conn);
            let (stderr, stdout): (&[u8], &[u8]) = if behaviour == Behaviour::FastCgiWarning {
                (
                    b"PHP message: PHP Warning:  Undefined array key \"page\" in /var/www/html/index.php on line 5\nPHP message: PHP Deprecated:  strlen(): Passing null to parameter #1 ($string) of type string is deprecated in /var/www/html/index.php on line 9",
                    b"Content-Type: text/html\r\n\r\n<p>ok</p>",
                )
            } else {
                (
                    b"Primary script unknown",
                    b"Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\nFile not found.",
                )
            };
            let mut out = Vec::new();
            fcgi_record(&mut out, 7, stderr);
            fcgi_record(&mut out, 6, stdout);
            fcgi_record(&mut out, 6, b"");
            fcgi_record(&mut out, 3, &[0, 0, 0, 0, 0, 0, 0, 0]);
            let _ = conn.write_all(&out);
            thread::sleep(Duration::from_millis(100));
        }
    }
}

fn fcgi_record(out: &mut Vec<u8>, kind: u8, content: &[u8]) {
    let len = content.len() as u16;
    out.extend_from_slice(&[1, kind, 0, 1, (len >> 8) as u8, len as u8, 0, 0]);
    out.extend_from_slice(content);
}

/// A loopback TCP port nothing listens on.
fn refused_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A listener whose accept queue is full (it never accepts): the kernel drops further
/// SYNs, so connecting to it times out like a firewalled host. Returns the port and the
/// connections that fill the queue (kept open for the test's lifetime).
fn blackhole() -> (u16, TcpListener, Vec<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind blackhole");
    let addr = listener.local_addr().expect("addr");
    let mut fillers = Vec::new();
    // std listens with a backlog of 128; stop at the first connect that times out.
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => fillers.push(s),
            Err(_) => break,
        }
    }
    (addr.port(), listener, fillers)
}

/// A loopback UDP port nothing listens on (a dead DNS resolver).
fn dead_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    s.local_addr().expect("addr").port()
}

/// Sends one GET and returns the status code, if any answer came in time.
fn get(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), IO_TIMEOUT).ok()?;
    s.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    s.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: realtest\r\nUser-Agent: proxylint-test\r\nConnection: close\r\n\r\n").as_bytes())
        .ok()?;
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp);
    text.split(' ').nth(1).and_then(|c| c.parse().ok())
}

/// Sends a GET and hangs up before the (slow) upstream answers.
fn get_and_hang_up(port: u16, path: &str) {
    if let Ok(mut s) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), IO_TIMEOUT) {
        let _ = s.write_all(format!("GET {path} HTTP/1.1\r\nHost: realtest\r\n\r\n").as_bytes());
        thread::sleep(Duration::from_millis(500));
    }
}

fn wait_for_port(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))
            .is_ok()
        {
            return true;
        }
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Stops a server child: SIGTERM (so nginx and apache2 stop their workers), then SIGKILL.
struct ServerGuard(Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A self-signed certificate and key made with the openssl CLI.
fn make_cert(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=backend.internal",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then_some((cert, key))
}

/// A TLS upstream (`openssl s_server`); `tls13_only` makes a TLS 1.2 client fail.
fn tls_server(cert: &Path, key: &Path, tls13_only: bool) -> Option<(u16, ServerGuard)> {
    let port = refused_port();
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if tls13_only {
        cmd.arg("-tls1_3");
    }
    let mut child = cmd.spawn().ok()?;
    wait_for_port(port, &mut child).then_some((port, ServerGuard(child)))
}

/// The ports and paths of one run's upstreams.
struct Targets {
    refused: u16,
    slow: u16,
    slower: u16,
    early: u16,
    reset: u16,
    huge: u16,
    nonhttp: u16,
    httponly: u16,
    appfcgi: u16,
    appwarn: u16,
    noscript: u16,
    pool: (u16, u16),
    dead_dns: u16,
    blackhole: u16,
    badchunk: u16,
    garbage: u16,
    ajp_reset: u16,
    /// Two members nothing listens on, for a balancer that must not recover by force.
    balancer_down: (u16, u16),
    tls_any: u16,
    tls13: u16,
    missing_sock: PathBuf,
    perm_sock: PathBuf,
}

/// (fixture name, request path, how the client behaves: 0 hangs up early, n sends n GETs)
const SCENARIOS: [(&str, &str, u8); 25] = [
    ("connect-timeout", "/blackhole", 1),
    ("invalid-response", "/badchunk", 1),
    ("proxy-misconfigured", "/misconf", 1),
    ("refused", "/refused", 1),
    ("slow", "/slow", 1),
    ("early-close", "/early", 1),
    ("reset", "/reset", 1),
    ("huge-header", "/huge", 1),
    ("non-http", "/nonhttp", 1),
    ("fastcgi-at-http", "/fcgi", 1),
    ("missing-socket", "/nosock", 1),
    ("forbidden-socket", "/permsock", 1),
    ("tls-to-plain", "/tlsplain", 1),
    ("tls-untrusted", "/tlsverify", 1),
    ("tls-protocol", "/tlsproto", 1),
    ("pool-down", "/pool", 3),
    ("dns", "/dns", 1),
    ("client-closed", "/clientclosed", 0),
    ("app-error", "/app", 1),
    ("app-warning", "/appwarn", 1),
    ("script-not-found", "/noscript", 1),
    ("garbage", "/garbage", 1),
    ("ajp-reset", "/ajpreset", 1),
    ("ajp-at-http", "/ajphttp", 1),
    ("balancer-down", "/balancerdown", 3),
];

/// Scenarios one server cannot play: nginx has no AJP, and its all-peers-down case is
/// pool-down.
const NGINX_SKIPS: [&str; 3] = ["ajp-reset", "ajp-at-http", "balancer-down"];

fn nginx_conf(dir: &Path, port: u16, t: &Targets, root: bool) -> String {
    let d = dir.display();
    let user = if root { "user nobody nogroup;" } else { "" };
    format!(
        r#"{user}
worker_processes 1;
error_log {d}/error.log info;
pid {d}/nginx.pid;
daemon off;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    proxy_connect_timeout 2s;
    proxy_read_timeout 1s;
    proxy_send_timeout 1s;
    fastcgi_read_timeout 2s;
    upstream pool {{
        server 127.0.0.1:{p1} max_fails=1 fail_timeout=30s;
        server 127.0.0.1:{p2} max_fails=1 fail_timeout=30s;
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name realtest;
        location /refused {{ proxy_pass http://127.0.0.1:{refused}/; }}
        location /slow {{ proxy_pass http://127.0.0.1:{slow}/; }}
        location /early {{ proxy_pass http://127.0.0.1:{early}/; }}
        location /reset {{ proxy_pass http://127.0.0.1:{reset}/; }}
        location /huge {{ proxy_pass http://127.0.0.1:{huge}/; }}
        location /nonhttp {{ proxy_pass http://127.0.0.1:{nonhttp}/; }}
        location /fcgi {{ fastcgi_pass 127.0.0.1:{httponly}; }}
        location /nosock {{ proxy_pass http://unix:{missing}:/; }}
        location /permsock {{ fastcgi_pass unix:{perm}; }}
        location /tlsplain {{ proxy_pass https://127.0.0.1:{httponly}/; }}
        location /tlsverify {{
            proxy_pass https://127.0.0.1:{tls_any}/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;
            proxy_ssl_name backend.internal;
        }}
        location /tlsproto {{
            proxy_pass https://127.0.0.1:{tls13}/;
            proxy_ssl_protocols TLSv1.2;
        }}
        location /pool {{ proxy_pass http://pool/; }}
        location /dns {{
            resolver 127.0.0.1:{dead} ipv6=off;
            resolver_timeout 1s;
            set $dead nosuch.invalid;
            proxy_pass http://$dead:80;
        }}
        location /clientclosed {{ proxy_pass http://127.0.0.1:{slower}/; proxy_read_timeout 10s; }}
        location /app {{ fastcgi_pass 127.0.0.1:{appfcgi}; }}
        location /appwarn {{ fastcgi_pass 127.0.0.1:{appwarn}; }}
        location /noscript {{ fastcgi_pass 127.0.0.1:{noscript}; }}
        location /blackhole {{ proxy_pass http://127.0.0.1:{blackhole}/; proxy_connect_timeout 1s; }}
        location /badchunk {{ proxy_pass http://127.0.0.1:{badchunk}/; proxy_http_version 1.1; }}
        location /misconf {{ set $nores nosuch.invalid; proxy_pass http://$nores; }}
        location /garbage {{ proxy_pass http://127.0.0.1:{garbage}/; }}
    }}
}}
"#,
        p1 = t.pool.0,
        p2 = t.pool.1,
        refused = t.refused,
        slow = t.slow,
        early = t.early,
        reset = t.reset,
        huge = t.huge,
        nonhttp = t.nonhttp,
        httponly = t.httponly,
        missing = t.missing_sock.display(),
        perm = t.perm_sock.display(),
        tls_any = t.tls_any,
        tls13 = t.tls13,
        dead = t.dead_dns,
        slower = t.slower,
        appfcgi = t.appfcgi,
        appwarn = t.appwarn,
        noscript = t.noscript,
        blackhole = t.blackhole,
        badchunk = t.badchunk,
        garbage = t.garbage,
    )
}

fn apache_conf(dir: &Path, port: u16, t: &Targets, root: bool) -> String {
    let d = dir.display();
    let m = APACHE_MODULES;
    let user = if root {
        "User nobody\nGroup nogroup"
    } else {
        ""
    };
    let modules = [
        "mpm_event",
        "authz_core",
        "proxy",
        "proxy_http",
        "proxy_fcgi",
        "proxy_ajp",
        "proxy_balancer",
        "lbmethod_byrequests",
        "slotmem_shm",
        "ssl",
        "socache_shmcb",
    ]
    .iter()
    .map(|name| format!("LoadModule {name}_module {m}/mod_{name}.so"))
    .collect::<Vec<_>>()
    .join("\n");
    format!(
        r#"ServerRoot {d}
ServerName realtest
Listen 127.0.0.1:{port}
PidFile {d}/apache.pid
DefaultRuntimeDir {d}
Mutex file:{d} default
ErrorLog {d}/error.log
LogLevel warn
{user}
{modules}
ProxyTimeout 2
SSLProxyEngine on
SSLProxyVerify none
SSLProxyCheckPeerName off
SSLProxyCheckPeerCN off
<Proxy balancer://pool>
    BalancerMember http://127.0.0.1:{p1}
    BalancerMember http://127.0.0.1:{p2}
</Proxy>
<Proxy balancer://down>
    BalancerMember http://127.0.0.1:{d1} retry=60
    BalancerMember http://127.0.0.1:{d2} retry=60
    ProxySet forcerecovery=Off
</Proxy>
ProxyPass /refused http://127.0.0.1:{refused}/ retry=0
ProxyPass /slow http://127.0.0.1:{slow}/ timeout=1 retry=0
ProxyPass /early http://127.0.0.1:{early}/ retry=0
ProxyPass /reset http://127.0.0.1:{reset}/ retry=0
ProxyPass /huge http://127.0.0.1:{huge}/ retry=0
ProxyPass /nonhttp http://127.0.0.1:{nonhttp}/ retry=0
ProxyPass /fcgi fcgi://127.0.0.1:{httponly}/ retry=0
ProxyPass /nosock unix:{missing}|http://localhost/ retry=0
ProxyPass /permsock unix:{perm}|fcgi://localhost/ retry=0
ProxyPass /tlsplain https://127.0.0.1:{httponly}/ retry=0
<Proxy https://127.0.0.1:{tls_any}/>
    SSLProxyVerify require
    SSLProxyCACertificateFile /etc/ssl/certs/ca-certificates.crt
</Proxy>
ProxyPass /tlsverify https://127.0.0.1:{tls_any}/ retry=0
<Proxy https://127.0.0.1:{tls13}/>
    SSLProxyProtocol TLSv1.2
</Proxy>
ProxyPass /tlsproto https://127.0.0.1:{tls13}/ retry=0
ProxyPass /pool balancer://pool/
ProxyPass /dns http://nosuch.invalid/ retry=0
ProxyPass /appwarn fcgi://127.0.0.1:{appwarn}/ retry=0
ProxyPass /noscript fcgi://127.0.0.1:{noscript}/ retry=0
ProxyPass /app fcgi://127.0.0.1:{appfcgi}/ retry=0
ProxyPass /blackhole http://127.0.0.1:{blackhole}/ connectiontimeout=1 retry=0
ProxyPass /badchunk http://127.0.0.1:{badchunk}/ retry=0
ProxyPass /misconf uwsgi://127.0.0.1:8009/ retry=0
ProxyPass /garbage http://127.0.0.1:{garbage}/ retry=0
ProxyPass /ajpreset ajp://127.0.0.1:{ajp_reset}/ retry=0
ProxyPass /ajphttp ajp://127.0.0.1:{httponly}/ retry=0
ProxyPass /balancerdown balancer://down/
"#,
        p1 = t.pool.0,
        p2 = t.pool.1,
        refused = t.refused,
        slow = t.slow,
        early = t.early,
        reset = t.reset,
        huge = t.huge,
        nonhttp = t.nonhttp,
        httponly = t.httponly,
        missing = t.missing_sock.display(),
        perm = t.perm_sock.display(),
        tls_any = t.tls_any,
        tls13 = t.tls13,
        appfcgi = t.appfcgi,
        appwarn = t.appwarn,
        noscript = t.noscript,
        blackhole = t.blackhole,
        badchunk = t.badchunk,
        garbage = t.garbage,
        ajp_reset = t.ajp_reset,
        d1 = t.balancer_down.0,
        d2 = t.balancer_down.1,
    )
}

/// Runs all scenarios against one server; returns (scenario → log lines).
fn run_scenarios(port: u16, log: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    let mut windows = BTreeMap::new();
    let mut offset = fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    for (name, path, mode) in SCENARIOS {
        if skip.contains(&name) {
            continue;
        }
        match mode {
            0 => get_and_hang_up(port, path),
            n => {
                for _ in 0..n {
                    get(port, path);
                }
            }
        }
        // Let the server finish writing (the client may be answered before the log line).
        thread::sleep(Duration::from_millis(300));
        let data = fs::read(log).unwrap_or_default();
        let new = String::from_utf8_lossy(&data[offset as usize..]).into_owned();
        offset = data.len() as u64;
        windows.insert(name.to_owned(), new);
    }
    windows
}

fn write_windows(dir: &Path, windows: &BTreeMap<String, String>) {
    fs::create_dir_all(dir).expect("fixture dir");
    for (name, text) in windows {
        fs::write(dir.join(format!("{name}.log")), text).expect("write log window");
    }
}

fn tools_present() -> bool {
    let present = Path::new(NGINX).exists() && Path::new(APACHE).exists();
    if !present {
        skip::skip(
            "real-server log fixtures",
            &format!("{NGINX} or {APACHE} is not installed"),
        );
    }
    present
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    targets: Targets,
    _upstreams: Upstreams,
    _tls: Vec<ServerGuard>,
    _perm_listener: UnixListener,
    _blackhole: (TcpListener, Vec<TcpStream>),
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_path_buf();
    // Workers run as nobody when we are root: they must reach the sockets and temp dirs.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
    for sub in ["tmp", "nginx", "apache"] {
        fs::create_dir_all(dir.join(sub)).expect("mkdir");
        fs::set_permissions(dir.join(sub), fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    let mut up = Upstreams::new();
    let perm_sock = dir.join("forbidden.sock");
    let perm_listener = UnixListener::bind(&perm_sock).expect("bind unix");
    fs::set_permissions(&perm_sock, fs::Permissions::from_mode(0o000)).expect("chmod sock");
    let (cert, key) = make_cert(&dir).expect("openssl req");
    let (tls_any, g1) = tls_server(&cert, &key, false).expect("openssl s_server");
    let (tls13, g2) = tls_server(&cert, &key, true).expect("openssl s_server -tls1_3");
    let (blackhole_port, blackhole_listener, fillers) = blackhole();
    let targets = Targets {
        refused: refused_port(),
        slow: up.tcp(Behaviour::Slow(3)),
        slower: up.tcp(Behaviour::Slow(5)),
        early: up.tcp(Behaviour::EarlyClose),
        reset: up.tcp(Behaviour::Reset),
        huge: up.tcp(Behaviour::HugeHeader),
        nonhttp: up.tcp(Behaviour::NonHttp),
        httponly: up.tcp(Behaviour::HttpOnly),
        appfcgi: up.tcp(Behaviour::FastCgiAppError),
        appwarn: up.tcp(Behaviour::FastCgiWarning),
        noscript: up.tcp(Behaviour::FastCgiNoScript),
        pool: (refused_port(), refused_port()),
        dead_dns: dead_udp_port(),
        blackhole: blackhole_port,
        badchunk: up.tcp(Behaviour::BadChunked),
        garbage: up.tcp(Behaviour::Garbage),
        ajp_reset: up.tcp(Behaviour::AjpReset),
        balancer_down: (refused_port(), refused_port()),
        tls_any,
        tls13,
        missing_sock: dir.join("missing/php-fpm.sock"),
        perm_sock,
    };
    Setup {
        _dir: tmp,
        dir,
        targets,
        _upstreams: up,
        _tls: vec![g1, g2],
        _perm_listener: perm_listener,
        _blackhole: (blackhole_listener, fillers),
    }
}

fn run_nginx(s: &Setup) -> BTreeMap<String, String> {
    let prefix = s.dir.join("nginx");
    fs::create_dir_all(prefix.join("tmp")).expect("mkdir");
    fs::set_permissions(prefix.join("tmp"), fs::Permissions::from_mode(0o777)).expect("chmod");
    let port = refused_port();
    fs::write(
        prefix.join("nginx.conf"),
        nginx_conf(&prefix, port, &s.targets, is_root()),
    )
    .expect("conf");
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(prefix.join("nginx.conf"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(prefix.join("stderr.txt")).expect("stderr file"))
        .spawn()
        .expect("start nginx");
    let mut guard = ServerGuard(child);
    assert!(
        wait_for_port(port, &mut guard.0),
        "nginx did not start: {}{}",
        fs::read_to_string(prefix.join("stderr.txt")).unwrap_or_default(),
        fs::read_to_string(prefix.join("error.log")).unwrap_or_default()
    );
    let windows = run_scenarios(port, &prefix.join("error.log"), &NGINX_SKIPS);
    drop(guard);
    windows
}

fn run_apache(s: &Setup) -> BTreeMap<String, String> {
    let root = s.dir.join("apache");
    let port = refused_port();
    fs::write(
        root.join("httpd.conf"),
        apache_conf(&root, port, &s.targets, is_root()),
    )
    .expect("conf");
    let child = Command::new(APACHE)
        .arg("-f")
        .arg(root.join("httpd.conf"))
        .arg("-DFOREGROUND")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(root.join("stderr.txt")).expect("stderr file"))
        .spawn()
        .expect("start apache2");
    let mut guard = ServerGuard(child);
    assert!(
        wait_for_port(port, &mut guard.0),
        "apache2 did not start: {}{}",
        fs::read_to_string(root.join("stderr.txt")).unwrap_or_default(),
        fs::read_to_string(root.join("error.log")).unwrap_or_default()
    );
    // Apache does not report a client that hangs up while the backend is slow, and passes a
    // non-HTTP reply through as HTTP/0.9 without logging anything at LogLevel warn.
    let windows = run_scenarios(
        port,
        &root.join("error.log"),
        &["client-closed", "non-http"],
    );
    drop(guard);
    windows
}

#[test]
fn real_nginx_and_apache_lines_get_their_causes() {
    if !tools_present() {
        return;
    }
    let s = setup();
    let servers = [("nginx", run_nginx(&s)), ("apache", run_apache(&s))];
    let want = expected();
    let update = std::env::var("UPDATE_LOG_FIXTURES").as_deref() == Ok("1");
    let mut problems = Vec::new();
    for (server, windows) in &servers {
        // Checked through the binary, as a user would run it, on the logs just written.
        let dir = if update {
            fixtures_dir().join(server)
        } else {
            s.dir.join("windows").join(server)
        };
        write_windows(&dir, windows);
        for scenario in windows.keys() {
            let key = format!("{server}/{scenario}.log");
            match want.get(&key) {
                Some(causes) => {
                    problems.extend(check_file(&dir.join(format!("{scenario}.log")), causes))
                }
                None => problems.push(format!("{key}: not in fixtures/logs/expected.tsv")),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
