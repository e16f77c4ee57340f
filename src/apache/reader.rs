//! httpd's first pass (server/config.c `ap_build_config`, `ap_build_cont_config`,
//! `ap_soak_end_container`; the EXEC_ON_READ handlers of core.c, mod_so, mod_macro,
//! mod_version): files read line by line into the [`Tree`], sections matched with
//! their closing tags, and what httpd runs while reading run here too, in reading
//! order: conditional sections evaluated against the modules loaded so far, the
//! defines and the files, `Include` expanded in place, `Define`/`UnDefine`,
//! `LoadModule`, `ServerRoot`, `<Macro>`/`Use`.
//!
//! httpd stops at its first error; the reader records it as a [`Problem`] with where
//! httpd reports it, and reads on, so that one run shows every problem. Reads files
//! only through the [`Vfs`]. Nesting is bounded ([`MAX_CONDITIONAL_DEPTH`], httpd's
//! 128 includes) and so is the work ([`MAX_NODES`], [`MAX_EXPANDED`]): no input can
//! overflow the stack or exhaust memory.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use super::ahead::Lines;
use super::ast::{Node, NodeId, NodeKind, Printed, Root, Tree};
use super::check::classify;
use super::grammar::{
    self, Candidates, ContextStack, DirectiveDef, HandlerState, LoadedModules, Lookup, Version,
    check_directive, words,
};
use super::include::{Expansion, expand};
use super::macros::{self, BodyLine, Macro};
use super::report::{Cap, Kind, Phase, Problem, Refused};
use super::text::{
    MAX_LINE, MAX_STRING_LEN, Mapped, TooLong, directive_word, next_word, resolve_env,
};
use crate::source::{BinaryEvidence, FileId, SourceMap, Span, binary_evidence, display_name};
use crate::vfs::{FileKind, Vfs, normalize};

/// Nesting of true conditional sections (each level is a nested read, as in httpd).
/// Real configurations stay below five.
pub const MAX_CONDITIONAL_DEPTH: usize = 200;

/// Nesting of sections (`<VirtualHost>`, `<Location>`...). httpd recurses once per level
/// (and so do the walks over the tree); real configurations stay below ten.
pub const MAX_SECTION_DEPTH: usize = 200;

/// Nesting of `Include` (`AP_MAX_INCLUDE_DEPTH`).
pub const MAX_INCLUDE_DEPTH: usize = 128;

/// Directives and sections one load reads (macro expansions included).
pub const MAX_NODES: usize = 2_000_000;

/// Bytes `${VAR}` and macro expansion may add over a whole load.
pub const MAX_EXPANDED: usize = 256 << 20;

/// Included file instances one load reads.
pub const MAX_FILES: usize = 250_000;

/// What the first pass starts from.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// httpd's ServerRoot at the start (its `-d`).
    pub server_root: PathBuf,
    /// The ServerRoot was given by the user: a `ServerRoot` directive naming a
    /// directory that does not exist here leaves it in force (the configuration was
    /// copied from another machine) instead of failing.
    pub server_root_given: bool,
    /// httpd's `-D NAME`s.
    pub defines: Vec<String>,
    /// Variables set as `Define NAME VALUE` does, before reading.
    pub vars: Vec<(String, String)>,
    /// The environment httpd runs in (`${VAR}` falls back to it).
    pub env: Vec<(String, String)>,
    /// The modules loaded before any `LoadModule`.
    pub loaded: LoadedModules,
    pub version: Version,
}

/// A line pulled from a stream.
struct Line {
    text: Mapped,
    file: FileId,
    printed: Printed,
    /// The outermost `Use` when the line comes from a macro.
    read_at: Option<Span>,
    /// The definitions of its name, when the helper that split it found them.
    candidates: Option<Candidates>,
}

/// Where a line comes from, once its text is taken.
struct Place {
    file: FileId,
    printed: Printed,
    read_at: Option<Span>,
}

enum Pulled {
    Line(Line),
    TooLong {
        file: FileId,
        name: Arc<str>,
        line: u32,
        at: usize,
    },
}

struct FileSource {
    file: FileId,
    text: Arc<[u8]>,
    lines: Lines,
    name: Arc<str>,
}

struct MacroSource {
    lines: Vec<BodyLine>,
    next: usize,
    name: Arc<str>,
    read_at: Span,
}

enum Source {
    File(FileSource),
    Macro(MacroSource),
}

/// The lines one `ap_build_config` reads: a file, with the macro expansions `Use`
/// pushed in front of its next line.
struct Stream {
    stack: Vec<Source>,
    /// The file's end (where "was not closed" is met).
    eof: Span,
    /// The last directive run while reading this file: httpd names it when a later
    /// line is too long.
    last_exec: Option<(Printed, Span)>,
}

