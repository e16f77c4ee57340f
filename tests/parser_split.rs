//! A large file is read by two threads (`nginx::parser::read_ahead_start`): the second
//! reads the file's end ahead while the first reads its start, and the first uses what
//! was read ahead only where its own reading would have gone on exactly there. The tree
//! (nodes, spans, syntax and load errors, included files) must be the one a single
//! thread reads, wherever the file is split: at every byte of hand-written tricky
//! configurations (quotes and Lua blocks across the split, data blocks, braces that
//! do not balance, an `include` after it, the end of the file inside a directive, the
//! depth and error limits), and at many places of every fixture, corpus configuration
//! and mutation of them.

#[path = "common/skip.rs"]
mod skip;

mod common;

use std::path::Path;

use common::files::conf_files;
use common::mutate::{KINDS, Rng, mutate};
use proxylint::nginx::ast::Tree;
use proxylint::nginx::grammar::grammar;
use proxylint::nginx::parser::{Loader, read_ahead_start};
use proxylint::source::{SourceMap, display_name};

/// The tree of `text` read as the file `path` (its includes resolved from its
/// directory), split where `split` says, as text to compare.
fn tree(path: &Path, text: &[u8], split: &dyn Fn(&[u8]) -> Option<usize>) -> String {
    let mut sources = SourceMap::new();
    let mut tree = Tree::default();
    let file = sources.add(path.to_path_buf(), display_name(path), text.into(), None);
    let prefix = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Loader::new(&mut sources, &mut tree, prefix, &[], |name| {
        grammar().body_mode(name)
    })
    .split_with(split)
    .load_root(file, false);
    let files: Vec<_> = (0..sources.len())
        .map(|i| {
            sources
                .get(proxylint::source::FileId(i as u32))
                .path
                .clone()
        })
        .collect();
    format!("{tree:#?}\n{files:?}")
}

/// Checks the tree of `text` (`what` it is) split at each of `at` against one thread's.
fn same_at(path: &Path, what: &str, text: &[u8], at: impl IntoIterator<Item = usize>) {
    let alone = tree(path, text, &|_| None);
    for start in at {
        let split = tree(path, text, &|t: &[u8]| {
            (t.len() == text.len()).then_some(start)
        });
        assert!(
            split == alone,
            "{} ({what}): split at byte {start} ({:?} | {:?}) reads another tree",
            path.display(),
            String::from_utf8_lossy(&text[start.saturating_sub(20)..start]),
            String::from_utf8_lossy(&text[start..(start + 20).min(text.len())]),
        );
    }
}

/// Up to `n` places spread over `text`, each line start among them when it has fewer
/// lines, and the place the default choice picks.
fn places(text: &[u8], n: usize) -> Vec<usize> {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', text).map(|i| i + 1))
        .collect();
    let step = starts.len().div_ceil(n).max(1);
    let mut at: Vec<usize> = starts.into_iter().step_by(step).collect();
    at.extend((1..8).map(|k| text.len() * k / 8));
    at.push(text.len());
    at
}

const TRICKY: &[(&str, &str)] = &[
    (
        "quotes",
        "http {\n    map $a $b {\n        \"x;\n}\" 1;\n        default 0;\n    }\n    server {\n        return 200 'a\n}\n{';\n        add_header X \"a\\\"b\" always;\n    }\n}\nevents {}\n",
    ),
    (
        "lua",
        "http {\n    server {\n        content_by_lua_block {\n            local t = { a = \"}\" } -- }\n            ngx.say('}')\n        }\n        location / { return 204; }\n    }\n}\n",
    ),
    (
        "data blocks",
        "http {\n    types {\n        text/html html;\n        include mime.extra;\n    }\n    map $x $y {\n        ~^a(b)c { ;\n        b 2;\n    }\n    split_clients $r $v { 50% a; * b; }\n}\n",
    ),
    (
        "unbalanced",
        "http {\n    server {\n        listen 80;\n    }\n}\n}\n} ;\nevents { ; { x; } }\nserver_name a b\n# open\n{\n",
    ),
    (
        "comments in directives",
        "worker_processes # one\n  2;\nhttp { # here\n  server_name a # b\n    c;\n}\n#last",
    ),
    (
        "end inside a directive",
        "http {\n    server {\n        listen 80;\n        proxy_pass http://a\n",
    ),
    (
        "lexer errors",
        "http {\n    return 200 \"a\"b;\n    x 'unclosed;\n}\n",
    ),
    (
        "stray tokens",
        ";;\n{\n}\n} a;\nload_module modules/x.so;\nhttp { include; include a b; }\n",
    ),
];

