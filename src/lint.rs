//! The lint pipeline for configurations: find entry files, load them (parse + includes),
//! build the model, run the rules, order the findings.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Error;
use crate::diagnostic::{Diagnostic, NginxReport};
use crate::model::{Config, ROOT_CONTEXTS};
use crate::nginx::ast::Tree;
use crate::nginx::grammar::{Availability, Lookup, grammar};
use crate::nginx::parser::{Loader, read_file};
use crate::settings::{IncludeRoot, Settings};
use crate::source::{FileId, SourceMap, Span, display_name};

/// One configuration to lint.
#[derive(Debug, Clone)]
pub enum Input {
    File(PathBuf),
    /// A file found in a directory argument: when it cannot be read (a dangling
    /// symlink in sites-enabled/), that is a finding about the directory, as nginx's
    /// `include` of it would fail, not an error that stops the run.
    Found(PathBuf),
    /// Text read from stdin, with the name diagnostics show.
    Text {
        name: String,
        text: Vec<u8>,
    },
}

/// How to read the inputs.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Context every root file is checked in (`http`, `server`...); inferred when `None`.
    pub context: Option<&'static str>,
}

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
pub fn entry_points(dir: &Path, settings: &Settings) -> Result<Vec<PathBuf>, Error> {
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
    // Parse every candidate once to learn which files the others include.
    let inputs: Vec<Input> = candidates.iter().cloned().map(Input::Found).collect();
    let scratch = load(&inputs, &LoadOptions::default(), settings)?;
    let included: HashSet<PathBuf> = scratch
        .sources
        .files()
        .filter(|(_, f)| f.included_from.is_some())
        .filter_map(|(_, f)| std::fs::canonicalize(&f.path).ok())
        .collect();
    candidates.retain(|p| std::fs::canonicalize(p).map_or(true, |c| !included.contains(&c)));
    Ok(candidates)
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

/// Loads the inputs into one model. An unreadable input file is an error (exit 2);
/// problems inside the configuration are diagnostics.
pub fn load(inputs: &[Input], opts: &LoadOptions, settings: &Settings) -> Result<Config, Error> {
    Ok(model(read(inputs, settings)?, opts, settings))
}

/// The configuration as read: its files and their tree, not yet checked against an
/// nginx version.
pub struct Read {
    sources: SourceMap,
    tree: Tree,
}

/// Reads and parses the inputs with their includes (the first half of [`load`]).
pub fn read(inputs: &[Input], settings: &Settings) -> Result<Read, Error> {
    let mut sources = SourceMap::new();
    let mut tree = Tree::default();
    let g = grammar();
    let body_mode = |name: &str| g.body_mode(name);
    for input in inputs {
        let (file, prefix) = match input {
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
            &mut sources,
            &mut tree,
            prefix,
            &settings.include_roots,
            &body_mode,
        )
        .load_root(file, false);
    }
    Ok(Read { sources, tree })
}

/// The model of what was read, for the nginx of `settings` (the second half of
/// [`load`]).
pub fn model(read: Read, opts: &LoadOptions, settings: &Settings) -> Config {
    let Read { sources, tree } = read;
    let avail = Availability {
        version: settings.nginx_version,
        loaded: crate::model::loaded_modules(&tree),
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
        Lookup::Found(def) if def.block == d.block.is_some() => Ok(Some(def)),
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
                            stack.push((&d.children, g.child_context(ctx, &d.name.value)));
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

/// Runs the rules, filters their findings (suppression comments, `exclude`) and orders
/// them by file and position, dropping repeats (a file included twice reports the same
/// problem once per inclusion only when the inclusions differ).
pub fn check(config: &Config, settings: &Settings) -> Vec<Diagnostic> {
    let mut found = crate::rules::run(config, settings);
    crate::rules::nginx::ngx007_include_not_found::note_what_may_be_missing(
        config, settings, &mut found,
    );
    let mut diags = crate::suppress::filter(config, settings, found);
    let key = |d: &Diagnostic| {
        d.span.map(|s| {
            let f = config.sources.get(s.file);
            (f.name.clone(), s.start, s.end)
        })
    };
    diags.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.code.cmp(b.code)));
    diags.dedup_by(|a, b| key(a) == key(b) && a.code == b.code && a.message == b.message);
    diags
}

/// The refusal `nginx -t` would print first, with the place nginx names (`None` for
/// errors nginx reports without a line).
pub fn first_nginx_error<'a>(
    config: &Config,
    diags: &'a [Diagnostic],
) -> Option<(&'a Diagnostic, Option<Span>)> {
    diags
        .iter()
        .filter_map(|d| {
            // (where nginx is when it finds it, the phase after that place, printed place)
            let (when, phase, printed) = match d.nginx? {
                NginxReport::Here => (d.span?, None, d.span),
                NginxReport::At(span) => (span, None, Some(span)),
                NginxReport::Deferred {
                    printed,
                    after,
                    phase,
                } => (after, Some(phase), printed),
            };
            let order = (
                config.sources.load_order(when),
                phase,
                printed.map(|p| config.sources.load_order(p)),
            );
            Some((d, printed, order))
        })
        .min_by(|a, b| a.2.cmp(&b.2))
        .map(|(d, printed, _)| (d, printed))
}

/// Files of the model that were given as inputs.
pub fn root_files(config: &Config) -> Vec<FileId> {
    config.tree.roots.iter().map(|r| r.file).collect()
}
