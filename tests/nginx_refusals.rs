//! The refusals and warnings of issue 7 item 5, checked against the real `nginx -t`:
//! which directives nginx refuses twice in one block (the `dup` flags derived from
//! nginx's source, grammars/nginx/duplicate-handlers.tsv), a duplicate that comes from
//! an included snippet, third-party directives in a main configuration that loads no
//! module, link-local IPv6 listen addresses and conflicting server names.
//!
//! Runs whenever nginx is installed; with `CI=true` a missing nginx fails the test
//! instead of skipping it.

#[path = "common/skip.rs"]
mod skip;

#[path = "common/nginx.rs"]
mod nginx_t;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use proxylint::diagnostic::Diagnostic;
use proxylint::lint::{Input, LoadOptions, check, load};
use proxylint::nginx::grammar::{DirectiveDef, Kind, Origin, Version, grammar};
use proxylint::settings::Settings;

struct Nginx {
    binary: PathBuf,
    version: Version,
    modules_dir: PathBuf,
}

fn nginx() -> Option<Nginx> {
    let binary = skip::require(
        nginx_t::find_nginx(),
        "refusals against nginx -t",
        "nginx is not installed",
    )?;
    let version = nginx_t::nginx_version(&binary);
    let modules_dir = nginx_t::modules_dir(&binary);
    Some(Nginx {
        binary,
        version,
        modules_dir,
    })
}

/// Runs nginx and proxylint on `main` (in `dir`, the prefix); nginx's stderr and
/// success, proxylint's findings.
fn both(
    nginx: &Nginx,
    dir: &Path,
    main: &Path,
    settings: &Settings,
) -> (String, bool, Vec<Diagnostic>) {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let (stderr, ok) =
        nginx_t::run_nginx_t(&nginx.binary, dir, main, &out).unwrap_or_else(|e| panic!("{e}"));
    let config = load(
        &[Input::File(main.to_path_buf())],
        &LoadOptions::default(),
        settings,
    )
    .expect("proxylint loads");
    let diags = check(&config, settings);
    let lines = diags
        .into_iter()
        .map(|mut d| {
            // The line number, for comparing with nginx: kept in the message.
            if let Some(span) = d.span {
                let line = config.sources.get(span.file).line_col(span.start).0;
                d.message = format!("{line}: {}", d.message);
            }
            d
        })
        .collect();
    (stderr, ok, lines)
}

fn settings_for(nginx: &Nginx) -> Settings {
    Settings {
        nginx_version: nginx.version,
        ..Default::default()
    }
}

/// Arguments for a directive whose documented default is none or not a plain value
/// (test data: what a configuration would write).
const SAMPLES: &[(&str, &str)] = &[
    ("try_files", "$uri =404"),
    ("charset", "utf-8"),
    ("source_charset", "koi8-r"),
    ("alias", "/tmp/"),
    ("proxy_pass", "http://127.0.0.1:9"),
    ("grpc_pass", "grpc://127.0.0.1:9"),
    ("auth_request", "/auth"),
    ("auth_basic_user_file", "htpasswd"),
    ("open_file_cache", "off"),
    ("open_log_file_cache", "off"),
    ("limit_except", "GET"),
    ("directio", "off"),
    ("aio", "off"),
    ("disable_symlinks", "off"),
    ("real_ip_header", "X-Real-IP"),
    ("userid_expires", "off"),
    ("userid_mark", "off"),
    ("expires", "off"),
    ("proxy_method", "GET"),
    ("secure_link", "$arg_s"),
    ("secure_link_md5", "$uri"),
    ("return", "x"),
    ("ssl_alpn", "h2"),
    ("worker_priority", "5"),
    ("user", "nobody"),
    ("worker_processes", "1"),
    ("worker_cpu_affinity", "auto"),
    ("use", "epoll"),
    ("resolver", "127.0.0.1"),
    ("add_header", "X-A 1"),
    ("add_trailer", "X-A 1"),
    ("set", "$a 1"),
    ("rewrite", "^/a$ /b"),
    ("error_page", "404 /404.html"),
    ("allow", "all"),
    ("deny", "all"),
    ("index", "index.html"),
    ("limit_rate", "8k"),
    ("limit_rate_after", "8k"),
    ("gzip_types", "text/css"),
    ("keepalive_timeout", "60s"),
    ("mirror", "/m"),
    ("proxy_redirect", "default"),
];

