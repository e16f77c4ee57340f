//! Which nginx a run checks against (issue 7 item 4): `--nginx-version`, else
//! proxylint.toml's `nginx-version`, else what the installed nginx's `nginx -v` says,
//! else the current stable; the summary line says which. A version outside the tables
//! is a usage error. Detection is tested with fake `nginx` scripts on PATH (and named by
//! `PROXYLINT_NGINX`), so the results do not depend on what is installed, and with the
//! real nginx when there is one.

#[path = "common/nginx.rs"]
#[allow(dead_code)] // only finding nginx and its version are needed here
mod nginx_t;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use proxylint::nginx::grammar::{DEFAULT_VERSION, OLDEST_VERSION, Version, newest_version};
use serde_json::Value;

/// `listen ... http2`: deprecated from nginx 1.25.1 on (NGX013), the only way before.
const HTTP2_LISTEN: &str = "events {}\nhttp {\n    server {\n        listen 8443 ssl http2;\n        ssl_certificate /etc/ssl/site.pem;\n        ssl_certificate_key /etc/ssl/site.key;\n    }\n}\n";

/// `ssl on`: a warning up to 1.24, refused (an unknown directive) from 1.25.1 on.
const SSL_ON: &str = "events {}\nhttp {\n    server {\n        listen 8443;\n        ssl on;\n        ssl_certificate /etc/ssl/site.pem;\n        ssl_certificate_key /etc/ssl/site.key;\n    }\n}\n";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// A directory with `nginx.conf` holding `config`, and a `bin/` for fake binaries.
fn workspace(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("nginx.conf"), config).expect("write config");
    std::fs::create_dir(dir.path().join("bin")).expect("bin dir");
    dir
}

