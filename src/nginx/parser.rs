//! Statement parser and include loader: turns the lexer's tokens into the [`Tree`],
//! reading included files in place, the way `ngx_conf_parse` and `ngx_conf_include` do.
//!
//! A `Reader` turns tokens into steps (a directive or comment made, a block opened or
//! closed); the loader builds the tree from them and expands includes. A large file is
//! read by two threads: a second reader reads its end ahead into steps while this
//! thread reads and builds its start ([`read_ahead_start`]).
//!
//! Parsing never stops at an error: each problem becomes a [`SyntaxError`] (reported
//! where nginx reports it) or a [`LoadError`], and reading goes on. Block nesting uses an
//! explicit stack, and depth is capped, so no input can overflow the call stack.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::ast::{
    Block, BodyKind, Comment, Directive, Item, LoadError, LoadErrorKind, Node, NodeId, Root,
    SyntaxError, SyntaxErrorKind, Tree, Word,
};
use super::lexer::{Lexer, TokenKind, is_space};
use crate::cores::Spare;
use crate::settings::{IncludeRoot, map_include};
use crate::source::{FileId, SourceMap, Span};

/// How deep blocks (counted across included files) may nest before proxylint stops
/// descending. Real configurations stay below ten.
pub const MAX_DEPTH: usize = 100;

/// How many included file instances one run expands (a glob included from many places
/// can multiply). Far above real hosting servers (25,000+ virtual host files on one
/// box); reaching it is an error (NGX001) that nothing can silence, since what is not
/// read is not checked.
pub const MAX_INCLUDED_FILES: usize = 250_000;

/// How many directives and comments one run reads. Large generated configurations
/// (100,000 virtual hosts) stay well below; past it memory, not insight, grows.
pub const MAX_NODES: usize = 2_000_000;

/// Syntax errors collected before reading stops: nginx stops at the first, and 20 MB of
/// `{` made 20 million errors (and as many open blocks: 7.8 GB, 20 s).
pub const MAX_SYNTAX_ERRORS: usize = 10_000;

/// How a block's body is read, decided from the directive's name alone (as nginx's
/// module handlers do when they see the `{`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyMode {
    Directives,
    /// Data lines; `include` inside is expanded when `includes` is set.
    Raw {
        includes: bool,
    },
    Lua,
}

/// Reads configuration files into one [`Tree`].
pub struct Loader<'a> {
    pub sources: &'a mut SourceMap,
    pub tree: &'a mut Tree,
    /// Directory relative includes resolve against: the main configuration's directory.
    pub conf_prefix: PathBuf,
    /// Where included paths of the target machine are read from here.
    include_roots: &'a [IncludeRoot],
    body_mode: fn(&str) -> BodyMode,
    /// Where a file is split between two reading threads ([`read_ahead_start`]).
    ahead_start: &'a dyn Fn(&[u8]) -> Option<usize>,
    /// Canonical paths of the files being read, outermost first, for cycle detection.
    reading: Vec<PathBuf>,
    /// `include` argument spans matching `reading[1..]`.
    include_spans: Vec<Span>,
    included_files: usize,
    reported_too_deep: bool,
    reported_too_many: bool,
    reported_too_many_files: bool,
}

struct Frame {
    /// The block directive; `None` for a stray `{` kept only to balance braces.
    node: Option<NodeId>,
    body: BodyMode,
    /// Where its children start in the parse's list of children of open blocks (an
    /// inner block's are after its outer's: they are taken off the end as it closes).
    first_child: usize,
    /// Set below [`MAX_DEPTH`]: tokens are read but no nodes are kept.
    skip: bool,
}

