//! Parser conformance on the real-world configurations of nginx-go-crossplane's test
//! suite (../shared/corpus/nginx/go-crossplane): for every file crossplane parsed without
//! error, proxylint's tree (directives, arguments, line numbers, nesting, comments,
//! Lua block bodies) must equal crossplane's expected JSON, except where crossplane
//! departs from nginx's tokenizer (listed in `CROSSPLANE_DEPARTURES`, each checked
//! against the real `nginx -t` by tests/differential.rs).

#[path = "common/skip.rs"]
mod skip;

use std::path::PathBuf;

use proxylint::lint::{self, Input, LoadOptions};
use proxylint::nginx::ast::{BodyKind, Item, NodeId, Word};
use proxylint::nginx::model::Config;
use proxylint::settings::Settings;
use proxylint::source::FileId;
use serde_json::{Value, json};

fn corpus() -> Option<PathBuf> {
    skip::shared("corpus/nginx/go-crossplane", "trees against crossplane's")
}

/// Files whose expected tree is not nginx's reading of the file, and why.
const CROSSPLANE_DEPARTURES: &[(&str, &str, &str)] = &[
    (
        "directive-with-space",
        "nginx.conf",
        "crossplane's expected output lacks the file's charset_map block",
    ),
    (
        "messy",
        "nginx.conf",
        "crossplane reads `/abc/${uri} /abc/${uri}.html` as one token and drops a backslash \
         that ends a comment line; nginx splits at the space and ignores everything in comments",
    ),
    (
        "with-comments",
        "nginx.conf",
        "the expected JSON describes an older version of the file (a second server block)",
    ),
    (
        "includes-regular",
        "*",
        "the expected JSON describes an older version of nginx.conf (a map block, an include of \
         conf.d/http*.conf)",
    ),
    (
        "lua-block-larger",
        "nginx.conf",
        "crossplane's Lua lexer drops the first character of the line after a `--` comment \
         (`ocal data` for `local data`)",
    ),
];

/// crossplane's handling of `if`: it strips the parentheses from the arguments.
fn strip_if_parens(args: &mut Vec<String>) {
    if args.first().is_some_and(|a| a.starts_with('('))
        && args.last().is_some_and(|a| a.ends_with(')'))
    {
        args[0] = args[0][1..].trim_start().to_string();
        let last = args.len() - 1;
        args[last] = args[last][..args[last].len() - 1].trim_end().to_string();
        let start = usize::from(args[0].is_empty());
        let end = args.len() - usize::from(args[last].is_empty());
        *args = args[start..end.max(start)].to_vec();
    }
}

/// A token as crossplane writes it: its raw text without quotes (crossplane does not
/// unescape).
fn raw(config: &Config, word: &Word) -> String {
    let text = config.sources.get(word.span.file).snippet(word.span);
    if word.quoted && text.len() >= 2 {
        text[1..text.len() - 1].to_string()
    } else {
        text
    }
}

/// One directive the way crossplane's JSON writes it, without comments (crossplane
/// moves comments found between arguments after the directive; they are compared
/// separately).
fn node_json(config: &Config, id: NodeId, comments: &mut Vec<String>) -> Option<Value> {
    let node = config.tree.node(id);
    match &node.item {
        Item::Comment(c) => {
            comments.push(c.text.to_string());
            None
        }
        Item::Directive(d) => {
            let line = config.sources.line_col(d.name.span).0;
            let mut words: Vec<String> = d.args.iter().map(|a| raw(config, a)).collect();
            if &*d.name.value == "if" {
                strip_if_parens(&mut words);
            }
            let mut args: Vec<Value> = words.into_iter().map(Value::String).collect();
            let mut out = json!({"directive": d.name.value.to_string(), "line": line});
            if let Some(block) = d.block() {
                match block.body {
                    // crossplane gives a Lua block's source as its only argument.
                    BodyKind::Lua(code) => {
                        args.push(json!(config.sources.get(code.file).snippet(code)));
                    }
                    _ => {
                        let children: Vec<Value> = d
                            .children()
                            .iter()
                            .filter_map(|c| node_json(config, *c, comments))
                            .collect();
                        out["block"] = json!(children);
                    }
                }
            }
            out["args"] = json!(args);
            Some(out)
        }
    }
}

