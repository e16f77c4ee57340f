//! Generates `grammars/apache/directives.tsv` from the facts extracted from httpd's source
//! and documentation (../shared/reference/httpd-*.tsv) plus the hand-maintained
//! `grammars/apache/newer.tsv`, and fails when the committed table is stale
//! (`UPDATE_GRAMMARS=1` rewrites it). It then checks that the compiled table holds every
//! reference row a Linux build has, that the messages proxylint reproduces are httpd's
//! (httpd-config-messages.tsv, httpd-proxy-worker-params.tsv), and, when Debian's apache2 is
//! installed, that the table, the module facts and the real server agree (`apache2 -L`,
//! `apache2 -l`, `<IfModule>` names).
//!
//! The generator lives in a test so that the shipped crate never depends on ../shared: the
//! tables are committed data, this test keeps them honest.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use proxylint::apache::grammar::{self, ArgsKind, LoadedModules, Lookup};

fn shared_reference() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference");
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "../shared/reference is missing but CI=true: the Apache grammar tables cannot be verified"
    );
    None
}

type Row = BTreeMap<String, String>;

fn read_tsv(path: &Path) -> Vec<Row> {
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

/// Whether a `#if` condition around a command-table entry holds in Debian's Linux build
/// (OpenSSL 3, APR 1.7 with threads, no debugging or platform-specific switches). Every
/// condition of the reference is listed: a new one fails the generator until decided.
/// `apache2 -L` (checked below when installed) confirms the answers.
fn debian_cpp(condition: &str) -> bool {
    match condition {
        "" => true,
        "defined(RLIMIT_CPU)"
        | "defined (RLIMIT_DATA) || defined (RLIMIT_VMEM) || defined (RLIMIT_AS)"
        | "defined(RLIMIT_NPROC)"
        | "APR_HAS_THREADS"
        | "!defined(NO_PROTOCOL)"
        | "HC_USE_THREADS"
        | "!(APU_MAJOR_VERSION == 1 && APU_MINOR_VERSION < 4) && !(APU_HAVE_CRYPTO == 0)"
        | "defined(HAVE_TLS_SESSION_TICKETS)"
        | "defined(HAVE_SRP)"
        | "defined(HAVE_OCSP_STAPLING)"
        | "defined(HAVE_SSL_CONF_CMD)" => true,
        "!(defined(RLIMIT_CPU))"
        | "!(defined (RLIMIT_DATA) || defined (RLIMIT_VMEM) || defined (RLIMIT_AS))"
        | "!(defined(RLIMIT_NPROC))"
        | "defined(GPROF)"
        | "defined(WIN32)"
        | "AP_ENABLE_EXCEPTION_HOOK"
        | "defined(AUTHZ_EXTRA_CONFIGS)"
        | "defined(NETWARE)"
        | "defined(BIG_SECURITY_HOLE)"
        | "TLS_CLIENT_CERTS"
        | "TLS_MACHINE_CERTS" => false,
        other => panic!("undecided preprocessor condition for Debian's build: {other}"),
    }
}

/// The handler checks that always apply (`ap_check_cmd_context` calls of the handler, and
/// of helpers it always calls), and the warning-only ones, from the reference columns.
/// Conditional checks (a helper called for some argument counts, mod_md's
/// location-dependent checks) are left to the handler checks of proxylint's code.
fn handler_checks(row: &Row) -> (String, String) {
    let mut checks = BTreeSet::new();
    let mut warn = BTreeSet::new();
    for part in row["extra_context_checks"]
        .split(" ; ")
        .filter(|p| !p.is_empty())
    {
        let (flags, tag) = match part.split_once(" [") {
            Some((f, t)) => (f, Some(t)),
            None => (part, None),
        };
        match tag {
            None => {
                checks.insert(flags.to_string());
            }
            Some(t) if t.starts_with("warning only") => {
                warn.insert(flags.to_string());
            }
            // SSLCompression's GLOBAL_ONLY is compiled only without SSL_OP_NO_COMPRESSION,
            // which OpenSSL 3 defines.
            Some(t) if t.starts_with("#if !defined(OPENSSL_NO_COMP)") => {}
            Some(t) => panic!("undecided handler check tag: {t}"),
        }
    }
    let indirect = &row["indirect_context_checks"];
    if !indirect.contains('[')
        && let Some((flags, _)) = indirect.split_once(" via ")
    {
        checks.insert(flags.to_string());
    }
    let join = |s: BTreeSet<String>| s.into_iter().collect::<Vec<_>>().join("|");
    (join(checks), join(warn))
}

fn notes(row: &Row) -> &'static str {
    let n = &row["notes"];
    if n.contains("ap_set_deprecated") {
        "deprecated"
    } else if n.contains("example/test module") {
        "example"
    } else {
        ""
    }
}