fn io_reason(err: &std::io::Error) -> String {
    // std appends " (os error N)" to strerror's text; nginx prints only the text.
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A file that cannot be opened, as nginx reports it (`open() "PATH" failed (2: No
/// such file or directory)`), at `span`.
pub fn open_error(path: PathBuf, err: &std::io::Error, span: Span) -> LoadError {
    LoadError {
        kind: LoadErrorKind::Open {
            errno: err.raw_os_error().unwrap_or(0),
            reason: io_reason(err),
            path,
        },
        span,
    }
}

/// How many times `byte` occurs in `text`. Counted in chunks a `u8` cannot overflow
/// in, which the compiler turns into vector compares: memchr's iterator stops at each
/// match (0.7 ms for the three statement ends of a 70,000-line file, 0.2 ms this way).
fn count_byte(text: &[u8], byte: u8) -> usize {
    text.chunks(255)
        .map(|chunk| usize::from(chunk.iter().fold(0u8, |n, &b| n + u8::from(b == byte))))
        .sum()
}

/// Reads a file whole; configuration files are small, and nginx reads them whole too.
pub fn read_file(path: &Path) -> std::io::Result<Arc<[u8]>> {
    use crate::vfs::Vfs;
    crate::vfs::Disk.read(path)
}

impl<'a> Loader<'a> {
    pub fn new(
        sources: &'a mut SourceMap,
        tree: &'a mut Tree,
        conf_prefix: PathBuf,
        include_roots: &'a [IncludeRoot],
        body_mode: fn(&str) -> BodyMode,
    ) -> Self {
        Loader {
            sources,
            tree,
            conf_prefix,
            include_roots,
            body_mode,
            ahead_start: &read_ahead_start,
            reading: Vec::new(),
            include_spans: Vec::new(),
            included_files: 0,
            reported_too_deep: false,
            reported_too_many: false,
            reported_too_many_files: false,
        }
    }

    /// Where each file read is split between two threads (by default
    /// [`read_ahead_start`]; tests force splits to compare the tree with one thread's).
    pub fn split_with(mut self, ahead_start: &'a dyn Fn(&[u8]) -> Option<usize>) -> Self {
        self.ahead_start = ahead_start;
        self
    }

    /// Parses an entry file already added to the source map, as a root of the tree.
    /// `raw` parses it as the data body of a raw block (a snippet of map entries).
    pub fn load_root(&mut self, file: FileId, raw: bool) {
        let path = self.sources.get(file).path.clone();
        self.reading = vec![std::fs::canonicalize(&path).unwrap_or(path)];
        self.include_spans.clear();
        let body = if raw {
            BodyMode::Raw { includes: true }
        } else {
            BodyMode::Directives
        };
        let children = self.parse_file(file, None, body, 0);
        self.tree.roots.push(Root { file, children });
    }

    /// Whether the node or error budget is spent: reported once, then reading stops.
    fn exhausted(&mut self, at: Span) -> bool {
        if self.tree.nodes.len() < MAX_NODES && self.tree.syntax_errors.len() < MAX_SYNTAX_ERRORS {
            return false;
        }
        if !self.reported_too_many {
            self.reported_too_many = true;
            let kind = if self.tree.nodes.len() >= MAX_NODES {
                SyntaxErrorKind::TooManyNodes { limit: MAX_NODES }
            } else {
                SyntaxErrorKind::TooManyErrors {
                    limit: MAX_SYNTAX_ERRORS,
                }
            };
            self.syntax_error(kind, at);
        }
        true
    }

    fn push_node(&mut self, parent: Option<NodeId>, item: Item) -> NodeId {
        let id = NodeId(self.tree.nodes.len() as u32);
        self.tree.nodes.push(Node { parent, item });
        id
    }

    fn directive_mut(&mut self, id: NodeId) -> Option<&mut Directive> {
        match &mut self.tree.nodes[id.0 as usize].item {
            Item::Directive(d) => Some(d),
            Item::Comment(_) => None,
        }
    }

    fn syntax_error(&mut self, kind: SyntaxErrorKind, span: Span) {
        self.tree.syntax_errors.push(SyntaxError {
            kind,
            span,
            unclosed: None,
        });
    }

    /// Parses one file; `parent` is the `include` directive that loaded it. A file that
    /// looks binary and does not parse is reported once as binary instead of with the
    /// thousand errors its bytes make.
    fn parse_file(
        &mut self,
        file: FileId,
        parent: Option<NodeId>,
        body: BodyMode,
        depth: usize,
    ) -> Vec<NodeId> {
        let Some(evidence) = binary_evidence(&self.sources.get(file).text) else {
            return self.parse_text(file, parent, body, depth);
        };
        let before = (
            self.tree.nodes.len(),
            self.tree.syntax_errors.len(),
            self.tree.load_errors.len(),
        );
        let children = self.parse_text(file, parent, body, depth);
        // A text file with a stray control byte (a NUL in a comment) that nginx reads
        // fine is kept as it is.
        if self.tree.syntax_errors.len() == before.1 {
            return children;
        }
        self.tree.nodes.truncate(before.0);
        self.tree
            .load_modules
            .retain(|id| (id.0 as usize) < before.0);
        self.tree.syntax_errors.truncate(before.1);
        self.tree.load_errors.truncate(before.2);
        self.syntax_error(evidence, Span::new(file, 0, 0));
        Vec::new()
    }

    fn parse_text(
        &mut self,
        file: FileId,
        parent: Option<NodeId>,
        body: BodyMode,
        depth: usize,
    ) -> Vec<NodeId> {
        let text = Arc::clone(&self.sources.get(file).text);
        // Growing the arena by doubling copied it and touched twice its pages (a quarter
        // of linting 60,000 lines): room for the file's statements is made once. A `;`,
        // `{` or `#` ends at most one node; the count is capped by the node budget.
        let estimate: usize = [b';', b'{', b'#']
            .iter()
            .map(|&b| count_byte(&text, b))
            .sum();
        let room = MAX_NODES.saturating_sub(self.tree.nodes.len());
        self.tree.nodes.reserve(estimate.min(room));
        // The node arena is faulted in on the other core: by the read-ahead before it
        // reads, when there is one (a thread of its own beside it, three threads on two
        // cores, took turns with this one and delayed the read-ahead by its whole run).
        let nodes = Spare::of(self.tree.nodes.spare_capacity_mut());
        let mut ahead = (self.ahead_start)(&text)
            .map(|start| Ahead::start(&text, file, start, self.body_mode, nodes));
        if ahead.is_none() {
            crate::cores::prefault(self.tree.nodes.spare_capacity_mut());
        }
        let mut reader = Reader::new(&text, file, body, self.body_mode, 0);
        let mut build = Build {
            stack: vec![Frame {
                node: parent,
                body,
                first_child: 0,
                skip: false,
            }],
            kids: Vec::new(),
            depth,
            eof: Span::new(file, text.len(), text.len()),
        };
        // Steps come from this thread's reader until it stands between statements where
        // the read-ahead started, then from the read-ahead (if it got there, its first
        // step is the one this reader would read next); the tree is built the same way
        // from both.
        let mut ahead_steps = None;
        let mut ahead_errors = Vec::new();
        loop {
            let step = match &mut ahead_steps {
                Some(steps) => match Iterator::next(steps) {
                    Some(step) => step,
                    None => break,
                },
                None => {
                    if let Some(at) = ahead.as_ref().map(|a| a.start) {
                        match reader.meets(at) {
                            Meets::NotYet => {}
                            Meets::Passed => ahead = None,
                            Meets::Here => {
                                if let Some((steps, errors)) = ahead.take().and_then(Ahead::join) {
                                    ahead_steps = Some(steps.into_iter());
                                    ahead_errors = errors;
                                    continue;
                                }
                            }
                        }
                    }
                    reader.next()
                }
            };
            if self.exhausted(step.first) || !self.build(step.kind, &mut build) {
                break;
            }
        }
        drop(ahead);
        let Build {
            mut stack,
            mut kids,
            ..
        } = build;
        // Blocks still open at the end of the file, or when reading stopped early, keep
        // what was read.
        while stack.len() > 1 {
            if let Some(done) = stack.pop() {
                self.close_block(done, &mut kids, None);
            }
        }
        self.tree.syntax_errors.append(&mut reader.lexer.errors);
        self.tree.syntax_errors.append(&mut ahead_errors);
        stack
            .pop()
            .map(|f| kids.drain(f.first_child..).collect())
            .unwrap_or_default()
    }

    /// Puts one step of the reading into the tree, as `ngx_conf_parse` handles the
    /// token that ends it. Returns whether reading goes on (not at the end of the file).
    fn build(&mut self, step: StepKind, b: &mut Build) -> bool {
        let Some(frame) = b.stack.last() else {
            return false;
        };
        let (skip, frame_body, frame_node) = (frame.skip, frame.body, frame.node);
        match step {
            StepKind::Comment(comment) => {
                if !skip {
                    let id = self.push_node(frame_node, Item::Comment(comment));
                    b.kids.push(id);
                }
            }
            StepKind::StraySemicolon(span) => {
                self.syntax_error(SyntaxErrorKind::UnexpectedSemicolon, span);
            }
            StepKind::StrayOpen(span) => {
                self.syntax_error(SyntaxErrorKind::UnexpectedOpenBrace, span);
                b.stack.push(Frame {
                    node: None,
                    body: frame_body,
                    first_child: b.kids.len(),
                    skip: true,
                });
            }
            StepKind::Directive {
                directive,
                opens,
                raw_brace,
                lua_unclosed,
            } => {
                if raw_brace {
                    // A module's data handler refuses blocks: `map ... { x { } }`.
                    let at = directive.nginx_span();
                    self.syntax_error(SyntaxErrorKind::UnexpectedOpenBrace, at);
                }
                if lua_unclosed {
                    self.syntax_error(SyntaxErrorKind::UnexpectedEofExpectingBrace, b.eof);
                }
                let Some(mode) = opens else {
                    if skip {
                        return true;
                    }
                    let ends_statement = directive.block().is_none();
                    let id = self.push_directive(frame_node, directive);
                    b.kids.push(id);
                    if ends_statement {
                        self.expand_include(id, frame_body, b.depth + b.stack.len());
                    }
                    return true;
                };
                let too_deep = !skip && b.depth + b.stack.len() >= MAX_DEPTH;
                if too_deep && !self.reported_too_deep {
                    self.reported_too_deep = true;
                    let at = directive.nginx_span();
                    self.syntax_error(SyntaxErrorKind::TooDeep { limit: MAX_DEPTH }, at);
                }
                let node = if skip || too_deep {
                    None
                } else {
                    let id = self.push_directive(frame_node, directive);
                    b.kids.push(id);
                    Some(id)
                };
                b.stack.push(Frame {
                    node,
                    body: mode,
                    first_child: b.kids.len(),
                    skip: skip || too_deep,
                });
            }
            StepKind::Close { span, dropped } => {
                // nginx refuses a `}` while a directive is open, and one that closes
                // nothing in this file: one error either way.
                let root = b.stack.len() == 1;
                if dropped || root {
                    self.syntax_error(SyntaxErrorKind::UnexpectedCloseBrace, span);
                }
                if !root && let Some(done) = b.stack.pop() {
                    self.close_block(done, &mut b.kids, Some(span));
                }
            }
            StepKind::Eof { pending } => {
                if pending {
                    self.syntax_error(SyntaxErrorKind::UnexpectedEof, b.eof);
                } else if b.stack.len() > 1 {
                    let unclosed = b
                        .stack
                        .iter()
                        .rev()
                        .find_map(|f| f.node)
                        .and_then(|id| self.tree.directive(id))
                        .and_then(Directive::block)
                        .map(|b| b.open);
                    self.tree.syntax_errors.push(SyntaxError {
                        kind: SyntaxErrorKind::UnexpectedEofExpectingBrace,
                        span: b.eof,
                        unclosed,
                    });
                }
                // The blocks still open are closed by `parse_text`, as when reading
                // stops early.
                return false;
            }
        }
        true
    }

    /// Adds a directive node (noting a `load_module`).
    fn push_directive(&mut self, parent: Option<NodeId>, directive: Directive) -> NodeId {
        if &*directive.name.value == "load_module" {
            self.tree
                .load_modules
                .push(NodeId(self.tree.nodes.len() as u32));
        }
        self.push_node(parent, Item::Directive(directive))
    }

    /// Ends the block of `frame`, whose children are the end of `kids`.
    fn close_block(&mut self, frame: Frame, kids: &mut Vec<NodeId>, close: Option<Span>) {
        let children: Box<[NodeId]> = kids.drain(frame.first_child..).collect();
        let Some(id) = frame.node else { return };
        if let Some(d) = self.directive_mut(id) {
            d.set_children(children, close);
        }
    }

    /// Reads the files an `include` names and hangs their nodes under it.
    fn expand_include(&mut self, id: NodeId, frame_body: BodyMode, depth: usize) {
        let Some(d) = self.tree.directive(id) else {
            return;
        };
        if &*d.name.value != "include" || d.args.len() != 1 {
            return;
        }
        if let BodyMode::Raw { includes: false } = frame_body {
            return;
        }
        let pattern = d.args[0].value.to_string();
        let arg_span = d.args[0].span;
        let body = match frame_body {
            BodyMode::Raw { .. } => frame_body,
            _ => BodyMode::Directives,
        };
        let mut children = Vec::new();
        for path in self.resolve_include(&pattern, arg_span) {
            if self.included_files >= MAX_INCLUDED_FILES {
                if !self.reported_too_many_files {
                    self.reported_too_many_files = true;
                    self.syntax_error(
                        SyntaxErrorKind::TooManyFiles {
                            limit: MAX_INCLUDED_FILES,
                        },
                        arg_span,
                    );
                }
                break;
            }
            let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if let Some(at) = self.reading.iter().position(|p| *p == canonical) {
                let mut chain: Vec<Span> = self.include_spans[at..].to_vec();
                chain.push(arg_span);
                self.tree.load_errors.push(LoadError {
                    kind: LoadErrorKind::Cycle { path, chain },
                    span: arg_span,
                });
                continue;
            }
            let text = match read_file(&path) {
                Ok(text) => text,
                Err(err) => {
                    self.tree.load_errors.push(open_error(path, &err, arg_span));
                    // nginx stops reading a glob's files at the first failure.
                    break;
                }
            };
            self.included_files += 1;
            let name = crate::source::display_name(&path);
            let file = self.sources.add(path, name, text, Some(arg_span));
            self.reading.push(canonical);
            self.include_spans.push(arg_span);
            children.extend(self.parse_file(file, Some(id), body, depth));
            self.reading.pop();
            self.include_spans.pop();
        }
        if let Some(d) = self.directive_mut(id) {
            d.set_children(children.into_boxed_slice(), None);
        }
    }

    /// The files an include names, in nginx's order, read through the include roots; a
    /// glob without matches is fine, a missing plain file is reported when it is opened.
    /// A glob whose directory does not exist here is noted: on the machine the
    /// configuration is for, it may well name files.
    fn resolve_include(&mut self, pattern: &str, span: Span) -> Vec<PathBuf> {
        let (full, targets) = include_targets(&self.conf_prefix, self.include_roots, pattern);
        match targets {
            Ok(found) if found.is_empty() => {
                if let Some(dir) = missing_glob_dir(&full) {
                    self.tree.load_errors.push(LoadError {
                        kind: LoadErrorKind::NoDirectory { pattern: full, dir },
                        span,
                    });
                }
                found
            }
            Ok(found) => found,
            Err(err) => {
                self.tree.load_errors.push(LoadError {
                    kind: LoadErrorKind::Open {
                        path: full,
                        errno: 0,
                        reason: format!("invalid pattern: {err}"),
                    },
                    span,
                });
                Vec::new()
            }
        }
    }
}

/// The state of [`Loader::parse_text`] that steps change: open blocks and their children.
struct Build {
    stack: Vec<Frame>,
    /// The children of every open block, innermost last: one vector for the file (a
    /// vector per block was grown, then shrunk to size, for each block).
    kids: Vec<NodeId>,
    /// Blocks open around the file (its includes').
    depth: usize,
    /// The end of the file, where nginx reports what the end interrupted.
    eof: Span,
}

/// What a [`Reader`] read up to the token that ended it, and the first token read for
/// it: nginx checks its limits there.
struct Step {
    first: Span,
    kind: StepKind,
}

enum StepKind {
    Comment(Comment),
    /// A directive ended by `;`, or by `{`: `opens` is then its block's body mode (a
    /// Lua block was read whole and opens none).
    Directive {
        directive: Directive,
        opens: Option<BodyMode>,
        /// A `{` in a data body, which its module refuses.
        raw_brace: bool,
        /// A Lua block the file ended in.
        lua_unclosed: bool,
    },
    /// A `;` with no directive before it.
    StraySemicolon(Span),
    /// A `{` with no directive before it.
    StrayOpen(Span),
    /// A `}`; `dropped` when it cut a directive short.
    Close {
        span: Span,
        dropped: bool,
    },
    /// The end of the file; `pending` when it cut a directive short.
    Eof {
        pending: bool,
    },
}

/// Reads a file's tokens into [`Step`]s: directives and comments made, blocks opened
/// and closed, with no knowledge of the tree. A block's body mode comes from its
/// directive's name (or its data-body parent), so the reader needs only the modes of
/// the blocks it saw open; those around where it started are taken to hold directives
/// (checked before a read-ahead's steps are used).
struct Reader<'t> {
    lexer: Lexer<'t>,
    body_mode: fn(&str) -> BodyMode,
    /// Body modes of the open blocks, innermost last; the first, where reading started,
    /// is never closed (a `}` too many is the tree's to report).
    modes: Vec<BodyMode>,
    /// The words of the directive being read: one vector for every statement of a file
    /// (a fresh one each was grown for each statement: 6% of parsing).
    words: Vec<Word>,
    /// The first token read since the last step.
    first: Option<Span>,
}