#[test]
fn tricky_configurations_read_the_same_split_at_every_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("mime.extra"), "image/png png;\n").expect("write");
    std::fs::write(
        dir.path().join("site.conf"),
        "server { listen 81; include site.conf; }\n",
    )
    .expect("write");
    let mut cases: Vec<(String, Vec<u8>)> = TRICKY
        .iter()
        .map(|(name, text)| (name.to_string(), text.as_bytes().to_vec()))
        .collect();
    // An include (of a file that includes itself) after the split.
    cases.push((
        "include".into(),
        b"events {}\nhttp {\n    server { listen 80; }\n    include site.conf;\n    include nothing/*.conf;\n    include missing.conf;\n}\n".to_vec(),
    ));
    // Blocks nested past the depth limit, opened before the split and closed after.
    let deep = proxylint::nginx::parser::MAX_DEPTH + 5;
    let mut text = "a {\n".repeat(deep);
    text.push_str("b;\n");
    text.push_str(&"}\n".repeat(deep));
    cases.push(("deep".into(), text.into_bytes()));
    for (name, text) in cases {
        let path = dir.path().join(format!("{}.conf", name.replace(' ', "-")));
        same_at(&path, &name, &text, 0..=text.len());
    }
}

#[test]
fn the_error_limit_is_met_at_the_same_place_split_or_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let limit = proxylint::nginx::parser::MAX_SYNTAX_ERRORS;
    let text = format!("events {{}}\n{}http {{ }}\n", ";\n".repeat(limit + 50));
    let path = dir.path().join("errors.conf");
    same_at(
        &path,
        "as written",
        text.as_bytes(),
        places(text.as_bytes(), 12),
    );
}

/// The default choice splits a large file after a statement, and the tree is the same.
#[test]
fn a_large_file_split_where_the_default_chooses_reads_the_same() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("events {}\nhttp {\n");
    for i in 0..6_000 {
        text.push_str(&format!(
            "    server {{\n        listen 80;\n        server_name s{i}.example.com; # n\n        location / {{ proxy_pass http://127.0.0.1:{}; }}\n    }}\n",
            8000 + i % 100
        ));
    }
    text.push_str("}\n");
    let path = dir.path().join("large.conf");
    let text = text.into_bytes();
    if proxylint::cores::another_core() {
        let start = read_ahead_start(&text).expect("a large file is split");
        assert!(text[..start].ends_with(b";\n") || text[..start].ends_with(b"}\n"));
    }
    assert_eq!(
        tree(&path, &text, &read_ahead_start),
        tree(&path, &text, &|_| None)
    );
}

#[test]
fn fixtures_and_their_mutations_read_the_same_split_anywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files = conf_files(&root);
    assert!(files.len() > 100, "fixtures found: {}", files.len());
    for path in files {
        let text = std::fs::read(&path).expect("fixture");
        same_at(&path, "as written", &text, places(&text, 16));
        let name = path.display().to_string();
        for (n, kind) in KINDS.iter().enumerate() {
            let mut rng = Rng::for_name(&name, n as u64);
            if let Some(m) = mutate(&text, *kind, &mut rng) {
                same_at(&path, &m.description, &m.text, places(&m.text, 6));
            }
        }
    }
}

#[test]
fn corpus_configurations_read_the_same_split_anywhere() {
    let Some(corpus) = skip::shared("corpus/nginx", "corpus configurations split") else {
        return;
    };
    let files = conf_files(&corpus);
    assert!(files.len() > 300, "corpus files found: {}", files.len());
    for path in files {
        let text = std::fs::read(&path).expect("corpus file");
        same_at(&path, "as written", &text, places(&text, 12));
    }
}
