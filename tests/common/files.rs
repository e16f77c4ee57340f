//! The configuration files under a directory, shared by the tests that read every
//! fixture or corpus file. Not every test binary that includes `common` lists files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `*.conf` files under `dir`, sorted by path (reading order is the same on every
/// machine).
pub fn conf_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    files.sort();
    files
}
