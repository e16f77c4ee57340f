//! The built binary, as users and CI run it: exit codes (0 clean, 1 findings, 2 usage,
//! I/O or configuration error), every output format, stdin, bad input (unreadable
//! files, directories, binary garbage, include cycles) and the configuration surface
//! (proxylint.toml, --select/--ignore/--fail-level, suppression comments). Assertions
//! are on what is printed, not only on exit codes; no input may make it panic.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

const CLEAN: &str = "events {}\nhttp {\n    server {\n        listen 8080;\n        location / {\n            proxy_pass http://127.0.0.1:3000;\n        }\n    }\n}\n";

/// One error (NGX002) on line 2.
const UNKNOWN: &str = "events {}\nhttp { bogus on; }\n";

/// One warning (NGX013) on line 4, nothing else.
const DEPRECATED: &str = "events {}\nhttp {\n    server {\n        listen 8080 http2;\n    }\n}\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        // Whatever the input, a panic is a bug.
        assert!(
            !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
            "panic: {}",
            run.stderr
        );
        run
    }

    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs proxylint in `dir` with stdin from `input`.
fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Run {
    run_with_env(dir, args, input, &[])
}

/// Runs proxylint in `dir` with stdin from `input`, and these environment variables
/// set (the color variables are removed unless given here).
fn run_with_env(dir: &Path, args: &[&str], input: &[u8], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_proxylint"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        // The same nginx version on every machine: no `nginx -v` (tests/nginx_version.rs
        // covers detection).
        .env("PROXYLINT_NGINX", "none");
    command.envs(env.iter().copied());
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn proxylint");
    if let Some(mut stdin) = child.stdin.take() {
        // proxylint may exit before reading (usage errors): a broken pipe is fine.
        let _ = stdin.write_all(input);
    }
    Run::from(child.wait_with_output().expect("wait for proxylint"))
}

/// The end of the summary line without a configured nginx version.
fn checked_against_default() -> String {
    format!(
        "; checked against nginx {} (the current stable release: PROXYLINT_NGINX=none; set --nginx-version to yours).",
        proxylint::nginx::grammar::DEFAULT_VERSION
    )
}

/// "No problems found" for `files` files, with the default nginx version.
fn no_problems(files: usize) -> String {
    format!(
        "No problems found in {files} file(s){}\n",
        checked_against_default()
    )
}

/// Runs proxylint in `dir`, with whatever proxylint.toml it finds.
fn run(dir: &Path, args: &[&str]) -> Run {
    run_with_stdin(dir, args, b"")
}

/// Runs proxylint in `dir` without any proxylint.toml (one above the temporary
/// directory must not change these tests).
fn isolated(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--isolated"];
    all.extend_from_slice(args);
    run(dir, &all)
}

/// A temporary directory with these files.
fn tree(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(path, text).expect("write file");
    }
    dir
}

#[test]
fn clean_config_exits_0() {
    let dir = tree(&[("nginx.conf", CLEAN.as_bytes())]);
    let out = isolated(dir.path(), &["nginx.conf"]).expect(0);
    assert_eq!(out.stdout, no_problems(1));
    assert_eq!(out.stderr, "");
}

