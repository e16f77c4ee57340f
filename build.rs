//! Turns the project's data into Rust tables the binary embeds:
//! - each rule's documentation (the `//!` module comment of
//!   src/rules/<family>/<code>_<name>.rs), so that `proxylint rule CODE`, the README
//!   table and the meta-tests read the one source;
//! - the nginx directive, module, variable, port and default tables of
//!   grammars/nginx/*.tsv, as static data: parsing the 2,500 rows at run time cost
//!   about 2 ms of every run, more than linting a small configuration.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // A position-dependent executable: a PIE must patch every pointer of its static
    // tables (directive table, clap, miette: ~29,000 relocations, 180 copied pages)
    // at each start, which was a third of a small run's time. proxylint is memory-safe
    // Rust reading text, so the ASLR of its own image buys little; libraries, stack and
    // heap stay randomised.
    println!("cargo:rustc-link-arg-bins=-no-pie");
    rule_docs();
    grammar_tables();
}

fn write_out(name: &str, text: String) {
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join(name);
    std::fs::write(dest, text).unwrap();
}

fn rule_docs() {
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
    write_out("rule_docs.rs", out);
}

/// The rows of a grammar table: comments, blank lines and the header line skipped,
/// fields split at tabs (missing trailing fields read as empty).
fn read_table(name: &str) -> Vec<Vec<String>> {
    let path = Path::new("grammars/nginx").join(name);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn col(row: &[String], i: usize) -> &str {
    row.get(i).map_or("", String::as_str)
}

/// `Some(Version(..))` for "1.25" or "1.25.3", `None` for an empty or malformed field.
fn version(s: &str) -> String {
    let parts: Vec<Option<u32>> = s.split('.').map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [Some(a), Some(b)] => format!("Some(Version({a}, {b}, 0))"),
        [Some(a), Some(b), Some(c)] => format!("Some(Version({a}, {b}, {c}))"),
        _ => "None".to_string(),
    }
}

fn str_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| format!("{s:?}")).collect();
    format!("&[{}]", items.join(", "))
}

/// nginx's NGX_CONF_TAKE*/FLAG/1MORE/2MORE/ANY as written in the table's `args` column.
fn arity(s: &str) -> String {
    match s {
        "flag" => "Arity::Counts(1 << 1)".to_string(),
        "any" => "Arity::Any".to_string(),
        _ => {
            if let Some(n) = s.strip_suffix('+') {
                return format!("Arity::AtLeast({})", n.parse::<usize>().unwrap_or(1));
            }
            let mut mask = 0u16;
            for n in s.split('|').filter_map(|n| n.parse::<u32>().ok()) {
                mask |= 1 << n.min(15);
            }
            format!("Arity::Counts({mask})")
        }
    }
}

fn kind(s: &str) -> String {
    let list = |v: &str| str_list(v.split('|').filter(|x| !x.is_empty()));
    if let Some(v) = s.strip_prefix("enum:") {
        return format!("Kind::Enum({})", list(v));
    }
    if let Some(v) = s.strip_prefix("bitmask:") {
        return format!("Kind::Bitmask({})", list(v));
    }
    let variant = match s {
        "flag" => "Flag",
        "msec" => "Msec",
        "sec" => "Sec",
        "size" => "Size",
        "off" => "Off",
        "num" => "Num",
        "bufs" => "Bufs",
        "str" => "Str",
        "strs" => "Strs",
        "keyval" => "Keyval",
        "path" => "Path",
        "access" => "Access",
        "size_or_var" => "SizeOrVar",
        "obsolete" => "Obsolete",
        _ => "Custom",
    };
    format!("Kind::{variant}")
}

struct Module {
    origin: &'static str,
    so: Option<String>,
}

fn modules(name: &str, into: &mut BTreeMap<String, Module>) {
    for row in read_table(name) {
        let origin = match col(&row, 1) {
            "builtin" => "Builtin",
            "dynamic" => "Dynamic",
            "third-party" => "ThirdParty",
            "plus" => "Plus",
            _ => "Optional",
        };
        let so = Some(col(&row, 2))
            .filter(|s| *s != "-" && !s.is_empty())
            .map(str::to_string);
        into.insert(col(&row, 0).to_string(), Module { origin, so });
    }
}

