//! Site files and snippets as users lint them (issue 7 items 2 and 3): the context a
//! file is read in is decided from its content (a top-level `server {` is http's, a
//! `nginx.conf` holding only server blocks is a site file), and what proxylint cannot
//! see (an include it could not read, the main configuration around a site file) lowers
//! the findings it may answer instead of piling up errors. Include roots
//! (`--include-root`, `[include] roots`) let CI on a repository read the files a site
//! names by their deployed paths.

use std::path::{Path, PathBuf};
use std::process::Command;

use proxylint::diagnostic::{Diagnostic, Severity};
use proxylint::lint::{self, Input, LoadOptions};
use proxylint::nginx::model::Config;
use proxylint::settings::{self, Settings};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn lint_inputs(inputs: &[Input], settings: &Settings) -> (Config, Vec<Diagnostic>) {
    let ws = lint::load(inputs, &LoadOptions::default(), settings).expect("loads");
    let diags = lint::check(&ws, settings);
    let config = ws.nginx.expect("an nginx configuration");
    (config, diags)
}

/// Lints `text` as a file named `name` (in the working directory).
fn lint_text(name: &str, text: &str) -> (Config, Vec<Diagnostic>) {
    let input = Input::Text {
        name: name.to_string(),
        text: text.as_bytes().to_vec(),
    };
    lint_inputs(&[input], &Settings::default())
}

fn codes(diags: &[Diagnostic]) -> Vec<(&'static str, Severity)> {
    diags.iter().map(|d| (d.code, d.severity)).collect()
}

fn count(diags: &[Diagnostic], severity: Severity) -> usize {
    diags.iter().filter(|d| d.severity == severity).count()
}

// Item 2: context inference.

/// A top-level `server {` with `if`, `set` and `add_header` was read in a context where
/// `server` takes no block when something inside was refused in http: `directive
/// "server" is not terminated by ";"`.
#[test]
fn top_level_server_block_is_http_even_with_if_set_add_header() {
    let sites = [
        "server {\n    if ($http_host = \"a\") { return 404; }\n}\n",
        "server {\n    listen 80;\n    set $a 1;\n    add_header X-A $a;\n    if ($a) { set $b 2; }\n}\n",
        // `proxy_pass` is refused in a server's `if`: nginx says so about proxy_pass,
        // still reading `server` as http's.
        "server {\n    if ($http_host = \"a\") { proxy_pass http://127.0.0.1:8080; }\n}\n",
    ];
    for text in sites {
        let (config, diags) = lint_text("site.conf", text);
        assert_eq!(config.root_context(0), "http", "{text}");
        assert!(
            diags.iter().all(|d| d.code != "NGX001"),
            "{text}: {:?}",
            codes(&diags)
        );
    }
    let (_, diags) = lint_text("site.conf", sites[2]);
    assert_eq!(codes(&diags), [("NGX003", Severity::Error)]);
    assert!(diags[0].message.contains("\"proxy_pass\""), "{diags:?}");
}

#[test]
fn stream_and_mail_server_files_are_inferred_by_content() {
    let (config, _) = lint_text(
        "db.conf",
        "server {\n    listen 5432;\n    proxy_pass 127.0.0.1:5433;\n}\n",
    );
    assert_eq!(config.root_context(0), "stream");
    let (config, _) = lint_text(
        "mail.conf",
        "server {\n    listen 25;\n    protocol smtp;\n}\n",
    );
    assert_eq!(config.root_context(0), "mail");
}

/// Mastodon's `dist/nginx.conf`, NetBox's and Pixelfed's `contrib/nginx.conf` hold only
/// map, upstream and server blocks: read as a main configuration by their name, every
/// block was "not allowed here" and "no events section" followed.
#[test]
fn site_only_nginx_conf_is_a_site_file() {
    let dir = root().join("fixtures/repos/site-nginx-conf/contrib");
    let file = dir.join("nginx.conf");
    let (config, diags) = lint_inputs(&[Input::File(file.clone())], &Settings::default());
    assert_eq!(config.root_context(0), "http");
    assert!(diags.is_empty(), "{:?}", codes(&diags));
    // The same file found as a directory's nginx.conf.
    let found = proxylint::nginx::loader::entry_points(&dir, &[]).expect("entry points");
    assert_eq!(found, [file]);
    let inputs: Vec<Input> = found.into_iter().map(Input::Found).collect();
    let (config, diags) = lint_inputs(&inputs, &Settings::default());
    assert_eq!(config.root_context(0), "http");
    assert!(diags.is_empty(), "{:?}", codes(&diags));
}