impl Stream {
    fn pull(&mut self, limit: usize) -> Option<Pulled> {
        loop {
            match self.stack.last_mut()? {
                Source::File(f) => {
                    return match f.lines.next_line(&f.text, limit)? {
                        Ok((l, candidates)) => Some(Pulled::Line(Line {
                            candidates,
                            text: l.text,
                            file: f.file,
                            printed: Printed {
                                file: Arc::clone(&f.name),
                                line: l.line,
                            },
                            read_at: None,
                        })),
                        Err(TooLong { line }) => Some(Pulled::TooLong {
                            file: f.file,
                            name: Arc::clone(&f.name),
                            line,
                            at: f.lines.offset(),
                        }),
                    };
                }
                Source::Macro(m) => {
                    let Some(body) = m.lines.get(m.next) else {
                        self.stack.pop();
                        continue;
                    };
                    m.next += 1;
                    return Some(Pulled::Line(Line {
                        text: body.text.clone(),
                        file: body.file,
                        printed: Printed {
                            file: Arc::clone(&m.name),
                            line: m.next as u32,
                        },
                        read_at: Some(m.read_at),
                        candidates: None,
                    }));
                }
            }
        }
    }

    /// The name httpd gives the source being read (for mod_macro's recursion test).
    fn name(&self) -> &str {
        match self.stack.last() {
            Some(Source::File(f)) => &f.name,
            Some(Source::Macro(m)) => &m.name,
            None => "",
        }
    }
}

/// Where a build stops.
#[derive(Clone, Copy)]
enum Until {
    /// The end of the file: unclosed sections are errors.
    Eof,
    /// A conditional's closing line (`</IfModule>` exactly), or the end silently.
    Close(&'static str),
}

/// A file being read, for include cycles.
struct Reading {
    canonical: PathBuf,
    /// The `Include` that opened it.
    include: Option<NodeId>,
}

/// The first pass over one configuration.
pub struct Reader<'a> {
    vfs: &'a dyn Vfs,
    sources: &'a mut SourceMap,
    tree: Tree,
    problems: Vec<Problem>,
    /// What of `problems` is built in full (the rest is counted).
    cap: Cap,
    loaded: LoadedModules,
    server_root: PathBuf,
    server_root_given: bool,
    version: Version,
    defines: Vec<String>,
    vars: HashMap<String, String>,
    env: HashMap<String, String>,
    /// `None` until a macro is defined (mod_macro's `ap_macros`).
    macros: Option<HashMap<String, Macro>>,
    reading: Vec<Reading>,
    conditional_depth: usize,
    /// Problems so far (their reading order).
    seq: u64,
    /// `LoadModule` lines run.
    load_modules: usize,
    expanded: usize,
    files: usize,
    reported_limit: bool,
    scratch: HandlerState,
    /// Files that look binary, with the evidence (reported once each at the end).
    binary: Vec<(FileId, BinaryEvidence)>,
}

/// What the first pass leaves: the tree, its problems, and the state the second pass
/// starts from.
#[derive(Debug)]
pub struct Read {
    pub tree: Tree,
    pub problems: Vec<Problem>,
    pub loaded: LoadedModules,
    pub server_root: PathBuf,
    /// `LoadModule` lines run.
    pub load_modules: usize,
    /// Files that look binary, with the evidence.
    pub binary: Vec<(FileId, BinaryEvidence)>,
    /// The next reading-order number (the second pass goes on from it).
    pub seq: u64,
}

