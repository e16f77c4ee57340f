//! The committed fixtures through the binary: every upstream-related line of each fixture
//! gets one of the causes fixtures/logs/expected.tsv lists for it, every line of
//! fixtures/logs/lines.tsv gets its own cause (or none), and every cause of the taxonomy is
//! exercised by some real-looking line.

mod logs_common;

use std::collections::BTreeSet;
use std::fs;

use logs_common::{check_file, expected, fixtures_dir, ndjson};
use proxylint::logs::catalogue::Catalogue;
use proxylint::logs::classify::Classifier;
use proxylint::logs::record;

/// The rows of fixtures/logs/lines.tsv: (line number in the table, cause or `None`, line).
fn line_table() -> Vec<(usize, Option<String>, String)> {
    let text = fs::read_to_string(fixtures_dir().join("lines.tsv")).expect("lines.tsv");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let (cause, line) = l.split_once('\t').expect("lines.tsv: cause<TAB>line");
            let cause = (cause != "-").then(|| cause.to_owned());
            (i + 1, cause, line.to_owned())
        })
        .collect()
}

/// Every line of the fixtures: lines.tsv and the logs expected.tsv lists.
fn all_fixture_lines() -> Vec<String> {
    let mut lines: Vec<String> = line_table().into_iter().map(|(_, _, l)| l).collect();
    for name in expected().keys() {
        let text = fs::read(fixtures_dir().join(name)).expect("fixture");
        lines.extend(String::from_utf8_lossy(&text).lines().map(str::to_owned));
    }
    lines
}

/// Fails with every problem found, not only the first.
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Pasted lines (issue 7, item 9), client-side TLS (item 10), other systems' errno tables
/// and Apache 2.2 / mod_fcgid / mod_fastcgi wordings (item 11): each line of lines.tsv,
/// classified alone by the library, gets the cause of the table.
#[test]
fn pasted_and_foreign_lines_get_the_cause_of_the_full_record() {
    let c = Classifier::default();
    let cat = c.catalogue();
    let table = line_table();
    assert!(table.len() >= 60, "lines.tsv lost rows: {}", table.len());
    let problems: Vec<String> = table
        .iter()
        .filter_map(|(n, want, line)| {
            let got = c
                .classify(&record::parse(line))
                .map(|v| cat.cause(v.cause).id.clone());
            (got != *want).then(|| format!("lines.tsv:{n}: got {got:?}, want {want:?}: {line}"))
        })
        .collect();
    assert_no_problems("problem(s)", &problems);
}

/// The same lines read as one log by the binary (verdict cache, correlation, printers).
#[test]
fn pasted_and_foreign_lines_get_their_causes_through_the_binary() {
    let table = line_table();
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("pasted.log");
    let text: Vec<&str> = table.iter().map(|(_, _, l)| l.as_str()).collect();
    fs::write(&log, text.join("\n") + "\n").expect("write log");
    let records = ndjson(&log);
    let mut problems = Vec::new();
    for r in &records {
        let line = r.get("line").and_then(|v| v.as_u64()).expect("line") as usize;
        let (n, want, _) = &table[line - 1];
        let got = r.get("cause").and_then(|c| c.as_str());
        if got != want.as_deref() {
            problems.push(format!("lines.tsv:{n}: got {got:?}, want {want:?}"));
        }
    }
    assert_eq!(records.len(), table.len(), "one record per line");
    assert_no_problems("problem(s)", &problems);
}

#[test]
fn every_fixture_line_gets_its_expected_cause() {
    let mut problems = Vec::new();
    for (name, causes) in expected() {
        let path = fixtures_dir().join(&name);
        assert!(path.is_file(), "{name} listed in expected.tsv but missing");
        problems.extend(check_file(&path, &causes));
    }
    assert_no_problems("problem(s)", &problems);
}

#[test]
fn every_fixture_file_is_listed() {
    let listed = expected();
    for sub in ["nginx", "apache", "samples"] {
        for entry in fs::read_dir(fixtures_dir().join(sub)).expect("fixture dir") {
            let name = format!(
                "{sub}/{}",
                entry.expect("entry").file_name().to_string_lossy()
            );
            assert!(
                listed.contains_key(&name),
                "{name} is not in fixtures/logs/expected.tsv"
            );
        }
    }
}

