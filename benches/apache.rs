//! httpd configuration scaling: generated configurations of N reverse-proxy virtual
//! hosts (~8 lines each), plain and with one `<Proxy balancer://>` per virtual host,
//! timed as users run them: the release binary `proxylint -q FILE` (httpd's two passes,
//! then every rule, start to exit) and the real `apache2 -t` on the same file, medians
//! of several runs, with the peak memory (RSS) of each (`/usr/bin/time -f %M`).
//!
//! Run: `cargo bench --bench apache` (prints a table; not a timed test).

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

const RUNS: usize = 15;
const APACHE2: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// A main configuration with `n` virtual hosts proxying to a backend each; with
/// `balancer`, each proxies to a balancer of two members of its own.
fn generate(dir: &Path, n: usize, balancer: bool) -> String {
    let d = dir.display();
    let mut out = format!(
        "ServerRoot {d}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\nMutex file:{d} default\n\
         DefaultRuntimeDir {d}\nServerName localhost\nListen 127.0.0.2:8080\n"
    );
    for m in [
        "mpm_event",
        "authz_core",
        "alias",
        "headers",
        "proxy",
        "proxy_http",
        "proxy_balancer",
        "slotmem_shm",
        "lbmethod_byrequests",
    ] {
        writeln!(out, "LoadModule {m}_module {MODULES}/mod_{m}.so").unwrap();
    }
    for i in 0..n {
        let (a, b) = (i / 250, i % 250 + 1);
        writeln!(
            out,
            "<VirtualHost *:80>\n    ServerName site{i}.example.com\n    ServerAlias www.site{i}.example.com\n    ProxyPreserveHost On"
        )
        .unwrap();
        if balancer {
            writeln!(
                out,
                "    <Proxy balancer://app{i}>\n        BalancerMember http://10.1.{a}.{b}:8080 retry=5\n        BalancerMember http://10.2.{a}.{b}:8080 retry=5\n    </Proxy>\n    ProxyPass / balancer://app{i}/\n    ProxyPassReverse / balancer://app{i}/"
            )
            .unwrap();
        } else {
            writeln!(
                out,
                "    ProxyPass / http://10.0.{a}.{b}:8080/ retry=0 timeout=30\n    ProxyPassReverse / http://10.0.{a}.{b}:8080/\n    RequestHeader set X-Site site{i}"
            )
            .unwrap();
        }
        out.push_str("</VirtualHost>\n");
    }
    out
}

/// The release binary on `path`: median time, peak RSS (MiB), and whether every run
/// exited 0 (no finding at warning or above).
fn proxylint(path: &Path, dir: &Path) -> (Duration, f64, bool) {
    let make = |rss: Option<&Path>| {
        let mut c = support::command(env!("CARGO_BIN_EXE_proxylint"), rss);
        c.args(["--isolated", "-q", "--dialect", "apache"])
            .arg(path)
            .env("PROXYLINT_NGINX", "none");
        c
    };
    let m = support::measure(&make, RUNS, &|code| code == Some(0), dir);
    (m.time, m.rss, m.ok)
}

/// Median time, peak RSS (MiB) of `apache2 -t` on `path`, and whether it accepted it.
fn apache2(path: &Path, dir: &Path, runs: usize) -> Option<(Duration, f64, bool)> {
    if !Path::new(APACHE2).is_file() {
        return None;
    }
    let make = |rss: Option<&Path>| {
        let mut c = support::command(APACHE2, rss);
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .arg("-t")
            .arg("-f")
            .arg(path)
            .arg("-d")
            .arg(dir);
        c
    };
    let m = support::measure(&make, runs, &|code| code == Some(0), dir);
    Some((m.time, m.rss, m.ok))
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let load = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "cores: {}; load average before: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load().trim()
    );
    println!(
        "| configuration | lines | proxylint, start to exit (median of {RUNS}) | proxylint peak RSS | apache2 -t | apache2 peak RSS | ratio |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut per_line = Vec::new();
    for (label, n, balancer, apache_runs) in [
        ("plain", 5_000, false, 5),
        ("plain", 10_000, false, 3),
        // apache2 -t allocates shared memory per balancer (15 GB at 5,000 on the
        // issue's machine): it is run on a tenth of it only.
        ("balancer", 500, true, 3),
        ("balancer", 5_000, true, 0),
        ("balancer", 10_000, true, 0),
    ] {
        let text = generate(dir.path(), n, balancer);
        let lines = text.lines().count();
        let path: PathBuf = dir.path().join(format!("{label}-{n}.conf"));
        std::fs::write(&path, &text).unwrap();
        let (t, rss, clean) = proxylint(&path, dir.path());
        assert!(clean, "the generated configuration has no finding");
        let httpd = (apache_runs > 0)
            .then(|| apache2(&path, dir.path(), apache_runs))
            .flatten();
        let (ht, hrss, ratio) = match httpd {
            Some((ht, hrss, ok)) => {
                assert!(ok, "apache2 -t refuses the generated configuration");
                (
                    format!("{:.0} ms", ht.as_secs_f64() * 1e3),
                    format!("{hrss:.0} MiB"),
                    format!("1/{:.0}", ht.as_secs_f64() / t.as_secs_f64()),
                )
            }
            None => ("-".to_string(), "-".to_string(), "-".to_string()),
        };
        println!(
            "| {n} virtual hosts, {label} | {lines} | {:.1} ms | {rss:.0} MiB | {ht} | {hrss} | {ratio} |",
            t.as_secs_f64() * 1e3,
        );
        per_line.push((label, n, t.as_secs_f64() / lines as f64));
    }
    for label in ["plain", "balancer"] {
        let at = |n: usize| {
            per_line
                .iter()
                .find(|(l, m, _)| *l == label && *m == n)
                .map(|(_, _, t)| *t)
        };
        if let (Some(a), Some(b)) = (at(5_000), at(10_000)) {
            println!(
                "scaling, {label}: time per line at 10,000 / at 5,000 = {:.2} (1.0 = linear)",
                b / a
            );
        }
    }
    println!("load average after: {}", load().trim());
}
