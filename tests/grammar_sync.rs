//! Generates `grammars/nginx/directives.tsv` and `grammars/nginx/modules.tsv` from the
//! facts extracted from nginx's source and documentation (../shared/reference), and fails
//! when the committed tables are stale. `UPDATE_GRAMMARS=1` rewrites them.
//!
//! The generator lives in a test so that the shipped crate never depends on ../shared: the
//! tables are committed data, this test keeps them honest.

mod reference;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use reference::{read_tsv, shared_reference};

/// Sampled source trees, oldest first. Mainline is labelled with its minor series.
const RELEASES: &[(&str, &str)] = &[
    ("1.18.0", "nginx-directives-1.18.0.tsv"),
    ("1.22.1", "nginx-directives-1.22.1.tsv"),
    ("1.24.0", "nginx-directives-1.24.0.tsv"),
    ("1.26.3", "nginx-directives-1.26.3.tsv"),
    ("1.28.3", "nginx-directives-1.28.3.tsv"),
    ("1.30.4", "nginx-directives-1.30.4.tsv"),
    ("1.31.0", "nginx-directives.tsv"),
];

/// Official modules that distributions (Debian, Ubuntu, nginx.org) build as dynamic
/// modules, with the .so that provides them. Every module of the stream and mail
/// families lives in the one ngx_stream_module.so / ngx_mail_module.so.
fn dynamic_so(module: &str, enable_via: &str) -> Option<&'static str> {
    if enable_via.contains("--with-stream_geoip_module") {
        return Some("ngx_stream_geoip_module.so");
    }
    if module.starts_with("ngx_stream_") || module == "ngx_stream_module" {
        return Some("ngx_stream_module.so");
    }
    if module.starts_with("ngx_mail_") || module == "ngx_mail_module" {
        return Some("ngx_mail_module.so");
    }
    match module {
        "ngx_http_geoip_module" => Some("ngx_http_geoip_module.so"),
        "ngx_http_image_filter_module" => Some("ngx_http_image_filter_module.so"),
        "ngx_http_perl_module" => Some("ngx_http_perl_module.so"),
        "ngx_http_xslt_filter_module" => Some("ngx_http_xslt_filter_module.so"),
        _ => None,
    }
}

/// grammars/nginx/duplicate-handlers.tsv: nginx's set-handlers that return
/// "is duplicate", found in nginx's source by [`scan_duplicate_handlers`]. Read here so
/// that every directive row takes its `dup` / `dup-off` flag from its handler.
const DUPLICATE_HANDLERS: &str = include_str!("../grammars/nginx/duplicate-handlers.tsv");

/// The flag of grammars/README.md for a directive handled by `handler` in release
/// `release` of [`RELEASES`]: `dup` when nginx refuses any second occurrence in a
/// block, `dup-off` when it refuses `off` next to another occurrence.
fn duplicate_flag(handler: &str, release: &str) -> Option<&'static str> {
    DUPLICATE_HANDLERS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols.len() >= 3 && cols[0] == handler)
        .filter(|cols| parse_version(release) >= parse_version(cols[2]))
        .and_then(|cols| match cols[1] {
            "always" => Some("dup"),
            "off" => Some("dup-off"),
            _ => None,
        })
}

/// The source trees scanned for "is duplicate", with the release label of
/// [`RELEASES`] each one stands for: the release tags, and the mainline commit the
/// reference's nginx-directives.tsv was made from.
const SOURCE_REVISIONS: &[(&str, &str)] = &[
    ("1.18.0", "release-1.18.0"),
    ("1.22.1", "release-1.22.1"),
    ("1.24.0", "release-1.24.0"),
    ("1.26.3", "release-1.26.3"),
    ("1.28.3", "release-1.28.3"),
    ("1.30.4", "release-1.30.4"),
    ("1.31.0", "3f6f7824d4e2"),
];

/// How a handler function treats a second occurrence, read from its C body.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Duplicates {
    /// Its first test, before it looks at the arguments, returns "is duplicate" once
    /// the directive was set: any second occurrence is refused.
    Always,
    /// "is duplicate" only where `off` meets another occurrence (`proxy_redirect off`
    /// next to another `proxy_redirect`, `mirror off` twice): the test sits in the
    /// handler's `off` branch or checks for a field `off` set (`== 0`, `== NULL`).
    Off,
    /// "is duplicate" depends on other values (the same zone twice in `limit_req`...).
    Conditional,
    /// Starts by calling another handler (`rv = ngx_http_set_complex_value_slot(cf,
    /// cmd, conf);`): refuses what that one refuses.
    Delegates(String),
}

