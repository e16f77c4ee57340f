//! Lint throughput and scaling: generates configurations of N servers + N upstreams
//! (14 lines per pair) and times parse + checks in-process and the release binary end
//! to end (process start to exit, with its peak RSS), then the binary against the real
//! `nginx -t` on the same files, then the binary on the small demo configuration.
//!
//! Run: `cargo bench --bench lint` (prints tables; not a timed test).

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use proxylint::lint::{self, Input, LoadOptions};
use proxylint::settings::Settings;

// The allocator of the binary (src/main.rs) with its settings (`memory::at_start`), so
// in-process figures are comparable.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 15;
/// Rounds of the comparison with `nginx -t` (each runs both tools; nginx takes 0.4-2 s).
const ROUNDS_AGAINST_NGINX: usize = 15;
const BIN: &str = env!("CARGO_BIN_EXE_proxylint");

/// A configuration with `n` upstream groups and `n` servers proxying to them over
/// kept-alive connections (HTTP/1.1, `Connection` cleared, as keepalive needs).
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
            "    server {{\n        listen 80;\n        server_name site{i}.example.com;\n        location / {{\n            proxy_pass http://app{i};\n            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n            proxy_read_timeout 30s;\n        }}\n    }}"
        )
        .unwrap();
    }
    out.push_str("}\n");
    out
}

/// `n` servers on 1,000 ports (every tenth with TLS), each proxying to a loopback port:
/// the shape that made the proxy-loop and TLS-address checks quadratic once.
fn generate_ports(n: usize) -> String {
    let mut out = String::from(
        "events {}\nhttp {\n    ssl_certificate cert.pem;\n    ssl_certificate_key cert.key;\n",
    );
    for i in 0..n {
        let ssl = if i % 10 == 0 { " ssl" } else { "" };
        writeln!(
            out,
            "    server {{ listen {}{ssl}; server_name s{i}.example.com; location / {{ proxy_pass http://127.0.0.1:{}; }} }}",
            8000 + i % 1000,
            9000 + i % 1000
        )
        .unwrap();
    }
    out.push_str("}\n");
    out
}

/// Shapes that were quadratic once (a scan of all items per item), each with `n` items:
/// one host on `n` ports, `n` unknown directives, `n` unknown hosts beside `n` upstream
/// groups, `n` listens in one server.
fn hostile_shapes(n: usize) -> Vec<(&'static str, String)> {
    let wrap = |body: String| format!("events {{}}\nhttp {{\n{body}}}\n");
    let lines = |f: &dyn Fn(usize) -> String| (0..n).map(f).collect::<String>();
    vec![
        (
            "passes to one host on distinct ports",
            wrap(format!(
                " server {{\n  listen 80;\n{} }}\n",
                lines(&|i| format!(
                    "  location /p{i}/ {{ proxy_pass http://backend:{}; }}\n",
                    1000 + i % 60000
                ))
            )),
        ),
        (
            "unknown directives",
            wrap(lines(&|i| format!("    proxy_foo{i} on;\n"))),
        ),
        (
            "unknown hosts beside as many upstream groups",
            wrap(format!(
                "{}{}",
                lines(&|i| format!("    upstream grp{i:05} {{ server 10.0.0.1:80; }}\n")),
                lines(&|i| format!(
                    "    server {{ listen 80; location / {{ proxy_pass http://svc{i:05}:8080; }} }}\n"
                ))
            )),
        ),
        (
            "listens in one server",
            wrap(format!(
                "    server {{\n{}    }}\n",
                lines(&|i| format!("        listen {};\n", 1000 + i))
            )),
        ),
    ]
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
    (support::median(samples), findings)
}

/// The release binary on `path` with `args`, as a command for [`support::measure`].
fn binary<'a>(args: &'a [&'a str], path: &'a Path) -> impl Fn(Option<&Path>) -> Command + 'a {
    move |rss| {
        let mut c = support::command(BIN, rss);
        c.args(args).arg(path);
        c
    }
}

/// Exit codes of a finished lint: 0 clean, 1 findings.
fn linted(code: Option<i32>) -> bool {
    code.is_some_and(|c| c < 2)
}

/// The release binary on `path` with `args`: median wall time from process start to
/// exit, and peak RSS (MiB).
fn time_binary(args: &[&str], path: &Path, runs: usize, scratch: &Path) -> (Duration, f64) {
    let m = support::measure(&binary(args, path), runs, &linted, scratch);
    assert!(m.ok, "proxylint failed on {}", path.display());
    (m.time, m.rss)
}

/// The real `nginx -t` on `path` (its paths under `scratch`) as a command, or `None`
/// when nginx is not installed.
fn nginx_t<'a>(
    path: &'a Path,
    scratch: &'a Path,
) -> Option<impl Fn(Option<&Path>) -> Command + 'a> {
    let nginx = ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .find(|p| Path::new(p).is_file())?;
    let globals = format!(
        "pid {0}/nginx.pid; error_log {0}/error.log;",
        scratch.display()
    );
    Some(move |rss: Option<&Path>| {
        let mut c = support::command(nginx, rss);
        c.args(["-t", "-q", "-p"])
            .arg(scratch)
            .arg("-c")
            .arg(path)
            .args(["-g", &globals]);
        c
    })
}

