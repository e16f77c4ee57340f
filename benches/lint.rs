//! Lint throughput and scaling: generates configurations of N servers + N upstreams
//! (~10 lines per pair) and times parse + checks in-process; then times the release
//! binary end to end (process start to exit) on the small demo configuration.
//!
//! Run: `cargo bench --bench lint` (prints a table; not a timed test).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use proxylint::lint::{self, Input, LoadOptions};
use proxylint::settings::Settings;

/// A configuration with `n` upstream groups and `n` servers proxying to them.
fn generate(n: usize) -> String {
    let mut out =
        String::from("worker_processes auto;\nevents {\n    worker_connections 1024;\n}\nhttp {\n");
    for i in 0..n {
        writeln!(
            out,
            "    upstream app{i} {{\n        server 10.0.{}.{}:8080 max_fails=3;\n        keepalive 16;\n    }}",
            i / 250,
            i % 250 + 1
        )
        .unwrap();
    }
    for i in 0..n {
        writeln!(
            out,
            "    server {{\n        listen 80;\n        server_name site{i}.example.com;\n        location / {{\n            proxy_pass http://app{i};\n            proxy_read_timeout 30s;\n        }}\n    }}"
        )
        .unwrap();
    }
    out.push_str("}\n");
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Median time of load + check over `runs` runs, with the rules `select` picks.
fn time_lint(path: &Path, runs: usize, select: &[&str]) -> (Duration, usize) {
    let settings = Settings {
        select: select.iter().map(|s| s.to_string()).collect(),
        ..Settings::default()
    };
    let mut samples = Vec::new();
    let mut findings = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let config = lint::load(
            &[Input::File(path.to_path_buf())],
            &LoadOptions::default(),
            &settings,
        )
        .unwrap();
        let diags = lint::check(&config, &settings);
        samples.push(start.elapsed());
        findings = diags.len();
    }
    (median(samples), findings)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    println!("| config | lines | rules | parse + checks (median of 15) | lines/s | findings |");
    println!("|---|---|---|---|---|---|");
    // The nginx -t checks (NGX0xx), then every rule.
    for (label, select) in [
        ("nginx -t checks (NGX0xx)", &["NGX0"][..]),
        ("all rules", &[][..]),
    ] {
        let mut per_line = Vec::new();
        for n in [5_000, 10_000] {
            let text = generate(n);
            let lines = text.lines().count();
            let path = dir.path().join(format!("bench-{n}.conf"));
            std::fs::write(&path, &text).unwrap();
            let (t, findings) = time_lint(&path, 15, select);
            per_line.push(t.as_secs_f64() / lines as f64);
            println!(
                "| {n} servers + {n} upstreams | {lines} | {label} | {:.1} ms | {:.2} M | {findings} |",
                t.as_secs_f64() * 1e3,
                lines as f64 / t.as_secs_f64() / 1e6
            );
        }
        println!(
            "| scaling | | {label} | time per line at 100k / at 50k = {:.2} (1.0 = linear) | | |",
            per_line[1] / per_line[0]
        );
    }

    // End to end: the release binary on the demo, process start to exit.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/proxylint");
    if !bin.is_file() {
        println!("\n(end to end skipped: build the binary first with `cargo build --release`)");
        return;
    }
    let demo = root.join("fixtures/demo/nginx.conf");
    let mut samples = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let status = Command::new(&bin)
            .arg("--format")
            .arg("concise")
            .arg(&demo)
            .output()
            .unwrap();
        samples.push(start.elapsed());
        assert!(status.status.code().is_some());
    }
    println!(
        "\nend to end on fixtures/demo/nginx.conf (process start to exit, median of 200): {:.2} ms",
        median(samples).as_secs_f64() * 1e3
    );
}
