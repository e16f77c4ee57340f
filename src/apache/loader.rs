//! Loading an httpd configuration: which file is the main one (discovery of a
//! directory), whether a single file is a main configuration or a snippet and which
//! context a snippet belongs to, the ServerRoot, the defines and the environment
//! (Debian's `envvars`), then the two passes ([`super::reader`], [`super::check`]).
//!
//! Reads files only through the [`Vfs`]; hands back the tree with its spans, the
//! modules the configuration loads, and every [`Problem`] with where httpd reports it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{NodeId, Tree};
use super::check::Walker;
use super::envvars;
use super::grammar::{
    self, ContextStack, DEFAULT_VERSION, HandlerState, LoadedModules, Lookup, Version,
    check_context,
};
use super::reader::{Read, ReadOptions, Reader, io_reason};
use super::report::{Kind, Phase, Problem, Refused};
use super::text::{LineReader, next_word};
use crate::source::{BinaryEvidence, FileId, SourceMap, Span, display_name};
use crate::vfs::Vfs;

/// Where a snippet's directives are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnippetContext {
    ServerConfig,
    VirtualHost,
    Directory,
}

impl SnippetContext {
    pub const ALL: [SnippetContext; 3] = [
        SnippetContext::ServerConfig,
        SnippetContext::VirtualHost,
        SnippetContext::Directory,
    ];

    /// The manual's name ("server config", "virtual host", "directory").
    pub fn name(self) -> &'static str {
        match self {
            SnippetContext::ServerConfig => "server config",
            SnippetContext::VirtualHost => "virtual host",
            SnippetContext::Directory => "directory",
        }
    }

    /// From `server`, `server-config`, `virtualhost`, `virtual-host`, `vhost`,
    /// `directory`.
    pub fn parse(name: &str) -> Option<Self> {
        Some(
            match name.to_ascii_lowercase().replace(['_', ' '], "-").as_str() {
                "server" | "server-config" | "main" => SnippetContext::ServerConfig,
                "virtualhost" | "virtual-host" | "vhost" => SnippetContext::VirtualHost,
                "directory" | "location" | "dir" => SnippetContext::Directory,
                _ => return None,
            },
        )
    }

    /// The context stack a snippet in this context is checked in.
    fn stack(self) -> ContextStack {
        let mut ctx = ContextStack::new();
        match self {
            SnippetContext::ServerConfig => {}
            SnippetContext::VirtualHost => ctx.push("<VirtualHost", "*:80>"),
            SnippetContext::Directory => ctx.push("<Directory", "/>"),
        }
        ctx
    }
}

/// How one root file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    /// A main configuration: httpd's `-f`.
    Main,
    /// A piece of a configuration, checked in a context.
    Snippet(SnippetContext),
}

/// What to load.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A main configuration file; `server_root` when discovery knows it (the
    /// directory above `conf/httpd.conf`).
    Main {
        path: PathBuf,
        server_root: Option<PathBuf>,
    },
    /// Files read on their own, each a snippet.
    Snippets(Vec<PathBuf>),
    /// Text from stdin, with the name to show; a main configuration or a snippet by
    /// its content.
    Text { name: String, text: Vec<u8> },
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// httpd's `-d`: the ServerRoot to start from (else the main file's directory).
    /// A `ServerRoot` directive still changes it, as in httpd, unless it names a
    /// directory that does not exist here.
    pub prefix: Option<PathBuf>,
    /// httpd's `-D NAME`; `NAME=VALUE` also sets `${NAME}` as `Define NAME VALUE` does.
    pub defines: Vec<String>,
    /// The httpd release (`<IfVersion>`, directives that exist only in some).
    pub version: Version,
    /// The environment httpd starts with (`${VAR}`); Debian's envvars, when read, is
    /// laid over it.
    pub env: Vec<(String, String)>,
    /// Read `envvars` next to a Debian `apache2.conf`.
    pub envvars: bool,
    /// The context snippets are checked in; inferred when `None`.
    pub context: Option<SnippetContext>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            prefix: None,
            defines: Vec::new(),
            version: DEFAULT_VERSION,
            env: Vec::new(),
            envvars: true,
            context: None,
        }
    }
}

