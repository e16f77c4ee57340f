//! Statement parser and include loader: turns the lexer's tokens into the [`Tree`],
//! reading included files in place, the way `ngx_conf_parse` and `ngx_conf_include` do.
//!
//! Parsing never stops at an error: each problem becomes a [`SyntaxError`] (reported
//! where nginx reports it) or a [`LoadError`], and reading goes on. Block nesting uses an
//! explicit stack, and depth is capped, so no input can overflow the call stack.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::ast::{
    Block, BodyKind, Comment, Directive, Item, LoadError, LoadErrorKind, Node, NodeId, Root,
    SyntaxError, SyntaxErrorKind, Tree, Word,
};
use super::lexer::{Lexer, TokenKind};
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
    body_mode: &'a dyn Fn(&str) -> BodyMode,
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
        body_mode: &'a dyn Fn(&str) -> BodyMode,
    ) -> Self {
        Loader {
            sources,
            tree,
            conf_prefix,
            include_roots,
            body_mode,
            reading: Vec::new(),
            include_spans: Vec::new(),
            included_files: 0,
            reported_too_deep: false,
            reported_too_many: false,
            reported_too_many_files: false,
        }
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
        crate::cores::prefault(self.tree.nodes.spare_capacity_mut());
        let mut lexer = Lexer::new(&text, file);
        let mut stack: Vec<Frame> = vec![Frame {
            node: parent,
            body,
            first_child: 0,
            skip: false,
        }];
        // The children of every open block, innermost last: one vector for the file (a
        // vector per block was grown, then shrunk to size, for each block).
        let mut kids: Vec<NodeId> = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        loop {
            let token = lexer.next_token();
            if self.exhausted(token.span) {
                break;
            }
            let Some(frame) = stack.last() else { break };
            let (skip, frame_body, frame_node) = (frame.skip, frame.body, frame.node);
            match token.kind {
                TokenKind::Word => words.push(Word {
                    value: token.value,
                    span: token.span,
                    quoted: token.quoted,
                }),
                TokenKind::Comment => {
                    if !skip {
                        let id = self.push_node(
                            frame_node,
                            Item::Comment(Comment {
                                text: token.value,
                                span: token.span,
                            }),
                        );
                        kids.push(id);
                    }
                }
                TokenKind::Semicolon => {
                    if words.is_empty() {
                        self.syntax_error(SyntaxErrorKind::UnexpectedSemicolon, token.span);
                        continue;
                    }
                    if skip {
                        words.clear();
                        continue;
                    }
                    let id = self.finish_statement(&mut words, Some(token.span), None, frame_node);
                    kids.push(id);
                    self.expand_include(id, frame_body, depth + stack.len());
                }
                TokenKind::OpenBrace => {
                    if words.is_empty() {
                        self.syntax_error(SyntaxErrorKind::UnexpectedOpenBrace, token.span);
                        stack.push(Frame {
                            node: None,
                            body: frame_body,
                            first_child: kids.len(),
                            skip: true,
                        });
                        continue;
                    }
                    if matches!(frame_body, BodyMode::Raw { .. }) {
                        // A module's data handler refuses blocks: `map ... { x { } }`.
                        self.syntax_error(SyntaxErrorKind::UnexpectedOpenBrace, token.span);
                    }
                    let mode = match frame_body {
                        BodyMode::Raw { .. } => frame_body,
                        _ => (self.body_mode)(&words[0].value),
                    };
                    if mode == BodyMode::Lua {
                        let (code, close) = lexer.lua_block();
                        if close.is_none() {
                            self.syntax_error(
                                SyntaxErrorKind::UnexpectedEofExpectingBrace,
                                Span::new(file, text.len(), text.len()),
                            );
                        }
                        if skip {
                            words.clear();
                            continue;
                        }
                        let block = Block {
                            open: token.span,
                            close,
                            body: BodyKind::Lua(code),
                        };
                        let id = self.finish_statement(
                            &mut words,
                            Some(token.span),
                            Some(block),
                            frame_node,
                        );
                        kids.push(id);
                        continue;
                    }
                    let too_deep = !skip && depth + stack.len() >= MAX_DEPTH;
                    if too_deep && !self.reported_too_deep {
                        self.reported_too_deep = true;
                        self.syntax_error(
                            SyntaxErrorKind::TooDeep { limit: MAX_DEPTH },
                            token.span,
                        );
                    }
                    let node = if skip || too_deep {
                        words.clear();
                        None
                    } else {
                        let block = Block {
                            open: token.span,
                            close: None,
                            body: match mode {
                                BodyMode::Raw { .. } => BodyKind::Raw,
                                _ => BodyKind::Directives,
                            },
                        };
                        let id = self.finish_statement(
                            &mut words,
                            Some(token.span),
                            Some(block),
                            frame_node,
                        );
                        kids.push(id);
                        Some(id)
                    };
                    stack.push(Frame {
                        node,
                        body: mode,
                        first_child: kids.len(),
                        skip: skip || too_deep,
                    });
                }
                TokenKind::CloseBrace => {
                    // nginx refuses a `}` while a directive is open, and one that closes
                    // nothing in this file: one error either way.
                    if !words.is_empty() || stack.len() == 1 {
                        self.syntax_error(SyntaxErrorKind::UnexpectedCloseBrace, token.span);
                        words.clear();
                    }
                    if stack.len() == 1 {
                        continue;
                    }
                    if let Some(done) = stack.pop() {
                        self.close_block(done, &mut kids, Some(token.span));
                    }
                }
                TokenKind::Eof => {
                    let eof = token.span;
                    if !words.is_empty() {
                        self.syntax_error(SyntaxErrorKind::UnexpectedEof, eof);
                    } else if stack.len() > 1 {
                        let unclosed = stack
                            .iter()
                            .rev()
                            .find_map(|f| f.node)
                            .and_then(|id| self.tree.directive(id))
                            .and_then(|d| d.block.as_ref())
                            .map(|b| b.open);
                        self.tree.syntax_errors.push(SyntaxError {
                            kind: SyntaxErrorKind::UnexpectedEofExpectingBrace,
                            span: eof,
                            unclosed,
                        });
                    }
                    while stack.len() > 1 {
                        if let Some(done) = stack.pop() {
                            self.close_block(done, &mut kids, None);
                        }
                    }
                    break;
                }
            }
        }
        // Blocks still open when reading stopped early keep what was read.
        while stack.len() > 1 {
            if let Some(done) = stack.pop() {
                self.close_block(done, &mut kids, None);
            }
        }
        self.tree.syntax_errors.append(&mut lexer.errors);
        stack
            .pop()
            .map(|f| kids.drain(f.first_child..).collect())
            .unwrap_or_default()
    }

    /// Makes a directive node of `words` (the name and arguments of one statement),
    /// leaving the vector empty for the next: one vector for every statement of a file
    /// (a fresh one each was grown for each statement: 6% of parsing).
    fn finish_statement(
        &mut self,
        words: &mut Vec<Word>,
        end: Option<Span>,
        block: Option<Block>,
        parent: Option<NodeId>,
    ) -> NodeId {
        let block = block.map(Box::new);
        let mut words = words.drain(..);
        let name = words.next().unwrap_or_else(|| Word {
            value: "".into(),
            span: end.unwrap_or(Span::new(FileId(0), 0, 0)),
            quoted: false,
        });
        // Exactly as long as it needs: the drain says how many are left.
        let args: Box<[Word]> = words.collect();
        if &*name.value == "load_module" {
            self.tree
                .load_modules
                .push(NodeId(self.tree.nodes.len() as u32));
        }
        self.push_node(
            parent,
            Item::Directive(Directive {
                name,
                args,
                end,
                block,
                children: Box::default(),
            }),
        )
    }

    /// Ends the block of `frame`, whose children are the end of `kids`.
    fn close_block(&mut self, frame: Frame, kids: &mut Vec<NodeId>, close: Option<Span>) {
        let children: Box<[NodeId]> = kids.drain(frame.first_child..).collect();
        let Some(id) = frame.node else { return };
        if let Some(d) = self.directive_mut(id) {
            d.children = children;
            if let Some(block) = &mut d.block {
                block.close = close;
            }
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
            d.children = children.into_boxed_slice();
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