fn sample(def: &DirectiveDef) -> Option<String> {
    if let Some((_, v)) = SAMPLES.iter().find(|(n, _)| *n == def.name) {
        return Some(v.to_string());
    }
    let name = def.name;
    let by_name = if name.ends_with("_pass") {
        Some("127.0.0.1:9")
    } else if name.ends_with("_bind") {
        Some("127.0.0.1")
    } else if name.ends_with("_cache_key") {
        Some("$uri")
    } else if name.ends_with("_cache") || name.ends_with("_store") {
        Some("off")
    } else {
        None
    };
    if let Some(v) = by_name {
        return Some(v.to_string());
    }
    let default = def.default;
    if !default.is_empty()
        && !default.contains(['|', '…', '$'])
        && def.arity.accepts(default.split_whitespace().count())
    {
        return Some(default.to_string());
    }
    Some(
        match &def.kind {
            Kind::Flag => "on",
            Kind::Msec | Kind::Sec => "10s",
            Kind::Size | Kind::Off | Kind::SizeOrVar => "8k",
            Kind::Num => "4",
            Kind::Enum(values) | Kind::Bitmask(values) => values.first()?,
            Kind::Bufs => "4 8k",
            Kind::Str | Kind::Strs => "x",
            Kind::Keyval => "a b",
            Kind::Path => "cache",
            Kind::Access => "user:rw",
            _ if def.arity.accepts(0) => "",
            _ => return None,
        }
        .to_string(),
    )
}

/// Contexts a directive is tried in, innermost first (mail: Debian ships no mail module).
const PLACES: &[&str] = &[
    "http>location",
    "http>server",
    "http",
    "http>upstream",
    "stream>server",
    "stream",
    "stream>upstream",
    "events",
    "main",
];

/// The blocks of the test configuration, one line each; `@CONTEXT` is where a statement
/// tried in that context goes. The http and stream blocks are written only for their
/// contexts (stream needs its module loaded).
const MAIN_LINES: &[&str] = &["@main", "events {", "@events", "}"];
const HTTP_LINES: &[&str] = &[
    "http {",
    "@http",
    "upstream u {",
    "server 127.0.0.1:9;",
    "@http>upstream",
    "}",
    "server {",
    "listen 127.0.0.1:8080;",
    "@http>server",
    "location / {",
    "@http>location",
    "}",
    "}",
    "}",
];
const STREAM_LINES: &[&str] = &[
    "stream {",
    "@stream",
    "upstream su {",
    "server 127.0.0.1:9;",
    "@stream>upstream",
    "}",
    "server {",
    "listen 127.0.0.1:8081;",
    "@stream>server",
    "}",
    "}",
];

/// A configuration with `statement` twice in `context`; the line of the second.
fn with_twice(context: &str, statement: &str, stream_so: &Path) -> (String, usize) {
    let mut lines: Vec<String> = Vec::new();
    let mut second = 0;
    if context.starts_with("stream") {
        lines.push(format!("load_module {};", stream_so.display()));
    }
    let blocks = [
        (true, MAIN_LINES),
        (context.starts_with("http"), HTTP_LINES),
        (context.starts_with("stream"), STREAM_LINES),
    ];
    for line in blocks
        .iter()
        .filter(|(used, _)| *used)
        .flat_map(|(_, b)| b.iter())
    {
        match line.strip_prefix('@') {
            Some(here) if here == context => {
                lines.extend([statement.to_string(), statement.to_string()]);
                second = lines.len();
            }
            Some(_) => {}
            None => lines.push(line.to_string()),
        }
    }
    (lines.join("\n") + "\n", second)
}

/// nginx's first `[emerg]` line: (message, line).
fn first_emerg(stderr: &str) -> Option<(String, usize)> {
    let emerg = stderr.lines().find_map(|l| l.split_once("[emerg] "))?.1;
    let (text, place) = emerg.rsplit_once(" in ")?;
    let line = place.rsplit_once(':')?.1.parse().ok()?;
    // Drop the "PID#TID: " prefix.
    let text = text.split_once(": ").map_or(text, |(_, t)| t);
    Some((text.to_string(), line))
}