/// A loaded configuration.
#[derive(Debug)]
pub struct Config {
    pub tree: Tree,
    /// How each root of the tree was read (same order as `tree.roots`).
    pub kinds: Vec<RootKind>,
    /// Every problem, httpd's refusals and warnings, in no particular order (see
    /// [`super::report::first_problem`]).
    pub problems: Vec<Problem>,
    /// The modules the configuration loads (with Debian's built-in ones).
    pub modules: LoadedModules,
    /// What the handlers know once the walk is over: proxy workers and balancers.
    pub handlers: HandlerState,
    /// The ServerRoot at the end of reading.
    pub server_root: PathBuf,
    /// The `envvars` file read, if any.
    pub envvars: Option<PathBuf>,
    /// The proxy model the rules read, built on first use.
    servers: std::sync::OnceLock<Vec<super::model::Server>>,
}

impl Config {
    /// The servers and their proxy routes ([`super::model`]), built once for every rule
    /// that reads them.
    pub fn servers(&self) -> &[super::model::Server] {
        self.servers.get_or_init(|| super::model::build(&self.tree))
    }
}

/// Why a path cannot be loaded at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

/// The main configuration of a directory: `apache2.conf` (Debian, Ubuntu),
/// `httpd.conf`, or `conf/httpd.conf` (httpd's own layout and RHEL's, ServerRoot the
/// directory); failing those, every `*.conf` in it is a snippet.
pub fn discover(vfs: &dyn Vfs, dir: &Path) -> Result<Entry, LoadError> {
    for name in ["apache2.conf", "httpd.conf"] {
        let path = dir.join(name);
        if vfs.is_file(&path) {
            return Ok(Entry::Main {
                path,
                server_root: Some(dir.to_path_buf()),
            });
        }
    }
    let nested = dir.join("conf").join("httpd.conf");
    if vfs.is_file(&nested) {
        return Ok(Entry::Main {
            path: nested,
            server_root: Some(dir.to_path_buf()),
        });
    }
    let mut snippets: Vec<PathBuf> = vfs
        .read_dir(dir)
        .map_err(|e| LoadError {
            path: dir.to_path_buf(),
            message: io_reason(&e),
        })?
        .into_iter()
        .map(|e| dir.join(e.name))
        .filter(|p| p.extension().is_some_and(|x| x == "conf") && vfs.is_file(p))
        .collect();
    snippets.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    if snippets.is_empty() {
        return Err(LoadError {
            path: dir.to_path_buf(),
            message:
                "no apache2.conf, httpd.conf, conf/httpd.conf or *.conf file in this directory"
                    .to_string(),
        });
    }
    Ok(Entry::Snippets(snippets))
}

/// The first words of a file's logical lines (comments and blank lines left out).
fn first_words(text: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut lines = LineReader::new();
    std::iter::from_fn(move || lines.next_line(text)).filter_map(|l| {
        let l = l.ok()?;
        let mut pos = 0;
        let (w, _) = next_word(&l.text.text, &mut pos)?;
        (!w.starts_with('#')).then(|| w.into_owned())
    })
}

/// Whether a file on its own is a main configuration: named `apache2.conf` or
/// `httpd.conf`, or one that loads modules or sets `ServerRoot` or `Listen`.
pub fn is_main(name: &Path, text: &[u8]) -> bool {
    if name
        .file_name()
        .is_some_and(|n| n == "apache2.conf" || n == "httpd.conf")
    {
        return true;
    }
    first_words(text).any(|w| {
        ["LoadModule", "ServerRoot", "Listen"]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(&w))
    })
}