/// A fake `nginx` in `dir/bin` that prints `output` on stderr for `-v`.
fn fake_nginx(dir: &Path, output: &str) -> PathBuf {
    let path = dir.join("bin/nginx");
    std::fs::write(&path, format!("#!/bin/sh\nprintf '%s\\n' '{output}' >&2\n"))
        .expect("write fake nginx");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

/// Runs proxylint in `dir` with `PATH` = `dir/bin` first and these environment changes.
fn run(dir: &Path, args: &[&str], env: &[(&str, Option<&str>)]) -> Run {
    let path = std::env::join_paths(
        std::iter::once(dir.join("bin")).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    let mut command = Command::new(env!("CARGO_BIN_EXE_proxylint"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("PROXYLINT_NGINX")
        .env("PATH", path);
    for (name, value) in env {
        match value {
            Some(v) => command.env(name, v),
            None => command.env_remove(name),
        };
    }
    let out = command.output().expect("run proxylint");
    let run = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn summary_json(run: &Run) -> Value {
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON output");
    doc["summary"].clone()
}

#[test]
fn versions_outside_the_tables_are_usage_errors() {
    let dir = workspace(HTTP2_LISTEN);
    for version in ["1.17.0", "2.0", "1.32.0"] {
        let out = run(
            dir.path(),
            &["--isolated", "--nginx-version", version, "nginx.conf"],
            &[],
        );
        assert_eq!(out.code, Some(2), "{version}: {}", out.stderr);
        assert!(
            out.stderr.contains("cover nginx 1.18.0 to 1.31.x"),
            "{version}: {}",
            out.stderr
        );
    }
    std::fs::write(
        dir.path().join("proxylint.toml"),
        "nginx-version = \"1.16.1\"\n",
    )
    .expect("write toml");
    let out = run(dir.path(), &["nginx.conf"], &[]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("nginx 1.16.1 is outside"),
        "{}",
        out.stderr
    );
    // Inside the tables, any patch release is checked as itself.
    let out = run(
        dir.path(),
        &["--isolated", "--nginx-version", "1.23.4", "nginx.conf"],
        &[],
    );
    assert!(
        out.stdout
            .contains("checked against nginx 1.23.4 (--nginx-version)"),
        "{}",
        out.stdout
    );
}

#[test]
fn the_tables_cover_their_oldest_release_to_their_newest_series() {
    let newest = newest_version();
    assert!(newest >= DEFAULT_VERSION);
    assert_eq!(
        proxylint::nginx::grammar::supported(OLDEST_VERSION),
        Ok(OLDEST_VERSION)
    );
    let end_of_series = Version(newest.0, newest.1, 99);
    assert!(proxylint::nginx::grammar::supported(end_of_series).is_ok());
    let next_series = Version(newest.0, newest.1 + 1, 0);
    assert!(proxylint::nginx::grammar::supported(next_series).is_err());
    assert_eq!(
        proxylint::nginx::grammar::nearest_supported(next_series),
        newest
    );
    assert_eq!(
        proxylint::nginx::grammar::nearest_supported(Version(1, 16, 1)),
        OLDEST_VERSION
    );
}

/// Debian 12's nginx 1.22.1 on PATH: `listen ... http2` is right there (the `http2`
/// directive that NGX013 suggests came with 1.25.1) and `ssl on` a warning; the summary
/// says which nginx was asked.
#[test]
fn the_nginx_on_path_decides_the_version() {
    let dir = workspace(HTTP2_LISTEN);
    let fake = fake_nginx(dir.path(), "nginx version: nginx/1.22.1");
    let out = run(dir.path(), &["--isolated", "nginx.conf"], &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "No problems found in 1 file(s); checked against nginx 1.22.1 (`{} -v`).\n",
            fake.display()
        )
    );
    // A configured version wins over the installed one.
    let out = run(
        dir.path(),
        &[
            "--isolated",
            "--nginx-version",
            "1.26.3",
            "--format",
            "concise",
            "nginx.conf",
        ],
        &[],
    );
    assert_eq!(out.code, Some(1));
    assert!(out.stdout.contains("warning[NGX013]"), "{}", out.stdout);
    std::fs::write(
        dir.path().join("proxylint.toml"),
        "nginx-version = \"1.26.3\"\n",
    )
    .expect("write toml");
    let out = run(dir.path(), &["--format", "json", "nginx.conf"], &[]);
    let summary = summary_json(&out);
    assert_eq!(summary["nginx_version"], "1.26.3");
    assert_eq!(summary["nginx_version_from"], "config");
    assert_eq!(summary["nginx_binary"], Value::Null);
    std::fs::remove_file(dir.path().join("proxylint.toml")).expect("remove toml");

    let out = run(
        dir.path(),
        &["--isolated", "--format", "json", "nginx.conf"],
        &[],
    );
    let summary = summary_json(&out);
    assert_eq!(summary["nginx_version"], "1.22.1");
    assert_eq!(summary["nginx_version_from"], "nginx -v");
    assert_eq!(summary["nginx_binary"], fake.display().to_string());

    std::fs::write(dir.path().join("nginx.conf"), SSL_ON).expect("write");
    let out = run(
        dir.path(),
        &["--isolated", "--format", "concise", "nginx.conf"],
        &[],
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains("warning[NGX013] the \"ssl\" directive is deprecated, use the \"listen ... ssl\" directive instead"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("error["), "{}", out.stdout);
}

#[test]
fn versions_outside_the_tables_are_checked_as_the_nearest_and_said() {
    let dir = workspace(HTTP2_LISTEN);
    fake_nginx(dir.path(), "nginx version: nginx/1.99.0");
    let out = run(dir.path(), &["--isolated", "nginx.conf"], &[]);
    let newest = newest_version();
    assert!(
        out.stdout.contains(&format!(
            "checked against nginx {newest} (`{} -v` says 1.99.0, outside proxylint's tables: the nearest they know)",
            dir.path().join("bin/nginx").display()
        )),
        "{}",
        out.stdout
    );
    fake_nginx(dir.path(), "nginx version: nginx/1.14.2");
    let out = run(
        dir.path(),
        &["--isolated", "--format", "json", "nginx.conf"],
        &[],
    );
    assert_eq!(
        summary_json(&out)["nginx_version"],
        OLDEST_VERSION.to_string()
    );
    // OpenResty's version is its nginx's plus a fourth number.
    fake_nginx(dir.path(), "nginx version: openresty/1.25.3.2");
    let out = run(
        dir.path(),
        &["--isolated", "--format", "json", "nginx.conf"],
        &[],
    );
    assert_eq!(summary_json(&out)["nginx_version"], "1.25.3");
}

#[test]
fn proxylint_nginx_names_the_binary_or_turns_detection_off() {
    let dir = workspace(HTTP2_LISTEN);
    let other = dir.path().join("other-nginx");
    std::fs::write(
        &other,
        "#!/bin/sh\necho 'nginx version: nginx/1.24.0' >&2\n",
    )
    .expect("write");
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    fake_nginx(dir.path(), "nginx version: nginx/1.22.1");
    let other_text = other.display().to_string();
    let out = run(
        dir.path(),
        &["--isolated", "--format", "json", "nginx.conf"],
        &[("PROXYLINT_NGINX", Some(&other_text))],
    );
    assert_eq!(summary_json(&out)["nginx_version"], "1.24.0");
    let out = run(
        dir.path(),
        &["--isolated", "nginx.conf"],
        &[("PROXYLINT_NGINX", Some("none"))],
    );
    assert!(
        out.stdout.ends_with(&format!(
            "checked against nginx {DEFAULT_VERSION} (the current stable release: PROXYLINT_NGINX=none; set --nginx-version to yours).\n"
        )),
        "{}",
        out.stdout
    );
    // A binary that answers nonsense: the default, and why.
    fake_nginx(dir.path(), "segmentation fault");
    let out = run(dir.path(), &["--isolated", "nginx.conf"], &[]);
    assert!(
        out.stdout.contains("-v` printed no nginx version"),
        "{}",
        out.stdout
    );
}

/// The installed nginx; without one the test is skipped, saying so (with `CI=true`,
/// where nginx is installed, it fails).
fn installed_nginx() -> Option<PathBuf> {
    let nginx = nginx_t::find_nginx();
    if nginx.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but nginx is not installed"
        );
        eprintln!("skipping: nginx is not installed");
    }
    nginx
}

/// The installed nginx, when there is one: the version it reports is the one used.
#[test]
fn the_real_nginx_is_asked_when_installed() {
    let Some(nginx) = installed_nginx() else {
        return;
    };
    let version = nginx_t::nginx_version(&nginx);
    let dir = workspace(HTTP2_LISTEN);
    let summary = summary_with(dir.path(), &nginx);
    assert_eq!(
        summary["nginx_version"],
        proxylint::nginx::grammar::nearest_supported(version).to_string()
    );
    assert_eq!(summary["nginx_binary"], nginx.display().to_string());
}

/// The JSON summary of a run in `dir` on its nginx.conf, with `PROXYLINT_NGINX=nginx`.
fn summary_with(dir: &Path, nginx: &Path) -> Value {
    let nginx = nginx.display().to_string();
    let out = run(
        dir,
        &["--isolated", "--format", "json", "nginx.conf"],
        &[("PROXYLINT_NGINX", Some(&nginx))],
    );
    summary_json(&out)
}

/// The installed nginx's version is read from its binary without running it: the line
/// found there gives the version `nginx -v` prints (checked by running it), and a copy
/// of the binary cut after that line, which cannot run, gives it too.
#[test]
fn the_real_nginx_binary_holds_the_line_nginx_v_prints() {
    let Some(nginx) = installed_nginx() else {
        return;
    };
    let printed = nginx_t::nginx_version(&nginx);
    assert_eq!(
        proxylint::nginx::detect::version_in_binary(&nginx),
        Some(printed)
    );
    // The bytes up to the end of the line, made executable: a truncated ELF file the
    // kernel refuses to run, so the version in the summary was read, not asked.
    let bytes = std::fs::read(&nginx).expect("read nginx");
    let at = bytes
        .windows(15)
        .position(|w| w == b"nginx version: ")
        .expect("the line in the binary");
    let end = at
        + bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("its end")
        + 1;
    let dir = workspace(HTTP2_LISTEN);
    let copy = dir.path().join("bin/nginx");
    std::fs::write(&copy, &bytes[..end]).expect("write copy");
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let ran = Command::new(&copy).arg("-v").output();
    assert!(
        !ran.is_ok_and(|o| o.status.success()),
        "the cut copy must not run"
    );
    let summary = summary_with(dir.path(), &copy);
    assert_eq!(
        summary["nginx_version"],
        proxylint::nginx::grammar::nearest_supported(printed).to_string()
    );
}

/// httpd configurations alone are checked without asking nginx anything: no wait for
/// `nginx -v` on every Apache run. With an nginx configuration beside them, it is asked.
#[test]
fn nginx_is_not_asked_when_only_httpd_configurations_are_linted() {
    let dir = workspace(HTTP2_LISTEN);
    let asked = dir.path().join("asked");
    let path = dir.path().join("bin/nginx");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ntouch '{}'\necho 'nginx version: nginx/1.22.1' >&2\n",
            asked.display()
        ),
    )
    .expect("write fake nginx");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        dir.path().join("site.conf"),
        "<VirtualHost *:80>\n    ServerName a.example\n</VirtualHost>\n",
    )
    .expect("write httpd site");
    let out = run(dir.path(), &["--isolated", "site.conf"], &[]);
    assert_eq!(out.code, Some(0), "{}{}", out.stdout, out.stderr);
    assert!(!asked.exists(), "nginx -v ran for an httpd file alone");
    let out = run(dir.path(), &["--isolated", "site.conf", "nginx.conf"], &[]);
    assert!(out.stdout.contains("nginx 1.22.1"), "{}", out.stdout);
    assert!(
        asked.exists(),
        "nginx -v did not run for an nginx configuration"
    );
}