#[derive(Debug)]
struct Compared {
    name: &'static str,
    context: &'static str,
    nginx_refuses: bool,
    proxylint_refuses: bool,
}

/// Every directive of the table that this nginx has, written twice in one block with
/// a value nginx accepts once: proxylint reports NGX006 exactly when nginx says
/// "is duplicate" at the second one.
#[test]
fn duplicate_directives_are_refused_where_nginx_refuses_them() {
    let Some(nginx) = nginx() else { return };
    let settings = settings_for(&nginx);
    let stream_so = nginx.modules_dir.join("ngx_stream_module.so");
    let g = grammar();
    let mut cases: Vec<(&'static str, &'static str, String)> = Vec::new();
    for def in g.all() {
        let official = g
            .module(def.module)
            .is_some_and(|m| !matches!(m.origin, Origin::ThirdParty | Origin::Plus));
        if !official || !def.in_version(nginx.version) || def.plus_only {
            continue;
        }
        if def.block && def.name != "limit_except" {
            continue;
        }
        let Some(context) = PLACES.iter().find(|c| def.allowed_in(c)) else {
            continue;
        };
        if context.starts_with("stream") && !stream_so.is_file() {
            continue;
        }
        let Some(args) = sample(def) else { continue };
        let end = if def.block { " { }" } else { ";" };
        let statement = format!("{} {args}{end}", def.name).replace("  ", " ");
        if !cases.iter().any(|(n, c, _)| *n == def.name && c == context) {
            cases.push((def.name, context, statement));
        }
    }
    let next = Mutex::new(cases.into_iter());
    let compared = Mutex::new(Vec::new());
    let skipped = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let Some((name, context, statement)) = next.lock().expect("lock").next() else {
                        break;
                    };
                    let dir = tempfile::tempdir().expect("temp dir");
                    let (text, second) = with_twice(context, &statement, &stream_so);
                    let main = dir.path().join("nginx.conf");
                    std::fs::write(&main, text).expect("write");
                    let (stderr, _, diags) = both(&nginx, dir.path(), &main, &settings);
                    let emerg = first_emerg(&stderr);
                    // The sample itself is refused, or nginx stops before the second one.
                    if emerg.as_ref().is_some_and(|(_, line)| *line < second) {
                        skipped.lock().expect("lock").push(format!(
                            "{name} in {context}: {}",
                            emerg.map(|e| e.0).unwrap_or_default()
                        ));
                        continue;
                    }
                    let nginx_refuses = emerg
                        .as_ref()
                        .is_some_and(|(m, line)| *line == second && m.contains("is duplicate"));
                    let proxylint_refuses = diags.iter().any(|d| {
                        d.code == "NGX006" && d.message.starts_with(&format!("{second}: "))
                    });
                    compared.lock().expect("lock").push(Compared {
                        name,
                        context,
                        nginx_refuses,
                        proxylint_refuses,
                    });
                }
            });
        }
    });
    let compared = compared.into_inner().expect("lock");
    let skipped = skipped.into_inner().expect("lock");
    let wrong: Vec<String> = compared
        .iter()
        .filter(|c| c.nginx_refuses != c.proxylint_refuses)
        .map(|c| {
            format!(
                "{} in {}: nginx refuses it twice: {}, proxylint: {}",
                c.name, c.context, c.nginx_refuses, c.proxylint_refuses
            )
        })
        .collect();
    let refused = compared.iter().filter(|c| c.nginx_refuses).count();
    eprintln!(
        "{} directives compared ({refused} refused twice by nginx), {} skipped",
        compared.len(),
        skipped.len()
    );
    assert!(
        wrong.is_empty(),
        "proxylint and nginx disagree:\n{}",
        wrong.join("\n")
    );
    // The sample must be broad, and cover the directives issue 7 names.
    assert!(
        compared.len() >= 300,
        "only {} compared; skipped: {skipped:#?}",
        compared.len()
    );
    for (name, refused) in [
        ("try_files", true),
        ("charset", true),
        ("internal", true),
        ("limit_rate", true),
        ("keepalive_timeout", true),
        ("gzip_types", false),
        ("add_header", false),
    ] {
        let c = compared
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} was not compared; skipped: {skipped:#?}"));
        assert_eq!(c.nginx_refuses, refused, "{name}");
    }
}