#[test]
fn every_cause_has_real_looking_lines() {
    let mut seen = BTreeSet::new();
    for name in expected().keys() {
        for r in ndjson(&fixtures_dir().join(name)) {
            if let Some(c) = r.get("cause").and_then(|c| c.as_str()) {
                seen.insert(c.to_owned());
            }
        }
    }
    let missing: Vec<&str> = Catalogue::get()
        .causes
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "causes without a fixture line: {missing:?}"
    );
}

/// `[emerg] host not found in upstream` refuses a start or reload: no client saw a 502. The
/// same message at `[error]` gets the same cause, and the clusters say no request was
/// involved; a request-time DNS failure of the same host stays apart, with its 502.
#[test]
fn config_time_lines_are_refusals_not_502s() {
    let path = fixtures_dir().join("samples/config-refusal.log");
    let out = logs_common::proxylint(&["--format", "json", path.to_str().expect("utf-8")]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    let clusters = json["clusters"].as_array().expect("clusters");
    let dns: Vec<&serde_json::Value> = clusters
        .iter()
        .filter(|c| c["cause"] == "dns-failure")
        .collect();
    assert_eq!(dns.len(), 1, "{clusters:?}");
    assert_eq!(dns[0]["count"], 3);
    assert_eq!(dns[0]["config_time"], true);
    assert!(dns[0]["status"].is_null());
    let resolver = clusters
        .iter()
        .find(|c| c["cause"] == "proxy-misconfigured")
        .expect("host not found in resolver: a configuration error");
    assert_eq!(resolver["config_time"], true);

    let text = logs_common::proxylint(&[path.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(!text.contains("client saw: 502"), "{text}");
    assert!(text.contains("while loading its configuration"), "{text}");
}

/// Every catalogue row (a cause mapping, or a line known not to be an upstream failure) is
/// the first match of some real-looking line of the fixtures: a row nothing reaches is dead
/// (an earlier row shadows it) or untested.
#[test]
fn every_catalogue_row_is_reached_by_a_fixture_line() {
    let c = Classifier::default();
    let mut reached = vec![false; c.catalogue().rules.len()];
    for line in &all_fixture_lines() {
        if let Some(i) = c.rule_of(&record::parse(line)) {
            reached[i] = true;
        }
    }
    let rows: Vec<&str> = include_str!("../grammars/logs/catalogue.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    let missing: Vec<String> = reached
        .iter()
        .zip(&rows)
        .filter(|(r, _)| !**r)
        .map(|(_, row)| (*row).to_owned())
        .collect();
    assert_no_problems("catalogue row(s) no fixture line reaches", &missing);
}

/// Item 9 as a property of every real-looking line: pasted with its date lost, inside quote
/// marks, code marks, emphasis, a prompt, a list bullet or a compose prefix, a full record
/// gets the cause it gets as written.
#[test]
fn pasting_a_record_keeps_its_cause() {
    const WRAPS: [(&str, &str); 10] = [
        ("> ", ""),
        ("> > ", ""),
        ("`", "`"),
        ("```", "```"),
        ("'**", "**'"),
        ("\"", "\""),
        ("$ ", ""),
        ("    ", "   "),
        ("- ", "$"),
        ("web_1  | ", ""),
    ];
    let c = Classifier::default();
    let cause = |l: &str| {
        c.classify(&record::parse(l))
            .map(|v| c.catalogue().cause(v.cause).id.as_str())
    };
    let mut problems = Vec::new();
    let mut checked = 0;
    for line in &all_fixture_lines() {
        let rec = record::parse(line);
        let Some(want) = cause(line) else { continue };
        if rec.time.is_none() {
            continue;
        }
        // The record without its date: nginx's `YYYY/MM/DD HH:MM:SS `, Apache's `[...] `.
        let dateless = match line.find("] ") {
            Some(i) if line.starts_with('[') => &line[i + 2..],
            _ => line.get(20..).unwrap_or(""),
        };
        for body in [line.as_str(), dateless] {
            for (before, after) in WRAPS {
                let pasted = format!("{before}{body}{after}");
                checked += 1;
                if cause(&pasted) != Some(want) {
                    problems.push(format!("{:?} instead of {want}: {pasted}", cause(&pasted)));
                }
            }
        }
    }
    assert!(checked > 4000, "only {checked} pasted variants");
    assert_no_problems(
        &format!("of {checked} pasted variant(s) lost their cause"),
        &problems,
    );
}
