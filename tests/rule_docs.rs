//! Meta-tests over the rule registry: every rule is documented in the fixed sections,
//! has a firing and an `_ok` fixture, its documented Example fires and its "Use
//! instead" does not; codes and names are unique; README's rule table is current.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use proxylint::lint::{self, Input, LoadOptions};
use proxylint::rules::{self, Rule};
use proxylint::settings::Settings;
use proxylint::workspace::Dialect;

const SECTIONS: &[&str] = &[
    "What it does",
    "Example",
    "Use instead",
    "Exceptions",
    "References",
];

/// The language of a rule's examples: its dialect's (```nginx, ```apache).
fn language(rule: &Rule) -> &'static str {
    match rule.reads.dialect() {
        Some(Dialect::Apache) => "apache",
        _ => "nginx",
    }
}

/// The first code block of a section in the rule's language.
fn code_block(rule: &Rule, section: &str) -> Option<String> {
    let text = rule.section(section)?;
    let fence = format!("```{}\n", language(rule));
    let start = text.find(&fence)? + fence.len();
    let end = text[start..].find("```")?;
    Some(text[start..start + end].to_string())
}

/// Codes found when linting `text` as a file of its own (in a scratch directory), read
/// as the rule's dialect.
fn codes_for(rule: &Rule, text: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("example.conf");
    std::fs::write(&path, text).expect("write example");
    let settings = Settings::default();
    let options = LoadOptions {
        dialect: rule.reads.dialect(),
        ..LoadOptions::default()
    };
    let config = lint::load(&[Input::File(path)], &options, &settings).expect("load");
    lint::check(&config, &settings)
        .into_iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn every_rule_is_documented_and_its_examples_behave() {
    let mut problems = Vec::new();
    for rule in rules::all() {
        for section in SECTIONS {
            if rule.section(section).is_none_or(str::is_empty) {
                problems.push(format!("{}: missing section \"## {section}\"", rule.code));
            }
        }
        let why = rule
            .section("Why is this bad?")
            .or_else(|| rule.section("Why does this cause 502/504?"));
        if why.is_none_or(str::is_empty) {
            problems.push(format!(
                "{}: missing \"## Why is this bad?\" or \"## Why does this cause 502/504?\"",
                rule.code
            ));
        }
        if rule.summary().is_empty() {
            problems.push(format!("{}: empty summary", rule.code));
        }
        // A crashed rule cannot be shown by a configuration (no shipped rule crashes on
        // purpose): src/rules/mod.rs tests that the runner reports it.
        if matches!(rule.check, rules::Check::Runner) {
            continue;
        }
        let example = code_block(rule, "Example");
        let fixed = code_block(rule, "Use instead");
        match example {
            Some(text) if !codes_for(rule, &text).contains(&rule.code) => {
                problems.push(format!("{}: the Example does not fire:\n{text}", rule.code))
            }
            None => problems.push(format!(
                "{}: the Example has no ```{} block",
                rule.code,
                language(rule)
            )),
            _ => {}
        }
        match fixed {
            Some(text) if codes_for(rule, &text).contains(&rule.code) => {
                problems.push(format!("{}: \"Use instead\" fires:\n{text}", rule.code))
            }
            None => problems.push(format!(
                "{}: \"Use instead\" has no ```{} block",
                rule.code,
                language(rule)
            )),
            _ => {}
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/rules")
            .join(rule.code);
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        let stems: Vec<String> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
            .collect();
        if !stems.iter().any(|s| s.ends_with("_ok")) {
            problems.push(format!(
                "{}: no fixtures/rules/{}/*_ok.conf",
                rule.code, rule.code
            ));
        }
        if !stems.iter().any(|s| !s.ends_with("_ok")) {
            problems.push(format!(
                "{}: no firing fixture in fixtures/rules/{}/",
                rule.code, rule.code
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for rule in rules::all() {
        assert!(codes.insert(rule.code), "code {} used twice", rule.code);
        // The dialects mirror each other (NGX001 and APA001 are both syntax-error): a
        // name is unique within its dialect, `proxylint rule NAME` shows each.
        assert!(
            names.insert((rule.reads.dialect(), rule.name)),
            "name {} used twice",
            rule.name
        );
        assert!(
            rule.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{} is not kebab-case",
            rule.name
        );
        assert!(
            rule.code.len() == 6
                && ["NGX", "APA", "PXL"]
                    .iter()
                    .any(|p| rule.code.starts_with(p)),
            "bad code {}",
            rule.code
        );
    }
}

#[test]
fn readme_rule_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (start, end) = ("<!-- rules:start -->\n", "<!-- rules:end -->");
    let (Some(a), Some(b)) = (readme.find(start), readme.find(end)) else {
        panic!("README.md lacks the {start} ... {end} markers");
    };
    let table = proxylint::rules::markdown_table();
    let current = &readme[a + start.len()..b];
    if current != table {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{table}{}", &readme[..a + start.len()], &readme[b..]);
            std::fs::write(&path, updated).expect("write README.md");
            return;
        }
        panic!(
            "README.md's rule table is stale: run `UPDATE_README=1 cargo test --test rule_docs`"
        );
    }
}