/// matomo's site on Debian: the snippet sets try_files, and so does the location that
/// includes it. nginx names the location's line.
#[test]
fn duplicate_from_an_included_snippet_is_refused() {
    let Some(nginx) = nginx() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("snippets")).expect("mkdir");
    std::fs::write(
        root.join("snippets/php.conf"),
        "fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\ntry_files $fastcgi_script_name =404;\nfastcgi_index index.php;\n",
    )
    .expect("write");
    let main = root.join("nginx.conf");
    std::fs::write(
        &main,
        "events {}\nhttp {\n  server {\n    listen 127.0.0.1:8080;\n    location ~ \\.php$ {\n      include snippets/php.conf;\n      try_files $fastcgi_script_name =404;\n      fastcgi_pass 127.0.0.1:9000;\n    }\n  }\n}\n",
    )
    .expect("write");
    let (stderr, ok, diags) = both(&nginx, root, &main, &settings_for(&nginx));
    assert!(!ok);
    assert_eq!(
        first_emerg(&stderr),
        Some(("\"try_files\" directive is duplicate".to_string(), 7))
    );
    assert!(
        diags
            .iter()
            .any(|d| d.code == "NGX006" && d.message == "7: \"try_files\" directive is duplicate"),
        "{diags:#?}"
    );
}

/// Directives that may repeat, except that `off` may not meet another occurrence
/// (`dup-off`): both orders, against nginx.
#[test]
fn off_next_to_another_occurrence_is_refused() {
    let Some(nginx) = nginx() else { return };
    let settings = settings_for(&nginx);
    for (first, second, refused) in [
        ("proxy_redirect default;", "proxy_redirect off;", true),
        ("proxy_redirect off;", "proxy_redirect / /x/;", true),
        ("proxy_redirect / /x/;", "proxy_redirect /a /y/;", false),
        ("proxy_cookie_path off;", "proxy_cookie_path / /x/;", true),
        ("mirror /m;", "mirror off;", true),
        ("mirror /m;", "mirror /n;", false),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let main = dir.path().join("nginx.conf");
        std::fs::write(
            &main,
            format!(
                "events {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:8080;\n    location / {{\n      proxy_pass http://127.0.0.1:9;\n      {first}\n      {second}\n    }}\n  }}\n}}\n"
            ),
        )
        .expect("write");
        let (stderr, _, diags) = both(&nginx, dir.path(), &main, &settings);
        let nginx_refuses =
            first_emerg(&stderr).is_some_and(|(m, line)| line == 8 && m.contains("is duplicate"));
        assert_eq!(
            nginx_refuses, refused,
            "nginx on {first} {second}: {stderr}"
        );
        let proxylint_refuses = diags
            .iter()
            .any(|d| d.code == "NGX006" && d.message.starts_with("8: "));
        assert_eq!(
            proxylint_refuses, refused,
            "proxylint on {first} {second}: {diags:#?}"
        );
    }
}

/// Third-party directives in a complete main configuration that loads no module: a
/// stock nginx refuses each as an unknown directive; proxylint names the module needed
/// (NGX024), and with the modules loaded both accept.
#[test]
fn third_party_directives_need_their_module() {
    let Some(nginx) = nginx() else { return };
    let settings = settings_for(&nginx);
    let body = |directive: &str| {
        format!(
            "events {{}}\nhttp {{\n  server {{\n    listen 127.0.0.1:8080;\n    location / {{\n      {directive}\n      return 200;\n    }}\n  }}\n}}\n"
        )
    };
    for (directive, so) in [
        (
            "more_set_headers \"Server: edge\";",
            &["ngx_http_headers_more_filter_module.so"][..],
        ),
        (
            "set_random $r 1 10;",
            &["ndk_http_module.so", "ngx_http_set_misc_module.so"][..],
        ),
        ("upload_progress uploads 1m;", &[][..]),
    ] {
        let directive = if directive.starts_with("upload_progress") {
            // http-level only.
            body("").replace("http {\n", &format!("http {{\n  {directive}\n"))
        } else {
            body(directive)
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let main = dir.path().join("nginx.conf");
        std::fs::write(&main, &directive).expect("write");
        let (stderr, ok, diags) = both(&nginx, dir.path(), &main, &settings);
        let (message, _) = first_emerg(&stderr).unwrap_or_default();
        assert!(
            !ok && message.starts_with("unknown directive"),
            "nginx: {stderr}"
        );
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["NGX024"], "{diags:#?}");
        // Loaded (where Debian ships the module): both accept.
        let installed = !so.is_empty() && so.iter().all(|s| nginx.modules_dir.join(s).is_file());
        if !installed {
            continue;
        }
        let loads: String = so
            .iter()
            .map(|s| format!("load_module {};\n", nginx.modules_dir.join(s).display()))
            .collect();
        std::fs::write(&main, format!("{loads}{directive}")).expect("write");
        let (stderr, ok, diags) = both(&nginx, dir.path(), &main, &settings);
        assert!(ok, "nginx: {stderr}");
        assert!(diags.is_empty(), "{diags:#?}");
    }
}

