//! The nginx loader: which files of a directory are entry points, where relative
//! includes resolve, reading the inputs (parse + includes) into the tree, and the
//! context a file linted on its own belongs to. Reads files; knows nothing of rules or
//! printers.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Error;
use crate::lint::{Input, LoadOptions};
use crate::nginx::ast::Tree;
use crate::nginx::grammar::{Availability, Lookup, grammar};
use crate::nginx::lexer::TokenKind;
use crate::nginx::model::{Config, ROOT_CONTEXTS};
use crate::nginx::parser::{Loader, include_targets, read_file};
use crate::settings::{IncludeRoot, Settings};
use crate::source::{SourceMap, Span, display_name};

/// The contexts `--context` accepts, by their nginx documentation names.
pub fn parse_context(name: &str) -> Option<&'static str> {
    Some(match name {
        "main" => "main",
        "events" => "events",
        "http" => "http",
        "server" => "http>server",
        "location" => "http>location",
        "upstream" => "http>upstream",
        "if" => "http>location>if",
        "limit_except" => "http>location>limit_except",
        "stream" => "stream",
        "stream-server" | "stream:server" => "stream>server",
        "stream-upstream" | "stream:upstream" => "stream>upstream",
        "mail" => "mail",
        "mail-server" | "mail:server" => "mail>server",
        other => return ROOT_CONTEXTS.iter().copied().find(|c| *c == other),
    })
}

/// Entry files of a directory: its `nginx.conf`, else every `*.conf` below it that no
/// other one includes.
pub fn entry_points(dir: &Path, roots: &[IncludeRoot]) -> Result<Vec<PathBuf>, Error> {
    let main = dir.join("nginx.conf");
    if main.is_file() {
        return Ok(vec![main]);
    }
    // Symlinked files count (sites-enabled/ is links), dangling links too: reading
    // them reports what nginx would.
    let mut candidates: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path().extension().is_some_and(|x| x == "conf")
                && (e.file_type().is_file()
                    || e.path_is_symlink()
                        && std::fs::metadata(e.path()).map_or(true, |m| m.is_file()))
        })
        .map(|e| e.into_path())
        .collect();
    if candidates.is_empty() {
        return Err(Error::Input(format!(
            "{}: no nginx.conf and no *.conf file in this directory",
            dir.display()
        )));
    }
    let included = included_files(&candidates, roots);
    candidates.retain(|p| std::fs::canonicalize(p).map_or(true, |c| !included.contains(&c)));
    Ok(candidates)
}

/// Canonical paths of the files the `include` lines of `roots` name, and of the files
/// those name in turn. Read with the tokenizer alone: which files are entry points is
/// known before the one real load of the run, instead of loading every candidate with
/// its includes twice.
fn included_files(files: &[PathBuf], roots: &[IncludeRoot]) -> HashSet<PathBuf> {
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut scanned = HashSet::new();
    let mut included = HashSet::new();
    // (file, the directory its relative includes resolve against: its root's).
    let mut queue: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|p| (p.clone(), conf_prefix(p, roots)))
        .collect();
    while let Some((path, prefix)) = queue.pop() {
        if scanned.len() >= crate::nginx::parser::MAX_INCLUDED_FILES
            || !scanned.insert(canonical(&path))
        {
            continue;
        }
        let Ok(text) = read_file(&path) else {
            continue;
        };
        let mut lexer = crate::nginx::lexer::Lexer::new(&text, crate::source::FileId(0));
        // The words of the statement being read, while it may be an include.
        let mut words: Option<Vec<Box<str>>> = Some(Vec::new());
        loop {
            let token = lexer.next_token();
            match token.kind {
                TokenKind::Eof => break,
                TokenKind::Comment => {}
                TokenKind::Word => {
                    if let Some(w) = &mut words {
                        if w.is_empty() && &*token.value != "include" {
                            words = None;
                        } else {
                            w.push(token.value);
                        }
                    }
                }
                TokenKind::Semicolon | TokenKind::OpenBrace | TokenKind::CloseBrace => {
                    if token.kind == TokenKind::Semicolon
                        && let Some([_, pattern]) = words.as_deref()
                    {
                        let (_, targets) = include_targets(&prefix, roots, pattern);
                        for target in targets.unwrap_or_default() {
                            included.insert(canonical(&target));
                            queue.push((target, prefix.clone()));
                        }
                    }
                    words = Some(Vec::new());
                }
            }
        }
    }
    included
}

