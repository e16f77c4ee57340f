//! No input makes proxylint panic, overflow its stack or hang: a bounded proptest over
//! random bytes, token soups and mutated corpus configurations, plus the hostile
//! inputs the spec names. Each input is written to a temp file and goes through
//! `lint::load` + `lint::check` + `nginx::report::first_error`, as the CLI runs it.
//!
//! The random cases use a fixed seed so that CI is deterministic; set
//! `PROPTEST_RNG_SEED=<n>` to explore other inputs.

#[path = "common/skip.rs"]
mod skip;

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use common::mutate::{KINDS, Rng, mutate};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use proxylint::lint::{Input, LoadOptions, check, load};
use proxylint::nginx::report::first_error;
use proxylint::settings::Settings;

/// Lints `main` (with whatever files sit next to it) and says whether nginx would
/// refuse it. An unreadable input is an error value, never a panic.
fn refused(main: &Path) -> bool {
    let settings = Settings::default();
    match load(
        &[Input::File(main.to_path_buf())],
        &LoadOptions::default(),
        &settings,
    ) {
        Ok(config) => {
            let diags = check(&config, &settings);
            first_error(&config.sources, &diags).is_some()
        }
        Err(_) => true,
    }
}

/// Writes `text` as nginx.conf of a fresh temp dir and lints it.
fn lint_text(text: &[u8]) -> bool {
    let (_dir, main) = nginx_conf(text);
    refused(&main)
}

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig {
        cases,
        // With a fixed seed a failure is reproduced by rerunning; no files to keep.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x7072_6f78_796c_696e);
    }
    config
}

/// Bytes weighted towards the ones nginx's tokenizer treats specially.
fn nasty_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        1 => prop::sample::select(b"{};\"'\\$#\n \t\r\0".to_vec()),
    ]
}

const WORDS: &[&str] = &[
    "events",
    "http",
    "server",
    "location",
    "upstream",
    "stream",
    "if",
    "limit_except",
    "map",
    "types",
    "geo",
    "split_clients",
    "include",
    "load_module",
    "content_by_lua_block",
    "proxy_pass",
    "proxy_buffers",
    "proxy_busy_buffers_size",
    "listen",
    "server_name",
    "keepalive_timeout",
    "worker_connections",
    "on",
    "off",
    "10s",
    "1k",
    "8 4k",
    "$host",
    "${var}",
    "\"quoted\"",
    "'single'",
    "\"",
    "'",
    "~",
    "~*",
    "^~",
    "=",
    "@named",
    "/",
    "http://u:8080/",
    "http://u",
    "*.conf",
    "*",
    "sub/*.conf",
    "missing.conf",
    "nginx.conf",
    "($a)",
    "-- lua comment",
    "[[",
    "]]",
    "\\",
    "#",
    "\u{a0}",
];

const PUNCTUATION: &[&str] = &[";", "{", "}", "\n", " ", "#c\n"];

fn token_soup() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        3 => prop::sample::select(WORDS),
        2 => prop::sample::select(PUNCTUATION),
    ];
    let sep = prop::sample::select(&["", " ", "\n"][..]);
    prop::collection::vec((token, sep), 0..200).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(t, s)| [t, s])
            .collect::<String>()
            .into_bytes()
    })
}