/// Where a [`Reader`] stands against the start of a read-ahead.
enum Meets {
    /// Before it, or inside a directive that goes on past it.
    NotYet,
    /// Between statements, with nothing but whitespace before it, in blocks of
    /// directives only: the read-ahead's steps are what this reader would read next.
    Here,
    /// Past it without meeting it: the read-ahead cannot be used.
    Passed,
}

impl<'t> Reader<'t> {
    fn new(
        text: &'t [u8],
        file: FileId,
        body: BodyMode,
        body_mode: fn(&str) -> BodyMode,
        start: usize,
    ) -> Self {
        Reader {
            lexer: Lexer::starting_at(text, file, start),
            body_mode,
            modes: vec![body],
            words: Vec::new(),
            first: None,
        }
    }

    fn meets(&self, start: usize) -> Meets {
        let pos = self.lexer.pos();
        if pos > start {
            return Meets::Passed;
        }
        let between_statements = self.words.is_empty()
            && self.lexer.src()[pos..start].iter().all(|&b| is_space(b))
            && self.modes.iter().all(|m| *m == BodyMode::Directives);
        if between_statements {
            Meets::Here
        } else {
            Meets::NotYet
        }
    }

    fn step(&mut self, first: Span, kind: StepKind) -> Step {
        self.first = None;
        Step { first, kind }
    }

