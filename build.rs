//! Turns the project's data into Rust tables the binary embeds:
//! - each rule's documentation (the `//!` module comment of
//!   src/rules/<family>/<code>_<name>.rs), so that `proxylint rule CODE`, the README
//!   table and the meta-tests read the one source;
//! - the nginx directive, module, variable, port and default tables of
//!   grammars/nginx/*.tsv, as static data: parsing the 2,500 rows at run time cost
//!   about 2 ms of every run, more than linting a small configuration;
//! - the Apache httpd directive, module and proxy worker parameter tables of
//!   grammars/apache/*.tsv, the same way.

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
    apache_tables();
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
    read_table_in("grammars/nginx", name)
}

fn read_table_in(dir: &str, name: &str) -> Vec<Vec<String>> {
    let path = Path::new(dir).join(name);
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

/// `\\`, `\t`, `\n` and `\r` in a field of the Apache tables (the convention of
/// ../shared/reference) as the characters they stand for.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// httpd's `req_override` flags (include/http_config.h) as written in the tables.
fn override_bits(s: &str) -> u16 {
    s.split('|')
        .filter(|f| !f.is_empty())
        .map(|f| match f {
            "OR_NONE" => 0,
            "OR_LIMIT" => 1,
            "OR_OPTIONS" => 2,
            "OR_FILEINFO" => 4,
            "OR_AUTHCFG" => 8,
            "OR_INDEXES" => 16,
            "OR_ALL" => 1 | 2 | 4 | 8 | 16,
            "ACCESS_CONF" => 64,
            "RSRC_CONF" => 128,
            "EXEC_ON_READ" => 256,
            "PROXY_CONF" => 2048,
            other => panic!("unknown override flag {other}"),
        })
        .fold(0, |a, b| a | b)
}

/// `ap_check_cmd_context` flags (include/http_config.h) as written in the tables.
fn forbidden_bits(s: &str) -> u8 {
    s.split('|')
        .filter(|f| !f.is_empty())
        .map(|f| match f {
            "NOT_IN_VIRTUALHOST" => 0x01,
            "NOT_IN_LIMIT" => 0x02,
            "NOT_IN_DIRECTORY" => 0x04,
            "NOT_IN_LOCATION" => 0x08,
            "NOT_IN_FILES" => 0x10,
            "NOT_IN_HTACCESS" => 0x20,
            "NOT_IN_PROXY" => 0x40,
            "NOT_IN_DIR_LOC_FILE" => 0x04 | 0x08 | 0x10,
            "NOT_IN_DIR_CONTEXT" => 0x02 | 0x04 | 0x08 | 0x10 | 0x40,
            "GLOBAL_ONLY" => 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x40,
            other => panic!("unknown context check {other}"),
        })
        .fold(0, |a, b| a | b)
}

fn args_kind(s: &str) -> &'static str {
    match s {
        "TAKE1" => "Take1",
        "TAKE2" => "Take2",
        "TAKE12" => "Take12",
        "TAKE3" => "Take3",
        "TAKE23" => "Take23",
        "TAKE123" => "Take123",
        "TAKE13" => "Take13",
        "ITERATE" => "Iterate",
        "ITERATE2" => "Iterate2",
        "FLAG" => "Flag",
        "NO_ARGS" => "NoArgs",
        "RAW_ARGS" => "RawArgs",
        "TAKE_ARGV" => "TakeArgv",
        other => panic!("unknown argument kind {other}"),
    }
}

fn apache_version(s: &str) -> String {
    let v = version(s);
    assert!(
        s.is_empty() || v != "None",
        "grammars/apache: bad version {s:?}"
    );
    v
}