#[test]
fn nginx_conf_with_main_directives_or_nothing_is_a_main_configuration() {
    let (config, diags) = lint_text("nginx.conf", "user www-data;\nserver { listen 80; }\n");
    assert_eq!(config.root_context(0), "main");
    assert!(
        diags.iter().any(|d| d.code == "NGX003"),
        "{:?}",
        codes(&diags)
    );
    // No directive at all: the name is the only evidence left.
    let (config, diags) = lint_text("nginx.conf", "# nothing yet\n");
    assert_eq!(config.root_context(0), "main");
    assert_eq!(codes(&diags), [("NGX021", Severity::Error)]);
    let (config, _) = lint_text("empty.conf", "");
    assert_eq!(config.root_context(0), "http");
}

// Item 3: what proxylint cannot see.

/// The shop repository's site file names its includes by their deployed paths.
fn shop() -> PathBuf {
    root().join("fixtures/repos/shop")
}

fn shop_site() -> Input {
    Input::File(shop().join("nginx/sites-available/shop.conf"))
}

/// The deployed paths must not exist on the machine running the tests, or the "before"
/// half would read them.
fn assert_deployed_paths_absent() {
    for path in [
        "/etc/nginx/conf.d/shop-upstreams.conf",
        "/etc/nginx/shop.d",
        "/etc/nginx/snippets/shop-tls.conf",
        "/etc/nginx/snippets/shop-resolver.conf",
        "/etc/nginx/snippets/shop-php.conf",
    ] {
        assert!(
            !Path::new(path).exists(),
            "{path} exists on this machine: the fixture expects it not to"
        );
    }
}

/// Linting a repository's site file as-is gave an error per definition its unread
/// includes hold (resolver, certificate, variables, zones, upstream groups); nginx
/// accepts it once installed. Only the unreadable includes stay errors; with the
/// repository's `[include] roots` every file is read and nothing is left.
#[test]
fn unread_includes_do_not_cascade_and_include_roots_read_them() {
    assert_deployed_paths_absent();
    let (_, before) = lint_inputs(&[shop_site()], &Settings::default());
    let errors: Vec<&str> = before
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect();
    assert_eq!(errors, ["NGX007"; 4], "{:?}", codes(&before));
    assert_eq!(count(&before, Severity::Warning), 0, "{:?}", codes(&before));
    for lowered in ["NGX005", "NGX017", "NGX019", "NGX022", "NGX109", "NGX110"] {
        assert!(
            before
                .iter()
                .any(|d| d.code == lowered && d.severity == Severity::Info),
            "{lowered} not lowered to info: {:?}",
            codes(&before)
        );
    }
    assert_eq!(before.len(), 12, "{:?}", codes(&before));
    // Nothing lowered counts as a refusal of nginx -t.
    let config = lint::load(
        &[shop_site()],
        &LoadOptions::default(),
        &Settings::default(),
    )
    .expect("loads");
    let (first, _) =
        proxylint::nginx::report::first_error(&config.sources, &before).expect("nginx refuses");
    assert_eq!(first.code, "NGX007");

    let settings = Settings::from_file(&shop().join("proxylint.toml")).expect("proxylint.toml");
    let (_, after) = lint_inputs(&[shop_site()], &settings);
    assert!(after.is_empty(), "{:?}", after);
}

/// What the lowered findings lack is said once, at the include that may define it.
#[test]
fn unread_include_says_once_what_may_be_missing() {
    let (_, diags) = lint_inputs(&[shop_site()], &Settings::default());
    let upstreams = diags
        .iter()
        .find(|d| d.code == "NGX007" && d.message.contains("shop-upstreams.conf"))
        .expect("NGX007 at the upstreams include");
    let help = upstreams.help.as_deref().unwrap_or_default();
    assert!(help.contains("--include-root /etc/nginx=./nginx"), "{help}");
    for what in [
        "variable $shop_root (NGX019)",
        "upstream \"shop_php\" (NGX005, NGX109)",
        "limit_req_zone \"shop_api\" (NGX022)",
    ] {
        assert!(help.contains(what), "{what} missing from: {help}");
    }
    let tls = diags
        .iter()
        .find(|d| d.code == "NGX007" && d.message.contains("shop-tls.conf"))
        .expect("NGX007 at the TLS include");
    let help = tls.help.as_deref().unwrap_or_default();
    assert!(help.contains("an ssl_certificate (NGX017)"), "{help}");
    // The lowered finding points at the include.
    let certificate = diags.iter().find(|d| d.code == "NGX017").expect("NGX017");
    assert_eq!(certificate.related.first().map(|r| r.span), tls.span);
}