/// The directory relative includes of a root file resolve against: nginx uses the main
/// configuration's directory, so a snippet (sites-available/x, conf.d/x) resolves
/// against the directory above it when that one holds an nginx.conf. A file in a
/// repository's copy of /etc/nginx (an include root's target) resolves against that
/// copy, as it will against /etc/nginx once deployed.
fn conf_prefix(path: &Path, roots: &[IncludeRoot]) -> PathBuf {
    // nginx prints absolute paths in its messages; so do we.
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.join("nginx.conf").is_file() {
        return dir;
    }
    match dir.parent() {
        Some(up) if up.join("nginx.conf").is_file() => up.to_path_buf(),
        _ => roots
            .iter()
            .filter_map(|r| std::path::absolute(&r.to).ok())
            .filter(|to| path.starts_with(to))
            .max_by_key(|to| to.components().count())
            .unwrap_or(dir),
    }
}

/// What reading the inputs gave: the tree, not yet checked against an nginx version
/// (which may still be being asked of the installed nginx while the files are read), and
/// its model not built until every dialect has added its files to the one source map.
pub struct Read {
    tree: Tree,
}

impl Read {
    /// The model of what was read, for the nginx of `settings`; `sources` holds the
    /// files [`read`] added.
    pub fn model(self, sources: Arc<SourceMap>, opts: &LoadOptions, settings: &Settings) -> Config {
        let tree = self.tree;
        let avail = Availability {
            version: settings.nginx_version,
            loaded: crate::nginx::model::loaded_modules(&tree),
            plus: settings.plus,
            modules: settings
                .modules
                .as_ref()
                .map(|m| m.iter().copied().collect()),
        };
        let forced = opts.context;
        let contexts: Vec<&'static str> = (0..tree.roots.len())
            .map(|i| {
                forced.unwrap_or_else(|| {
                    let file = sources.get(tree.roots[i].file);
                    let name = file
                        .path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default();
                    infer_context(&tree, i, &avail, name)
                })
            })
            .collect();
        Config::new(sources, tree, avail, contexts)
    }
}

/// Reads the inputs (and their includes) into `sources`. An unreadable input file is
/// an error (exit 2); problems inside the configuration are diagnostics.
pub fn read(sources: &mut SourceMap, inputs: &[Input], settings: &Settings) -> Result<Read, Error> {
    let mut tree = Tree::default();
    let body_mode = |name: &str| grammar().body_mode(name);
    for input in inputs {
        let (file, prefix) = match input {
            // httpd's: `lint::read` hands it to the Apache loader, never here.
            Input::ApacheMain { .. } => continue,
            Input::File(path) => {
                let text = read_file(path).map_err(|source| Error::Io {
                    path: path.clone(),
                    source,
                })?;
                let file = sources.add(path.clone(), display_name(path), text, None);
                (file, conf_prefix(path, &settings.include_roots))
            }
            Input::Found(path) => match read_file(path) {
                Ok(text) => {
                    let file = sources.add(path.clone(), display_name(path), text, None);
                    (file, conf_prefix(path, &settings.include_roots))
                }
                Err(err) => {
                    let file = sources.add(path.clone(), display_name(path), Arc::from([]), None);
                    tree.load_errors.push(crate::nginx::parser::open_error(
                        path.clone(),
                        &err,
                        Span::new(file, 0, 0),
                    ));
                    continue;
                }
            },
            Input::Text { name, text } => {
                let path = PathBuf::from(name);
                let file =
                    sources.add(path.clone(), name.clone(), Arc::from(text.as_slice()), None);
                (
                    file,
                    conf_prefix(
                        &std::env::current_dir().unwrap_or_default().join(path),
                        &settings.include_roots,
                    ),
                )
            }
        };
        Loader::new(
            sources,
            &mut tree,
            prefix,
            &settings.include_roots,
            body_mode,
        )
        .load_root(file, false);
    }
    Ok(Read { tree })
}