/// Classifies a handler body (the lines between its `{` and `}`). nginx's style puts
/// declarations first, then statements; assignments (`fp = (...) (p + cmd->offset);`,
/// `value = cf->args->elts;`) may come before the test. The first other statement
/// decides: an `if` whose block says "is duplicate", testing the stored field (not the
/// arguments `value[n]`, and not for a turned-off value with `== 0` / `== NULL`).
fn classify_handler(body: &[&str]) -> Option<Duplicates> {
    let duplicates = body.iter().any(|l| l.contains("\"is duplicate\""));
    let is_declaration = |t: &str| {
        // `type  *name;` or `type *name = init;`: two identifiers before `=` or `;`.
        let head = t.split(['=', ';']).next().unwrap_or("");
        head.split_whitespace().count() >= 2
            && !t.starts_with("if ")
            && !t.starts_with("if(")
            && !t.starts_with("return")
    };
    let mut i = 0;
    while i < body.len() {
        let t = body[i].trim();
        i += 1;
        // The Windows branch of `user` only warns; the other platforms' code follows.
        if t == "#if (NGX_WIN32)" {
            while i < body.len() && !body[i].starts_with("#else") && !body[i].starts_with("#endif")
            {
                i += 1;
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if t.is_empty()
            || t == "{"
            || t.starts_with("/*")
            || t.starts_with('*')
            || is_declaration(t)
        {
            continue;
        }
        if let Some((call, _)) = t.split_once("(cf, cmd, conf)") {
            let callee = call.rsplit([' ', '=']).next().unwrap_or_default();
            return Some(Duplicates::Delegates(callee.to_string()));
        }
        if !duplicates {
            return None;
        }
        let assignment = t
            .split_once(" = ")
            .is_some_and(|(lhs, _)| !lhs.contains(' ') && !lhs.contains('('));
        if assignment {
            continue;
        }
        if !t.starts_with("if (") {
            return Some(Duplicates::Conditional);
        }
        let mut condition = t.to_string();
        while !condition.trim_end().ends_with('{') && i < body.len() {
            condition.push(' ');
            condition.push_str(body[i].trim());
            i += 1;
        }
        // The block of this `if`: up to the line closing it at the same indentation.
        let indent = body[i - 1].len() - body[i - 1].trim_start().len();
        let close = " ".repeat(indent) + "}";
        let block: Vec<&str> = body[i..]
            .iter()
            .take_while(|l| !l.starts_with(&close) || l.len() != close.len())
            .copied()
            .collect();
        let reads_args = condition.contains("value[") || condition.contains("cf->args");
        let turned_off = condition.contains("== 0") || condition.contains("== NULL");
        let refuses = block.iter().any(|l| l.contains("\"is duplicate\""));
        let off_branch = |text: &str| text.contains("value[1].data, \"off\") == 0");
        return Some(match (reads_args, turned_off, refuses) {
            (false, false, true) => Duplicates::Always,
            // The first test refuses anything after `off`, or the `off` branch itself
            // refuses (and nothing else does).
            (false, true, true) => Duplicates::Off,
            (true, _, _) if off_branch(&condition) && off_only(&body[i..], indent) => {
                Duplicates::Off
            }
            _ => Duplicates::Conditional,
        });
    }
    duplicates.then_some(Duplicates::Conditional)
}

/// Whether every "is duplicate" of a handler's remaining lines (starting inside an
/// `if` block that tests for `off`, indented by `indent`) is in an `off` branch or in a
/// test for a field `off` set (`== 0`, `== NULL`).
fn off_only(rest: &[&str], indent: usize) -> bool {
    let close = " ".repeat(indent) + "}";
    let mut in_off_branch = true;
    let mut condition = "";
    for line in rest {
        if *line == close {
            in_off_branch = false;
        }
        let t = line.trim();
        if t.starts_with("if (") {
            condition = t;
            in_off_branch = in_off_branch || t.contains("\"off\") == 0");
        }
        let off_test = condition.contains("== 0") || condition.contains("== NULL");
        if t.contains("\"is duplicate\"") && !in_off_branch && !off_test {
            return false;
        }
    }
    true
}

/// Every function of one source tree that mentions "is duplicate", classified, with
/// the file:line of its first "is duplicate".
fn scan_revision(repo: &Path, rev: &str) -> BTreeMap<String, (Duplicates, String)> {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed in {}",
            repo.display()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut found = BTreeMap::new();
    for file in git(&["ls-tree", "-r", "--name-only", rev, "src"]).lines() {
        if !file.ends_with(".c") {
            continue;
        }
        let text = git(&["show", &format!("{rev}:{file}")]);
        let lines: Vec<&str> = text.lines().collect();
        let mut function: Option<(String, usize)> = None;
        for (n, line) in lines.iter().enumerate() {
            // Definitions start in column 0: `name(args...)` after the return type.
            if let Some((name, _)) = line.split_once('(')
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                function = Some((name.to_string(), n + 1));
            }
            if *line == "}"
                && let Some((name, start)) = function.take()
            {
                let body = &lines[start..n];
                if let Some(kind) = classify_handler(body) {
                    let at = body
                        .iter()
                        .position(|l| l.contains("\"is duplicate\""))
                        .map_or(start, |p| start + p + 1);
                    found.insert(name, (kind, format!("{file}:{at}")));
                }
            }
        }
    }
    // A handler that delegates refuses what its callee refuses, and is listed with it.
    let delegating: Vec<(String, String, String)> = found
        .iter()
        .filter_map(|(name, (kind, at))| match kind {
            Duplicates::Delegates(callee) => Some((name.clone(), callee.clone(), at.clone())),
            _ => None,
        })
        .collect();
    for (name, callee, at) in delegating {
        match found.get(&callee).map(|(kind, _)| kind.clone()) {
            Some(kind @ (Duplicates::Always | Duplicates::Conditional)) => {
                found.insert(name, (kind, format!("{at}, via {callee}")));
            }
            _ => {
                found.remove(&name);
            }
        }
    }
    found
}

/// Scans the nginx source trees of [`SOURCE_REVISIONS`] in the git repository `repo`:
/// a handler is `always` when every tree that has it refuses any duplicate.
fn scan_duplicate_handlers(repo: &Path) -> String {
    // handler -> (kind in the newest tree that has the test, first release, place)
    let mut handlers: BTreeMap<String, (Duplicates, &str, String)> = BTreeMap::new();
    for (release, rev) in SOURCE_REVISIONS {
        for (name, (kind, at)) in scan_revision(repo, rev) {
            handlers
                .entry(name)
                .and_modify(|e| e.0 = kind.clone())
                .or_insert_with(|| (kind, release, format!("{at} ({rev})")));
        }
    }
    let mut out = String::from(
        "# Generated by tests/grammar_sync.rs (NGINX_SOURCE=<nginx git repository>) from the\n\
         # set-handlers of nginx's source trees that return \"is duplicate\"; do not edit.\n\
         # refuses: always (any second occurrence in a block), off (`off` next to another\n\
         # occurrence), conditional (other values). since: first release with the test.\n\
         handler\trefuses\tsince\tsource\n",
    );
    for (name, (kind, since, at)) in handlers {
        let kind = match kind {
            Duplicates::Always => "always",
            Duplicates::Off => "off",
            _ => "conditional",
        };
        writeln!(out, "{name}\t{kind}\t{since}\t{at}").expect("write to string");
    }
    out
}

#[derive(Clone, PartialEq, Eq)]
struct Signature {
    contexts: String,
    args: String,
    kind: String,
    flags: String,
    handler: String,
}

struct SourceRow {
    module: String,
    signature: Signature,
    built_by_default: String,
    enable_via: String,
}

/// Maps nginx's set-handler (and the extracted value kind) to the validation kind of
/// grammars/README.md, and tells whether a second occurrence is refused.
fn kind_and_dup(
    handler: &str,
    value_kind: &str,
    allowed: &str,
    release: &str,
) -> (String, Option<&'static str>) {
    let list = allowed.replace(',', "|");
    let kind = match handler {
        "ngx_conf_set_flag_slot" => "flag".to_string(),
        "ngx_conf_set_msec_slot" => "msec".to_string(),
        "ngx_conf_set_sec_slot" => "sec".to_string(),
        "ngx_conf_set_size_slot" => "size".to_string(),
        "ngx_conf_set_off_slot" => "off".to_string(),
        "ngx_conf_set_num_slot" => "num".to_string(),
        "ngx_conf_set_enum_slot" => format!("enum:{list}"),
        "ngx_conf_set_bitmask_slot" => format!("bitmask:{list}"),
        "ngx_conf_set_bufs_slot" => "bufs".to_string(),
        "ngx_conf_set_str_slot" => "str".to_string(),
        "ngx_conf_set_str_array_slot" => "strs".to_string(),
        "ngx_conf_set_keyval_slot" => "keyval".to_string(),
        "ngx_conf_set_path_slot" => "path".to_string(),
        "ngx_conf_set_access_slot" => "access".to_string(),
        "ngx_http_set_complex_value_size_slot" | "ngx_stream_set_complex_value_size_slot" => {
            "size_or_var".to_string()
        }
        _ if value_kind.contains("OBSOLETE") => "obsolete".to_string(),
        _ => "custom".to_string(),
    };
    (kind, duplicate_flag(handler, release))
}

/// Block directives whose body is data read by the module's own handler, not directives.
fn raw_body(name: &str) -> bool {
    matches!(
        name,
        "types" | "map" | "geo" | "split_clients" | "charset_map" | "match"
    )
}

/// Rows of one sampled source tree, by (directive, module).
type SourceRows = BTreeMap<(String, String), SourceRow>;

fn source_rows(path: &Path, release: &str) -> SourceRows {
    let mut out = BTreeMap::new();
    for r in read_tsv(path) {
        let name = r["directive"].clone();
        let contexts: BTreeSet<&str> = r["contexts"]
            .split(',')
            .map(|c| if c == "direct" { "main" } else { c })
            .collect();
        let contexts = contexts.into_iter().collect::<Vec<_>>().join(",");
        let handler = r["set_handler"].clone();
        let (kind, dup) = kind_and_dup(&handler, &r["value_kind"], &r["allowed_values"], release);
        let mut flags = Vec::new();
        if r["block"] == "yes" {
            flags.push("block");
            if raw_body(&name) {
                flags.push("raw");
            }
        }
        flags.extend(dup);
        if r["value_kind"].contains("DEPRECATED") {
            flags.push("deprecated");
        }
        let signature = Signature {
            contexts,
            args: r["args"].clone(),
            kind,
            flags: if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            },
            handler,
        };
        out.insert(
            (name, r["module"].clone()),
            SourceRow {
                module: r["module"].clone(),
                signature,
                built_by_default: r["built_by_default"].clone(),
                enable_via: r["enable_via"].clone(),
            },
        );
    }
    out
}