/// Times one configuration in-process and end to end, prints its table row, and
/// returns the in-process time per line.
fn row(dir: &Path, config: &str, text: &str, label: &str, select: &[&str]) -> f64 {
    let lines = text.lines().count();
    let path = dir.join(format!("{}.conf", lines));
    std::fs::write(&path, text).unwrap();
    let (t, findings) = time_lint(&path, RUNS, select);
    let mut args = vec!["--format", "concise"];
    for s in select {
        args.extend(["--select", s]);
    }
    let (e2e, rss) = time_binary(&args, &path, RUNS, dir);
    println!(
        "| {config} | {lines} | {label} | {:.1} ms | {:.2} M | {:.1} ms | {rss:.1} MiB | {findings} |",
        t.as_secs_f64() * 1e3,
        lines as f64 / t.as_secs_f64() / 1e6,
        e2e.as_secs_f64() * 1e3,
    );
    t.as_secs_f64() / lines as f64
}

/// The binary (every rule; the default output, then `--format concise`) against
/// `nginx -t` on the generated configurations: time and peak memory of each, as a user
/// runs them.
fn against_nginx(dir: &Path) {
    println!(
        "\n| configuration | lines | proxylint (default output) | proxylint --format concise | \
         proxylint peak RSS | nginx -t | nginx -t peak RSS | time ratio (default, concise) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let ms = |t: Duration| format!("{:.1} ms", t.as_secs_f64() * 1e3);
    for n in [5_000, 10_000] {
        let text = generate(n);
        let lines = text.lines().count();
        let path = dir.join(format!("against-nginx-{n}.conf"));
        std::fs::write(&path, &text).unwrap();
        let config = format!("{n} servers + {n} upstreams");
        let (full, concise) = (binary(&[], &path), binary(&["--format", "concise"], &path));
        let Some(nginx) = nginx_t(&path, dir) else {
            let (full, rss) = time_binary(&[], &path, RUNS, dir);
            let (concise, _) = time_binary(&["--format", "concise"], &path, RUNS, dir);
            println!(
                "| {config} | {lines} | {} | {} | {rss:.1} MiB | not installed | | |",
                ms(full),
                ms(concise)
            );
            continue;
        };
        // Interleaved: the VM's drift over the seconds nginx takes weighs on all three.
        let accepted = |code: Option<i32>| code == Some(0);
        let m = support::measure_interleaved(
            &[(&full, &linted), (&concise, &linted), (&nginx, &accepted)],
            ROUNDS_AGAINST_NGINX,
            dir,
        );
        assert!(m[0].ok && m[1].ok, "proxylint failed on {}", path.display());
        assert!(m[2].ok, "nginx -t refuses {}", path.display());
        let (full, concise, nt) = (m[0].time, m[1].time, m[2].time);
        let (rss, nrss) = (m[0].rss, m[2].rss);
        let ratio = |t: Duration| nt.as_secs_f64() / t.as_secs_f64();
        println!(
            "| {config} | {lines} | {} | {} | {rss:.1} MiB | {:.0} ms | {nrss:.0} MiB | 1/{:.1}, 1/{:.1} |",
            ms(full),
            ms(concise),
            nt.as_secs_f64() * 1e3,
            ratio(full),
            ratio(concise),
        );
    }
}

fn main() {
    proxylint::memory::at_start();
    let dir = tempfile::tempdir().unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("cores: {cores}; load average before: {}", load().trim());
    println!(
        "| config | lines | rules | in-process parse + checks (median of {RUNS}) | lines/s | \
         binary, start to exit (median of {RUNS}) | binary peak RSS | findings |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    // The nginx -t checks (NGX0xx), then every rule.
    for (label, select) in [
        ("nginx -t checks (NGX0xx)", &["NGX0"][..]),
        ("all rules", &[][..]),
    ] {
        let per_line = [5_000, 10_000].map(|n| {
            let config = format!("{n} servers + {n} upstreams");
            row(dir.path(), &config, &generate(n), label, select)
        });
        println!(
            "| scaling | | {label} | time per line at 100k / at 50k = {:.2} (1.0 = linear) | | | | |",
            per_line[1] / per_line[0]
        );
    }
    // Many listen addresses and loopback passes: per-line time must not grow either.
    let per_line = [20_000, 40_000].map(|n| {
        let config = format!("{n} servers on 1,000 ports, loopback passes");
        row(dir.path(), &config, &generate_ports(n), "all rules", &[])
    });
    println!(
        "| scaling | | all rules | time per line at 40k / at 20k servers = {:.2} (1.0 = linear) | | | | |",
        per_line[1] / per_line[0]
    );

    for (shape, text) in hostile_shapes(20_000) {
        row(
            dir.path(),
            &format!("20,000 {shape}"),
            &text,
            "all rules",
            &[],
        );
    }

    against_nginx(dir.path());

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/nginx.conf");
    let (e2e, _) = time_binary(&["--format", "concise"], &demo, 200, dir.path());
    println!(
        "\nend to end on fixtures/demo/nginx.conf (process start to exit, median of 200): {:.2} ms",
        e2e.as_secs_f64() * 1e3
    );
    println!("load average after: {}", load().trim());
}