/// The directory a snippet's relative paths resolve against: the ServerRoot of the
/// tree it belongs to (the directory above `sites-enabled/x.conf` that holds
/// `apache2.conf`), else its own directory.
fn snippet_root(vfs: &dyn Vfs, path: &Path) -> PathBuf {
    let dir = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for candidate in dir.ancestors().take(3) {
        if ["apache2.conf", "httpd.conf"]
            .iter()
            .any(|n| vfs.is_file(&candidate.join(n)))
        {
            return candidate.to_path_buf();
        }
        if vfs.is_file(&candidate.join("conf/httpd.conf")) {
            return candidate.to_path_buf();
        }
    }
    dir
}

/// Debian's envvars next to `apache2.conf` in `root`, read.
fn read_envvars(vfs: &dyn Vfs, root: &Path) -> Option<(PathBuf, Vec<(String, String)>)> {
    if !vfs.is_file(&root.join("apache2.conf")) {
        return None;
    }
    let path = root.join("envvars");
    let text = vfs.read(&path).ok()?;
    Some((path, envvars::parse(&String::from_utf8_lossy(&text))))
}

fn read_options(
    opts: &LoadOptions,
    root: PathBuf,
    env: Vec<(String, String)>,
    loaded: LoadedModules,
) -> ReadOptions {
    let mut defines = Vec::new();
    let mut vars = Vec::new();
    for d in &opts.defines {
        match d.split_once('=') {
            Some((name, value)) => vars.push((name.to_string(), value.to_string())),
            None => defines.push(d.clone()),
        }
    }
    let mut loaded = loaded;
    loaded.set_version(opts.version);
    ReadOptions {
        server_root_given: opts.prefix.is_some(),
        server_root: crate::vfs::normalize(&opts.prefix.clone().unwrap_or(root)),
        defines,
        vars,
        env,
        loaded,
        version: opts.version,
    }
}

/// The context a snippet's top-level directives fit best: the first of server
/// config, virtual host and directory where none is refused; failing that, the one
/// with the most accepted and fewest refused.
pub fn infer_context(tree: &Tree, roots: &[NodeId], modules: &LoadedModules) -> SnippetContext {
    let mut best = (SnippetContext::ServerConfig, i64::MIN);
    for context in SnippetContext::ALL {
        let ctx = context.stack();
        let (mut ok, mut refused) = (0i64, 0i64);
        for (_, node) in tree.effective(roots) {
            if let Lookup::Found(def) = grammar::lookup_again(node.def, &node.name, modules) {
                if check_context(def, &ctx).is_ok() {
                    ok += 1;
                } else {
                    refused += 1;
                }
            }
        }
        if refused == 0 {
            return context;
        }
        if ok - refused > best.1 {
            best = (context, ok - refused);
        }
    }
    best.0
}

/// Loads `entry`: its files are added to `sources`, read and checked as httpd reads
/// and checks them. An input file that cannot be read at all is an error; problems
/// inside the configuration are [`Problem`]s.
pub fn load(
    vfs: &dyn Vfs,
    sources: &mut SourceMap,
    entry: &Entry,
    opts: &LoadOptions,
) -> Result<Config, LoadError> {
    let read = |path: &Path| {
        vfs.read(path).map_err(|e| LoadError {
            path: path.to_path_buf(),
            message: io_reason(&e),
        })
    };
    match entry {
        Entry::Main { path, server_root } => {
            let text = read(path)?;
            let root = server_root
                .clone()
                .unwrap_or_else(|| path.parent().map(Path::to_path_buf).unwrap_or_default());
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let file = sources.add(absolute, display_name(path), text, None);
            Ok(load_main(vfs, sources, file, root, opts))
        }
        Entry::Snippets(paths) => {
            let mut files = Vec::new();
            for path in paths {
                let text = read(path)?;
                let absolute = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                files.push((
                    sources.add(absolute, display_name(path), text, None),
                    snippet_root(vfs, path),
                ));
            }
            Ok(load_snippets(vfs, sources, &files, opts))
        }
        Entry::Text { name, text } => {
            let path = std::env::current_dir().unwrap_or_default().join(name);
            let main = is_main(&path, text);
            let root = snippet_root(vfs, &path);
            let file = sources.add(path, name.clone(), Arc::from(text.as_slice()), None);
            Ok(if main {
                load_main(vfs, sources, file, root, opts)
            } else {
                load_snippets(vfs, sources, &[(file, root)], opts)
            })
        }
    }
}