fn parse_version(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// First version after a sampled release: the earliest version a change seen only in
/// the next sample can have appeared in.
fn next_minor(v: &str) -> String {
    let p = parse_version(v);
    format!("{}.{}.0", p[0], p[1] + 1)
}

/// Which module family a documentation page belongs to, to match doc rows with source rows.
fn family_of_module(module: &str) -> &'static str {
    if module.starts_with("ngx_stream") {
        "stream"
    } else if module.starts_with("ngx_mail") {
        "mail"
    } else if module.starts_with("ngx_http") {
        "http"
    } else {
        "core"
    }
}

fn family_of_doc(page: &str) -> &'static str {
    match page.split('/').next() {
        Some("http") => "http",
        Some("stream") => "stream",
        Some("mail") => "mail",
        _ => "core",
    }
}

struct Tables {
    directives: String,
    modules: String,
}

fn generate(reference: &Path) -> Tables {
    let samples: Vec<(&str, SourceRows)> = RELEASES
        .iter()
        .map(|(v, f)| (*v, source_rows(&reference.join(f), v)))
        .collect();
    let docs = read_tsv(&reference.join("nginx-doc-directives.tsv"));
    let mut appeared: BTreeMap<(String, &str), String> = BTreeMap::new();
    let mut documented_default: BTreeMap<(String, &str), String> = BTreeMap::new();
    let mut documented_syntax: BTreeMap<(String, &str), String> = BTreeMap::new();
    for d in &docs {
        let key = (d["directive"].clone(), family_of_doc(&d["module_doc"]));
        if !d["appeared_in"].is_empty() {
            appeared.insert(key.clone(), d["appeared_in"].clone());
        }
        documented_default.insert(key.clone(), d["default"].clone());
        documented_syntax.insert(key, d["syntax"].clone());
    }

    let keys: BTreeSet<(String, String)> = samples
        .iter()
        .flat_map(|(_, rows)| rows.keys().cloned())
        .collect();
    let mut directives = String::from(
        "# Generated by tests/grammar_sync.rs from ../shared/reference (nginx source and docs); do not edit.\n\
         name\tmodule\tcontexts\targs\tkind\tflags\tsince\tuntil\thandler\tdefault\tsyntax\n",
    );
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    for key in &keys {
        let (name, module) = key;
        let family = family_of_module(module);
        // Runs of consecutive samples with the same signature become one row.
        let mut runs: Vec<(usize, usize, Signature)> = Vec::new();
        for (i, (_, rows)) in samples.iter().enumerate() {
            let Some(row) = rows.get(key) else { continue };
            match runs.last_mut() {
                Some((_, end, sig)) if *end + 1 == i && *sig == row.signature => *end = i,
                _ => runs.push((i, i, row.signature.clone())),
            }
            let origin = if let Some(so) = dynamic_so(module, &row.enable_via) {
                format!("dynamic\t{so}\t-\t{}", row.enable_via)
            } else if row.built_by_default == "yes" {
                "builtin\t-\t-\t-".to_string()
            } else {
                format!("optional\t-\t-\t{}", row.enable_via)
            };
            modules.insert(row.module.clone(), origin);
        }
        for (start, end, sig) in runs {
            let since = if start == 0 {
                String::new()
            } else {
                let doc = appeared.get(&(name.clone(), family));
                let lower = next_minor(samples[start - 1].0);
                match doc {
                    Some(v) if parse_version(v) >= parse_version(&lower) => v.clone(),
                    _ => lower,
                }
            };
            let until = if end + 1 == samples.len() {
                String::new()
            } else {
                samples[end].0.to_string()
            };
            let default = documented_default
                .get(&(name.clone(), family))
                .map(|d| d.replace('—', ""))
                .unwrap_or_default();
            let syntax = documented_syntax
                .get(&(name.clone(), family))
                .cloned()
                .unwrap_or_default();
            writeln!(
                directives,
                "{name}\t{module}\t{}\t{}\t{}\t{}\t{since}\t{until}\t{}\t{default}\t{syntax}",
                sig.contexts, sig.args, sig.kind, sig.flags, sig.handler
            )
            .expect("write to string");
        }
    }
    let mut modules_tsv = String::from(
        "# Generated by tests/grammar_sync.rs from ../shared/reference; do not edit.\n\
         module\torigin\tso\trequires\tsource\n",
    );
    for (module, origin) in modules {
        writeln!(modules_tsv, "{module}\t{origin}").expect("write to string");
    }
    Tables {
        directives,
        modules: modules_tsv,
    }
}

