//! Rule fixtures: every `fixtures/rules/<CODE>/*.conf` is linted; the findings must be
//! exactly the `# expect: CODE[, CODE]` markers (on the line of the finding, in any
//! file the fixture includes), and `*_ok.conf` files must produce no finding at all.
//! The rendered output of each fixture is a snapshot next to it
//! (`fixtures/rules/<CODE>/snapshots/`).
//!
//! A fixture may start with `# fixture: --nginx-version X.Y.Z` (or `--context C`,
//! `--plus`, `--backend ADDR`, `--ignore CODE`, `--modules NAMES`, `--apache-version
//! X.Y.Z`) to lint it with those options.
//!
//! Fixtures of Apache rules (fixtures/rules/APA*/) are read as httpd configurations.
//! httpd has no trailing comments (a `#` after a directive is an argument), so there a
//! marker stands alone on its comment line and names the findings of the next line
//! that is not a comment.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proxylint::diagnostic::Diagnostic;
use proxylint::lint::{self, Input, LoadOptions};
use proxylint::printer::{self, Format, Report};
use proxylint::settings::Settings;
use proxylint::workspace::{Dialect, Workspace};

#[path = "common/portable.rs"]
mod portable;
use portable::{portable, root};

/// Options from `# fixture:` lines.
fn fixture_options(text: &str) -> (Settings, LoadOptions) {
    let mut settings = Settings::default();
    let mut options = LoadOptions::default();
    for line in text.lines() {
        let Some(args) = line.trim().strip_prefix("# fixture:") else {
            continue;
        };
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            match words[i] {
                "--nginx-version" => {
                    settings.nginx_version = words[i + 1].parse().expect("version");
                    i += 1;
                }
                "--context" => {
                    options.context = proxylint::nginx::loader::parse_context(words[i + 1]);
                    options.apache.context =
                        proxylint::apache::loader::SnippetContext::parse(words[i + 1]);
                    assert!(
                        options.context.is_some() || options.apache.context.is_some(),
                        "context {}",
                        words[i + 1]
                    );
                    i += 1;
                }
                "--apache-version" => {
                    settings.apache_version =
                        proxylint::apache::grammar::parse_version(words[i + 1]).expect("version");
                    i += 1;
                }
                "--plus" => settings.plus = true,
                "--backend" => {
                    settings.backends.push(words[i + 1].to_string());
                    i += 1;
                }
                "--modules" => {
                    let names = words[i + 1].split(',');
                    let modules = names
                        .map(|n| proxylint::settings::parse_module(n).expect("module"))
                        .collect::<Vec<_>>()
                        .concat();
                    settings.modules = Some(modules);
                    i += 1;
                }
                "--ignore" => {
                    settings.ignore.push(words[i + 1].to_string());
                    i += 1;
                }
                other => panic!("unknown fixture option {other}"),
            }
            i += 1;
        }
    }
    (settings, options)
}

/// Lints one fixture file the way the CLI does.
pub fn lint_file(path: &Path) -> (Workspace, Vec<Diagnostic>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let (settings, mut options) = fixture_options(&text);
    if is_apache(path) {
        options.dialect = Some(Dialect::Apache);
    }
    let config =
        lint::load(&[Input::File(path.to_path_buf())], &options, &settings).expect("fixture loads");
    let diags = lint::check(&config, &settings);
    (config, diags)
}

/// A fixture of an Apache rule.
fn is_apache(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with("APA"))
}

type Finding = (String, usize, String);

fn expected(config: &Workspace) -> BTreeSet<Finding> {
    let apache = config.has(Dialect::Apache);
    let mut out = BTreeSet::new();
    for (_, file) in config.sources.files() {
        let text = String::from_utf8_lossy(&file.text);
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(at) = line.find("# expect:") else {
                continue;
            };
            // httpd: the marker's comment line names the next line that is not one.
            let target = if apache && line.trim_start().starts_with('#') {
                (i + 1..lines.len())
                    .find(|&j| !lines[j].trim_start().starts_with('#'))
                    .unwrap_or(i)
            } else {
                i
            };
            for code in line[at + "# expect:".len()..].split(',') {
                out.insert((file.name.clone(), target + 1, code.trim().to_string()));
            }
        }
    }
    out
}

fn actual(config: &Workspace, diags: &[Diagnostic]) -> BTreeSet<Finding> {
    diags
        .iter()
        .filter_map(|d| {
            let span = d.span?;
            let file = config.sources.get(span.file);
            Some((
                file.name.clone(),
                file.line_col(span.start).0,
                d.code.to_string(),
            ))
        })
        .collect()
}

fn render(config: &Workspace, diags: &[Diagnostic]) -> String {
    let diags = portable(diags);
    let report = Report::new(config, &diags);
    let mut out = Vec::new();
    printer::print(Format::Concise, &report, &mut out).expect("print");
    out.extend_from_slice(b"\n");
    printer::print(Format::Full, &report, &mut out).expect("print");
    // Absolute paths (nginx prints them) differ between checkouts.
    String::from_utf8_lossy(&out).replace(&root().display().to_string(), "[ROOT]")
}

fn fixture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "conf"));
    files.sort();
    files
}

#[test]
fn every_rule_fixture_reports_exactly_its_markers() {
    let mut failures = Vec::new();
    for rule in proxylint::rules::all() {
        let dir = root().join("fixtures/rules").join(rule.code);
        for path in fixture_files(&dir) {
            let (config, diags) = lint_file(&path);
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let want = if stem.ends_with("_ok") {
                BTreeSet::new()
            } else {
                expected(&config)
            };
            let got = actual(&config, &diags);
            if want != got {
                failures.push(format!(
                    "{}:\n  missing: {:?}\n  unexpected: {:?}\n{}",
                    path.display(),
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>(),
                    render(&config, &diags)
                ));
            }
            insta::with_settings!({
                snapshot_path => dir.join("snapshots"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(stem, render(&config, &diags));
            });
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Realistic good configurations (`fixtures/good/`) must produce no finding at all, on
/// the default nginx version and on an older one with different defaults.
#[test]
fn good_configurations_are_silent() {
    let mut failures = Vec::new();
    for path in fixture_files(&root().join("fixtures/good")) {
        for version in ["1.30.4", "1.24.0"] {
            let settings = Settings {
                nginx_version: version.parse().expect("version"),
                ..Settings::default()
            };
            let config = lint::load(
                &[Input::File(path.clone())],
                &LoadOptions::default(),
                &settings,
            )
            .expect("loads");
            let diags = lint::check(&config, &settings);
            if !diags.is_empty() {
                failures.push(format!(
                    "{} (nginx {version}):\n{}",
                    path.display(),
                    render(&config, &diags)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
