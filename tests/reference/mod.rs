//! Shared by the integration tests that check proxylint's tables against
//! ../shared/reference and against the installed servers: finding them, reading TSVs.
//! Each test file uses part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "../common/skip.rs"]
mod skip;

/// ../shared/reference, or `None` (the test then says it skipped) outside CI.
pub fn shared_reference() -> Option<PathBuf> {
    skip::shared("reference", "tables against ../shared/reference")
}

/// One row of a TSV: column name to value.
pub type Row = BTreeMap<String, String>;

/// The rows of a tab-separated table with a header line (`#` comment lines and blank
/// lines skipped; missing trailing fields read as empty).
pub fn read_tsv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(
                    l.split('\t')
                        .map(str::to_string)
                        .chain(std::iter::repeat(String::new())),
                )
                .collect()
        })
        .collect()
}

/// Debian's apache2 binary, or `None` (the test then says it skipped) outside CI.
pub fn apache2() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/sbin/apache2");
    skip::require(
        path.is_file().then_some(path),
        "checks against the real apache2",
        "apache2 is not installed",
    )
}
