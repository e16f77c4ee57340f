//! Helpers shared by the `logs` integration tests: run the real binary and read its ndjson.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs")
}

/// Runs `proxylint logs ARGS...`.
pub fn proxylint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxylint"))
        .arg("logs")
        .args(args)
        .output()
        .expect("run proxylint")
}

/// The ndjson records of one file, as the binary classifies them.
pub fn ndjson(path: &Path) -> Vec<serde_json::Value> {
    let out = proxylint(&["--format", "ndjson", path.to_str().expect("utf-8 path")]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "proxylint failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line"))
        .collect()
}

/// fixture name → expected causes, from fixtures/logs/expected.tsv.
pub fn expected() -> BTreeMap<String, Vec<String>> {
    let text = fs::read_to_string(fixtures_dir().join("expected.tsv")).expect("expected.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, c)| (f.to_owned(), c.split(',').map(str::to_owned).collect()))
        .collect()
}

fn field<'a>(r: &'a serde_json::Value, k: &str) -> &'a str {
    r.get(k).and_then(|v| v.as_str()).unwrap_or("")
}

/// Whether a record speaks about the upstream, and so must get a cause.
pub fn upstream_related(r: &serde_json::Value) -> bool {
    let module = field(r, "module");
    let msg = field(r, "message");
    module.starts_with("proxy")
        || field(r, "action").contains("upstream")
        || msg.contains("upstream")
        || msg.contains("FastCGI")
        || (module == "ssl" && !msg.starts_with("Init:"))
}

/// Checks that every upstream-related record of `path` got one of `want`, and that at
/// least one did. Returns the problems found.
pub fn check_file(path: &Path, want: &[String]) -> Vec<String> {
    let name = path.display();
    let mut problems = Vec::new();
    let mut classified = 0;
    for r in ndjson(path) {
        let line = r.get("line").and_then(|v| v.as_u64()).unwrap_or(0);
        match r.get("cause").and_then(|v| v.as_str()) {
            Some(got) => {
                classified += 1;
                if !want.iter().any(|w| w == got) {
                    problems.push(format!("{name}:{line}: got {got}, want {want:?}: {r}"));
                }
            }
            None if upstream_related(&r) => problems.push(format!("{name}:{line}: no cause: {r}")),
            None => {}
        }
    }
    if classified == 0 {
        problems.push(format!("{name}: no upstream failure found"));
    }
    problems
}