/// The context a file linted on its own most likely belongs to, decided from its
/// content. A file with a directive that exists only at the top of a main configuration
/// (`events`, `http`, `load_module`, `worker_processes`...) is a main configuration,
/// however broken the rest; a file named `nginx.conf` that holds only `server {}` blocks
/// is a site file (projects ship their site as `contrib/nginx.conf`). Otherwise the first
/// of [`ROOT_CONTEXTS`] (main, then http...) where all of its directives (blocks
/// followed) are allowed; failing that, the one with the most allowed and fewest
/// refused. A block where the directive takes none (`server {` read as an upstream's
/// `server`) is refused: a top-level `server {` is http's (or stream's, mail's). The
/// name decides only for a file with no directive to go by (empty, or includes of
/// nothing): an empty `nginx.conf` is a main configuration missing its `events`, any
/// other empty file a snippet.
fn infer_context(tree: &Tree, root: usize, avail: &Availability, name: &str) -> &'static str {
    use crate::nginx::ast::Directive;
    let g = grammar();
    let main_only = |d: &Directive| {
        let mut defs = g.defs(&d.name.value).peekable();
        defs.peek().is_some() && defs.all(|def| def.contexts.iter().all(|c| *c == "main"))
    };
    let top = || tree.flatten(&tree.roots[root].children).map(|(_, d)| d);
    if top().any(main_only) {
        return "main";
    }
    // An empty file (or comments and includes of nothing only) is a snippet, not a main
    // configuration missing its events block; `--context main` makes it one.
    if top().all(|d| &*d.name.value == "include") {
        return if name == "nginx.conf" { "main" } else { "http" };
    }
    // How nginx takes directive `d` in `ctx`: the definition it uses, if it accepts the
    // directive there, with or without a block as written.
    let accepted = |d: &Directive, ctx: &str| match g.lookup(&d.name.value, ctx, avail) {
        Lookup::Found(def) if def.block == d.block().is_some() => Ok(Some(def)),
        Lookup::Found(_) | Lookup::NotAllowed(_) => Err(()),
        _ => Ok(None),
    };
    // (allowed, refused) when reading the root's directives in `context`.
    let score = |context: &'static str| -> (i64, i64) {
        let (mut allowed, mut refused) = (0, 0);
        let mut stack: Vec<(&[crate::nginx::ast::NodeId], &'static str)> =
            vec![(&tree.roots[root].children, context)];
        while let Some((ids, ctx)) = stack.pop() {
            for (_, d) in tree.flatten(ids) {
                if &*d.name.value == "include" {
                    continue;
                }
                match accepted(d, ctx) {
                    Ok(Some(def)) => {
                        allowed += 1;
                        if def.block && !def.raw && !def.lua {
                            stack.push((d.children(), g.child_context(ctx, &d.name.value)));
                        }
                    }
                    Err(()) => refused += 1,
                    Ok(None) => {}
                }
            }
        }
        (allowed, refused)
    };
    // A main configuration (top-level `events`, `http`...) fits only "main": decide from
    // the top level alone before reading whole files in every context.
    let top_fits = |ctx: &'static str| {
        top()
            .filter(|d| &*d.name.value != "include")
            .all(|d| matches!(accepted(d, ctx), Ok(Some(_))))
    };
    let fitting: Vec<&'static str> = ROOT_CONTEXTS
        .iter()
        .copied()
        .filter(|c| top_fits(c))
        .collect();
    if let [only] = fitting[..] {
        return only;
    }
    let mut best = ("main", i64::MIN);
    for &ctx in ROOT_CONTEXTS {
        let (allowed, refused) = score(ctx);
        if refused == 0 && allowed > 0 {
            return ctx;
        }
        if allowed - refused > best.1 {
            best = (ctx, allowed - refused);
        }
    }
    best.0
}