fn grammar_tables() {
    let official = read_table("directives.tsv");
    let third_party = read_table("third-party.tsv");
    let mut mods = BTreeMap::new();
    modules("modules.tsv", &mut mods);
    // Rows of the third-party table that name an open-source module are the NGINX
    // Plus additions to it.
    let plus_additions: Vec<bool> = third_party
        .iter()
        .map(|row| mods.contains_key(col(row, 1)))
        .collect();
    modules("third-party-modules.tsv", &mut mods);

    let mut out = String::from("// Generated by build.rs from grammars/nginx/*.tsv.\n\n");
    out.push_str("static DEFS: &[DirectiveDef] = &[\n");
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut contexts = BTreeSet::new();
    let rows = official
        .iter()
        .map(|row| (row, false))
        .chain(third_party.iter().zip(plus_additions));
    for (i, (row, plus_addition)) in rows.enumerate() {
        let module = mods.get(col(row, 1));
        let plus_only = plus_addition || module.is_some_and(|m| m.origin == "Plus");
        let so = module
            .and_then(|m| m.so.as_ref())
            .map_or("None".to_string(), |so| format!("Some({so:?})"));
        let flags: Vec<&str> = col(row, 5).split(',').collect();
        let context_list: Vec<&str> = col(row, 2).split(',').filter(|c| !c.is_empty()).collect();
        contexts.extend(context_list.iter().copied());
        by_name.entry(col(row, 0)).or_default().push(i);
        writeln!(
            out,
            "    DirectiveDef {{ name: {:?}, module: {:?}, contexts: {}, arity: {}, kind: {}, \
             block: {}, raw: {}, lua: {}, dup: {}, dup_off: {}, deprecated: {}, since: {}, until: {}, \
             handler: {:?}, default: {:?}, syntax: {:?}, plus_only: {plus_only}, so: {so} }},",
            col(row, 0),
            col(row, 1),
            str_list(context_list),
            arity(col(row, 3)),
            kind(col(row, 4)),
            flags.contains(&"block"),
            flags.contains(&"raw"),
            flags.contains(&"lua"),
            flags.contains(&"dup"),
            flags.contains(&"dup-off"),
            flags.contains(&"deprecated"),
            version(col(row, 6)),
            version(col(row, 7)),
            col(row, 8),
            col(row, 9),
            col(row, 10),
        )
        .unwrap();
    }
    out.push_str("];\n\n/// Indexes into DEFS per name, sorted by name.\n");
    out.push_str("static BY_NAME: &[(&str, &[u16])] = &[\n");
    for (name, indexes) in &by_name {
        writeln!(out, "    ({name:?}, &{indexes:?}),").unwrap();
    }
    out.push_str("];\n\n/// Sorted by name.\nstatic MODULES: &[ModuleDef] = &[\n");
    for (name, m) in &mods {
        let so =
            m.so.as_ref()
                .map_or("None".to_string(), |so| format!("Some({so:?})"));
        writeln!(
            out,
            "    ModuleDef {{ name: {name:?}, origin: Origin::{}, so: {so} }},",
            m.origin
        )
        .unwrap();
    }
    writeln!(
        out,
        "];\n\n/// Sorted.\nstatic CONTEXTS: &[&str] = {};\n",
        str_list(contexts)
    )
    .unwrap();

    out.push_str("static VARIABLES: &[VariableDef] = &[\n");
    for row in read_table("variables.tsv") {
        let (name, prefix) = match col(&row, 0).strip_suffix('*') {
            Some(p) => (p, true),
            None => (col(&row, 0), false),
        };
        writeln!(
            out,
            "    VariableDef {{ name: {name:?}, prefix: {prefix}, family: {:?}, module: {:?}, \
             plus: {}, since: {}, until: {} }},",
            col(&row, 1),
            col(&row, 2),
            col(&row, 3) == "plus",
            version(col(&row, 4)),
            version(col(&row, 5)),
        )
        .unwrap();
    }
    out.push_str("];\n\n/// (directive, version it changed in, default before).\n");
    out.push_str("static DEFAULT_CHANGES: &[(&str, Version, &str)] = &[\n");
    for row in read_table("default-changes.tsv") {
        // A malformed version would make the row meaningless: fail the build.
        let since = version(col(&row, 1));
        let since = since
            .strip_prefix("Some(")
            .and_then(|v| v.strip_suffix(')'))
            .unwrap_or_else(|| panic!("default-changes.tsv: bad version in {row:?}"));
        writeln!(
            out,
            "    ({:?}, {since}, {:?}),",
            col(&row, 0),
            col(&row, 2)
        )
        .unwrap();
    }
    out.push_str("];\n\n/// (category, port) of ports.tsv.\n");
    out.push_str("static PORTS: &[(&str, u16)] = &[\n");
    for row in read_table("ports.tsv") {
        let port: u16 = col(&row, 1)
            .parse()
            .unwrap_or_else(|_| panic!("ports.tsv: bad port in {row:?}"));
        writeln!(out, "    ({:?}, {port}),", col(&row, 0)).unwrap();
    }
    out.push_str("];\n");
    write_out("grammar_tables.rs", out);
}