/// Server blocks sharing an address with names in common: proxylint reports exactly
/// the `conflicting server name "..." on ADDR, ignored` warnings nginx prints.
#[test]
fn conflicting_server_names_are_nginx_s_warnings() {
    let Some(nginx) = nginx() else { return };
    let settings = settings_for(&nginx);
    let cases = [
        "server { listen 8080; server_name a.com; } server { listen 8080; server_name a.com; }",
        "server { listen 8080; server_name A.com; } server { listen 8080; server_name a.COM; }",
        "server { listen 8080; } server { listen 8080; }",
        "server { listen 8080; server_name a.com a.com; } server { listen 8080; server_name b.com; }",
        "server { listen 8080; server_name a.com a.com; }",
        "server { listen 8080; server_name .a.com; } server { listen 8080; server_name a.com; }",
        "server { listen 8080; server_name a.com; } server { listen 8080; server_name .a.com; }",
        "server { listen 8080; server_name .a.com; } server { listen 8080; server_name *.a.com; }",
        "server { listen 8080; server_name *.a.com; } server { listen 8080; server_name x.a.com; }",
        "server { listen 8080; server_name www.a.*; } server { listen 8080; server_name www.a.*; }",
        "server { listen 8080; server_name ~^a; } server { listen 8080; server_name ~^a; }",
        "server { listen 8080; server_name a.com; } server { listen 127.0.0.1:8080; server_name a.com; }",
        "server { listen 8080; server_name a.com; } server { listen 8081; server_name a.com; }",
        "server { listen 8080; listen 8081; server_name a.com; } server { listen 8081; server_name a.com; }",
        "server { listen [::]:8080; server_name a.com; } server { listen [::]:8080; server_name a.com; }",
        "server { listen 8080; server_name a.com.; } server { listen 8080; server_name a.com; }",
        "server { server_name a.com; } server { server_name a.com; }",
        "server { listen 8080; server_name a b; } server { listen 8080 default_server; server_name c b a; }",
    ];
    for case in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let main = dir.path().join("nginx.conf");
        std::fs::write(&main, format!("events {{}}\nhttp {{\n{case}\n}}\n")).expect("write");
        let (stderr, _, diags) = both(&nginx, dir.path(), &main, &settings);
        let from_nginx: Vec<String> = stderr
            .lines()
            .filter(|l| l.contains("[warn] "))
            .filter_map(|l| {
                l.find("conflicting server name")
                    .map(|at| l[at..].to_string())
            })
            .collect();
        let from_proxylint: Vec<String> = diags
            .iter()
            .filter(|d| d.code == "NGX119")
            .filter_map(|d| d.message.split_once(": ").map(|(_, m)| m))
            .filter_map(|m| {
                m.split_once(", ignored")
                    .map(|(m, _)| format!("{m}, ignored"))
            })
            .collect();
        assert_eq!(from_proxylint, from_nginx, "{case}\n{stderr}");
    }
}

