//! `proxylint logs` as a user runs it: exit codes, output formats, inputs (stdin,
//! directories, rotated and gzipped files), bad input, time windows and --follow.

mod logs_common;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use logs_common::{fixtures_dir, proxylint};

const REFUSED: &str = "2024/05/01 12:00:00 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: app, request: \"GET /a HTTP/1.1\", upstream: \"http://127.0.0.1:8080/a\", host: \"app\"\n";

fn line_at(time: &str, conn: u32, msg: &str) -> String {
    format!(
        "2024/05/01 {time} [error] 7#7: *{conn} {msg}, client: 10.0.0.1, server: app, request: \"GET /x HTTP/1.1\", upstream: \"http://127.0.0.1:8080/x\", host: \"app\"\n"
    )
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ndjson_records(out: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson"))
        .collect()
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let p = log.to_str().expect("path");
    assert_eq!(proxylint(&[p]).status.code(), Some(0));
    assert_eq!(
        proxylint(&["--fail-on", "connection-refused", p])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        proxylint(&["--fail-on", "read-timeout,dns-failure", p])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(proxylint(&["--fail-on", "any", p]).status.code(), Some(1));
    let bad = proxylint(&["--fail-on", "no-such-cause", p]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown cause `no-such-cause`"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn config_maps_clusters_to_passes_settings_and_findings() {
    let dir = fixtures_dir();
    let conf = dir.join("config/nginx.conf");
    let logs: Vec<String> = ["huge-header", "slow", "missing-socket"]
        .iter()
        .map(|n| dir.join(format!("nginx/{n}.log")).display().to_string())
        .collect();
    let mut args = vec![
        "--format",
        "json",
        "--config",
        conf.to_str().unwrap_or_default(),
    ];
    args.extend(logs.iter().map(String::as_str));
    let out = proxylint(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let refs = |cause: &str| {
        doc["clusters"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["cause"] == cause))
            .map(|c| c["config_refs"].clone())
            .unwrap_or_default()
    };
    let huge = refs("header-too-big");
    assert_eq!(huge[0]["line"], 12);
    assert_eq!(huge[0]["directive"], "proxy_pass http://127.0.0.1:44989;");
    assert_eq!(
        huge[0]["effective"][0],
        serde_json::json!({"name": "proxy_buffer_size", "value": "1k", "default": false})
    );
    assert!(
        huge[0]["findings"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("NGX104 "),
        "{huge}"
    );
    let slow = refs("read-timeout");
    assert_eq!(slow[0]["line"], 17);
    assert_eq!(
        slow[0]["effective"][1],
        serde_json::json!({"name": "proxy_send_timeout", "value": "60s", "default": true})
    );
    assert!(
        slow[0]["findings"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("NGX102 "),
        "{slow}"
    );
    let socket = refs("socket-not-found");
    assert_eq!(socket[0]["line"], 21);
    // A configuration that cannot be read is a usage error, as for `proxylint CONF`.
    let missing = proxylint(&["--config", "/nonexistent/nginx.conf", &logs[0]]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("/nonexistent/nginx.conf"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn json_report_has_the_documented_fields() {
    let f = fixtures_dir().join("nginx/pool-down.log");
    let out = proxylint(&["--format", "json", f.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let clusters = v["clusters"].as_array().expect("clusters");
    assert!(!clusters.is_empty());
    for key in [
        "cause",
        "title",
        "count",
        "requests",
        "first_seen",
        "last_seen",
        "upstreams",
        "servers",
        "sample",
        "status",
        "advice",
        "config_refs",
    ] {
        assert!(
            clusters[0].get(key).is_some(),
            "cluster lacks {key}: {}",
            clusters[0]
        );
    }
    for key in ["file", "line", "text"] {
        assert!(clusters[0]["sample"].get(key).is_some());
    }
    // Ranked by requests, most first.
    let requests: Vec<u64> = clusters
        .iter()
        .map(|c| c["requests"].as_u64().unwrap_or(0))
        .collect();
    assert!(requests.windows(2).all(|w| w[0] >= w[1]), "{requests:?}");
    assert!(v["totals"]["upstream_lines"].as_u64().unwrap_or(0) > 0);
    let causes: Vec<&str> = clusters
        .iter()
        .filter_map(|c| c["cause"].as_str())
        .collect();
    assert!(
        causes.contains(&"no-live-upstreams") && causes.contains(&"connection-refused"),
        "{causes:?}"
    );
}

#[test]
fn ndjson_is_one_object_per_record_in_input_order() {
    let f = fixtures_dir().join("samples/glued.log");
    let out = proxylint(&["--format", "ndjson", f.to_str().expect("path")]);
    let recs = ndjson_records(&out);
    // Two records glued on line 1, one on line 2.
    let lines: Vec<u64> = recs
        .iter()
        .map(|r| r["line"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(lines, [1, 1, 2]);
    assert_eq!(recs[0]["cause"], "connection-refused");
    assert_eq!(recs[2]["cause"], serde_json::Value::Null);
    assert!(recs[2]["template_id"].is_u64());
    for key in [
        "file",
        "line",
        "time",
        "level",
        "cause",
        "template_id",
        "upstream",
    ] {
        assert!(recs[0].get(key).is_some(), "record lacks {key}");
    }
}

#[test]
fn stdin_is_read_with_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["logs", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(REFUSED.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["clusters"][0]["cause"], "connection-refused");
    assert_eq!(v["clusters"][0]["sample"]["file"], "<stdin>");
}

#[test]
fn rotated_directory_is_read_oldest_first_with_multi_member_gzip() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    // error.log.2.gz: two gzip members concatenated (logrotate + cat), oldest lines.
    let mut two = gz(line_at(
        "10:00:00",
        1,
        "no live upstreams while connecting to upstream",
    )
    .as_bytes());
    two.extend(gz(line_at(
        "10:00:01",
        2,
        "no live upstreams while connecting to upstream",
    )
    .as_bytes()));
    fs::write(d.join("error.log.2.gz"), two).expect("write");
    fs::write(
        d.join("error.log.1"),
        line_at(
            "11:00:00",
            3,
            "upstream prematurely closed connection while reading response header from upstream",
        ),
    )
    .expect("write");
    fs::write(d.join("error.log"), line_at("12:00:00", 4, "upstream timed out (110: Connection timed out) while reading response header from upstream")).expect("write");
    fs::write(
        d.join("access.log"),
        "127.0.0.1 - - [01/May/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 502 0\n",
    )
    .expect("write");
    let out = proxylint(&["--format", "ndjson", d.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let times: Vec<String> = ndjson_records(&out)
        .iter()
        .map(|r| r["time"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        times,
        [
            "2024-05-01T10:00:00",
            "2024-05-01T10:00:01",
            "2024-05-01T11:00:00",
            "2024-05-01T12:00:00"
        ]
    );
}

#[test]
fn glob_inputs_expand() {
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(dir.path().join("a-error.log"), REFUSED).expect("write");
    fs::write(dir.path().join("b-error.log"), REFUSED).expect("write");
    let pattern = format!("{}/*-error.log", dir.path().display());
    let out = proxylint(&["--format", "json", &pattern]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["totals"]["files"], 2);
}

#[test]
fn binary_file_is_skipped_with_a_message_and_the_rest_analysed() {
    let dir = tempfile::tempdir().expect("tmp");
    let bin = dir.path().join("core.bin");
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&bin, garbage).expect("write");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let out = proxylint(&[
        "--format",
        "json",
        bin.to_str().expect("p"),
        log.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("binary data skipped"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["clusters"][0]["cause"], "connection-refused");
}

#[test]
fn invalid_utf8_is_counted_and_still_classified() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let line = REFUSED
        .replace("GET /a", "GET /caf\u{fffd}")
        .replace('\u{fffd}', "\u{1}");
    let mut bytes = line.into_bytes();
    let at = bytes.iter().position(|&b| b == 1).expect("marker");
    bytes[at] = 0xe9; // Latin-1 é: not UTF-8
    fs::write(&log, bytes).expect("write");
    let out = proxylint(&["--format", "json", log.to_str().expect("p")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["totals"]["invalid_utf8_lines"], 1);
    assert_eq!(v["clusters"][0]["cause"], "connection-refused");
}

#[test]
fn truncated_gzip_keeps_the_lines_before_the_cut() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&line_at(
            "10:00:00",
            i,
            "no live upstreams while connecting to upstream",
        ));
    }
    let full = gz(text.as_bytes());
    let cut = dir.path().join("error.log.3.gz");
    fs::write(&cut, &full[..full.len() / 2]).expect("write");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let out = proxylint(&[
        "--format",
        "json",
        cut.to_str().expect("p"),
        log.to_str().expect("p"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an incomplete read is an I/O error"
    );
    let err = stderr(&out);
    assert!(
        err.contains("error.log.3.gz") && err.contains("read error"),
        "{err}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("json report still printed");
    let lines = v["totals"]["upstream_lines"].as_u64().unwrap_or(0);
    assert!(lines > 100 && lines < 2001, "{lines}");
}

#[test]
fn missing_and_unreadable_files_are_reported_and_the_rest_analysed() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let missing = dir.path().join("nope.log");
    let out = proxylint(&[
        "--format",
        "json",
        missing.to_str().expect("p"),
        log.to_str().expect("p"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.log"), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["clusters"][0]["cause"], "connection-refused");
    // A directory given where a file is expected cannot be read as a log either.
    let all_bad = proxylint(&[missing.to_str().expect("p")]);
    assert_eq!(all_bad.status.code(), Some(2));
}

#[test]
fn overlong_line_is_cut_not_fatal() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let mut data = Vec::with_capacity(11 << 20);
    data.extend_from_slice(b"2024/05/01 11:59:59 [error] 7#7: *9 upstream sent too big header while reading response header from upstream, client: 10.0.0.1, server: app, request: \"GET /");
    data.extend(std::iter::repeat_n(b'a', 10 << 20));
    data.extend_from_slice(b" HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"app\"\n");
    data.extend_from_slice(REFUSED.as_bytes());
    fs::write(&log, data).expect("write");
    let out = proxylint(&["--format", "json", log.to_str().expect("p")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cut to its first"),
        "{}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let causes: Vec<&str> = v["clusters"]
        .as_array()
        .expect("clusters")
        .iter()
        .filter_map(|c| c["cause"].as_str())
        .collect();
    assert!(
        causes.contains(&"connection-refused") && causes.contains(&"header-too-big"),
        "{causes:?}"
    );
    assert_eq!(v["totals"]["cut_lines"], 1);
}

#[test]
fn since_and_until_filter_by_log_time() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let mut text = String::new();
    for (i, t) in ["09:00:00", "10:00:00", "11:00:00", "12:00:00"]
        .iter()
        .enumerate()
    {
        text.push_str(&line_at(
            t,
            i as u32,
            "no live upstreams while connecting to upstream",
        ));
    }
    fs::write(&log, text).expect("write");
    let out = proxylint(&[
        "--format",
        "ndjson",
        "--since",
        "2024-05-01T10:00:00",
        "--until",
        "2024-05-01 12:00",
        log.to_str().expect("p"),
    ]);
    let times: Vec<String> = ndjson_records(&out)
        .iter()
        .map(|r| r["time"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(times, ["2024-05-01T10:00:00", "2024-05-01T11:00:00"]);
    let bad = proxylint(&["--since", "yesterday-ish", log.to_str().expect("p")]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn text_report_snapshot() {
    let out = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args([
            "logs",
            "nginx/pool-down.log",
            "samples/host-unreachable.log",
        ])
        .current_dir(fixtures_dir())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&out));
}

/// Reads the child's stdout lines on a thread so every wait is bounded.
fn line_channel(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn append(path: &Path, text: &str) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .expect("open");
    f.write_all(text.as_bytes()).expect("append");
}

#[test]
fn follow_survives_rotation() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(
        &log,
        line_at(
            "10:00:00",
            1,
            "no live upstreams while connecting to upstream",
        ),
    )
    .expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args([
            "logs",
            "--follow",
            "--format",
            "ndjson",
            log.to_str().expect("p"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let rx = line_channel(child.stdout.take().expect("stdout"));
    let wait = Duration::from_secs(10);
    let first = rx.recv_timeout(wait);
    append(
        &log,
        &line_at(
            "10:00:01",
            2,
            "upstream prematurely closed connection while reading response header from upstream",
        ),
    );
    let second = rx.recv_timeout(wait);
    // logrotate: rename, then the server opens a new file.
    fs::rename(&log, dir.path().join("error.log.1")).expect("rename");
    std::thread::sleep(Duration::from_millis(500));
    fs::write(&log, line_at("10:00:02", 3, "upstream timed out (110: Connection timed out) while reading response header from upstream")).expect("write");
    let third = rx.recv_timeout(wait);
    let _ = child.kill();
    let _ = child.wait();
    let cause = |l: Result<String, mpsc::RecvTimeoutError>| -> String {
        let l = l.expect("a line within 10 s");
        let v: serde_json::Value = serde_json::from_str(&l).expect("json");
        v["cause"].as_str().unwrap_or("").to_owned()
    };
    assert_eq!(cause(first), "no-live-upstreams");
    assert_eq!(cause(second), "upstream-closed");
    assert_eq!(cause(third), "read-timeout");
}

/// Follows `log` with --format ndjson; returns the causes of the records read.
struct Follower {
    child: std::process::Child,
    rx: mpsc::Receiver<String>,
}

impl Follower {
    fn start(log: &Path) -> Follower {
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxylint"))
            .args([
                "logs",
                "--follow",
                "--format",
                "ndjson",
                log.to_str().expect("p"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let rx = line_channel(child.stdout.take().expect("stdout"));
        Follower { child, rx }
    }

    /// The causes of the next `n` records, each within 10 s.
    fn causes(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                let l = self
                    .rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("a line within 10 s");
                let v: serde_json::Value = serde_json::from_str(&l).expect("json");
                v["cause"].as_str().unwrap_or("").to_owned()
            })
            .collect()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CLOSED: &str =
    "upstream prematurely closed connection while reading response header from upstream";
const TIMED_OUT: &str =
    "upstream timed out (110: Connection timed out) while reading response header from upstream";

/// Lines written to the old file just before logrotate renamed it (after proxylint's last
/// read) were lost: the new file was opened at once.
#[test]
fn follow_reads_the_rotated_file_to_its_end_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let f = Follower::start(&log);
    assert_eq!(f.causes(1), ["connection-refused"]);
    // Written and renamed within one poll interval, then the new file appears.
    append(&log, &line_at("10:00:01", 2, CLOSED));
    fs::rename(&log, dir.path().join("error.log.1")).expect("rename");
    fs::write(&log, line_at("10:00:02", 3, TIMED_OUT)).expect("write");
    assert_eq!(f.causes(2), ["upstream-closed", "read-timeout"]);
}

/// copytruncate followed by writes that took the file past the old offset before the
/// next poll looked like growth: the new lines before the old offset were skipped.
#[test]
fn follow_notices_a_truncation_regrown_past_the_old_offset() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let f = Follower::start(&log);
    assert_eq!(f.causes(1), ["connection-refused"]);
    std::thread::sleep(Duration::from_millis(400));
    // Truncated in place, then more than the old size written at once.
    let regrown = format!(
        "{}{}",
        line_at("11:00:00", 7, TIMED_OUT),
        line_at("11:00:01", 8, CLOSED)
    );
    assert!(regrown.len() > REFUSED.len());
    fs::write(&log, regrown).expect("truncate and regrow");
    assert_eq!(f.causes(2), ["read-timeout", "upstream-closed"]);
}

#[test]
fn threads_split_a_file_and_agree_with_one_thread() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let msgs = [
        "connect() failed (111: Connection refused) while connecting to upstream",
        "upstream timed out (110: Connection timed out) while reading response header from upstream",
        "no live upstreams while connecting to upstream",
    ];
    let mut text = String::new();
    for i in 0..6000u32 {
        let t = format!("10:{:02}:{:02}", (i / 60) % 60, i % 60);
        text.push_str(&line_at(&t, i, msgs[(i % 3) as usize]));
        if i % 7 == 0 {
            text.push_str(&format!(
                "2024/05/01 {t} [notice] 1#1: signal {i} (SIGHUP) received\n"
            ));
        }
    }
    fs::write(&log, text).expect("write");
    let p = log.to_str().expect("p");
    let one = proxylint(&["--format", "json", "--threads", "1", p]);
    let two = proxylint(&[
        "--format",
        "json",
        "--threads",
        "2",
        "--chunk-bytes",
        "65536",
        p,
    ]);
    let v1: serde_json::Value = serde_json::from_slice(&one.stdout).expect("json");
    let v2: serde_json::Value = serde_json::from_slice(&two.stdout).expect("json");
    let summary = |v: &serde_json::Value| -> Vec<(String, u64, u64)> {
        let mut s: Vec<(String, u64, u64)> = v["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .map(|c| {
                (
                    c["cause"].as_str().unwrap_or("").to_owned(),
                    c["count"].as_u64().unwrap_or(0),
                    c["requests"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        s.sort();
        s
    };
    assert_eq!(summary(&v1), summary(&v2));
    assert_eq!(v1["totals"]["lines"], v2["totals"]["lines"]);
    assert_eq!(v2["totals"]["files"], 1);
    // Sample line numbers are those of the whole file, whichever range found them.
    let content = fs::read_to_string(&log).expect("read");
    let all: Vec<&str> = content.lines().collect();
    for t in v2["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .chain(v2["clusters"].as_array().expect("clusters"))
    {
        let line = t["sample"]["line"].as_u64().expect("line") as usize;
        assert_eq!(all[line - 1], t["sample"]["text"].as_str().expect("text"));
    }
}

/// `logs --config` used to find its proxylint.toml on its own and took no option of how
/// to read the configuration: it now takes the lint command's (`--config-file`,
/// `--isolated`, `--nginx-version`, `--plus`, `--modules`).
/// Issue 8: `--config httpd.conf` maps Apache clusters to their ProxyPass /
/// BalancerMember / socket lines, with the worker's effective timeout and retry and the
/// APA findings there.
#[test]
fn apache_config_maps_clusters_to_proxypass_lines() {
    let dir = fixtures_dir();
    let conf = dir.join("config/apache-site.conf");
    let logs: Vec<String> = ["slow", "missing-socket", "balancer-down"]
        .iter()
        .map(|n| dir.join(format!("apache/{n}.log")).display().to_string())
        .collect();
    let mut args = vec![
        "--format",
        "json",
        "--config",
        conf.to_str().unwrap_or_default(),
    ];
    args.extend(logs.iter().map(String::as_str));
    let out = proxylint(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let refs = |cause: &str, upstream: &str| {
        doc["clusters"]
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["cause"] == cause && c["upstream"] == upstream)
            })
            .map(|c| c["config_refs"].clone())
            .unwrap_or_default()
    };
    let slow = refs("read-timeout", "127.0.0.1:35777");
    assert_eq!(slow[0]["line"], 6, "{slow}");
    assert_eq!(
        slow[0]["effective"][0],
        serde_json::json!({"name": "timeout", "value": "5", "default": false})
    );
    assert!(
        slow[0]["findings"][0]
            .as_str()
            .unwrap_or_default()
            .starts_with("APA101 "),
        "{slow}"
    );
    let socket = refs("socket-not-found", "/tmp/.tmpwH4M9d/missing/php-fpm.sock");
    assert_eq!(socket[0]["line"], 8, "{socket}");
    let refused = refs("connection-refused", "127.0.0.1:43899");
    assert_eq!(refused[0]["line"], 11, "{refused}");
    assert_eq!(
        refused[0]["effective"][0],
        serde_json::json!({"name": "retry", "value": "0", "default": false})
    );
    // The balancer's "All workers are in error state" points at the ProxyPass to it.
    let down = refs("no-live-upstreams", "down");
    assert_eq!(down[0]["line"], 13, "{down}");
}

#[test]
fn config_is_read_with_the_lint_options() {
    let dir = tempfile::tempdir().expect("tmp");
    let conf = dir.path().join("nginx.conf");
    fs::write(&conf, "events {}\nhttp {\n    server {\n        listen 80;\n        location / { proxy_pass http://127.0.0.1:8080; }\n    }\n}\n").expect("write");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let bad_toml = dir.path().join("bad.toml");
    fs::write(&bad_toml, "fail-level = \"sometimes\"\n").expect("write");
    let (conf, log, bad_toml) = (
        conf.to_str().expect("path"),
        log.to_str().expect("path"),
        bad_toml.to_str().expect("path"),
    );
    let out = proxylint(&["--config", conf, "--config-file", bad_toml, log]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.toml"), "{}", stderr(&out));
    let out = proxylint(&[
        "--config",
        conf,
        "--isolated",
        "--nginx-version",
        "1.22.1",
        log,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = proxylint(&["--config", conf, "--nginx-version", "one", log]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn quiet_and_output_file_shape_the_text_report() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let clean = dir.path().join("clean.log");
    fs::write(
        &clean,
        "2024/05/01 12:00:00 [notice] 7#7: signal process started\n",
    )
    .expect("write");
    let p = log.to_str().expect("path");
    let quiet = proxylint(&["--quiet", p]);
    let text = stdout(&quiet);
    assert!(text.contains("connection-refused"), "{text}");
    assert!(!text.contains("line(s) read from"), "{text}");
    let none = proxylint(&["-q", clean.to_str().expect("path")]);
    assert_eq!(stdout(&none), "");
    let report = dir.path().join("report.txt");
    let out = proxylint(&[
        "--output-file",
        report.to_str().expect("path"),
        "--color",
        "always",
        p,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    let written = fs::read_to_string(&report).expect("report");
    assert!(written.contains("\x1b[31mconnection-refused"), "{written}");
}

fn json_report(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = proxylint(&all);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    serde_json::from_str(&stdout(&out)).expect("json")
}

/// PHP warnings (the page was served) and "Primary script unknown" (a 404) were counted as
/// app-error upstream failures in the headline.
#[test]
fn backend_warnings_and_missing_scripts_stay_out_of_the_headline() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let warn = "2024/05/01 12:00:0{s} [error] 7#7: *{c} FastCGI sent in stderr: \"PHP message: PHP Warning:  Undefined variable $x in /var/www/index.php on line 3\" while reading response header from upstream, client: 10.0.0.1, server: app, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"app\"\n";
    let mut text = String::new();
    for i in 1..=3 {
        text.push_str(
            &warn
                .replace("{s}", &i.to_string())
                .replace("{c}", &i.to_string()),
        );
    }
    text.push_str("2024/05/01 12:00:05 [error] 7#7: *9 FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream, client: 10.0.0.1, server: app, request: \"GET /x.php HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"app\"\n");
    text.push_str(REFUSED);
    fs::write(&log, text).expect("write");
    let doc = json_report(&[log.to_str().expect("path")]);
    assert_eq!(doc["totals"]["upstream_lines"], 1, "{doc}");
    assert_eq!(doc["totals"]["requests"], 1, "{doc}");
    let clusters = doc["clusters"].as_array().expect("clusters");
    assert_eq!(clusters[0]["cause"], "connection-refused");
    let find = |cause: &str| clusters.iter().find(|c| c["cause"] == cause).expect(cause);
    assert_eq!(find("app-warning")["count"], 3);
    assert_eq!(find("app-warning")["status"], 200);
    assert_eq!(find("script-not-found")["status"], 404);
    let text = stdout(&proxylint(&[log.to_str().expect("path")]));
    assert!(
        text.starts_with("1 upstream failure line(s) in 1 request(s)"),
        "{text}"
    );
}

/// A rollout across many pod addresses of one service made one cluster per address.
#[test]
fn churning_pod_addresses_of_one_service_form_one_cluster() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let mut text = String::new();
    for i in 1..=6 {
        text.push_str(&format!("2024/05/01 12:00:0{i} [error] 7#7: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.42.0.{i}:8080/\", host: \"shop\"\n"));
    }
    text.push_str(REFUSED);
    fs::write(&log, text).expect("write");
    let doc = json_report(&[log.to_str().expect("path")]);
    let clusters = doc["clusters"].as_array().expect("clusters");
    assert_eq!(clusters.len(), 2, "{doc}");
    let pods = &clusters[0];
    assert_eq!(pods["upstream"], "*:8080");
    assert_eq!(pods["addresses"], 6);
    assert_eq!(pods["requests"], 6);
    assert_eq!(pods["upstreams"].as_array().map(Vec::len), Some(5));
    assert_eq!(clusters[1]["upstream"], "127.0.0.1:8080");
}

/// A request nginx retried on the next peer counted in both clusters; a dead pool did not
/// say which member failures made it.
#[test]
fn retried_requests_count_once_and_dead_pools_name_their_members() {
    let log = fixtures_dir().join("nginx/pool-down.log");
    let doc = json_report(&[log.to_str().expect("path")]);
    let clusters = doc["clusters"].as_array().expect("clusters");
    let requests: u64 = clusters.iter().filter_map(|c| c["requests"].as_u64()).sum();
    assert_eq!(
        requests,
        doc["totals"]["requests"].as_u64().unwrap_or(0),
        "{doc}"
    );
    assert_eq!(
        clusters
            .iter()
            .filter_map(|c| c["retried"].as_u64())
            .sum::<u64>(),
        1,
        "{doc}"
    );
    let pool = clusters
        .iter()
        .find(|c| c["cause"] == "no-live-upstreams")
        .expect("no-live cluster");
    let members = pool["caused_by"].as_array().expect("caused_by");
    assert_eq!(members.len(), 2, "{pool}");
    assert!(members.iter().all(|m| m["cause"] == "connection-refused"));
}

/// CRLF logs kept the `\r` in samples; control characters of a line reached the terminal.
#[test]
fn samples_drop_cr_and_escape_control_characters() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    let line = REFUSED
        .trim_end()
        .replace("host: \"app\"", "host: \"app\x1b[31m\"");
    fs::write(&log, format!("{line}\r\n")).expect("write");
    let doc = json_report(&[log.to_str().expect("path")]);
    let sample = doc["clusters"][0]["sample"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(!sample.ends_with('\r'), "{sample:?}");
    let text = stdout(&proxylint(&[log.to_str().expect("path")]));
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(text.contains("app\\x1b[31m"), "{text}");
    // JSON and NDJSON escape what serde leaves raw (DEL, C1) as well.
    let c1 = dir.path().join("c1.log");
    fs::write(
        &c1,
        REFUSED.replace("host: \"app\"", "host: \"app\u{9b}31m\u{7f}\""),
    )
    .expect("write");
    for format in ["json", "ndjson"] {
        let out = stdout(&proxylint(&[
            "--format",
            format,
            c1.to_str().expect("path"),
        ]));
        assert!(
            !out.contains('\u{9b}') && !out.contains('\u{7f}'),
            "{format}: {out:?}"
        );
        assert!(out.contains("\\u009b"), "{format}: {out}");
    }
}

/// Log files whose names are not UTF-8, in a directory or matched by a glob, were dropped
/// silently.
#[test]
fn non_utf8_file_names_in_directories_and_globs_are_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tmp");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9-error.log");
    fs::write(dir.path().join(name), REFUSED).expect("write");
    let by_dir = json_report(&[dir.path().to_str().expect("path")]);
    assert_eq!(by_dir["totals"]["files"], 1, "{by_dir}");
    assert_eq!(by_dir["totals"]["upstream_lines"], 1);
    let pattern = dir.path().join("*error*");
    let out = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["logs", "--format", "json"])
        .arg(&pattern)
        .output()
        .expect("run");
    let by_glob: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(by_glob["totals"]["upstream_lines"], 1, "{}", stderr(&out));
    // The name is shown escaped.
    let text = stdout(&proxylint(&[dir.path().to_str().expect("path")]));
    assert!(text.contains("caf\\xe9-error.log"), "{text}");
}

/// An empty time window said nothing about the lines it filtered out; a signed
/// duration meant the future.
#[test]
fn empty_time_window_says_lines_were_filtered_and_signs_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("error.log");
    fs::write(&log, REFUSED).expect("write");
    let p = log.to_str().expect("path");
    let out = proxylint(&["--since", "2030-01-01", p]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("1 record(s) outside it were filtered out"),
        "{}",
        stderr(&out)
    );
    let signed = proxylint(&["--since=-1h", p]);
    assert_eq!(signed.status.code(), Some(2));
    assert!(stderr(&signed).contains("--since"), "{}", stderr(&signed));
}