/// The environment of a configuration under `root`: the given one, with Debian's
/// envvars laid over it.
fn environment(
    vfs: &dyn Vfs,
    root: &Path,
    opts: &LoadOptions,
) -> (Vec<(String, String)>, Option<PathBuf>) {
    let mut env = opts.env.clone();
    let mut used = None;
    if opts.envvars
        && let Some((path, vars)) = read_envvars(vfs, root)
    {
        env.extend(vars);
        used = Some(path);
    }
    (env, used)
}

fn load_main(
    vfs: &dyn Vfs,
    sources: &mut SourceMap,
    file: FileId,
    root: PathBuf,
    opts: &LoadOptions,
) -> Config {
    let (env, envvars) = environment(vfs, opts.prefix.as_deref().unwrap_or(&root), opts);
    let files_before = sources.len();
    let read = |sources: &mut SourceMap, loaded: LoadedModules| {
        let ro = read_options(opts, root.clone(), env.clone(), loaded);
        let mut reader = Reader::new(vfs, sources, &ro);
        reader.read_root(file);
        reader.finish()
    };
    let mut first = read(sources, LoadedModules::builtin());
    if first.load_modules == 0 {
        // A configuration that loads no module is checked against Debian's default
        // set, read again so that <IfModule> sees it.
        sources.truncate(files_before);
        first = read(sources, LoadedModules::debian_default());
    }
    let Read {
        tree,
        mut problems,
        loaded,
        server_root,
        binary,
        mut seq,
        ..
    } = first;
    let mpms = loaded.iter().filter(|m| m.is_mpm()).count();
    if mpms != 1 {
        let eof = sources.get(file).text.len();
        let at = Span::new(file, eof, eof);
        problems.push(Problem {
            kind: Kind::InvalidArguments,
            message: if mpms == 0 {
                "No MPM loaded.".to_string()
            } else {
                "More than one MPM loaded.".to_string()
            },
            span: Span::new(file, 0, 0),
            refused: Some(Refused {
                phase: Phase::AfterRead,
                when: at,
                seq,
                printed: None,
                printed_span: None,
            }),
            help: Some(
                "load exactly one of mpm_event, mpm_worker and mpm_prefork (Debian: `a2enmod mpm_event`)"
                    .to_string(),
            ),
            related: Vec::new(),
            folded: 0,
        });
        seq += 1;
    }
    let (tree, (handlers, walked, _), servers) = beside_model(tree, |tree| {
        let mut walker = Walker::new(tree, &loaded, seq);
        let roots = tree.roots[0].children.clone();
        walker.walk(&roots, &mut ContextStack::new());
        walker.into_state()
    });
    problems.extend(walked);
    said_once(&mut problems, &binary, sources);
    Config {
        kinds: vec![RootKind::Main],
        tree,
        problems,
        modules: loaded,
        handlers,
        server_root,
        envvars,
        servers,
    }
}