    /// Reads up to the next token that ends a step (the end of the file again and again
    /// once there).
    fn next(&mut self) -> Step {
        loop {
            let token = self.lexer.next_token();
            let first = *self.first.get_or_insert(token.span);
            let frame_body = self.modes.last().copied().unwrap_or(BodyMode::Directives);
            match token.kind {
                TokenKind::Word => self.words.push(Word {
                    value: token.value,
                    span: token.span,
                    quoted: token.quoted,
                }),
                TokenKind::Comment => {
                    let comment = Comment {
                        text: token.value,
                        span: token.span,
                    };
                    return self.step(first, StepKind::Comment(comment));
                }
                TokenKind::Semicolon => {
                    if self.words.is_empty() {
                        return self.step(first, StepKind::StraySemicolon(token.span));
                    }
                    let directive = self.directive(token.span, None);
                    let kind = StepKind::Directive {
                        directive,
                        opens: None,
                        raw_brace: false,
                        lua_unclosed: false,
                    };
                    return self.step(first, kind);
                }
                TokenKind::OpenBrace => {
                    if self.words.is_empty() {
                        self.modes.push(frame_body);
                        return self.step(first, StepKind::StrayOpen(token.span));
                    }
                    let raw_brace = matches!(frame_body, BodyMode::Raw { .. });
                    let mode = match frame_body {
                        BodyMode::Raw { .. } => frame_body,
                        _ => (self.body_mode)(&self.words[0].value),
                    };
                    let (body, close, opens) = if mode == BodyMode::Lua {
                        let (code, close) = self.lexer.lua_block();
                        (BodyKind::Lua(code), close, None)
                    } else {
                        self.modes.push(mode);
                        let body = match mode {
                            BodyMode::Raw { .. } => BodyKind::Raw,
                            _ => BodyKind::Directives,
                        };
                        (body, None, Some(mode))
                    };
                    let lua_unclosed = matches!(body, BodyKind::Lua(_)) && close.is_none();
                    let block = Block {
                        open: token.span,
                        close,
                        body,
                    };
                    let directive = self.directive(token.span, Some(block));
                    let kind = StepKind::Directive {
                        directive,
                        opens,
                        raw_brace,
                        lua_unclosed,
                    };
                    return self.step(first, kind);
                }
                TokenKind::CloseBrace => {
                    let dropped = !self.words.is_empty();
                    self.words.clear();
                    if self.modes.len() > 1 {
                        self.modes.pop();
                    }
                    return self.step(
                        first,
                        StepKind::Close {
                            span: token.span,
                            dropped,
                        },
                    );
                }
                TokenKind::Eof => {
                    let pending = !self.words.is_empty();
                    self.words.clear();
                    return self.step(first, StepKind::Eof { pending });
                }
            }
        }
    }