/// The corpus's configuration files (the differential test covers them with nginx;
/// here they are raw material), listed once.
fn corpus_files() -> &'static [PathBuf] {
    static FILES: OnceLock<Vec<PathBuf>> = OnceLock::new();
    FILES.get_or_init(|| {
        let Some(root) = skip::shared("corpus/nginx", "mutated corpus configurations") else {
            return Vec::new();
        };
        common::files::conf_files(&root)
    })
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(nasty_byte(), 0..3000)) {
        lint_text(&bytes);
    }

    #[test]
    fn token_soups(text in token_soup()) {
        lint_text(&text);
    }

    #[test]
    fn mutated_corpus_configs(pick in any::<prop::sample::Index>(), seed in any::<u64>(), rounds in 1usize..4) {
        let files = corpus_files();
        if files.is_empty() {
            // No ../shared here: the other strategies still run.
            return Ok(());
        }
        let path = pick.get(files);
        let mut text = std::fs::read(path).expect("read a corpus file");
        let mut rng = Rng::for_name(&path.display().to_string(), seed);
        let mut applied = Vec::new();
        for _ in 0..rounds {
            let kind = KINDS[rng.below(KINDS.len())];
            if let Some(m) = mutate(&text, kind, &mut rng) {
                text = m.text;
                applied.push(m.description);
            }
        }
        // Mutate in place, next to the files it includes.
        let dir = tempfile::tempdir().expect("temp dir");
        let parent = path.parent().expect("a corpus file has a directory");
        for entry in std::fs::read_dir(parent).expect("list the corpus dir").flatten() {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
            }
        }
        let main = dir.path().join(path.file_name().expect("a file name"));
        std::fs::write(&main, &text).expect("write the mutation");
        let linted = std::panic::catch_unwind(|| refused(&main));
        // Name the mutations: proptest only shows the seed.
        prop_assert!(linted.is_ok(), "panic on {} after {}", path.display(), applied.join(", "));
    }
}

#[test]
fn ten_thousand_nested_blocks() {
    let depth = 10_000;
    let closed = format!("{}{}", "a {".repeat(depth), "}".repeat(depth));
    assert!(lint_text(closed.as_bytes()));
    let unclosed = "location / {\n".repeat(depth);
    assert!(lint_text(unclosed.as_bytes()));
}

#[test]
fn token_of_4097_bytes_is_refused() {
    let text = format!(
        "events {{}}\nhttp {{ server_name {}; }}\n",
        "a".repeat(4097)
    );
    assert!(lint_text(text.as_bytes()));
}

#[test]
fn unterminated_quote_at_eof_is_refused() {
    assert!(lint_text(b"events {}\nhttp { server_name \"abc"));
    assert!(lint_text(b"events {}\nhttp { server_name 'abc\\"));
}

#[test]
fn include_cycle_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("nginx.conf");
    std::fs::write(&main, "events {}\nhttp { include a.conf; }\n").expect("write");
    std::fs::write(dir.path().join("a.conf"), "include b.conf;\n").expect("write");
    std::fs::write(dir.path().join("b.conf"), "include a.conf;\n").expect("write");
    assert!(refused(&main));
}

#[test]
fn file_including_itself_by_glob_is_refused() {
    assert!(lint_text(b"events {}\ninclude *.conf;\n"));
    assert!(lint_text(b"events {}\nhttp { include *; }\n"));
}

/// A time limit measured on a release build, five times as long for a debug build.
fn for_this_build(limit: Duration) -> Duration {
    if cfg!(debug_assertions) {
        limit * 5
    } else {
        limit
    }
}

/// `text` as nginx.conf of a fresh temp dir (removed when the first value is dropped).
fn nginx_conf(text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("nginx.conf");
    std::fs::write(&main, text).expect("write the input");
    (dir, main)
}

/// Lints `text` as nginx.conf of a fresh temp dir within `limit` (release build; debug
/// builds get five times as long); whether it is refused.
fn refused_within(text: Vec<u8>, limit: Duration, what: &str) -> bool {
    let limit = for_this_build(limit);
    let (_dir, main) = nginx_conf(&text);
    let (done, finished) = std::sync::mpsc::channel();
    // On a timeout the lint thread is left running (the test process ends with it);
    // the temp dir is still removed as the test unwinds.
    std::thread::spawn(move || {
        let _ = done.send(refused(&main));
    });
    finished
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what} not linted within {limit:?}"))
}

#[test]
fn fifty_megabytes_of_directives_finish() {
    // Linear time: seconds in a release build. A quadratic (or per-occurrence
    // expensive) step takes hours instead.
    let text = "a b;\n".repeat(50 * 1024 * 1024 / 5).into_bytes();
    assert!(refused_within(
        text,
        Duration::from_secs(60),
        "50 MB of `a b;` lines"
    ));
}