/// `listen [fe80::1]:80`: nginx cannot bind it (no scope can be given) and `nginx -t`
/// says so. proxylint reports it (NGX025), unless a `[::]` listen on the port serves
/// it.
#[test]
fn link_local_listen_fails_to_bind() {
    let Some(nginx) = nginx() else { return };
    let settings = settings_for(&nginx);
    for (listens, reported) in [
        ("listen [fe80::1]:8080;", true),
        ("listen [fe80::1]:8080; listen [::]:8080;", false),
        ("listen [fe80::1]:8080 reuseport; listen [::]:8081;", true),
        ("listen [febf::1]:8080;", true),
        ("listen [fec0::1]:8080;", false),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let main = dir.path().join("nginx.conf");
        std::fs::write(
            &main,
            format!("events {{}}\nhttp {{\n  server {{ {listens} }}\n}}\n"),
        )
        .expect("write");
        let (stderr, ok, diags) = both(&nginx, dir.path(), &main, &settings);
        // Other addresses fail only where the host lacks them (99: Cannot assign...).
        let bind_fails = stderr.contains("failed (22: Invalid argument)");
        assert_eq!(bind_fails, reported, "nginx on {listens}: {stderr}");
        assert!(ok || !stderr.contains("[emerg]") || stderr.contains("bind() to"));
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes.contains(&"NGX025"), reported, "{listens}: {diags:#?}");
    }
}

/// What NGX108 says happens with `localhost` (resolving to `::1` and `127.0.0.1`) and a
/// backend listening on IPv4 only, checked with the real nginx: the `[::1]` attempt is
/// refused and logged, the request is retried on 127.0.0.1 and answered, and later
/// requests skip the marked-down `[::1]` peer. (The upstream names both addresses, as
/// `localhost` does where /etc/hosts maps it to both.)
#[test]
fn localhost_upstream_retries_ipv4_after_a_refused_ipv6_attempt() {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let Some(nginx) = nginx() else { return };
    if TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping: no IPv6 loopback on this machine");
        return;
    }
    // The backend: IPv4 only, answers 200 to every connection.
    let backend = TcpListener::bind("127.0.0.1:0").expect("bind the backend");
    let backend_port = backend.local_addr().expect("port").port();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    backend.set_nonblocking(true).expect("nonblocking");
    let server = std::thread::spawn(move || {
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
            match backend.accept() {
                Ok((mut conn, _)) => {
                    let _ = conn.set_nonblocking(false);
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf);
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                }
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
        }
    });
    let front_port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("nginx.conf");
    std::fs::write(
        &main,
        format!(
            "pid nginx.pid;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path cb; proxy_temp_path pt; fastcgi_temp_path ft; uwsgi_temp_path ut; scgi_temp_path st;\n  upstream localhost_like {{ server [::1]:{backend_port}; server 127.0.0.1:{backend_port}; }}\n  server {{\n    listen 127.0.0.1:{front_port};\n    location / {{ proxy_pass http://localhost_like; }}\n  }}\n}}\n"
        ),
    )
    .expect("write");
    let guard = nginx_t::start_nginx(&nginx.binary, dir.path(), &main).expect("nginx starts");
    let get = || -> Option<String> {
        let mut conn = TcpStream::connect(("127.0.0.1", front_port)).ok()?;
        conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .ok()?;
        conn.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").ok()?;
        let mut reply = String::new();
        conn.read_to_string(&mut reply).ok()?;
        reply.lines().next().map(str::to_string)
    };
    let started = std::time::Instant::now();
    let mut statuses = Vec::new();
    while statuses.len() < 4 && started.elapsed() < std::time::Duration::from_secs(10) {
        match get() {
            Some(status) => statuses.push(status),
            None => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    drop(guard);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = server.join();
    assert_eq!(statuses.len(), 4, "nginx did not answer");
    assert!(
        statuses.iter().all(|s| s.contains(" 200 ")),
        "every request is answered after the retry: {statuses:?}"
    );
    let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("(111: Connection refused)"))
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "one refused ::1 attempt, then ::1 is marked down:\n{log}"
    );
    assert!(refused[0].contains(&format!("upstream: \"http://[::1]:{backend_port}/\"")));
    // proxylint says so.
    let site = dir.path().join("site.conf");
    std::fs::write(
        &site,
        format!("location / {{ proxy_pass http://localhost:{backend_port}; }}\n"),
    )
    .expect("write");
    let settings = settings_for(&nginx);
    let config = load(&[Input::File(site)], &LoadOptions::default(), &settings).expect("load");
    let message = check(&config, &settings)
        .into_iter()
        .find(|d| d.code == "NGX108")
        .map(|d| d.message)
        .unwrap_or_default();
    assert!(
        message.contains("logs as errors and retries on 127.0.0.1")
            && message.contains("marked down after max_fails")
            && !message.contains("intermittent 502"),
        "{message}"
    );
}