#[test]
fn findings_exit_1_and_are_printed() {
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    let out = isolated(dir.path(), &["nginx.conf"]).expect(1);
    assert!(out.stdout.contains("NGX002"), "{}", out.stdout);
    assert!(out.stdout.contains("unknown directive \"bogus\""));
    assert!(out.stdout.contains(&format!(
        "Found 1 error, 0 warnings in 1 file(s){}",
        checked_against_default()
    )));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tree(&[("nginx.conf", CLEAN.as_bytes())]);
    let out = isolated(dir.path(), &["--no-such-flag", "nginx.conf"]).expect(2);
    assert!(out.stderr.contains("--no-such-flag"), "{}", out.stderr);
    let out = isolated(dir.path(), &["--format", "xml", "nginx.conf"]).expect(2);
    assert!(out.stderr.contains("invalid value 'xml'"), "{}", out.stderr);
    assert!(
        out.stderr.contains("checkstyle"),
        "lists the formats: {}",
        out.stderr
    );
    let out = isolated(dir.path(), &["--fail-level", "fatal", "nginx.conf"]).expect(2);
    assert!(out.stderr.contains("expected error, warning or info"));
    let out = run(
        dir.path(),
        &["--isolated", "--config-file", "x.toml", "nginx.conf"],
    )
    .expect(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}

#[test]
fn nonexistent_path_exits_2_naming_it() {
    let dir = tree(&[]);
    let out = isolated(dir.path(), &["missing.conf"]).expect(2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("proxylint: error: missing.conf: No such file or directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn unreadable_file_exits_2_unless_privileged() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    let path = dir.path().join("nginx.conf");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root reads a mode-000 file anyway; then it is linted like any other.
    let readable = std::fs::read(&path).is_ok();
    let out = isolated(dir.path(), &["nginx.conf"]);
    if readable {
        assert!(out.expect(1).stdout.contains("NGX002"));
    } else {
        let out = out.expect(2);
        assert!(
            out.stderr.contains("nginx.conf: Permission denied"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn directory_where_a_file_is_expected_exits_2() {
    let dir = tree(&[("nginx.conf", CLEAN.as_bytes()), ("conf.d/.keep", b"")]);
    let out = isolated(dir.path(), &["conf.d"]).expect(2);
    assert!(
        out.stderr
            .contains("conf.d: no nginx.conf and no *.conf file"),
        "{}",
        out.stderr
    );
    let out = run(dir.path(), &["--config-file", "conf.d", "nginx.conf"]).expect(2);
    assert!(
        out.stderr.contains("conf.d: Is a directory"),
        "{}",
        out.stderr
    );
}

/// Deterministic bytes with NULs, invalid UTF-8, braces and quotes.
fn garbage(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            if i % 97 == 0 { 0 } else { (state >> 56) as u8 }
        })
        .collect()
}

#[test]
fn binary_garbage_is_reported_in_every_format_without_a_panic() {
    let dir = tree(&[("garbage.conf", &garbage(4096))]);
    for format in ["full", "concise", "json", "sarif", "github", "checkstyle"] {
        let out = isolated(dir.path(), &["--format", format, "garbage.conf"]).expect(1);
        assert!(out.stdout.contains("NGX0"), "{format}: {}", out.stdout);
        match format {
            "json" | "sarif" => {
                serde_json::from_str::<Value>(&out.stdout).expect("valid JSON");
            }
            "checkstyle" => {
                roxmltree::Document::parse(&out.stdout).expect("well-formed XML");
            }
            _ => {}
        }
    }
}

#[test]
fn include_cycle_is_a_finding() {
    let dir = tree(&[
        ("nginx.conf", b"events {}\nhttp { include a.conf; }\n"),
        ("a.conf", b"include b.conf;\n"),
        ("b.conf", b"include a.conf;\n"),
    ]);
    let out = isolated(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert!(out.stdout.contains("error[NGX008]"), "{}", out.stdout);
    assert!(out.stdout.contains("b.conf:1:"), "{}", out.stdout);
}

#[test]
fn stdin_is_named_by_stdin_filename() {
    let dir = tree(&[]);
    let out = run_with_stdin(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            "-",
            "--stdin-filename",
            "site.conf",
        ],
        UNKNOWN.as_bytes(),
    )
    .expect(1);
    assert_eq!(
        out.stdout,
        "site.conf:2:8: error[NGX002] unknown directive \"bogus\"\n"
    );
    let out = run_with_stdin(
        dir.path(),
        &["--isolated", "--format", "concise", "-"],
        UNKNOWN.as_bytes(),
    )
    .expect(1);
    assert!(out.stdout.starts_with("<stdin>:2:8: "), "{}", out.stdout);
    let out = run_with_stdin(dir.path(), &["--isolated", "-"], CLEAN.as_bytes()).expect(0);
    assert!(out.stdout.contains("No problems found"));
}

#[test]
fn every_format_prints_its_own_shape() {
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    let lint = |format: &str| isolated(dir.path(), &["--format", format, "nginx.conf"]).expect(1);

    assert!(
        lint("full")
            .stdout
            .contains("× unknown directive \"bogus\"")
    );
    assert_eq!(
        lint("concise").stdout,
        "nginx.conf:2:8: error[NGX002] unknown directive \"bogus\"\n"
    );
    let json: Value = serde_json::from_str(&lint("json").stdout).expect("JSON");
    assert_eq!(json["diagnostics"][0]["code"], "NGX002");
    assert_eq!(json["diagnostics"][0]["file"], "nginx.conf");
    assert_eq!(json["summary"]["errors"], 1);
    let sarif: Value = serde_json::from_str(&lint("sarif").stdout).expect("JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "NGX002");
    assert_eq!(
        lint("github").stdout,
        "::error file=nginx.conf,line=2,col=8,endLine=2,endColumn=13,title=NGX002 unknown-directive::unknown directive \"bogus\"\n"
    );
    let xml = lint("checkstyle").stdout;
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    let error = doc
        .descendants()
        .find(|n| n.has_tag_name("error"))
        .expect("an error element");
    assert_eq!(error.attribute("source"), Some("proxylint.NGX002"));
    assert_eq!(error.attribute("line"), Some("2"));
}

#[test]
fn fail_level_decides_the_exit_code() {
    let dir = tree(&[("nginx.conf", DEPRECATED.as_bytes())]);
    let out = isolated(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert!(out.stdout.contains("warning[NGX013]"), "{}", out.stdout);
    isolated(dir.path(), &["--fail-level", "error", "nginx.conf"]).expect(0);
    isolated(dir.path(), &["--fail-level", "info", "nginx.conf"]).expect(1);
    // Syntax errors fail at any level.
    let broken = tree(&[("nginx.conf", b"events {}\nhttp {\n")]);
    let out = isolated(broken.path(), &["--fail-level", "error", "nginx.conf"]).expect(1);
    assert!(out.stdout.contains("NGX001"));
}

#[test]
fn select_and_ignore_choose_rules_but_never_drop_syntax_errors() {
    let text = "events {}\nhttp {\n    bogus on;\n    server { listen 8080 http2; }\n    return 200 \"x\"y;\n}\n";
    let dir = tree(&[("nginx.conf", text.as_bytes())]);
    let codes = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        all.push("nginx.conf");
        let out = isolated(dir.path(), &all);
        let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
        json["diagnostics"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| d["code"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let all = codes(&[]);
    assert!(all.contains(&"NGX002".to_string()), "{all:?}");
    assert!(all.contains(&"NGX013".to_string()), "{all:?}");
    assert_eq!(codes(&["--select", "NGX013"]), ["NGX013", "NGX001"]);
    assert_eq!(codes(&["--select", "ngx01"]), ["NGX013", "NGX001"]);
    let ignored = codes(&["--ignore", "NGX002,NGX013"]);
    assert!(!ignored.contains(&"NGX002".to_string()) && !ignored.contains(&"NGX013".to_string()));
    assert!(ignored.contains(&"NGX001".to_string()));
    let out = isolated(dir.path(), &["--ignore", "NGX001", "nginx.conf"]).expect(2);
    assert!(
        out.stderr
            .contains("NGX001 (syntax errors) cannot be ignored")
    );
    let out = isolated(dir.path(), &["--select", "NGX9", "nginx.conf"]).expect(2);
    assert!(out.stderr.contains("\"NGX9\" matches no rule code"));
}

#[test]
fn proxylint_toml_is_found_upward_and_flags_override_it() {
    let dir = tree(&[
        (
            "proxylint.toml",
            b"ignore = [\"NGX002\"]\nfail-level = \"error\"\n",
        ),
        ("etc/nginx/sites/app.conf", DEPRECATED.as_bytes()),
        ("etc/nginx/sites/bad.conf", UNKNOWN.as_bytes()),
    ]);
    // Found two directories above the file: NGX002 ignored, warnings do not fail.
    let out = run(
        dir.path(),
        &["--format", "concise", "etc/nginx/sites/bad.conf"],
    )
    .expect(0);
    assert_eq!(out.stdout, "");
    let out = run(
        dir.path(),
        &["--format", "concise", "etc/nginx/sites/app.conf"],
    )
    .expect(0);
    assert!(out.stdout.contains("warning[NGX013]"), "{}", out.stdout);
    // Flags override the file; --ignore adds to its list.
    run(
        dir.path(),
        &["--fail-level", "warning", "etc/nginx/sites/app.conf"],
    )
    .expect(1);
    let out = run(
        dir.path(),
        &[
            "--ignore",
            "NGX013",
            "--format",
            "concise",
            "etc/nginx/sites/app.conf",
            "etc/nginx/sites/bad.conf",
        ],
    )
    .expect(0);
    assert_eq!(out.stdout, "");
    // --isolated reads no file.
    let out = run(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "concise",
            "etc/nginx/sites/bad.conf",
        ],
    )
    .expect(1);
    assert!(out.stdout.contains("NGX002"));
    // From stdin, the search starts at --stdin-filename's directory.
    let out = run_with_stdin(
        dir.path(),
        &[
            "--format",
            "concise",
            "-",
            "--stdin-filename",
            "etc/nginx/sites/x.conf",
        ],
        UNKNOWN.as_bytes(),
    )
    .expect(0);
    assert_eq!(out.stdout, "");
}

#[test]
fn config_file_flag_and_rules_table() {
    let dir = tree(&[
        (
            "ci.toml",
            b"[rules]\nNGX013 = \"error\"\nNGX002 = \"off\"\n",
        ),
        ("nginx.conf", format!("{DEPRECATED}bogus on;\n").as_bytes()),
    ]);
    let out = run(
        dir.path(),
        &[
            "--config-file",
            "ci.toml",
            "--format",
            "concise",
            "nginx.conf",
        ],
    )
    .expect(1);
    assert_eq!(
        out.stdout,
        "nginx.conf:4:21: error[NGX013] the \"listen ... http2\" directive is deprecated, use the \"http2\" directive instead\n"
    );
    let out = run(dir.path(), &["--config-file", "missing.toml", "nginx.conf"]).expect(2);
    assert!(
        out.stderr
            .contains("missing.toml: No such file or directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_proxylint_toml_exits_2_naming_file_and_key() {
    let cases: &[(&str, &str)] = &[
        ("colour = \"always\"\n", "unknown field `colour`"),
        ("fail-level = \"fatal\"\n", "invalid severity \"fatal\""),
        ("nginx-version = \"one\"\n", "invalid nginx version \"one\""),
        (
            "[rules]\nNGX999 = \"off\"\n",
            "unknown rule code \"NGX999\"",
        ),
        ("[rules]\nNGX002 = \"loud\"\n", "unknown variant `loud`"),
        (
            "[rules]\nNGX001 = \"warning\"\n",
            "[rules] NGX001: syntax errors cannot be turned off or downgraded",
        ),
        (
            "ignore = [\"NGX001\"]\n",
            "NGX001 (syntax errors) cannot be ignored",
        ),
        ("select = [\"XYZ\"]\n", "\"XYZ\" matches no rule code"),
        ("exclude = [\"[\"]\n", "exclude"),
        (
            "[thresholds]\nmin-read-timeout = \"10 parsecs\"\n",
            "invalid time \"10 parsecs\"",
        ),
        (
            "[thresholds]\nmin-buffer-size = \"4q\"\n",
            "invalid size \"4q\"",
        ),
        ("[thresholds]\nhttp-ports = [70000]\n", "http-ports"),
        (
            "[thresholds]\nmax-read-timeout = \"1s\"\n",
            "unknown field `max-read-timeout`",
        ),
        ("plus = \"yes\"\n", "plus"),
        ("\u{0}\u{1}garbage = [\n", "TOML parse error"),
    ];
    for (text, message) in cases {
        let dir = tree(&[
            ("proxylint.toml", text.as_bytes()),
            ("nginx.conf", CLEAN.as_bytes()),
        ]);
        let out = run(dir.path(), &["nginx.conf"]).expect(2);
        assert_eq!(out.stdout, "", "{text}");
        assert!(
            out.stderr.contains("proxylint.toml: ") && out.stderr.contains(message),
            "{text:?}: want {message:?} in\n{}",
            out.stderr
        );
    }
}

#[test]
fn exclude_skips_entry_files_and_drops_findings_of_included_ones() {
    let dir = tree(&[
        (
            "proxylint.toml",
            b"exclude = [\"vendor/**\", \"./old.conf\"]\n",
        ),
        (
            "nginx.conf",
            b"events {}\nhttp { include vendor/*.conf; }\n",
        ),
        ("vendor/third-party.conf", b"vendor_bogus on;\n"),
        ("old.conf", UNKNOWN.as_bytes()),
    ]);
    let out = run(dir.path(), &["nginx.conf"]).expect(0);
    assert_eq!(out.stdout, no_problems(2));
    let out = run(dir.path(), &["old.conf"]).expect(0);
    assert!(
        out.stderr.contains("old.conf is excluded"),
        "{}",
        out.stderr
    );
    // The excluded file still parses: a syntax error there is still reported.
    std::fs::write(dir.path().join("vendor/third-party.conf"), "broken {\n").expect("write");
    let out = run(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert!(
        out.stdout
            .contains("vendor/third-party.conf:2:1: error[NGX001]"),
        "{}",
        out.stdout
    );
}

/// The first code block in `language` after a README heading.
fn readme_block(heading: &str, language: &str) -> String {
    let readme = include_str!("../README.md");
    let at = readme.find(heading).expect("README heading");
    let fence = format!("```{language}\n");
    let start = at + readme[at..].find(&fence).expect("a code block") + fence.len();
    let end = start + readme[start..].find("```").expect("closed block");
    readme[start..end].to_string()
}

#[test]
fn readme_configuration_example_is_valid() {
    let example = readme_block("## Configuration", "toml");
    assert!(example.starts_with("# proxylint.toml\n"), "{example}");
    let dir = tree(&[
        ("proxylint.toml", example.as_bytes()),
        ("nginx.conf", CLEAN.as_bytes()),
    ]);
    let out = run(dir.path(), &["nginx.conf"]).expect(0);
    assert_eq!(out.stderr, "");
}

#[test]
fn readme_suppression_example_hides_exactly_what_it_says() {
    let example = readme_block("### Suppressing findings", "nginx");
    let without: String = example
        .lines()
        .map(|l| l.split("# proxylint:").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tree(&[
        ("example.conf", example.as_bytes()),
        ("bare.conf", without.as_bytes()),
    ]);
    let out = isolated(dir.path(), &["--fail-level", "info", "example.conf"]).expect(0);
    assert_eq!(out.stdout, no_problems(1));
    let out = isolated(dir.path(), &["--format", "concise", "bare.conf"]).expect(1);
    let codes: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.split('[').nth(1)?.split(']').next())
        .collect();
    assert_eq!(codes, ["NGX102", "NGX108", "NGX109"], "{}", out.stdout);
}

#[test]
fn thresholds_from_proxylint_toml_reach_the_rules() {
    let conf = "location / {\n    proxy_read_timeout 5s;\n    proxy_buffer_size 4k;\n    proxy_pass http://127.0.0.1:3000;\n}\n";
    let dir = tree(&[("site.conf", conf.as_bytes())]);
    let out = isolated(dir.path(), &["--format", "concise", "site.conf"]).expect(1);
    assert!(out.stdout.contains("warning[NGX102]"), "{}", out.stdout);
    assert!(!out.stdout.contains("NGX104"), "{}", out.stdout);
    std::fs::write(
        dir.path().join("proxylint.toml"),
        "[thresholds]\nmin-read-timeout = \"2s\"\nmin-buffer-size = \"8k\"\n",
    )
    .expect("write");
    let out = run(dir.path(), &["--format", "concise", "site.conf"]).expect(1);
    assert!(!out.stdout.contains("NGX102"), "{}", out.stdout);
    assert!(out.stdout.contains("warning[NGX104]"), "{}", out.stdout);
}

#[test]
fn suppression_comments_hide_findings_and_unused_ones_are_reported() {
    let text = "\
# proxylint: disable-file=NGX013
events {}
http {
    bogus on;  # proxylint: disable=NGX002
    # proxylint: disable=all
    bogus_too on;
    server { listen 8080 http2; }
    proxy_read_timeout 60s;  # proxylint: disable=NGX002
    still_bogus on;
}
";
    let dir = tree(&[("nginx.conf", text.as_bytes())]);
    let out = isolated(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert_eq!(
        out.stdout,
        "nginx.conf:8:51: info[PXL001] `disable=NGX002` suppresses nothing: no NGX002 finding on line 8\n\
         nginx.conf:9:5: error[NGX002] unknown directive \"still_bogus\"\n"
    );
    // Unused suppressions are infos: they fail only at --fail-level info.
    let clean = format!("{CLEAN}# proxylint: disable-file=NGX002\n");
    let dir = tree(&[("nginx.conf", clean.as_bytes())]);
    isolated(dir.path(), &["nginx.conf"]).expect(0);
    let out = isolated(
        dir.path(),
        &["--fail-level", "info", "--format", "concise", "nginx.conf"],
    )
    .expect(1);
    assert!(out.stdout.contains("info[PXL001]"));
    isolated(
        dir.path(),
        &["--fail-level", "info", "--ignore", "PXL001", "nginx.conf"],
    )
    .expect(0);
}

#[test]
fn rules_lists_every_rule() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["rules"]).expect(0);
    for rule in proxylint::rules::all() {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(rule.code))
            .unwrap_or_else(|| panic!("{} missing from `proxylint rules`", rule.code));
        assert!(
            line.contains(rule.name) && line.contains(rule.severity.as_str()),
            "{line}"
        );
    }
    assert!(out.stdout.contains("PXL001  unused-suppression"));
}

#[test]
fn rule_prints_one_rules_documentation() {
    let dir = tree(&[]);
    let out = run(dir.path(), &["rule", "NGX005"]).expect(0);
    assert!(
        out.stdout.starts_with("# NGX005 invalid-value (error)\n"),
        "{}",
        out.stdout
    );
    for section in [
        "## What it does",
        "## Example",
        "## Use instead",
        "## References",
    ] {
        assert!(out.stdout.contains(section), "{section} missing");
    }
    let by_name = run(dir.path(), &["rule", "invalid-value"]).expect(0);
    assert_eq!(by_name.stdout, out.stdout);
    let out = run(dir.path(), &["rule", "NGX999"]).expect(2);
    assert!(out.stderr.contains("no rule \"NGX999\""), "{}", out.stderr);
}

#[test]
fn declared_backends_come_from_the_file_and_the_flag() {
    let conf = "events {}\nhttp {\n    server {\n        listen 8080;\n        location / { proxy_pass http://127.0.0.1:3001; }\n        location ~ \\.php$ { fastcgi_pass unix:/run/php/php7.4-fpm.sock; }\n    }\n}\n";
    let dir = tree(&[
        ("nginx.conf", conf.as_bytes()),
        (
            "proxylint.toml",
            b"backends = [\"unix:/run/php/php8.2-fpm.sock\"]\n",
        ),
    ]);
    let out = run(
        dir.path(),
        &[
            "--format",
            "concise",
            "--backend",
            "127.0.0.1:3000",
            "nginx.conf",
        ],
    )
    .expect(1);
    assert!(
        out.stdout.contains(
            "nginx.conf:5:33: warning[NGX101] no declared backend listens on 127.0.0.1:3001"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("nginx.conf:6:42: warning[NGX107] no declared backend listens on unix:/run/php/php7.4-fpm.sock"), "{}", out.stdout);
    let bad = run(dir.path(), &["--backend", "localhost", "nginx.conf"]).expect(2);
    assert!(
        bad.stderr.contains("invalid backend address \"localhost\""),
        "{}",
        bad.stderr
    );
}

/// Characters a terminal acts on (other than line breaks and tabs) in `text`.
fn control_characters(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && !matches!(c, '\n' | '\t'))
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect()
}

const FORMATS: [&str; 6] = ["full", "concise", "json", "sarif", "github", "checkstyle"];

/// Binary garbage printed 1,004 findings with raw ESC and BEL bytes: it is one finding
/// now, and no format writes a control character of the input.
#[test]
fn binary_garbage_is_one_finding_and_no_format_writes_control_characters() {
    let dir = tree(&[("garbage.conf", &garbage(20_000))]);
    let out = isolated(dir.path(), &["--format", "concise", "garbage.conf"]).expect(1);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("error[NGX001] binary file"),
        "{}",
        out.stdout
    );
    // A text file whose names hold ESC, BEL, CSI (U+009B) and a bidi override.
    let hostile = "events {}\nhttp {\n    x\u{1b}[2J\u{7}y on;\n    a\u{9b}b\u{202e}c on;\n}\n";
    let dir = tree(&[
        ("hostile.conf", hostile.as_bytes()),
        ("garbage.conf", &garbage(20_000)),
    ]);
    for format in FORMATS {
        for file in ["hostile.conf", "garbage.conf"] {
            let out = isolated(dir.path(), &["--format", format, file]).expect(1);
            let found = control_characters(&out.stdout);
            assert!(
                found.is_empty(),
                "{format} {file} writes {found:?}:\n{}",
                out.stdout
            );
        }
        let out = isolated(dir.path(), &["--format", format, "hostile.conf"]).expect(1);
        // JSON keeps the text (escaped as JSON); the others show the escape.
        let shown = if format == "json" {
            "\\u001b[2J"
        } else {
            "\\x1b[2J"
        };
        assert!(out.stdout.contains(shown), "{format}: {}", out.stdout);
    }
}

/// A UTF-8 byte order mark gave `unknown directive "events"` with `did you mean
/// "events"?`. nginx 1.22.1 refuses such a file (`unknown directive "\u{feff}events"`):
/// so does proxylint, saying why, without the cascade of a missing events block.
#[test]
fn utf8_bom_is_named_as_the_cause() {
    let dir = tree(&[("nginx.conf", b"\xEF\xBB\xBFevents {}\nhttp {}\n")]);
    let out = isolated(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert_eq!(
        out.stdout.trim(),
        "nginx.conf:1:1: error[NGX002] unknown directive \"\\u{feff}events\""
    );
    let out = isolated(dir.path(), &["nginx.conf"]).expect(1);
    assert!(out.stdout.contains("byte order mark"), "{}", out.stdout);
    assert!(!out.stdout.contains("did you mean"), "{}", out.stdout);
}

/// A dangling `*.conf` symlink in a directory argument was skipped silently (and so
/// were symlinked files: sites-enabled/ is links). nginx's `include` of the directory
/// fails on the dangling one.
#[test]
fn symlinks_in_a_directory_argument_are_read_and_a_dangling_one_is_reported() {
    let dir = tree(&[
        (
            "sites-available/app.conf",
            b"server {\n    listen 8080;\n    listen 8080;\n}\n",
        ),
        ("sites-enabled/.keep", b""),
    ]);
    let enabled = dir.path().join("sites-enabled");
    std::os::unix::fs::symlink("../sites-available/app.conf", enabled.join("app.conf"))
        .expect("symlink");
    std::os::unix::fs::symlink("../sites-available/gone.conf", enabled.join("gone.conf"))
        .expect("symlink");
    let out = isolated(dir.path(), &["--format", "concise", "sites-enabled"]).expect(1);
    assert!(
        out.stdout
            .contains("sites-enabled/app.conf:3:12: error[NGX016]"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("sites-enabled/gone.conf:1:1: error[NGX007] open() ")
            && out.stdout.contains("failed (2: No such file or directory)"),
        "{}",
        out.stdout
    );
    let out = isolated(dir.path(), &["sites-enabled"]).expect(1);
    assert!(
        out.stdout.contains("dangling symbolic link"),
        "{}",
        out.stdout
    );
}

/// A path argument that is not UTF-8 could not be linted at all; nginx reads it.
#[test]
fn path_argument_that_is_not_utf8_is_linted() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.conf");
    std::fs::write(dir.path().join(name), UNKNOWN).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(["--isolated", "--format", "concise"])
        .arg(name)
        .current_dir(dir.path())
        .output()
        .expect("run proxylint");
    let out = Run::from(out).expect(1);
    assert_eq!(
        out.stdout.trim(),
        "caf\\xe9.conf:2:8: error[NGX002] unknown directive \"bogus\""
    );
}

/// A glob include matching a file whose name is not UTF-8 panicked (exit 101) in the
/// glob crate; nginx includes the file.
#[test]
fn glob_include_of_a_file_named_in_latin1_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tree(&[(
        "nginx.conf",
        b"events {}\nhttp {\n    include conf.d/*.conf;\n}\n",
    )]);
    std::fs::create_dir(dir.path().join("conf.d")).expect("mkdir");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.conf");
    std::fs::write(
        dir.path().join("conf.d").join(name),
        "server {\n    listen 8081;\n    listen 8081;\n}\n",
    )
    .expect("write");
    let out = isolated(dir.path(), &["--format", "concise", "nginx.conf"]).expect(1);
    assert_eq!(
        out.stdout.trim(),
        "conf.d/caf\\xe9.conf:3:12: error[NGX016] a duplicate listen 0.0.0.0:8081"
    );
}

/// An empty file checked as a main configuration passed; nginx refuses it with
/// `no "events" section in configuration`. Without --context it is an empty snippet.
#[test]
fn empty_file_with_context_main_is_refused() {
    let dir = tree(&[("empty.conf", b"")]);
    let out = isolated(
        dir.path(),
        &["--format", "concise", "--context", "main", "empty.conf"],
    )
    .expect(1);
    assert_eq!(
        out.stdout.trim(),
        "empty.conf:1:1: error[NGX021] no \"events\" section in configuration"
    );
    isolated(dir.path(), &["empty.conf"]).expect(0);
}

/// Past the cap on included files (20,000, a warning) a syntax error passed as clean.
/// The cap is now 250,000 and reaching it is an error nothing can silence.
#[test]
fn included_files_cap_is_an_error_that_cannot_be_silenced() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("d")).expect("mkdir");
    for i in 0..1000 {
        std::fs::write(dir.path().join(format!("d/{i}.conf")), "").expect("write");
    }
    // 251 globs of 1,000 files: 251,000 included file instances.
    let main = format!(
        "# proxylint: disable-file=all\nevents {{}}\nhttp {{\n{}    server {{ listen 80 }}\n}}\n",
        "    include d/*.conf;\n".repeat(251)
    );
    std::fs::write(dir.path().join("nginx.conf"), main).expect("write");
    let out = isolated(
        dir.path(),
        &[
            "--format",
            "concise",
            "--select",
            "NGX1",
            "--fail-level",
            "error",
            "nginx.conf",
        ],
    )
    .expect(1);
    assert!(
        out.stdout
            .contains("nginx.conf:254:13: error[NGX001] more than 250000 included files"),
        "{}",
        out.stdout
    );
}

/// Errors name paths from the command line: their control characters are escaped too.
#[test]
fn error_messages_escape_control_characters_of_paths() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = isolated(dir.path(), &["missing\u{1b}[2J.conf"]).expect(2);
    assert!(
        out.stderr.contains("missing\\x1b[2J.conf"),
        "{}",
        out.stderr
    );
    assert!(control_characters(&out.stderr).is_empty(), "{}", out.stderr);
}

/// ANSI escape: colored output.
const ESC: char = '\x1b';

#[test]
fn color_follows_the_flag_and_the_no_color_conventions() {
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    let colored = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--isolated"];
        all.extend_from_slice(args);
        all.push("nginx.conf");
        run_with_env(dir.path(), &all, b"", env)
            .expect(1)
            .stdout
            .contains(ESC)
    };
    // Not a terminal: no colors unless asked.
    assert!(!colored(&[], &[]));
    assert!(colored(&["--color", "always"], &[]));
    assert!(colored(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!colored(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(colored(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!colored(&[], &[("CLICOLOR_FORCE", "0")]));
}

#[test]
fn quiet_prints_findings_only_and_nothing_when_clean() {
    let dir = tree(&[
        ("bad.conf", UNKNOWN.as_bytes()),
        ("good.conf", CLEAN.as_bytes()),
    ]);
    let bad = isolated(dir.path(), &["--quiet", "bad.conf"]).expect(1);
    assert!(bad.stdout.contains("NGX002"), "{}", bad.stdout);
    assert!(!bad.stdout.contains("Found 1 error"), "{}", bad.stdout);
    let good = isolated(dir.path(), &["-q", "good.conf"]).expect(0);
    assert_eq!(good.stdout, "");
    let normal = isolated(dir.path(), &["good.conf"]).expect(0);
    assert!(
        normal.stdout.contains("No problems found"),
        "{}",
        normal.stdout
    );
}

#[test]
fn statistics_count_findings_per_rule() {
    let text = "events {}\nhttp {\n    bogus on;\n    other on;\n    server {\n        listen 8080 http2;\n    }\n}\n";
    let dir = tree(&[("nginx.conf", text.as_bytes())]);
    let out = isolated(dir.path(), &["--statistics", "nginx.conf"]).expect(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "2  NGX002  unknown-directive", "{}", out.stdout);
    assert_eq!(
        lines[1], "1  NGX013  deprecated-directive",
        "{}",
        out.stdout
    );
    assert!(
        lines[2].starts_with("Found 2 errors, 1 warning"),
        "{}",
        out.stdout
    );
    let usage = isolated(
        dir.path(),
        &["--statistics", "--format", "json", "nginx.conf"],
    )
    .expect(2);
    assert!(usage.stderr.contains("--statistics"), "{}", usage.stderr);
}

#[test]
fn output_file_receives_the_report() {
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    let out = isolated(
        dir.path(),
        &[
            "--format",
            "json",
            "--output-file",
            "report.json",
            "nginx.conf",
        ],
    )
    .expect(1);
    assert_eq!(out.stdout, "");
    let text = std::fs::read_to_string(dir.path().join("report.json")).expect("report written");
    let json: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(json["diagnostics"][0]["code"], "NGX002");
    let unwritable =
        isolated(dir.path(), &["-o", "missing/dir/report.txt", "nginx.conf"]).expect(2);
    assert!(
        unwritable.stderr.contains("missing/dir/report.txt"),
        "{}",
        unwritable.stderr
    );
}

#[test]
fn exit_zero_and_fail_level_none_never_fail_on_findings() {
    let dir = tree(&[("nginx.conf", UNKNOWN.as_bytes())]);
    isolated(dir.path(), &["--exit-zero", "nginx.conf"]).expect(0);
    isolated(dir.path(), &["--fail-level", "none", "nginx.conf"]).expect(0);
    let toml = tree(&[
        ("nginx.conf", UNKNOWN.as_bytes()),
        ("proxylint.toml", b"fail-level = \"none\"\n"),
    ]);
    run(toml.path(), &["nginx.conf"]).expect(0);
    // Usage errors still exit 2.
    isolated(dir.path(), &["--exit-zero", "missing.conf"]).expect(2);
    let bad = isolated(dir.path(), &["--fail-level", "fatal", "nginx.conf"]).expect(2);
    assert!(bad.stderr.contains("or none"), "{}", bad.stderr);
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let dir = tree(&[]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(dir.path(), &["completions", shell]).expect(0);
        assert!(
            out.stdout.contains("proxylint") && out.stdout.contains("nginx-version"),
            "{shell}: {}",
            out.stdout
        );
    }
    let bash = run(dir.path(), &["completions", "bash"]).expect(0);
    // The script must parse in bash.
    if let Ok(check) = Command::new("bash")
        .args(["-n", "-c", &bash.stdout])
        .output()
    {
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
    let man = run(dir.path(), &["manpage"]).expect(0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH proxylint"),
        "{}",
        man.stdout
    );
    for section in [
        ".SH NAME",
        ".SH SYNOPSIS",
        ".SH OPTIONS",
        "\\-\\-fail\\-level",
    ] {
        assert!(man.stdout.contains(section), "missing {section}");
    }
    run(dir.path(), &["completions", "tcsh"]).expect(2);
}

/// The walk of a directory read every file with its includes to learn which files are
/// entry points, then the run read them again; now a token scan finds the includes,
/// through included files outside the directory too.
#[test]
fn directory_entry_points_skip_files_included_through_a_chain() {
    let dir = tree(&[
        (
            "nginx.conf",
            b"events {}\nhttp {\n    include conf.d/site.conf;\n}\n",
        ),
        (
            "conf.d/site.conf",
            b"server {\n    listen 8080;\n    include common/base.conf;\n}\n",
        ),
        ("common/base.conf", b"include conf.d/extra.conf;\n"),
        ("conf.d/extra.conf", b"location /x { return 204; }\n"),
    ]);
    let out = isolated(dir.path(), &["--format", "json", "conf.d"]).expect(0);
    let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
    // site.conf, base.conf, extra.conf once: extra.conf is not an entry of its own.
    assert_eq!(json["summary"]["files"], 3, "{}", out.stdout);
}

/// Runs proxylint with its stdout closed before it writes (`proxylint ... | head -0`).
fn with_closed_stdout(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .args(args)
        .current_dir(dir)
        .env("PROXYLINT_NGINX", "none")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn proxylint");
    drop(child.stdout.take());
    Run::from(child.wait_with_output().expect("wait for proxylint"))
}

#[test]
fn closed_stdout_ends_quietly_and_lint_keeps_its_verdict() {
    let dir = tree(&[("bad.conf", UNKNOWN.as_bytes()), ("app.log", b"")]);
    for args in [
        &["rules"][..],
        &["rule", "NGX101"],
        &["completions", "bash"],
        &["manpage"],
        &["logs", "app.log"],
    ] {
        let run = with_closed_stdout(dir.path(), args).expect(0);
        assert_eq!(run.stderr, "", "{args:?}");
    }
    // The findings were not all read, but they exist: the exit code still says so.
    let run = with_closed_stdout(dir.path(), &["--isolated", "bad.conf"]).expect(1);
    assert_eq!(run.stderr, "");
}

/// The codes of `--format concise` output.
fn codes(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| {
            let at = l.find('[')?;
            let end = l[at..].find(']')?;
            Some(l[at + 1..at + end].to_string())
        })
        .collect()
}

#[test]
fn the_demos_show_their_mistakes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let nginx = isolated(root, &["--format", "concise", "fixtures/demo/nginx.conf"]).expect(1);
    assert!(codes(&nginx.stdout).iter().all(|c| c.starts_with("NGX")));
    // A relative directory: httpd's loader needs an absolute ServerRoot.
    let apache = isolated(root, &["--format", "concise", "fixtures/demo/apache"]).expect(1);
    let want: BTreeSet<String> = ["APA006", "APA101", "APA105", "APA106", "APA108", "APA111"]
        .map(String::from)
        .into();
    assert_eq!(codes(&apache.stdout), want, "{}", apache.stdout);
    let summary = isolated(root, &["fixtures/demo/apache"]).expect(1);
    assert!(
        summary
            .stdout
            .contains("checked against Apache httpd 2.4.71 (the current 2.4 release"),
        "{}",
        summary.stdout
    );
}

#[test]
fn each_file_is_read_in_its_own_dialect() {
    let apache_site = b"<VirtualHost *:80>\n    ServerName a.example\n    ProxyPas / http://127.0.0.1:8080/ retry=0\n</VirtualHost>\n";
    let dir = tree(&[
        ("nginx.conf", UNKNOWN.as_bytes()),
        ("site.conf", apache_site),
    ]);
    // One run, two dialects: nginx's unknown directive and httpd's.
    let both = isolated(
        dir.path(),
        &["--format", "concise", "nginx.conf", "site.conf"],
    )
    .expect(1);
    let want: BTreeSet<String> = ["APA002", "NGX002"].map(String::from).into();
    assert_eq!(codes(&both.stdout), want, "{}", both.stdout);
    // stdin is sniffed too, and --dialect forces a reading.
    let stdin = run_with_stdin(
        dir.path(),
        &["--isolated", "--format", "concise", "-"],
        apache_site,
    )
    .expect(1);
    assert!(stdin.stdout.contains("[APA002]"), "{}", stdin.stdout);
    let forced = isolated(
        dir.path(),
        &["--format", "concise", "--dialect", "nginx", "site.conf"],
    )
    .expect(1);
    assert!(
        codes(&forced.stdout).iter().all(|c| c.starts_with("NGX")),
        "{}",
        forced.stdout
    );
    let bad = isolated(dir.path(), &["--dialect", "caddy", "site.conf"]).expect(2);
    assert!(bad.stderr.contains("unknown dialect"), "{}", bad.stderr);
}

#[test]
fn defines_and_apache_version_reach_the_reader() {
    let site = b"<IfDefine !STAGING>\n    ProxyPas / http://127.0.0.1:8080/\n</IfDefine>\n<IfVersion < 2.4.50>\n    ProxyPreserveHost maybe\n</IfVersion>\nProxyPass / http://127.0.0.1:8080/ retry=0\nProxyPassReverse / http://127.0.0.1:8080/\n";
    let dir = tree(&[("site.conf", site)]);
    let plain = isolated(dir.path(), &["--format", "concise", "site.conf"]).expect(1);
    assert!(plain.stdout.contains("[APA002]"), "{}", plain.stdout);
    isolated(dir.path(), &["-D", "STAGING", "site.conf"]).expect(0);
    let old = isolated(
        dir.path(),
        &[
            "--format",
            "concise",
            "-D",
            "STAGING",
            "--apache-version",
            "2.4.38",
            "site.conf",
        ],
    )
    .expect(1);
    assert!(old.stdout.contains("[APA004]"), "{}", old.stdout);
}