/// Every directive on one line: finding whether a token shares the line of its
/// directive's `;` counted the line's characters each time (200,000 `a;` on one line
/// took 26 s, 400,000 took 108 s).
#[test]
fn one_long_line_of_directives_finishes() {
    let text = "a;".repeat(1_000_000).into_bytes();
    assert!(refused_within(
        text,
        Duration::from_secs(20),
        "1,000,000 directives on one line"
    ));
}

/// What proxylint prints in `format` about `text` as nginx.conf, `rule`'s findings only.
fn findings_of(text: &[u8], format: &str, rule: &str) -> String {
    let (_dir, main) = nginx_conf(text);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["--isolated", "--format", format, "--select", rule])
        .arg(&main)
        .env("PROXYLINT_NGINX", "none")
        .output()
        .expect("run proxylint");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Each stray `{` was a syntax error and an open block: 20 MB of them took 20 s and
/// 7.8 GB. Reading stops after 10,000 syntax errors (nginx stops at the first).
#[test]
fn twenty_megabytes_of_braces_stop_after_ten_thousand_errors() {
    let text = vec![b'{'; 20 << 20];
    assert!(refused_within(
        text,
        Duration::from_secs(20),
        "20 MB of `{`"
    ));
    let json = findings_of(&vec![b'{'; 100_000], "json", "NGX001");
    assert!(
        json.contains("more than 10000 syntax errors; proxylint stops reading here"),
        "the stop is reported: {}",
        &json[..json.len().min(2000)]
    );
}

/// Names compared with known names (did-you-mean, typo distances) took time growing
/// faster than their length: a 256 KB host in proxy_pass 14 s (10 MB never ended), a
/// 10 MB variable name 33 s, a 60 MB unknown directive never ended.
#[test]
fn huge_names_finish_in_time_bounded_by_their_length() {
    // Letters from a fixed sequence: a run of one letter is cheaper for some distances.
    let mut rng = Rng::for_name("huge names", 7);
    let mut name = |len: usize| -> String {
        (0..len)
            .map(|_| char::from(b'a' + rng.below(26) as u8))
            .collect()
    };
    let limit = Duration::from_secs(10);
    let host = format!(
        "upstream backend {{ server 127.0.0.1:80; }}\nserver {{ listen 80; location / {{ proxy_pass http://{}; }} }}\n",
        name(10 << 20)
    );
    assert!(refused_within(
        host.into_bytes(),
        limit,
        "a 10 MB proxy_pass host"
    ));
    let group = name(256 << 10);
    let near_group = format!(
        "upstream {group} {{ server 127.0.0.1:80; }}\nserver {{ listen 80; location / {{ proxy_pass http://{group}x; }} }}\n"
    );
    assert!(refused_within(
        near_group.into_bytes(),
        limit,
        "a 256 KB upstream name"
    ));
    let variable = format!("server {{ listen 80; return 200 ${}; }}\n", name(10 << 20));
    assert!(refused_within(
        variable.into_bytes(),
        limit,
        "a 10 MB variable name"
    ));
    let directive = format!("server {{ listen 80; {} on; }}\n", name(60 << 20));
    assert!(refused_within(
        directive.into_bytes(),
        limit,
        "a 60 MB directive name"
    ));
}

/// Two servers on one address with the same 300,000 names: every name of the second is
/// a conflict, and NGX119 looked each one up among those it had already reported in a
/// list (300,000 took ~15 s; a set, under a second).
#[test]
fn many_conflicting_server_names_finish() {
    let names: Vec<String> = (0..300_000).map(|i| format!("h{i}.example.com")).collect();
    let server = format!(
        "    server {{ listen 80; server_name {}; }}\n",
        names.join(" ")
    );
    let text = format!("events {{}}\nhttp {{\n{server}{server}}}\n");
    // nginx accepts it (it warns about each conflicting name).
    assert!(!refused_within(
        text.into_bytes(),
        Duration::from_secs(10),
        "300,000 conflicting server names"
    ));
}