#[test]
fn grammar_tables_match_reference() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let tables = generate(&reference);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammars/nginx");
    let targets = [
        ("directives.tsv", &tables.directives),
        ("modules.tsv", &tables.modules),
    ];
    if std::env::var_os("UPDATE_GRAMMARS").is_some() {
        for (file, text) in targets {
            std::fs::write(root.join(file), text).expect("write grammar table");
        }
        return;
    }
    for (file, text) in targets {
        let committed = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        assert!(
            committed == *text,
            "grammars/nginx/{file} is stale: run `UPDATE_GRAMMARS=1 cargo test --test grammar_sync`"
        );
    }
}

/// The duplicate handlers table must name handlers the reference knows (a misspelt name
/// would silently drop the `dup` flag of every directive it handles), and, given an
/// nginx git repository in NGINX_SOURCE, must be what its source says.
#[test]
fn duplicate_handlers_match_nginx_source() {
    let known: BTreeSet<String> = match shared_reference() {
        Some(reference) => RELEASES
            .iter()
            .flat_map(|(_, f)| read_tsv(&reference.join(f)))
            .map(|r| r["set_handler"].clone())
            .collect(),
        None => {
            return;
        }
    };
    for line in DUPLICATE_HANDLERS
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .skip(1)
    {
        let handler = line.split('\t').next().unwrap_or_default();
        assert!(
            known.contains(handler),
            "duplicate-handlers.tsv: {handler} is no set-handler of the reference tables"
        );
    }
    let Some(repo) = std::env::var_os("NGINX_SOURCE") else {
        eprintln!("not rescanning nginx's source: set NGINX_SOURCE to an nginx git repository");
        return;
    };
    let scanned = scan_duplicate_handlers(Path::new(&repo));
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("grammars/nginx/duplicate-handlers.tsv");
    if std::env::var_os("UPDATE_GRAMMARS").is_some() {
        std::fs::write(&path, scanned).expect("write duplicate-handlers.tsv");
        return;
    }
    assert!(
        scanned == DUPLICATE_HANDLERS,
        "grammars/nginx/duplicate-handlers.tsv is stale: run `NGINX_SOURCE=... UPDATE_GRAMMARS=1 cargo test --test grammar_sync`"
    );
}

/// `grammar::OLDEST_VERSION` (the oldest nginx `--nginx-version` accepts) is the oldest
/// release sampled here.
#[test]
fn oldest_version_is_the_oldest_sampled_release() {
    assert_eq!(
        proxylint::nginx::grammar::OLDEST_VERSION.to_string(),
        RELEASES[0].0
    );
}