/// The same with the binary: `--include-root` on the command line, and the
/// repository's proxylint.toml found from the linted file.
#[test]
fn include_root_option_and_toml_roots_from_the_command_line() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_proxylint"))
            .args(args)
            .current_dir(shop())
            .env_remove("CI")
            .output()
            .expect("run proxylint");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let site = "nginx/sites-available/shop.conf";
    let (code, stdout) = run(&[
        "--isolated",
        "--format",
        "concise",
        "--nginx-version",
        "1.26.3",
        site,
    ]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(stdout.matches("error[NGX007]").count(), 4, "{stdout}");
    assert_eq!(stdout.matches("error[").count(), 4, "{stdout}");
    let mapped = [
        "--isolated",
        "--format",
        "concise",
        "--nginx-version",
        "1.26.3",
        "--include-root",
        "/etc/nginx=./nginx",
        site,
    ];
    assert_eq!(run(&mapped), (Some(0), String::new()));
    let (code, stdout) = run(&["--format", "concise", "--nginx-version", "1.26.3", site]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
}

/// A glob whose directory does not exist here is what nginx accepts; when something
/// depends on what it would include, an info at the include says so.
#[test]
fn glob_include_without_its_directory_says_what_may_be_missing() {
    let text = "include /nonexistent-proxylint-test/upstreams/*.conf;\nserver {\n    listen 80;\n    location / {\n        fastcgi_pass php_pool;\n    }\n}\n";
    let (_, diags) = lint_text("site.conf", text);
    assert_eq!(count(&diags, Severity::Error), 0, "{:?}", codes(&diags));
    let note = diags
        .iter()
        .find(|d| d.code == "NGX007")
        .expect("an info at the glob include");
    assert_eq!(note.severity, Severity::Info);
    assert!(
        note.message
            .contains("no directory /nonexistent-proxylint-test/upstreams")
    );
    assert!(
        note.help
            .as_deref()
            .unwrap_or_default()
            .contains("upstream \"php_pool\"")
    );
    // Nothing depends on it: nothing to say, as nginx says nothing.
    let (_, diags) = lint_text("site.conf", "include /nonexistent-proxylint-test/*.conf;\n");
    assert!(diags.is_empty(), "{:?}", codes(&diags));
}

/// In a snippet linted on its own, names the including file defines (Magento's
/// `$MAGE_ROOT`, an upstream group, a zone) are info at most; a misspelt built-in
/// variable is still an error.
#[test]
fn snippet_names_from_the_including_file_are_info() {
    let text = "root $MAGE_ROOT/pub;\nlocation ~ \\.php$ {\n    limit_req zone=perip;\n    fastcgi_param MAGE_MODE $MAGE_MODE;\n    fastcgi_pass fastcgi_backend;\n}\nlocation /y {\n    proxy_set_header X-Real-IP $remote_adr;\n    proxy_pass http://127.0.0.1:8080;\n}\n";
    let (config, diags) = lint_text("magento.conf", text);
    assert_eq!(config.root_context(0), "http>server");
    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", codes(&diags));
    assert_eq!(errors[0].message, "unknown \"remote_adr\" variable");
    let mage_root = diags
        .iter()
        .find(|d| d.message == "unknown \"mage_root\" variable")
        .expect("reported");
    assert_eq!(mage_root.severity, Severity::Info);
    assert!(
        mage_root
            .help
            .as_deref()
            .unwrap_or_default()
            .contains("may be defined by the configuration that includes it")
    );
    // A resolver is a setting the main configuration defines less often: a warning.
    let (_, diags) = lint_text(
        "proxy.conf",
        "location / {\n    proxy_pass http://$backend_host;\n}\n",
    );
    let resolver = diags.iter().find(|d| d.code == "NGX110").expect("NGX110");
    assert_eq!(resolver.severity, Severity::Warning);
}

/// `upstream app { include servers.conf; }` with the file missing: its servers may be
/// there.
#[test]
fn upstream_whose_servers_are_in_an_unread_include_is_info() {
    let text = "events {}\nhttp {\n    upstream app {\n        include /nonexistent-proxylint-test/servers.conf;\n    }\n    server {\n        listen 80;\n        location / { proxy_pass http://app; }\n    }\n}\n";
    let (_, diags) = lint_text("nginx.conf", text);
    let errors: Vec<&str> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.code)
        .collect();
    assert_eq!(errors, ["NGX007"], "{:?}", codes(&diags));
    assert!(
        diags
            .iter()
            .any(|d| d.code == "NGX111" && d.severity == Severity::Info)
    );
}

