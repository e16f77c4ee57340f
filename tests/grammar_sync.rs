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

/// Custom set-handlers that refuse a second occurrence in the same block with
/// "is duplicate" (checked against the real `nginx -t`). Standard slots are derived
/// from their names in `kind_and_dup`.
const CUSTOM_DUP_HANDLERS: &[&str] = &[
    "ngx_http_core_root",
    "ngx_http_proxy_pass",
    "ngx_http_fastcgi_pass",
    "ngx_http_uwsgi_pass",
    "ngx_http_scgi_pass",
    "ngx_http_grpc_pass",
    "ngx_http_memcached_pass",
    "ngx_stream_proxy_pass",
    "ngx_http_core_try_files",
    "ngx_http_upstream_keepalive",
    "ngx_http_core_resolver",
    "ngx_stream_core_resolver",
    "ngx_mail_core_resolver",
    "ngx_set_user",
    "ngx_set_worker_processes",
    "ngx_set_cpu_affinity",
    "ngx_http_proxy_cache",
    "ngx_http_fastcgi_cache",
    "ngx_http_uwsgi_cache",
    "ngx_http_scgi_cache",
    "ngx_http_proxy_cache_key",
    "ngx_http_fastcgi_cache_key",
    "ngx_http_uwsgi_cache_key",
    "ngx_http_scgi_cache_key",
    "ngx_http_proxy_store",
    "ngx_http_fastcgi_store",
    "ngx_http_uwsgi_store",
    "ngx_http_scgi_store",
    "ngx_http_set_complex_value_slot",
    "ngx_http_set_complex_value_zero_slot",
    "ngx_http_set_complex_value_size_slot",
    "ngx_stream_set_complex_value_slot",
    "ngx_stream_set_complex_value_zero_slot",
    "ngx_stream_set_complex_value_size_slot",
    "ngx_http_upstream_bind_set_slot",
    "ngx_stream_upstream_bind_set_slot",
    "ngx_http_types_slot",
    "ngx_event_connections",
    "ngx_http_headers_expires",
    "ngx_events_block",
    "ngx_http_block",
    "ngx_stream_block",
    "ngx_mail_block",
    "ngx_stream_return",
];

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
fn kind_and_dup(handler: &str, value_kind: &str, allowed: &str) -> (String, bool) {
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
    let standard_dup = matches!(
        handler,
        "ngx_conf_set_flag_slot"
            | "ngx_conf_set_msec_slot"
            | "ngx_conf_set_sec_slot"
            | "ngx_conf_set_size_slot"
            | "ngx_conf_set_off_slot"
            | "ngx_conf_set_num_slot"
            | "ngx_conf_set_enum_slot"
            | "ngx_conf_set_bufs_slot"
            | "ngx_conf_set_str_slot"
            | "ngx_conf_set_path_slot"
            | "ngx_conf_set_access_slot"
    );
    (kind, standard_dup || CUSTOM_DUP_HANDLERS.contains(&handler))
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

fn source_rows(path: &Path) -> SourceRows {
    let mut out = BTreeMap::new();
    for r in read_tsv(path) {
        let name = r["directive"].clone();
        let contexts: BTreeSet<&str> = r["contexts"]
            .split(',')
            .map(|c| if c == "direct" { "main" } else { c })
            .collect();
        let contexts = contexts.into_iter().collect::<Vec<_>>().join(",");
        let handler = r["set_handler"].clone();
        let (kind, dup) = kind_and_dup(&handler, &r["value_kind"], &r["allowed_values"]);
        let mut flags = Vec::new();
        if r["block"] == "yes" {
            flags.push("block");
            if raw_body(&name) {
                flags.push("raw");
            }
        }
        if dup {
            flags.push("dup");
        }
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
        .map(|(v, f)| (*v, source_rows(&reference.join(f))))
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
        eprintln!("skipping: ../shared/reference not found");
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