const HEADER: &str = "# Generated by tests/apache_grammar_sync.rs from ../shared/reference (httpd source and docs) and newer.tsv; do not edit.\n\
name\tmodule\targs\toverride\tchecks\twarn_checks\tsince\tuntil\tplatform\tbuilt\thelp\tsyntax\tdefault\tdescription\tnotes\n";

fn generate(reference: &Path, newer: &[Row]) -> String {
    let rows = read_tsv(&reference.join("httpd-directives.tsv"));
    let docs = read_tsv(&reference.join("httpd-doc-directives.tsv"));
    let mut doc_by_name: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for d in &docs {
        doc_by_name
            .entry(d["name"].to_ascii_lowercase())
            .or_default()
            .push(d);
    }
    let removed: BTreeMap<(String, String), String> = newer
        .iter()
        .filter(|r| r["change"] == "removed")
        .map(|r| {
            (
                (r["name"].clone(), r["module"].clone()),
                r["version"].clone(),
            )
        })
        .collect();
    let mut out = String::from(HEADER);
    for row in &rows {
        let (checks, warn) = handler_checks(row);
        let doc = doc_by_name
            .get(&row["name"].to_ascii_lowercase())
            .and_then(|ds| {
                ds.iter()
                    .find(|d| d["module"] == row["module"])
                    .or(ds.first())
            });
        let doc_field = |f: &str| doc.map_or(String::new(), |d| d[f].clone());
        // Branch rows are still in the 2.4.x branch: no last release. Tag-only rows
        // (mod_tls) end at their tag.
        let key = (row["name"].clone(), row["module"].clone());
        let until = match removed.get(&key) {
            Some(v) => v.clone(),
            None if row["source_ref"].starts_with("tag") => row["last_2.4_release"].clone(),
            None => String::new(),
        };
        let platform = match row["platform"].as_str() {
            "" => "all",
            p => p,
        };
        let built = if debian_cpp(&row["cpp_conditions"]) {
            "yes"
        } else {
            "no"
        };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{checks}\t{warn}\t{}\t{until}\t{platform}\t{built}\t{}\t{}\t{}\t{}\t{}",
            row["name"],
            row["module"],
            row["args_kind"],
            row["req_override_bits"],
            row["first_2.4_release"],
            row["help"],
            doc_field("syntax"),
            doc_field("default"),
            doc_field("description"),
            notes(row),
        )
        .expect("write to string");
    }
    for r in newer.iter().filter(|r| r["change"] == "added") {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t\t{}\t\tall\tyes\t{}\t\t\t\t",
            r["name"], r["module"], r["args"], r["override"], r["checks"], r["version"], r["help"]
        )
        .expect("write to string");
    }
    out
}

fn grammar_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("grammars/apache")
}

#[test]
fn directive_table_matches_reference() {
    let Some(reference) = shared_reference() else {
        eprintln!("skipping: ../shared/reference not found");
        return;
    };
    let newer = read_tsv(&grammar_dir().join("newer.tsv"));
    let text = generate(&reference, &newer);
    let path = grammar_dir().join("directives.tsv");
    if std::env::var_os("UPDATE_GRAMMARS").is_some() {
        std::fs::write(&path, &text).expect("write grammar table");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "grammars/apache/directives.tsv is stale: run `UPDATE_GRAMMARS=1 cargo test --test apache_grammar_sync`"
    );
}

