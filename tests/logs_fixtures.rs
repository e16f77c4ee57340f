//! The committed fixtures through the binary: every upstream-related line of each fixture
//! gets one of the causes fixtures/logs/expected.tsv lists for it, and every cause of the
//! taxonomy is exercised by some real-looking line.

mod logs_common;

use std::collections::BTreeSet;
use std::fs;

use logs_common::{check_file, expected, fixtures_dir, ndjson};
use proxylint::logs::catalogue::Catalogue;

#[test]
fn every_fixture_line_gets_its_expected_cause() {
    let mut problems = Vec::new();
    for (name, causes) in expected() {
        let path = fixtures_dir().join(&name);
        assert!(path.is_file(), "{name} listed in expected.tsv but missing");
        problems.extend(check_file(&path, &causes));
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
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