    /// A directive of the words read, which it leaves empty for the next.
    fn directive(&mut self, end: Span, block: Option<Block>) -> Directive {
        let mut words = self.words.drain(..);
        let name = words.next().unwrap_or_else(|| Word {
            value: "".into(),
            span: end,
            quoted: false,
        });
        // Exactly as long as it needs: the drain says how many are left.
        let args: Box<[Word]> = words.collect();
        Directive::new(name, args, end, block)
    }
}

/// Files from this size are read by two threads: a second one reads the second part
/// ahead into steps while the first reads the first part and builds the tree, then
/// puts the steps read ahead into it.
pub const READ_AHEAD_BYTES: usize = 256 << 10;

/// How far past the middle a line that ends a statement is looked for.
const READ_AHEAD_SEARCH: usize = 64 << 10;

/// Where a read-ahead of a file of `text` starts: the first line two thirds in that
/// follows one ending a statement or block (`None` for a small file, or a process with
/// one core). Two thirds, not half: the first thread also puts the steps read ahead into
/// the tree (1.3 ms of 70,000 lines), and the second first faults in the node arena
/// (2-3 ms); split in half the first waited 2 ms for the second, at six tenths still 1.6
/// ms. Only a guess: the first thread checks, as it reaches the place, that its reading
/// would go on exactly there, and reads on itself otherwise.
pub fn read_ahead_start(text: &[u8]) -> Option<usize> {
    if text.len() < READ_AHEAD_BYTES || !crate::cores::another_core() {
        return None;
    }
    let from = text.len() / 3 * 2;
    let window = &text[from..(from + READ_AHEAD_SEARCH).min(text.len())];
    memchr::memchr_iter(b'\n', window)
        .map(|at| from + at)
        .find(|&newline| {
            // The line's last byte that is not blank (a blank line has none).
            text[..newline]
                .iter()
                .rev()
                .find(|&&b| !matches!(b, b' ' | b'\t' | b'\r'))
                .is_some_and(|&b| matches!(b, b';' | b'{' | b'}'))
        })
        .map(|newline| newline + 1)
}

