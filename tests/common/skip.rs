//! Prerequisites of the tests that read ../shared (the corpora and reference tables) or
//! run a real server: present, the test runs; missing, it fails when `CI=true` (CI
//! provides them) and otherwise skips with one line cargo shows without `--nocapture`
//! (written to stderr directly: libtest captures only `print!`/`eprint!`), so a run on a
//! fresh clone says what it did not check.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Says that this test binary (`what` of it) did not run for lack of `missing`, or fails
/// in CI.
pub fn skip(what: &str, missing: &str) {
    assert!(!in_ci(), "CI=true but {missing}");
    // One line per thing missing, however many tests of the binary need it.
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|m| m == missing) {
        return;
    }
    said.push(missing.to_string());
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {} ({what}): {missing} (CI provides it; see README, \"Tests that need the corpora or real servers\")",
        env!("CARGO_CRATE_NAME")
    );
}

/// `found`, or a skip (a failure in CI) saying what is missing.
pub fn require<T>(found: Option<T>, what: &str, missing: &str) -> Option<T> {
    if found.is_none() {
        skip(what, missing);
    }
    found
}

/// `../shared/<rel>` beside the checkout, or a skip (a failure in CI).
pub fn shared(rel: &str, what: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    require(
        path.exists().then_some(path),
        what,
        &format!("../shared/{rel} is missing"),
    )
}