/// Every (directive, module) row of the reference that Debian's Linux build compiles is in
/// the compiled table, with the reference's argument kind, and is found by `lookup` once
/// its module is loaded.
#[test]
fn every_unix_reference_row_is_compiled_in() {
    let Some(reference) = shared_reference() else {
        eprintln!("skipping: ../shared/reference not found");
        return;
    };
    let newer = read_tsv(&grammar_dir().join("newer.tsv"));
    let removed: BTreeSet<(String, String)> = newer
        .iter()
        .filter(|r| r["change"] == "removed")
        .map(|r| (r["name"].clone(), r["module"].clone()))
        .collect();
    let mut checked = 0;
    for row in read_tsv(&reference.join("httpd-directives.tsv")) {
        if !matches!(row["platform"].as_str(), "" | "unix") || !debian_cpp(&row["cpp_conditions"]) {
            continue;
        }
        let Some(module) = grammar::module(&row["module"]) else {
            panic!(
                "module {} of {} is not in modules.tsv",
                row["module"], row["name"]
            );
        };
        if !module.built_by_debian() {
            continue;
        }
        let def = grammar::defs(&row["name"])
            .find(|d| d.module == row["module"])
            .unwrap_or_else(|| panic!("{} ({}) missing", row["name"], row["module"]));
        assert_eq!(def.args.to_string(), row["args_kind"], "{}", row["name"]);
        assert_eq!(def.module_symbol, row["module_symbol"], "{}", row["name"]);
        if removed.contains(&(row["name"].clone(), row["module"].clone())) {
            continue;
        }
        let mut loaded = LoadedModules::builtin();
        loaded.load(module);
        match grammar::lookup(&row["name"], &loaded) {
            Lookup::Found(found) => assert_eq!(found.name, def.name),
            other => panic!("{}: {other:?}", row["name"]),
        }
        checked += 1;
    }
    assert!(checked > 650, "only {checked} rows checked");
}

/// The contexts `DirectiveDef::contexts` derives are the reference's
/// `effective_contexts` (its qualifiers in parentheses aside).
#[test]
fn derived_contexts_match_reference() {
    let Some(reference) = shared_reference() else {
        eprintln!("skipping: ../shared/reference not found");
        return;
    };
    let mut checked = 0;
    for row in read_tsv(&reference.join("httpd-directives.tsv")) {
        let def = grammar::defs(&row["name"])
            .find(|d| d.module == row["module"])
            .unwrap_or_else(|| panic!("{} missing", row["name"]));
        // The reference applies the conditional SSLCompression check; Debian's build
        // does not compile it.
        if row["extra_context_checks"].contains("[#if") {
            continue;
        }
        let mut expected = String::new();
        let mut depth = 0;
        for c in row["effective_contexts"].chars() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ if depth == 0 => expected.push(c),
                _ => {}
            }
        }
        let expected = expected.replace(" ,", ",");
        let ours: Vec<String> = def.contexts().iter().map(ToString::to_string).collect();
        assert_eq!(
            ours.join(", "),
            expected.trim(),
            "{} ({})",
            row["name"],
            row["module"]
        );
        checked += 1;
    }
    assert!(checked > 800);
}

/// The third-party table only names modules of modules.tsv, with httpd's argument kinds.
#[test]
fn third_party_rows_are_consistent() {
    let rows = read_tsv(&grammar_dir().join("third-party.tsv"));
    assert!(rows.len() > 600);
    for row in rows {
        let module = grammar::module(&row["module"]).unwrap_or_else(|| {
            panic!(
                "{}: module {} not in modules.tsv",
                row["name"], row["module"]
            )
        });
        assert!(module.third_party, "{}", row["name"]);
        let def = grammar::defs(&row["name"])
            .find(|d| d.module == row["module"])
            .unwrap_or_else(|| panic!("{} not compiled in", row["name"]));
        assert!(def.third_party);
        assert!(row["args"].parse::<ArgsKind>().is_ok(), "{}", row["name"]);
    }
}

// ---- Against the installed Debian apache2 -------------------------------------------------

fn apache2() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/sbin/apache2");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "apache2 is not installed but CI=true (.ci/run installs it)"
    );
    eprintln!("skipping: apache2 not installed");
    None
}

/// A configuration in its own ServerRoot that loads every module Debian ships as a .so
/// (one MPM: event), followed by `body`.
fn all_modules_conf(dir: &Path, body: &str) -> PathBuf {
    let mut conf = format!(
        "ServerRoot {0}\nPidFile {0}/pid\nErrorLog {0}/error.log\nMutex file:{0} default\n\
         ServerName localhost\nListen 127.0.0.1:1\n",
        dir.display()
    );
    for m in grammar::modules() {
        let Some(path) = m.debian_path() else {
            continue;
        };
        if m.third_party || m.is_mpm() && m.symbol != "mpm_event_module" {
            continue;
        }
        writeln!(conf, "LoadModule {} {path}", m.symbol).expect("write to string");
    }
    conf.push_str(body);
    let path = dir.join("all.conf");
    std::fs::write(&path, conf).expect("write config");
    path
}