/// What the default (full) format prints about `text` as nginx.conf, which must be
/// done within `limit` (release build; debug builds get five times as long).
fn full_report_within(text: &[u8], limit: Duration, what: &str) -> String {
    let limit = for_this_build(limit);
    let (_dir, main) = nginx_conf(text);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["--isolated", "--color", "never"])
        .arg(&main)
        .env("PROXYLINT_NGINX", "none")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run proxylint");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("{what}: not printed within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reader.join().expect("reader").expect("output")
}

/// 1,001 findings on one 2 MB line: the full format showed the whole line in each
/// snippet (23 s). Snippets of long lines are cut around the finding, and the columns
/// they name still count characters from the line's start (multi-byte ones before).
#[test]
fn findings_on_one_huge_line_print_in_full_in_bounded_time() {
    let mut line = String::from("events {} http { server { listen 80; add_header X-A \"");
    line.push_str(&"é".repeat(300));
    line.push_str("\"; ");
    let mut columns = Vec::new();
    for i in 0..1001 {
        columns.push(line.chars().count() + 1);
        line.push_str(&format!("proxy_foo{i} on; "));
    }
    line.push_str(&"x".repeat(2_000_000));
    line.push_str(" ; } }\n");
    let out = full_report_within(line.as_bytes(), Duration::from_secs(10), "a 2 MB line");
    assert!(
        out.len() < 1002 * 1500,
        "snippets are cut: {} bytes printed",
        out.len()
    );
    for (i, column) in columns.iter().enumerate() {
        let header = format!("nginx.conf:1:{column}]");
        let at = out
            .find(&header)
            .unwrap_or_else(|| panic!("proxy_foo{i} at column {column}: {}", &out[..2000]));
        let snippet = out[at..].lines().nth(1).expect("the snippet line");
        assert!(snippet.contains(&format!("proxy_foo{i} on;")), "{snippet}");
        if i > 10 {
            assert!(
                snippet.contains("1 │ ..."),
                "cut lines are marked: {snippet}"
            );
        }
    }
    // A related place far along the same line gets a snippet of its own, at its column.
    let line = format!(
        "events {{}} http {{ server {{ location / {{ proxy_read_timeout 30s; {}proxy_read_timeout 40s; }} }} }}\n",
        "proxy_set_header X-A b; ".repeat(400)
    );
    let out = full_report_within(line.as_bytes(), Duration::from_secs(10), "a far label");
    let at = out
        .find("nginx.conf:1:40]")
        .expect("the first place's snippet");
    let snippet = out[at..].lines().nth(1).expect("the snippet line");
    assert!(snippet.contains("proxy_read_timeout 30s;"), "{out}");
}

#[test]
fn binary_files_are_refused() {
    let exe = std::env::current_exe().expect("the test binary");
    assert!(refused(&exe));
    let nginx = Path::new("/usr/sbin/nginx");
    if nginx.is_file() {
        assert!(refused(nginx));
    }
}

/// A file with a stray NUL in a comment is text to nginx (1.22.1 accepts it): the binary
/// file check, which replaces a garbage file's findings with one, must not refuse it.
#[test]
fn nul_byte_in_a_comment_is_accepted_like_nginx() {
    assert!(!lint_text(b"events {}\n# a\0b\nhttp {}\n"));
    assert!(lint_text(b"events {}\nhttp { a\0b on; }\n"));
}

/// A million unknown directives made a million findings (and did-you-means) before the
/// per-file cap dropped all but 1,000: 516 MB. Past the cap they are only counted, and
/// the count stays exact.
#[test]
fn unknown_directives_past_the_cap_are_counted_not_built() {
    let mut text = String::from("events {}\nhttp {\n");
    for i in 0..50_000 {
        text.push_str(&format!("foo{i} on;\n"));
    }
    text.push_str("}\n");
    let stdout = findings_of(text.as_bytes(), "concise", "NGX002");
    let findings: Vec<&str> = stdout.lines().filter(|l| l.contains("[NGX002]")).collect();
    assert_eq!(
        findings.len(),
        1001,
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert!(
        findings[1000].ends_with("(and 49000 more NGX002 findings in this file, not shown)"),
        "{}",
        findings[1000]
    );
}