fn load_snippets(
    vfs: &dyn Vfs,
    sources: &mut SourceMap,
    files: &[(FileId, PathBuf)],
    opts: &LoadOptions,
) -> Config {
    let root = files.first().map(|(_, r)| r.clone()).unwrap_or_default();
    let (env, envvars) = environment(vfs, opts.prefix.as_deref().unwrap_or(&root), opts);
    // Without its main configuration a snippet cannot know which modules are loaded:
    // every one counts as loaded, so nothing is called unknown for lack of one.
    let ro = read_options(opts, root, env, LoadedModules::everything());
    let mut reader = Reader::new(vfs, sources, &ro);
    for (file, _) in files {
        reader.read_root(*file);
    }
    let Read {
        tree,
        mut problems,
        loaded,
        server_root,
        binary,
        seq,
        ..
    } = reader.finish();
    let (tree, ((handlers, walked, _), kinds), servers) = beside_model(tree, |tree| {
        let mut walker = Walker::new(tree, &loaded, seq);
        let mut kinds = Vec::new();
        for root in &tree.roots {
            let context = opts
                .context
                .unwrap_or_else(|| infer_context(tree, &root.children, &loaded));
            kinds.push(RootKind::Snippet(context));
            walker.walk(&root.children, &mut context.stack());
        }
        (walker.into_state(), kinds)
    });
    problems.extend(walked);
    said_once(&mut problems, &binary, sources);
    Config {
        tree,
        kinds,
        problems,
        modules: loaded,
        handlers,
        server_root,
        envvars,
        servers,
    }
}

/// Runs httpd's second pass (`walk`) and, on a large tree, builds the proxy model
/// ([`super::model::build`], which every proxy rule reads) on another core meanwhile:
/// both only read the tree, and each is a sixth of a large run. A small tree gets its
/// model when a rule first asks. (The tree is shared with the model's thread, and
/// handed back, so that the thread can be placed on another core as it starts:
/// [`crate::cores::spawn_beside`].)
fn beside_model<T>(
    tree: Tree,
    walk: impl FnOnce(&Tree) -> T,
) -> (Tree, T, std::sync::OnceLock<Vec<super::model::Server>>) {
    let servers = std::sync::OnceLock::new();
    if tree.nodes.len() < crate::rules::PARALLEL_NODES {
        let walked = walk(&tree);
        return (tree, walked, servers);
    }
    let tree = Arc::new(tree);
    let shared = Arc::clone(&tree);
    let model = crate::cores::spawn_beside(move || super::model::build(&shared));
    let walked = walk(&tree);
    // A model that panicked is built again when a rule asks, and the panic is then
    // that rule's (reported, not re-raised).
    if let Ok(built) = model.join() {
        let _ = servers.set(built);
    }
    // The thread has ended and dropped its share (a panic drops it while unwinding):
    // the tree is this thread's alone again, and is not copied.
    (Arc::unwrap_or_clone(tree), walked, servers)
}

/// A file that looks binary and makes problems is reported once, as binary, where
/// httpd meets its first problem there (so the refusal httpd prints stays the same),
/// instead of with the thousand errors its bytes make.
fn said_once(
    problems: &mut Vec<Problem>,
    binary: &[(FileId, BinaryEvidence)],
    sources: &SourceMap,
) {
    for (file, evidence) in binary {
        let in_file = |p: &Problem| p.span.file == *file;
        let first = problems
            .iter()
            .filter(|p| in_file(p))
            .min_by_key(|p| p.refused.as_ref().map(|r| (r.phase, r.seq)));
        let Some(first) = first.cloned() else {
            continue;
        };
        problems.retain(|p| !in_file(p));
        let what = match evidence {
            BinaryEvidence::Utf16 { bom } => format!(
                "UTF-16 text (byte order mark {bom}); httpd reads a configuration as ASCII or UTF-8"
            ),
            BinaryEvidence::Control { byte, offset } => format!(
                "binary file, not a text configuration (control byte 0x{byte:02x} at offset {offset})"
            ),
        };
        let name = &sources.get(*file).name;
        problems.push(Problem {
            kind: Kind::SyntaxError,
            message: format!("{what}; httpd: {}", first.message),
            span: Span::new(*file, 0, 0),
            help: Some(format!(
                "{name} is not a configuration file: remove it or the Include that reads it"
            )),
            ..first
        });
    }
}