/// The Apache httpd tables of grammars/apache (see grammars/apache/README.md).
fn apache_tables() {
    const DIR: &str = "grammars/apache";
    let mut out = String::from("// Generated by build.rs from grammars/apache/*.tsv.\n\n");

    // Modules, sorted by source name (binary search).
    let mut modules: Vec<Vec<String>> = read_table_in(DIR, "modules.tsv");
    modules.sort_by(|a, b| col(a, 0).cmp(col(b, 0)));
    let symbol_of: BTreeMap<String, String> = modules
        .iter()
        .map(|m| (col(m, 0).to_string(), col(m, 1).to_string()))
        .collect();
    out.push_str("static MODULES: &[ModuleDef] = &[\n");
    for m in &modules {
        let so = match col(m, 2) {
            "-" | "" => "None".to_string(),
            so => format!("Some({so:?})"),
        };
        let debian = match col(m, 3) {
            "builtin" => "Builtin",
            "shared" => "Shared",
            "package" => "Package",
            "absent" => "Absent",
            other => panic!("modules.tsv: unknown debian build {other:?}"),
        };
        writeln!(
            out,
            "    ModuleDef {{ module: {:?}, symbol: {:?}, so: {so}, debian: DebianBuild::{debian}, \
             enabled_by_default: {}, builtin: {}, third_party: {}, package: {:?}, note: {:?} }},",
            col(m, 0),
            col(m, 1),
            col(m, 4) == "yes",
            debian == "Builtin",
            col(m, 5) == "third-party",
            col(m, 6),
            col(m, 7),
        )
        .unwrap();
    }
    out.push_str("];\n\n");

    // Directives: httpd's own, then third-party ones.
    let official = read_table_in(DIR, "directives.tsv");
    let third_party = read_table_in(DIR, "third-party.tsv");
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    out.push_str("static DEFS: &[DirectiveDef] = &[\n");
    let mut write_def = |i: usize, fields: [&str; 15], third: bool| {
        let [
            name,
            module,
            args,
            overrides,
            checks,
            warn,
            since,
            until,
            platform,
            built,
            help,
            syntax,
            default,
            description,
            notes,
        ] = fields;
        let symbol = symbol_of.get(module).unwrap_or_else(|| {
            panic!("grammars/apache: module {module} of {name} not in modules.tsv")
        });
        let bits = override_bits(overrides);
        let platform = match platform {
            "all" => "All",
            "unix" => "Unix",
            "windows" => "Windows",
            "netware" => "NetWare",
            "os2" => "Os2",
            other => panic!("grammars/apache: unknown platform {other:?}"),
        };
        by_name
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(i);
        writeln!(
            out,
            "    DirectiveDef {{ name: {name:?}, module: {module:?}, module_symbol: {symbol:?}, \
             args: ArgsKind::{}, req_override: Override({bits}), checks: Forbidden({}), \
             warn_checks: Forbidden({}), section: {}, exec_on_read: {}, since: {}, until: {}, \
             platform: Platform::{platform}, built: {}, third_party: {third}, help: {:?}, \
             syntax: {:?}, default: {:?}, description: {:?}, deprecated: {} }},",
            args_kind(args),
            forbidden_bits(checks),
            forbidden_bits(warn),
            name.starts_with('<'),
            bits & 256 != 0,
            apache_version(since),
            apache_version(until),
            built == "yes",
            unescape(help),
            unescape(syntax),
            unescape(default),
            unescape(description),
            notes == "deprecated",
        )
        .unwrap();
    };
    for (i, row) in official.iter().enumerate() {
        let mut fields = [""; 15];
        for (k, f) in fields.iter_mut().enumerate() {
            *f = col(row, k);
        }
        write_def(i, fields, false);
    }
    for (j, row) in third_party.iter().enumerate() {
        let fields = [
            col(row, 0),
            col(row, 1),
            col(row, 2),
            col(row, 3),
            "",
            "",
            "",
            "",
            "all",
            "yes",
            col(row, 4),
            "",
            "",
            "",
            "",
        ];
        write_def(official.len() + j, fields, true);
    }
    out.push_str("];\n\n/// Indexes into DEFS per lowercased name, sorted by name.\n");
    out.push_str("static BY_NAME: &[(&str, &[u16])] = &[\n");
    for (name, indexes) in &by_name {
        writeln!(out, "    ({name:?}, &{indexes:?}),").unwrap();
    }
    out.push_str("];\n\n");

    out.push_str("static WORKER_PARAMS: &[WorkerParam] = &[\n");
    for row in read_table_in(DIR, "worker-params.tsv") {
        let scope = match col(&row, 1) {
            "worker" => "Worker",
            "balancer" => "Balancer",
            "hcheck" => "HealthCheck",
            other => panic!("worker-params.tsv: unknown scope {other:?}"),
        };
        // An empty bound is no bound.
        let num = |i: usize, none: i64| -> i64 {
            let s = col(&row, i);
            if s.is_empty() {
                none
            } else {
                s.parse()
                    .unwrap_or_else(|_| panic!("worker-params.tsv: bad number {s:?}"))
            }
        };
        writeln!(
            out,
            "    WorkerParam {{ key: {:?}, scope: ParamScope::{scope}, parse: {:?}, min: {}, \
             max: {}, messages: {}, default: {:?}, description: {:?} }},",
            col(&row, 0),
            col(&row, 2),
            num(3, i64::MIN),
            num(4, i64::MAX),
            str_list(col(&row, 5).split(" | ").filter(|m| !m.is_empty())),
            col(&row, 6),
            unescape(col(&row, 7)),
        )
        .unwrap();
    }
    out.push_str("];\n");
    write_out("apache_tables.rs", out);
}