#[test]
fn include_roots_map_by_the_longest_prefix_relative_to_their_file() {
    let base = Path::new("/repo");
    let roots = vec![
        settings::include_root("/etc/nginx", "./nginx/", base).expect("root"),
        settings::include_root("/etc/nginx/snippets", "shared/snippets", base).expect("root"),
    ];
    let mapped = |p: &str| settings::map_include(&roots, Path::new(p));
    assert_eq!(
        mapped("/etc/nginx/conf.d/a.conf"),
        Some(PathBuf::from("/repo/nginx/conf.d/a.conf"))
    );
    assert_eq!(
        mapped("/etc/nginx/snippets/tls.conf"),
        Some(PathBuf::from("/repo/shared/snippets/tls.conf"))
    );
    assert_eq!(mapped("/etc/nginxfoo/a.conf"), None);
    assert!(settings::include_root("etc/nginx", "x", base).is_err());
    assert!(settings::parse_include_root("/etc/nginx").is_err());

    let dir = tempfile::tempdir().expect("temp dir");
    let toml = dir.path().join("proxylint.toml");
    std::fs::write(
        &toml,
        "[include]\nroots = { \"/config/nginx\" = \"deploy/nginx\" }\n",
    )
    .expect("write");
    let settings = Settings::from_file(&toml).expect("settings");
    let canonical = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(
        settings::map_include(
            &settings.include_roots,
            Path::new("/config/nginx/site-confs/a")
        ),
        Some(canonical.join("deploy/nginx/site-confs/a"))
    );
    std::fs::write(&toml, "[include]\nroots = { \"config/nginx\" = \"x\" }\n").expect("write");
    let err = Settings::from_file(&toml).expect_err("relative FROM");
    assert!(
        err.to_string().contains("must be an absolute path"),
        "{err}"
    );
}

/// Thousands of unread includes, each answering findings of its own server: the
/// lookups and the notes at the includes stay linear.
#[test]
fn many_unread_includes_stay_linear() {
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "server {{\n    listen 80;\n    include /nonexistent-proxylint-test/site{i}.conf;\n    location / {{ proxy_pass http://$backend{i}; }}\n}}\n"
        ));
    }
    let started = std::time::Instant::now();
    let (_, diags) = lint_text("sites.conf", &text);
    let elapsed = started.elapsed();
    // One NGX007 per server (shown up to the per-file cap), nothing else an error.
    assert!(
        diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .all(|d| d.code == "NGX007")
    );
    assert!(count(&diags, Severity::Error) > 1000);
    // The first include is named for every variable (names are global), the others
    // for their own server's resolver.
    let second = diags
        .iter()
        .find(|d| d.code == "NGX007" && d.message.contains("site1.conf"))
        .and_then(|d| d.help.as_deref())
        .unwrap_or_default();
    assert!(second.ends_with(": a resolver (NGX110)"), "{second}");
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
}

/// A main configuration whose `load_module` lines and `events` block come from includes
/// that cannot be read here: the directives of those modules and the missing events
/// block are what the includes may define.
#[test]
fn module_loads_and_events_in_unread_includes_are_info() {
    let text = "load_module modules/ngx_stream_module.so;\ninclude /nonexistent-proxylint-test/modules-enabled/*.conf;\nevents {}\nhttp {\n    more_set_headers \"X-A: b\";\n}\n";
    let (_, diags) = lint_text("nginx.conf", text);
    assert_eq!(
        codes(&diags),
        [("NGX007", Severity::Info), ("NGX002", Severity::Info)]
    );
    let note = diags[0].help.as_deref().unwrap_or_default();
    assert!(
        note.contains("`load_module modules/ngx_http_headers_more_filter_module.so;` (NGX002)"),
        "{note}"
    );
    let (_, diags) = lint_text(
        "nginx.conf",
        "include /nonexistent-proxylint-test/main.conf;\n",
    );
    assert_eq!(
        codes(&diags),
        [("NGX007", Severity::Error), ("NGX021", Severity::Info)]
    );
}
