//! Extracts each rule's documentation (the `//!` module comment of
//! src/rules/<family>/<code>_<name>.rs) into a table the binary embeds, so that
//! `proxylint rule CODE`, the README table and the meta-tests read the one source.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let mut out = String::from(
        "/// (code, documentation) of every rule file.\npub const RULE_DOCS: &[(&str, &str)] = &[\n",
    );
    let mut files = Vec::new();
    for family in ["nginx", "apache", "meta"] {
        let dir = Path::new("src/rules").join(family);
        println!("cargo:rerun-if-changed={}", dir.display());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "rs")
                && path.file_stem().is_some_and(|s| s != "mod")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let doc: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .map(|l| {
                l.strip_prefix("//! ")
                    .or_else(|| l.strip_prefix("//!"))
                    .unwrap_or("")
            })
            .collect();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let code = stem.split('_').next().unwrap_or("").to_ascii_uppercase();
        writeln!(out, "    ({code:?}, {:?}),", doc.join("\n")).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("rule_docs.rs");
    std::fs::write(dest, out).unwrap();
}