/// `apr_strerror` text of an I/O error, without std's " (os error N)".
pub fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A path as httpd prints it.
fn shown(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl<'a> Reader<'a> {
    pub fn new(vfs: &'a dyn Vfs, sources: &'a mut SourceMap, opts: &ReadOptions) -> Self {
        let mut vars = HashMap::new();
        for (k, v) in &opts.vars {
            vars.insert(k.clone(), v.clone());
        }
        let mut defines = opts.defines.clone();
        for (k, _) in &opts.vars {
            if !defines.contains(k) {
                defines.push(k.clone());
            }
        }
        Reader {
            vfs,
            sources,
            tree: Tree::default(),
            problems: Vec::new(),
            cap: Cap::default(),
            loaded: opts.loaded.clone(),
            server_root: opts.server_root.clone(),
            server_root_given: opts.server_root_given,
            version: opts.version,
            defines,
            vars,
            env: opts.env.iter().cloned().collect(),
            macros: None,
            reading: Vec::new(),
            conditional_depth: 0,
            seq: 0,
            load_modules: 0,
            expanded: 0,
            files: 0,
            reported_limit: false,
            scratch: HandlerState::default(),
            binary: Vec::new(),
        }
    }

    /// The first pass's result; the source map is free again.
    pub fn finish(self) -> Read {
        Read {
            tree: self.tree,
            problems: self.problems,
            loaded: self.loaded,
            server_root: self.server_root,
            load_modules: self.load_modules,
            binary: self.binary,
            seq: self.seq + 1,
        }
    }

    /// The next reading-order number for a problem.
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Records a problem httpd refuses the configuration for in its first pass.
    fn refuse(
        &mut self,
        kind: Kind,
        message: String,
        span: Span,
        when: Span,
        printed: Option<(Printed, Span)>,
    ) -> Option<&mut Problem> {
        let seq = self.next_seq();
        if !self.cap.admit(&mut self.problems, (kind, span.file)) {
            return None;
        }
        let (printed, printed_span) = match printed {
            Some((p, s)) => (Some(p), Some(s)),
            None => (None, None),
        };
        self.problems.push(Problem {
            kind,
            message,
            span,
            refused: Some(Refused {
                phase: Phase::Read,
                when,
                seq,
                printed,
                printed_span,
            }),
            help: None,
            related: Vec::new(),
            folded: 0,
        });
        self.problems.last_mut()
    }

    /// A limit of proxylint's reached: reported once, not a refusal of httpd's.
    fn limit(&mut self, message: String, span: Span) {
        if self.reported_limit {
            return;
        }
        self.reported_limit = true;
        self.problems.push(Problem {
            kind: Kind::SyntaxError,
            message,
            span,
            refused: None,
            help: None,
            related: Vec::new(),
            folded: 0,
        });
    }

    fn exhausted(&mut self, at: Span) -> bool {
        if self.tree.nodes.len() < MAX_NODES {
            return false;
        }
        self.limit(
            format!(
                "more than {MAX_NODES} directives; proxylint stops reading here, so the rest of the configuration is not checked"
            ),
            at,
        );
        true
    }

    /// `ap_server_root_relative`: `name` against the ServerRoot, dots resolved.
    pub fn root_relative(&self, name: &str) -> PathBuf {
        normalize(&self.server_root.join(name))
    }

    /// Reads a root file (already in the source map) as httpd reads its main
    /// configuration file; its top-level nodes become a root of the tree.
    pub fn read_root(&mut self, file: FileId) {
        let path = self.sources.get(file).path.clone();
        let canonical = self
            .vfs
            .canonicalize(&path)
            .unwrap_or_else(|_| normalize(&path));
        self.reading.push(Reading {
            canonical,
            include: None,
        });
        let children = self.read_file(file, None);
        self.reading.pop();
        self.tree.roots.push(Root { file, children });
    }

    /// The nodes of one file (`ap_build_config` on it).
    fn read_file(&mut self, file: FileId, include: Option<NodeId>) -> Vec<NodeId> {
        let source = self.sources.get(file);
        let text = Arc::clone(&source.text);
        if let Some(evidence) = binary_evidence(&text) {
            self.binary.push((file, evidence));
        }
        // A line makes at most one node: room for them at once, not by doubling (each
        // doubling copied the tree into fresh pages, a tenth of a large run).
        let lines = memchr::memchr_iter(b'\n', &text).count() + 1;
        let room = MAX_NODES.saturating_sub(self.tree.nodes.len());
        self.tree.nodes.reserve(lines.min(room));
        let name: Arc<str> = Arc::from(shown(&normalize(&source.path)));
        let mut stream = Stream {
            eof: Span::new(file, text.len(), text.len()),
            stack: vec![Source::File(FileSource {
                file,
                lines: Lines::new(&text),
                text,
                name,
            })],
            last_exec: None,
        };
        self.build(&mut stream, include, Until::Eof).0
    }

    fn add(&mut self, node: Node, open: &[NodeId], top: &mut Vec<NodeId>) -> NodeId {
        let parent = open.last().copied();
        let id = self.tree.push(Node {
            parent: parent.or(node.parent),
            ..node
        });
        match parent {
            Some(p) => self.tree.node_mut(p).children.push(id),
            None => top.push(id),
        }
        id
    }

    /// `ap_build_config` / `ap_build_cont_config`: lines of `stream` until `until`,
    /// as nodes under `parent`. Returns the nodes and the closing line's span.
    fn build(
        &mut self,
        stream: &mut Stream,
        parent: Option<NodeId>,
        until: Until,
    ) -> (Vec<NodeId>, Option<Span>) {
        let mut top = Vec::new();
        // Sections opened by this build, innermost last (httpd's `curr_parent`).
        let mut open: Vec<NodeId> = Vec::new();
        loop {
            let line = match stream.pull(MAX_LINE) {
                None => break,
                Some(Pulled::TooLong {
                    file,
                    name,
                    line,
                    at,
                }) => {
                    let span = Span::new(file, at, at);
                    let printed = stream.last_exec.clone();
                    self.refuse(
                        Kind::SyntaxError,
                        format!("Error reading {name} at line {line}: Line too long"),
                        span,
                        span,
                        printed,
                    );
                    continue;
                }
                Some(Pulled::Line(line)) => line,
            };
            let text = line.text.text.as_str();
            if let Until::Close(tag) = until
                && open.is_empty()
                && text.len() == tag.len() + 2
                && text.starts_with("</")
                && text[2..tag.len() + 1].eq_ignore_ascii_case(&tag[1..])
                && text.ends_with('>')
            {
                return (top, Some(span_of(&line.text, line.file)));
            }
            if text.is_empty() {
                continue;
            }
            if text.starts_with('#') {
                let r = line.text.whole();
                self.tree
                    .comments
                    .push(Span::new(line.file, r.start as usize, r.end as usize));
                continue;
            }
            let line_span = span_of(&line.text, line.file);
            if self.exhausted(line_span) {
                // Nothing more is read; sections stay as they are.
                stream.stack.clear();
                break;
            }
            let Line {
                text,
                file,
                printed,
                read_at,
                candidates,
            } = line;
            let (expanded, as_read) = self.expand(text, file, &printed, line_span);
            let candidates = candidates.filter(|_| as_read);
            let at = Place {
                file,
                printed,
                read_at,
            };
            self.line(
                stream, expanded, candidates, at, &mut open, &mut top, parent,
            );
        }
        if let Until::Eof = until
            && !open.is_empty()
        {
            // httpd lists them innermost first and names the outermost.
            let outer = self.tree.node(open[0]);
            let printed = (outer.printed.clone(), outer.span());
            for &id in open.iter().rev() {
                let node = self.tree.node(id);
                let (message, span) = (format!("{}> was not closed.", node.name), node.name_span());
                self.refuse(
                    Kind::SyntaxError,
                    message,
                    span,
                    stream.eof,
                    Some(printed.clone()),
                );
            }
        }
        (top, None)
    }

    /// `${VAR}` on a line; AH00111 for names nothing defines. The line, and whether it
    /// is the text as read (nothing to expand).
    fn expand(
        &mut self,
        text: Mapped,
        file: FileId,
        printed: &Printed,
        at: Span,
    ) -> (Mapped, bool) {
        if !text.text.contains("${") {
            return (text, true);
        }
        let room = MAX_EXPANDED.saturating_sub(self.expanded);
        let max = MAX_LINE.min(text.text.len() + room);
        let (vars, env) = (&self.vars, &self.env);
        let lookup = |name: &str| vars.get(name).or_else(|| env.get(name)).map(String::as_str);
        let Some(e) = resolve_env(&text, lookup, max) else {
            return (text, true);
        };
        for u in &e.undefined {
            if !self
                .cap
                .admit(&mut self.problems, (Kind::UndefinedVariable, file))
            {
                continue;
            }
            let r = text.source(u.range.clone());
            self.problems.push(Problem {
                kind: Kind::UndefinedVariable,
                message: format!("Config variable ${{{}}} is not defined", u.name),
                span: Span::new(file, r.start as usize, r.end as usize),
                refused: None,
                help: Some(format!(
                    "define it with `Define {} VALUE` before line {} or set it in the environment httpd starts with (Debian: /etc/apache2/envvars)",
                    u.name, printed.line
                )),
                related: Vec::new(),
                folded: 0,
            });
        }
        if e.truncated {
            self.limit(
                format!(
                    "variable expansion grows this line past {} MiB; proxylint keeps the first part",
                    max >> 20
                ),
                at,
            );
        }
        self.expanded += e.text.text.len().saturating_sub(text.text.len());
        (e.text, false)
    }

    /// `ap_build_config_sub` on one logical line.
    /// (`candidates`: those of the line's name, when the reader's helper found them.)
    #[allow(clippy::too_many_arguments)]
    fn line(
        &mut self,
        stream: &mut Stream,
        text: Mapped,
        candidates: Option<Candidates>,
        line: Place,
        open: &mut Vec<NodeId>,
        top: &mut Vec<NodeId>,
        parent: Option<NodeId>,
    ) {
        let mut pos = 0;
        let Some((word, range)) = next_word(&text.text, &mut pos) else {
            return;
        };
        if word.is_empty() {
            return;
        }
        let (written, closing) = directive_word(&word);
        let args_gt = written.starts_with('<') && pos >= text.text.len();
        let file = line.file;
        let span = span_of(&text, file);
        let read_at = line.read_at.unwrap_or(span);
        let candidates = candidates.unwrap_or_else(|| grammar::candidates(written));
        let found = match grammar::lookup_among(candidates, &self.loaded) {
            Lookup::Found(def) => Some(def),
            _ => None,
        };
        let name: Cow<'static, str> = match found {
            Some(def) => Cow::Borrowed(def.name),
            None => Cow::Owned(written.to_string()),
        };
        drop(word);
        let node = Node {
            name,
            def: found,
            kind: NodeKind::Directive,
            line: text,
            name_range: range,
            args_start: pos,
            args_gt,
            file,
            printed: line.printed,
            read_at,
            parent,
            children: Vec::new(),
        };
        if let Some(def) = found.filter(|d| d.exec_on_read) {
            self.exec(stream, def, node, open, top);
            return;
        }
        if closing {
            self.close(node, open, read_at);
            return;
        }
        let section = node.name.starts_with('<');
        if section && open.len() >= MAX_SECTION_DEPTH {
            self.limit(
                format!(
                    "sections nested more than {MAX_SECTION_DEPTH} deep; proxylint stops reading this file here"
                ),
                node.span(),
            );
            stream.stack.clear();
            return;
        }
        let id = self.add(
            Node {
                kind: if section {
                    NodeKind::Section { close: None }
                } else {
                    NodeKind::Directive
                },
                ..node
            },
            open,
            top,
        );
        if section {
            open.push(id);
        }
    }

    /// A closing tag: it must close the innermost section this build opened.
    fn close(&mut self, node: Node, open: &mut Vec<NodeId>, when: Span) {
        let written: &str = &node.name;
        let span = node.name_span();
        let printed = Some((node.printed.clone(), node.span()));
        let Some(&innermost) = open.last() else {
            self.refuse(
                Kind::SyntaxError,
                format!(
                    "{written} without matching <{} section",
                    written.get(2..).unwrap_or_default()
                ),
                span,
                when,
                printed,
            );
            return;
        };
        let Some(bare) = written.strip_suffix('>') else {
            self.refuse(
                Kind::SyntaxError,
                format!("{written}> directive missing closing '>'"),
                span,
                when,
                printed,
            );
            return;
        };
        let bare = bare.get(2..).unwrap_or_default();
        let expected = self.tree.node(innermost).name.clone();
        let expected = expected.get(1..).unwrap_or_default();
        if bare.eq_ignore_ascii_case(expected) {
            open.pop();
            self.set_close(innermost, span);
            return;
        }
        self.refuse(
            Kind::SyntaxError,
            format!("Expected </{expected}> but saw </{bare}>"),
            span,
            when,
            printed,
        );
        // Read on as if the tag closed the section it names, when one is open.
        if let Some(at) = open.iter().rposition(|&id| {
            self.tree
                .node(id)
                .name
                .get(1..)
                .is_some_and(|n| n.eq_ignore_ascii_case(bare))
        }) {
            let target = open[at];
            open.truncate(at);
            self.set_close(target, span);
        }
    }

    fn set_close(&mut self, id: NodeId, span: Span) {
        if let NodeKind::Section { close }
        | NodeKind::Conditional { close, .. }
        | NodeKind::MacroDef { close } = &mut self.tree.node_mut(id).kind
        {
            *close = Some(span);
        }
    }

    /// A directive httpd runs while reading (EXEC_ON_READ).
    fn exec(
        &mut self,
        stream: &mut Stream,
        def: &'static DirectiveDef,
        node: Node,
        open: &[NodeId],
        top: &mut Vec<NodeId>,
    ) {
        let printed = (node.printed.clone(), node.span());
        stream.last_exec = Some(printed.clone());
        let args = node.args().to_string();
        let (span, args_span, when) = (node.span(), node.args_span(), node.read_at);
        let kind = match def.name {
            "<IfModule" | "<IfDefine" | "<IfFile" | "<IfDirective" | "<IfSection"
            | "<IfVersion" => NodeKind::Conditional {
                taken: false,
                close: None,
            },
            "Include" | "IncludeOptional" => NodeKind::Include { files: Vec::new() },
            "<Macro" => NodeKind::MacroDef { close: None },
            "Use" => NodeKind::MacroUse,
            _ => NodeKind::ReadTime,
        };
        let id = self.add(Node { kind, ..node }, open, top);
        // In the first pass httpd's context is the top level: sections are not run yet.
        if let Err(message) = check_directive(def, &ContextStack::new(), &args, &mut self.scratch) {
            let kind = classify(def, &ContextStack::new(), &args, &message);
            self.refuse(
                kind,
                message,
                args_span_or(span, args_span),
                when,
                Some(printed),
            );
            if def.section {
                // Read past the body, so its lines are not taken for the enclosing ones.
                let _ = self.soak(stream, def.name);
            }
            return;
        }
        match def.name {
            "<IfModule" | "<IfDefine" | "<IfFile" | "<IfDirective" | "<IfSection"
            | "<IfVersion" => self.conditional(stream, def, id, &args, printed),
            "Include" | "IncludeOptional" => {
                self.include(id, &args, def.name == "IncludeOptional", printed)
            }
            "Define" | "UnDefine" => self.define(def.name == "Define", &args),
            "LoadModule" => {
                self.load_modules += 1;
                let w = words(&args);
                let file = self.root_relative(&w[1]);
                if let Err(message) = self.loaded.load_module(&w[0], &shown(&file)) {
                    self.refuse(
                        Kind::InvalidArguments,
                        message,
                        args_span,
                        when,
                        Some(printed),
                    );
                }
            }
            "ServerRoot" => {
                let w = words(&args);
                let dir = normalize(&self.server_root.join(w[0].as_ref()));
                if self.vfs.is_dir(&dir) {
                    self.server_root = dir;
                } else if !self.server_root_given {
                    self.refuse(
                        Kind::InvalidArguments,
                        "ServerRoot must be a valid directory".to_string(),
                        args_span,
                        when,
                        Some(printed),
                    );
                }
            }
            "<Macro" => self.macro_definition(stream, id, &args, printed),
            "Use" => self.macro_use(stream, &args, args_span, when, printed),
            "UndefMacro" => {
                let name = args.to_lowercase();
                let message = match &mut self.macros {
                    None => Some("no macro defined before UndefMacro".to_string()),
                    Some(m) => m
                        .remove(&name)
                        .is_none()
                        .then(|| format!("cannot remove undefined macro '{name}'")),
                };
                if let Some(message) = message {
                    self.refuse(
                        Kind::InvalidArguments,
                        message,
                        args_span,
                        when,
                        Some(printed),
                    );
                }
            }
            _ if def.section => {
                // mod_lua's <LuaHook*>: a block of Lua read as text.
                if let Err((message, at)) = self.soak(stream, def.name) {
                    self.refuse(Kind::SyntaxError, message, span, at, Some(printed));
                }
            }
            _ => {}
        }
    }

    fn define(&mut self, define: bool, args: &str) {
        let w = words(args);
        let Some(name) = w.first().map(|n| n.to_string()) else {
            return;
        };
        if define {
            if !self.defines.contains(&name) {
                self.defines.push(name.clone());
            }
            if let Some(value) = w.get(1) {
                self.vars.insert(name, value.to_string());
            }
        } else {
            self.defines.retain(|d| *d != name);
            self.vars.remove(&name);
        }
    }

    /// `start_cond_section` / mod_version's `start_ifversion`: the body is read when
    /// the test holds, else skipped unread.
    fn conditional(
        &mut self,
        stream: &mut Stream,
        def: &'static DirectiveDef,
        id: NodeId,
        args: &str,
        printed: (Printed, Span),
    ) {
        let taken = if def.name == "<IfVersion" {
            grammar::if_version(args, self.version).unwrap_or(false)
        } else {
            let Ok((negated, word)) = grammar::cond_section(def.name, args) else {
                return;
            };
            let holds = match def.name {
                "<IfModule" => self.loaded.if_module(&word),
                "<IfDefine" => self.defines.contains(&word),
                "<IfFile" => self.vfs.exists(&self.root_relative(&word)),
                "<IfDirective" => self.loaded.if_directive(&word),
                _ => self.loaded.if_section(&word),
            };
            holds != negated
        };
        if !taken {
            match self.soak(stream, def.name) {
                Ok(close) => {
                    if let Some(close) = close {
                        self.set_close(id, close);
                    }
                }
                Err((message, at)) => {
                    let span = self.tree.node(id).name_span();
                    self.refuse(Kind::SyntaxError, message, span, at, Some(printed));
                }
            }
            return;
        }
        if self.conditional_depth >= MAX_CONDITIONAL_DEPTH {
            let span = self.tree.node(id).span();
            self.limit(
                format!(
                    "conditional sections nested more than {MAX_CONDITIONAL_DEPTH} deep; proxylint stops reading this file here"
                ),
                span,
            );
            stream.stack.clear();
            return;
        }
        self.conditional_depth += 1;
        let (children, close) = self.build(stream, Some(id), Until::Close(def.name));
        self.conditional_depth -= 1;
        let node = self.tree.node_mut(id);
        node.children = children;
        node.kind = NodeKind::Conditional { taken: true, close };
    }

    /// `ap_soak_end_container`: lines up to the matching closing tag, unread except
    /// for the nesting of `<...>` tags. Returns the closing tag's span, or httpd's
    /// message and where it is met.
    fn soak(
        &mut self,
        stream: &mut Stream,
        directive: &str,
    ) -> Result<Option<Span>, (String, Span)> {
        let mut expect: Vec<String> = vec![directive.to_string()];
        loop {
            let line = match stream.pull(MAX_LINE) {
                None => {
                    let outer = expect.last().map_or("", String::as_str);
                    return Err((
                        format!(
                            "Expected </{}> before end of configuration",
                            outer.get(1..).unwrap_or_default()
                        ),
                        stream.eof,
                    ));
                }
                Some(Pulled::TooLong {
                    file,
                    name,
                    line,
                    at,
                }) => {
                    let span = Span::new(file, at, at);
                    return Err((
                        format!("Error reading {name} at line {line}: Line too long"),
                        span,
                    ));
                }
                Some(Pulled::Line(line)) => line,
            };
            let text = &line.text.text;
            if text.starts_with('#') {
                let r = line.text.whole();
                self.tree
                    .comments
                    .push(Span::new(line.file, r.start as usize, r.end as usize));
                continue;
            }
            let mut pos = 0;
            let Some((word, _)) = next_word(text, &mut pos) else {
                continue;
            };
            if !word.starts_with('<') {
                continue;
            }
            let mut name = word.into_owned();
            if name.as_bytes().get(1) == Some(&b'/') {
                name.pop();
                let outer = expect.last().map_or("", String::as_str);
                let closes = name
                    .get(2..)
                    .unwrap_or_default()
                    .eq_ignore_ascii_case(outer.get(1..).unwrap_or_default());
                if !closes {
                    return Err((
                        format!(
                            "Expected </{}> but saw {name}>",
                            outer.get(1..).unwrap_or_default()
                        ),
                        span_of(&line.text, line.file),
                    ));
                }
                expect.pop();
                if expect.is_empty() {
                    return Ok(Some(span_of(&line.text, line.file)));
                }
            } else {
                if pos >= text.len() && name.ends_with('>') {
                    name.pop();
                }
                expect.push(name);
            }
        }
    }

    /// `include_config`: the files an `Include` names, read in place.
    fn include(&mut self, id: NodeId, args: &str, optional: bool, printed: (Printed, Span)) {
        let (args_span, when) = {
            let n = self.tree.node(id);
            (n.args_span(), n.read_at)
        };
        let w = words(args);
        let pattern = self.root_relative(&w[0]);
        if self.reading.len() > MAX_INCLUDE_DEPTH {
            self.refuse(
                Kind::IncludeCycle,
                format!(
                    "Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There appears to be a recursion."
                ),
                args_span,
                when,
                Some(printed),
            );
            return;
        }
        let mut files = Vec::new();
        let mut children = Vec::new();
        for found in expand(self.vfs, &pattern, optional) {
            let path = match found {
                Expansion::File(path) => path,
                Expansion::Error(message) => {
                    let kind = if message.contains("nesting level") {
                        Kind::IncludeCycle
                    } else {
                        Kind::IncludeNotFound
                    };
                    self.refuse(kind, message, args_span, when, Some(printed.clone()));
                    break;
                }
            };
            if self.files >= MAX_FILES {
                self.limit(
                    format!(
                        "more than {MAX_FILES} included files; proxylint stops reading includes here, so the rest of the configuration is not checked"
                    ),
                    args_span,
                );
                break;
            }
            let canonical = self
                .vfs
                .canonicalize(&path)
                .unwrap_or_else(|_| normalize(&path));
            if let Some(at) = self.reading.iter().position(|r| r.canonical == canonical) {
                self.cycle(id, at, &path);
                break;
            }
            let open_error = |reason: String| {
                format!(
                    "Could not open configuration file {}: {reason}",
                    shown(&path)
                )
            };
            let text = match self.vfs.metadata(&path) {
                Err(e) => Err(open_error(io_reason(&e))),
                Ok(m) if m.kind != FileKind::File && path != Path::new("/dev/null") => {
                    Err(open_error("Bad file descriptor".to_string()))
                }
                Ok(_) => self.vfs.read(&path).map_err(|e| open_error(io_reason(&e))),
            };
            let text = match text {
                Ok(text) => text,
                Err(message) => {
                    self.refuse(
                        Kind::IncludeNotFound,
                        message,
                        args_span,
                        when,
                        Some(printed.clone()),
                    );
                    break;
                }
            };
            self.files += 1;
            let file = self
                .sources
                .add(path.clone(), display_name(&path), text, Some(args_span));
            files.push(file);
            self.reading.push(Reading {
                canonical,
                include: Some(id),
            });
            children.extend(self.read_file(file, Some(id)));
            self.reading.pop();
        }
        let node = self.tree.node_mut(id);
        node.children = children;
        node.kind = NodeKind::Include { files };
    }

    /// An `Include` of a file being read. httpd has no cycle check: it includes on
    /// until its depth limit and names the `Include` it is at then.
    fn cycle(&mut self, id: NodeId, at: usize, path: &Path) {
        let mut ring: Vec<NodeId> = self.reading[at + 1..]
            .iter()
            .filter_map(|r| r.include)
            .collect();
        ring.push(id);
        // The ring's first Include runs at depth at + 1; httpd fails at depth 129.
        let failing = ring[(MAX_INCLUDE_DEPTH + 1 - (at + 1)) % ring.len()];
        let failing = self.tree.node(failing);
        let printed = (failing.printed.clone(), failing.span());
        let node = self.tree.node(id);
        let (span, when) = (node.args_span(), node.read_at);
        let related: Vec<(Span, String)> = ring
            .iter()
            .map(|&i| {
                let n = self.tree.node(i);
                (n.args_span(), format!("{} {}", n.name, n.args()))
            })
            .collect();
        let message = format!(
            "Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There appears to be a recursion."
        );
        let help = format!(
            "{} is already being read: this Include makes a cycle of {} Include line(s)",
            shown(path),
            ring.len()
        );
        if let Some(p) = self.refuse(Kind::IncludeCycle, message, span, when, Some(printed)) {
            p.help = Some(help);
            p.related = related;
        }
    }

    /// mod_macro's `macro_section`: the body's lines, stored for `Use`.
    fn macro_definition(
        &mut self,
        stream: &mut Stream,
        id: NodeId,
        args: &str,
        printed: (Printed, Span),
    ) {
        let (span, when) = {
            let n = self.tree.node(id);
            (n.span(), n.read_at)
        };
        let location = format!(
            "defined on line {} of \"{}\"",
            printed.0.line, printed.0.file
        );
        let header = macros::parse_definition(args, &location);
        // mod_macro reads the body only once the tag parses; proxylint reads past it
        // anyway, so that its lines are not taken for configuration lines.
        let body = self.macro_body(stream);
        let (name, params) = match header {
            Ok(h) => h,
            Err(message) => {
                self.refuse(Kind::SyntaxError, message, span, when, Some(printed));
                return;
            }
        };
        let (lines, close) = match body {
            Ok(b) => b,
            Err(message) => {
                let whole = format!("macro '{name}' ({location})\n\tcontents error: {message}");
                self.refuse(Kind::SyntaxError, whole, span, when, Some(printed));
                return;
            }
        };
        self.set_close(id, close);
        self.macros.get_or_insert_with(HashMap::new).insert(
            name.clone(),
            Macro {
                name,
                args: params,
                body: lines,
                location,
                span,
            },
        );
    }

    /// `get_lines_till_end_token`: lines up to the `</Macro>` matching the `<Macro`
    /// (nested definitions counted), comment lines left out.
    fn macro_body(&mut self, stream: &mut Stream) -> Result<(Vec<BodyLine>, Span), String> {
        let mut lines = Vec::new();
        let mut nesting = 1;
        loop {
            let line = match stream.pull(MAX_STRING_LEN) {
                Some(Pulled::Line(line)) => line,
                None | Some(Pulled::TooLong { .. }) => {
                    return Err("expected token not found: </Macro>".to_string());
                }
            };
            if line.text.text.starts_with('#') {
                let r = line.text.whole();
                self.tree
                    .comments
                    .push(Span::new(line.file, r.start as usize, r.end as usize));
                continue;
            }
            let mut pos = 0;
            if let Some((first, _)) = next_word(&line.text.text, &mut pos) {
                if first.eq_ignore_ascii_case("</Macro>") {
                    nesting -= 1;
                    if nesting == 0 {
                        return Ok((lines, span_of(&line.text, line.file)));
                    }
                } else if first.eq_ignore_ascii_case("<Macro") {
                    nesting += 1;
                }
            }
            lines.push(BodyLine {
                text: line.text,
                file: line.file,
            });
        }
    }

    /// mod_macro's `use_macro`: the macro's lines, substituted, read next.
    fn macro_use(
        &mut self,
        stream: &mut Stream,
        args: &str,
        span: Span,
        when: Span,
        printed: (Printed, Span),
    ) {
        let Some(defined) = &self.macros else {
            self.refuse(
                Kind::InvalidArguments,
                "no macro defined before Use".to_string(),
                span,
                when,
                Some(printed),
            );
            return;
        };
        let (name, values) = macros::parse_use(args);
        let message = if name.is_empty() {
            Err("no macro name specified with Use".to_string())
        } else {
            match defined.get(&name) {
                None => Err(format!("macro '{name}' undefined")),
                Some(_) if stream.name().contains(&format!("macro '{name}'")) => {
                    Err(format!("recursive use of macro '{name}' is invalid"))
                }
                Some(m) if m.args.len() != values.len() => Err(format!(
                    "{} used with {} arguments instead of {}",
                    m.describe(),
                    values.len(),
                    m.args.len()
                )),
                Some(m) => Ok(m.clone()),
            }
        };
        let m = match message {
            Ok(m) => m,
            Err(message) => {
                self.refuse(Kind::InvalidArguments, message, span, when, Some(printed));
                return;
            }
        };
        let place = format!(
            "{} used on line {} of \"{}\"",
            m.describe(),
            printed.0.line,
            printed.0.file
        );
        let mut lines = Vec::with_capacity(m.body.len());
        for (i, body) in m.body.iter().enumerate() {
            match macros::substitute(&body.text, &m.args, &values) {
                Ok(text) => {
                    self.expanded += text.text.len();
                    lines.push(BodyLine {
                        text,
                        file: body.file,
                    });
                }
                Err(e) => {
                    let message = format!(
                        "{place} error while substituting: while processing line {} of {} {e}",
                        i + 1,
                        m.describe()
                    );
                    self.refuse(Kind::InvalidArguments, message, span, when, Some(printed));
                    return;
                }
            }
        }
        if self.expanded > MAX_EXPANDED {
            self.limit(
                format!(
                    "macro expansion adds more than {} MiB of configuration; proxylint stops expanding here",
                    MAX_EXPANDED >> 20
                ),
                span,
            );
            return;
        }
        stream.stack.push(Source::Macro(MacroSource {
            lines,
            next: 0,
            name: Arc::from(place),
            read_at: when,
        }));
    }
}

fn args_span_or(span: Span, args: Span) -> Span {
    if args.start < args.end { args } else { span }
}

fn span_of(text: &Mapped, file: FileId) -> Span {
    let r = text.whole();
    Span::new(file, r.start as usize, r.end as usize)
}
