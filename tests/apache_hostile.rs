//! Hostile httpd configurations through the whole pipeline (`proxylint --dialect
//! apache`): each gives a clear finding in bounded time, never a panic, a hang or a
//! crash. Each case is named after what broke.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs proxylint on `text` as an httpd file; exit code, stdout, and how long it took.
fn lint(text: &[u8]) -> (i32, String, Duration) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hostile.conf");
    std::fs::write(&path, text).expect("write");
    run(&path)
}

fn run(path: &Path) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["--isolated", "--dialect", "apache", "--format", "concise"])
        .arg(path)
        .env("PROXYLINT_NGINX", "none")
        .output()
        .expect("run proxylint");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        started.elapsed(),
    )
}

/// Generous for a debug build on a shared machine; the failures were minutes or a crash.
const BOUND: Duration = Duration::from_secs(30);

#[test]
fn deeply_nested_sections_stop_at_a_limit_instead_of_overflowing_the_stack() {
    // 100,000 nested <Location> sections aborted the process (stack overflow).
    let mut text = "<Location />\n".repeat(100_000);
    text.push_str(&"</Location>\n".repeat(100_000));
    let (code, out, took) = lint(text.as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("sections nested more than 200 deep"),
        "{}",
        &out[..out.len().min(2000)]
    );
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn many_continued_lines_are_read_in_linear_time() {
    // 200,000 lines ending in `\` summed every piece of the logical line again per
    // line: more than a minute.
    let mut text = "ProxyPass \\\n".repeat(200_000);
    text.push_str("/ http://127.0.0.1:8080/\n");
    let (code, out, took) = lint(text.as_bytes());
    assert_eq!(code, 1, "{out}");
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn a_huge_directive_name_is_a_line_too_long() {
    let mut text = "A".repeat(20 << 20).into_bytes();
    text.extend_from_slice(b" on\n");
    let (code, out, took) = lint(&text);
    assert_eq!(code, 1);
    assert!(out.contains("Line too long"), "{out}");
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn a_huge_argument_is_reported_without_being_printed_whole() {
    let text = format!("ProxyPass / http://{}/\n", "a".repeat(10 << 20));
    let (code, out, took) = lint(text.as_bytes());
    assert_eq!(code, 1);
    assert!(out.len() < 64 * 1024, "{} bytes of output", out.len());
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn binary_garbage_is_one_finding_without_control_bytes() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbage: Vec<u8> = (0..(1 << 20))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let (code, out, took) = lint(&garbage);
    assert_eq!(code, 1);
    assert!(out.contains("binary file"), "{out}");
    assert!(
        !out.bytes().any(|b| b < 0x20 && b != b'\n' && b != b'\t'),
        "control bytes in {out:?}"
    );
    assert!(took < BOUND, "{took:?}");
}

#[test]
fn an_include_cycle_is_reported_not_followed_forever() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cycle.conf");
    std::fs::write(
        &path,
        "<VirtualHost *:80>\nInclude cycle.conf\n</VirtualHost>\n",
    )
    .expect("write");
    let (code, out, took) = run(&path);
    assert_eq!(code, 1);
    assert!(out.contains("[APA007]"), "{out}");
    assert!(took < BOUND, "{took:?}");
}

/// A million unknown directives made a million problems, each with a did-you-mean,
/// before the per-file cap dropped all but 1,000: 5.7 s and 1 GB. Past the cap they are
/// only counted, and the count stays exact.
#[test]
fn unknown_directives_past_the_cap_are_counted_not_built() {
    let mut text = String::from("ServerRoot /tmp\nListen 80\n");
    for i in 0..50_000 {
        text.push_str(&format!("Foo{i} on\n"));
    }
    let (code, out, took) = lint(text.as_bytes());
    assert_eq!(code, 1);
    let findings: Vec<&str> = out.lines().filter(|l| l.contains("[APA002]")).collect();
    assert_eq!(findings.len(), 1001, "{}", &out[..out.len().min(2000)]);
    assert!(
        findings[1000].ends_with("(and 49000 more APA002 findings in this file, not shown)"),
        "{}",
        findings[1000]
    );
    assert!(took < BOUND, "{took:?}");
}

/// `HttpProtocolOptions` remembered every word of its line and compared each new one with
/// all of them (quadratic: 200,000 words would take minutes); it now keeps one flag per
/// keyword.
#[test]
fn a_long_http_protocol_options_line_is_read_in_linear_time() {
    let mut text = String::from("ServerRoot /tmp\nListen 80\nHttpProtocolOptions");
    text.push_str(&" Strict".repeat(200_000));
    text.push_str(" Unsafe\n");
    let (code, out, took) = lint(text.as_bytes());
    assert_eq!(code, 1, "{}", &out[..out.len().min(2000)]);
    assert!(
        out.contains("HttpProtocolOptions 'Strict' and 'Unsafe' are mutually exclusive"),
        "{}",
        &out[..out.len().min(2000)]
    );
    assert!(took < BOUND, "{took:?}");
}