/// The tree of each file (its first inclusion), by path, with its comments' texts.
fn files(config: &Config) -> Vec<(PathBuf, FileId, Vec<Value>, Vec<String>)> {
    let mut out: Vec<(PathBuf, FileId, Vec<Value>, Vec<String>)> = Vec::new();
    for (i, node) in config.tree.nodes.iter().enumerate() {
        let top = match node.parent {
            None => true,
            Some(p) => config
                .tree
                .directive(p)
                .is_some_and(|d| d.block().is_none()),
        };
        if !top {
            continue;
        }
        let span = match &node.item {
            Item::Directive(d) => d.name.span,
            Item::Comment(c) => c.span,
        };
        let path = config.sources.get(span.file).path.clone();
        let entry = match out.iter().position(|(p, _, _, _)| *p == path) {
            Some(at) => &mut out[at],
            None => {
                out.push((path, span.file, Vec::new(), Vec::new()));
                out.last_mut().expect("just pushed")
            }
        };
        // A file included twice is compared once.
        if entry.1 != span.file {
            continue;
        }
        if let Some(value) = node_json(config, NodeId(i as u32), &mut entry.3) {
            entry.2.push(value);
        }
    }
    out
}

/// crossplane's tree without comments, and the texts of its comments.
fn split_comments(value: &Value, comments: &mut Vec<String>) -> Value {
    match value {
        Value::Array(items) => {
            let mut kept = Vec::new();
            for item in items {
                if item["directive"] == "#" {
                    comments.push(item["comment"].as_str().unwrap_or_default().to_string());
                } else {
                    kept.push(split_comments(item, comments));
                }
            }
            Value::Array(kept)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "includes")
                .map(|(k, v)| (k.clone(), split_comments(v, comments)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn trees_match_crossplane_where_it_reads_like_nginx() {
    let Some(corpus) = corpus() else { return };
    let mut compared = 0;
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    for case in cases {
        let expected_path = case.join("nginx.json");
        let Ok(text) = std::fs::read_to_string(&expected_path) else {
            continue;
        };
        let expected: Value = serde_json::from_str(&text).expect("valid JSON");
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let settings = Settings::default();
        let ws = lint::load(
            &[Input::File(case.join("nginx.conf"))],
            &LoadOptions::default(),
            &settings,
        )
        .expect("loads");
        let ours = files(ws.nginx().expect("an nginx configuration"));
        for file in expected["config"].as_array().into_iter().flatten() {
            if file["status"] != "ok" {
                continue;
            }
            // Some expected files describe another case's directory: not this one.
            let Some((_, rel)) = file["file"]
                .as_str()
                .unwrap_or_default()
                .split_once(&format!("/{name}/"))
            else {
                continue;
            };
            if CROSSPLANE_DEPARTURES
                .iter()
                .any(|(c, f, _)| *c == name && (*f == rel || *f == "*"))
            {
                continue;
            }
            let mut want_comments = Vec::new();
            let want = split_comments(&file["parsed"], &mut want_comments);
            let ours_file = ours.iter().find(|(p, _, _, _)| p.ends_with(rel));
            let got = ours_file.map_or(Value::Null, |(_, _, nodes, _)| Value::Array(nodes.clone()));
            let mut got_comments = ours_file.map(|(_, _, _, c)| c.clone()).unwrap_or_default();
            want_comments.sort();
            got_comments.sort();
            compared += 1;
            if want != got || want_comments != got_comments {
                failures.push(format!(
                    "{name}/{rel}:\n  crossplane: {} {want_comments:?}\n  proxylint:  {} {got_comments:?}",
                    serde_json::to_string(&want).unwrap_or_default(),
                    serde_json::to_string(&got).unwrap_or_default()
                ));
            }
        }
    }
    println!("compared {compared} files with crossplane's trees");
    assert!(compared > 15, "too few files compared: {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