fn run_apache2(bin: &Path, dir: &Path, conf: &Path, flag: &str) -> (bool, String) {
    let out = Command::new(bin)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/bin")
        .args([flag, "-f"])
        .arg(conf)
        .arg("-d")
        .arg(dir)
        .output()
        .expect("run apache2");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// `apache2 -L` with every module loaded lists exactly the directives the table says this
/// build has at the default version (for the event MPM).
#[test]
fn table_matches_installed_apache2_directive_list() {
    let Some(bin) = apache2() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = all_modules_conf(dir.path(), "");
    let (ok, out) = run_apache2(&bin, dir.path(), &conf, "-L");
    assert!(ok, "apache2 -L failed: {out}");
    let real: BTreeSet<(String, String)> = out
        .lines()
        .filter(|l| !l.starts_with(['\t', ' ']))
        .filter_map(|l| {
            let (name, module) = l.rsplit_once(" (")?;
            Some((name.to_string(), module.strip_suffix(".c)")?.to_string()))
        })
        .collect();
    let mut loaded = LoadedModules::builtin();
    for m in grammar::modules() {
        if m.debian_path().is_some() && !m.third_party && (!m.is_mpm() || m.module == "event") {
            loaded.load(m);
        }
    }
    let ours: BTreeSet<(String, String)> = grammar::all()
        .iter()
        .filter(|d| loaded.provides(d) && d.available(grammar::DEFAULT_VERSION))
        .map(|d| (d.name.to_string(), d.module.to_string()))
        .collect();
    let missing: Vec<_> = real.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&real).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "apache2 -L has but the table lacks: {missing:?}\nthe table has but apache2 -L lacks: {extra:?}"
    );
}

/// `apache2 -l` lists the modules modules.tsv marks built-in, and every shared module
/// answers `<IfModule>` by its source name and by its symbol once loaded.
#[test]
fn module_facts_match_installed_apache2() {
    let Some(bin) = apache2() else { return };
    let out = Command::new(&bin)
        .env_clear()
        .arg("-l")
        .output()
        .expect("run apache2 -l");
    let listed: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_suffix(".c").map(str::to_string))
        .collect();
    let builtin: BTreeSet<String> = grammar::modules()
        .iter()
        .filter(|m| m.builtin)
        .map(|m| m.module.to_string())
        .collect();
    assert_eq!(listed, builtin);

    let dir = tempfile::tempdir().expect("tempdir");
    let mut body = String::new();
    for m in grammar::modules() {
        if m.debian_path().is_none() && !m.builtin || m.third_party {
            continue;
        }
        if m.is_mpm() && m.module != "event" {
            continue;
        }
        writeln!(
            body,
            "<IfModule !{0}.c>\nError \"{0}.c not matched\"\n</IfModule>\n\
             <IfModule !{1}>\nError \"{1} not matched\"\n</IfModule>",
            m.module, m.symbol
        )
        .expect("write to string");
    }
    let conf = all_modules_conf(dir.path(), &body);
    let (ok, out) = run_apache2(&bin, dir.path(), &conf, "-t");
    assert!(ok, "{out}");
}

/// Every message of worker-params.tsv is one of the reference's `error_messages` for the
/// same key and kind. Two C macros the extraction left unresolved are filled in as the
/// installed apache2 prints them: `APR_STRINGIFY(APR_INT32_MAX)` is "(2147483647)",
/// `%{APR_TIME_T_FMT}ms` of `apr_time_as_msec(AP_WD_TM_SLICE)` is "100ms".
#[test]
fn worker_param_messages_are_httpds() {
    let Some(reference) = shared_reference() else {
        eprintln!("skipping: ../shared/reference not found");
        return;
    };
    let rows = read_tsv(&reference.join("httpd-proxy-worker-params.tsv"));
    let kind = |scope: grammar::ParamScope| match scope {
        grammar::ParamScope::Worker => "worker",
        grammar::ParamScope::Balancer => "balancer",
        grammar::ParamScope::HealthCheck => "worker-hcheck",
    };
    let mut checked = 0;
    for p in grammar::worker_params() {
        let row = rows
            .iter()
            .find(|r| r["name"] == p.key && r["kind"] == kind(p.scope))
            .unwrap_or_else(|| panic!("{} ({:?}) not in the reference", p.key, p.scope));
        let theirs: Vec<String> = row["error_messages"]
            .split(" | ")
            .map(|m| {
                let m = m.split("  [args:").next().unwrap_or(m).trim();
                m.replace("2147483647", "(2147483647)")
                    .replace("%{APR_TIME_T_FMT}ms", "100ms")
            })
            .collect();
        for m in p.messages {
            assert!(
                theirs.iter().any(|t| t == m),
                "{}: {m:?} not in {theirs:?}",
                p.key
            );
            checked += 1;
        }
    }
    assert!(checked > 40);
}