/// Steps a read-ahead keeps before it gives up (the tree takes no more nodes than
/// that): what it holds stays bounded as the tree is.
const MAX_AHEAD_STEPS: usize = MAX_NODES;

/// What a read-ahead gives: its steps up to the end of the file and its lexer's errors.
type AheadSteps = (Vec<Step>, Vec<SyntaxError>);

/// A second thread reading a file's steps from `start` on.
struct Ahead {
    start: usize,
    thread: Option<std::thread::JoinHandle<Option<AheadSteps>>>,
    /// Set when its steps are not wanted: it stops reading.
    stop: Arc<AtomicBool>,
}

impl Ahead {
    /// A read-ahead of `text` from `start`, which first faults in the pages of `nodes`
    /// (the node arena the first thread is about to fill).
    fn start(
        text: &Arc<[u8]>,
        file: FileId,
        start: usize,
        body_mode: fn(&str) -> BodyMode,
        nodes: Spare,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (text, stop) = (Arc::clone(text), Arc::clone(&stop));
            crate::cores::spawn_beside(move || {
                crate::cores::populate(nodes);
                read_ahead(&text, file, start, body_mode, &stop)
            })
        };
        Ahead {
            start,
            thread: Some(thread),
            stop,
        }
    }

    /// Its steps, once it has read to the end of the file (`None` if it gave up).
    fn join(mut self) -> Option<AheadSteps> {
        self.thread.take()?.join().ok().flatten()
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The steps of `text` from `start` to its end, read as if in blocks of directives.
fn read_ahead(
    text: &[u8],
    file: FileId,
    start: usize,
    body_mode: fn(&str) -> BodyMode,
    stop: &AtomicBool,
) -> Option<AheadSteps> {
    let mut reader = Reader::new(text, file, BodyMode::Directives, body_mode, start);
    // A step per `;`, `{`, `}` or `#` at most, plus the end: made room for once.
    let part = &text[start..];
    let estimate: usize = [b';', b'{', b'}', b'#']
        .iter()
        .map(|&b| count_byte(part, b))
        .sum();
    let mut steps = Vec::with_capacity(estimate.min(MAX_AHEAD_STEPS) + 1);
    crate::cores::populate(Spare::of(steps.spare_capacity_mut()));
    loop {
        if steps.len() >= MAX_AHEAD_STEPS
            || (steps.len() % 1024 == 0 && stop.load(Ordering::Relaxed))
        {
            return None;
        }
        let step = reader.next();
        let end = matches!(step.kind, StepKind::Eof { .. });
        steps.push(step);
        if end {
            return Some((steps, reader.lexer.errors));
        }
    }
}

/// The files an `include` of `pattern` names, relative paths resolving against the main
/// configuration's directory `prefix`, read through the include roots: the full pattern,
/// and the path itself or a glob's matches in nginx's order (an invalid glob: why).
pub(crate) fn include_targets(
    prefix: &Path,
    roots: &[IncludeRoot],
    pattern: &str,
) -> (PathBuf, Result<Vec<PathBuf>, String>) {
    let full = prefix.join(pattern);
    let full = map_include(roots, &full).unwrap_or(full);
    if !pattern.contains(['*', '?', '[']) {
        return (full.clone(), Ok(vec![full]));
    }
    let found = crate::pathglob::glob_paths(&full);
    (full, found)
}

/// The directory before a glob's first wildcard, when it does not exist.
fn missing_glob_dir(pattern: &Path) -> Option<PathBuf> {
    let dir: PathBuf = pattern
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    (!dir.as_os_str().is_empty() && !dir.is_dir()).then_some(dir)
}

/// Why a file looks like binary data rather than a text configuration
/// ([`crate::source::binary_evidence`]), as nginx's syntax error.
fn binary_evidence(text: &[u8]) -> Option<SyntaxErrorKind> {
    Some(match crate::source::binary_evidence(text)? {
        crate::source::BinaryEvidence::Utf16 { bom } => SyntaxErrorKind::Utf16 { bom },
        crate::source::BinaryEvidence::Control { byte, offset } => {
            SyntaxErrorKind::Binary { byte, offset }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_byte_counts_across_chunks() {
        let text: Vec<u8> = (0..10_000u32)
            .map(|i| if i % 3 == 0 { b';' } else { b'a' })
            .collect();
        assert_eq!(count_byte(&text, b';'), 3334);
        assert_eq!(count_byte(&[b';'; 255], b';'), 255);
        assert_eq!(count_byte(&[b';'; 256], b';'), 256);
        assert_eq!(count_byte(&[], b';'), 0);
    }
}
