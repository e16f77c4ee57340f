//! The syntax tree of an nginx configuration, with includes expanded in place.
//!
//! Nodes live in one arena ([`Tree`]) in the order nginx reads them (an included file's
//! nodes right after its `include` directive). Every node carries spans; comments are
//! nodes too, so suppression comments can be found next to what they suppress.

use std::path::PathBuf;

use crate::source::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// One token of a directive: its unescaped value and raw extent.
#[derive(Debug, Clone)]
pub struct Word {
    pub value: Box<str>,
    pub span: Span,
    pub quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// Directives, looked up in the directive table.
    Directives,
    /// Data lines read by the block's own handler (types, map, geo, ...).
    Raw,
    /// Lua source of a `*_by_lua_block`.
    Lua(Span),
}

#[derive(Debug, Clone)]
pub struct Block {
    pub open: Span,
    /// `None` when the file ended before the block was closed.
    pub close: Option<Span>,
    pub body: BodyKind,
}

/// A directive. The arena holds one per node, so it is kept small (64 bytes): what only
/// blocks and includes have is boxed, and the terminator is an offset. At 96 bytes the
/// nodes of 70,000 lines were 5.3 MB of fresh memory, faulted in by the second core
/// while the read-ahead waited for it.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: Word,
    /// Boxed slices here and below: a vector's spare capacity field, times every node.
    pub args: Box<[Word]>,
    /// Offset of the `;` or `{` that ended the directive, in the name's file (a file
    /// ending inside a directive makes no directive).
    end: u32,
    /// The block and the nodes in it; for `include`, the top-level nodes of the
    /// included files. `None` for the other directives, and an `include` before its
    /// files are read.
    body: Option<Box<Body>>,
}

/// What a block directive or `include` holds besides its words.
#[derive(Debug, Clone)]
struct Body {
    block: Option<Block>,
    children: Box<[NodeId]>,
}

impl Directive {
    /// A directive ended by the one-byte `;` or `{` at `end` (in the name's file).
    pub fn new(name: Word, args: Box<[Word]>, end: Span, block: Option<Block>) -> Self {
        Directive {
            name,
            args,
            end: end.start,
            body: block.map(|block| {
                Box::new(Body {
                    block: Some(block),
                    children: Box::default(),
                })
            }),
        }
    }

    /// The block, for a block directive.
    pub fn block(&self) -> Option<&Block> {
        self.body.as_ref()?.block.as_ref()
    }

    /// The nodes of the block; for `include`, the top-level nodes of the included files.
    pub fn children(&self) -> &[NodeId] {
        self.body.as_ref().map_or(&[], |b| &b.children)
    }

    /// Hangs the nodes read under the directive (its block's, or an include's files'),
    /// with the `}` that closed its block (`None` when the file ended first).
    pub fn set_children(&mut self, children: Box<[NodeId]>, close: Option<Span>) {
        match &mut self.body {
            Some(body) => {
                body.children = children;
                if let Some(block) = &mut body.block {
                    block.close = close;
                }
            }
            None => {
                self.body = Some(Box::new(Body {
                    block: None,
                    children,
                }))
            }
        }
    }

    /// Span from the name to the terminator.
    pub fn span(&self) -> Span {
        self.name.span.to(self.nginx_span())
    }

    /// The `;` or `{` that ended the directive: where nginx reports problems with it.
    pub fn nginx_span(&self) -> Span {
        Span {
            file: self.name.span.file,
            start: self.end,
            end: self.end + 1,
        }
    }

    /// Where nginx reports what it checks once a block is read: the line of its `}`
    /// (of the `{` when the block is not closed).
    pub fn block_end_span(&self) -> Span {
        self.block()
            .and_then(|b| b.close)
            .unwrap_or(self.nginx_span())
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|w| &*w.value)
    }
}

#[derive(Debug, Clone)]
pub struct Comment {
    /// Text after the `#`.
    pub text: Box<str>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Item {
    Directive(Directive),
    Comment(Comment),
}

#[derive(Debug, Clone)]
pub struct Node {
    /// The enclosing block directive or `include` directive; `None` at a file root.
    pub parent: Option<NodeId>,
    pub item: Item,
}

/// A configuration file given on the command line (or found in a directory), with the
/// nodes of its top level.
#[derive(Debug, Clone)]
pub struct Root {
    pub file: FileId,
    pub children: Vec<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// A byte other than whitespace, `;`, `{` or `)` right after a closing quote.
    UnexpectedChar {
        ch: String,
    },
    UnexpectedSemicolon,
    UnexpectedOpenBrace,
    UnexpectedCloseBrace,
    /// End of file inside a directive.
    UnexpectedEof,
    /// End of file inside a block.
    UnexpectedEofExpectingBrace,
    TooLongParameter {
        prefix: String,
    },
    TooLongQuoted {
        quote: char,
    },
    /// A non-block directive ended by `{`.
    NotTerminated {
        name: String,
    },
    /// A block directive ended by `;`.
    NoOpeningBrace {
        name: String,
    },
    /// Blocks nested deeper than proxylint follows.
    TooDeep {
        limit: usize,
    },
    /// More directives than proxylint reads.
    TooManyNodes {
        limit: usize,
    },
    /// More syntax errors than proxylint collects (nginx stops at the first).
    TooManyErrors {
        limit: usize,
    },
    /// More included file instances than proxylint reads.
    TooManyFiles {
        limit: usize,
    },
    /// Binary data (a control byte where text has none) that does not parse: reported
    /// once for the file instead of error by error.
    Binary {
        byte: u8,
        offset: usize,
    },
    /// UTF-16 text (an editor's "Unicode" save): every other byte is NUL to nginx.
    Utf16 {
        bom: String,
    },
}

impl SyntaxErrorKind {
    /// The message, in nginx's words where nginx has them.
    pub fn message(&self) -> String {
        match self {
            SyntaxErrorKind::UnexpectedChar { ch } => format!("unexpected \"{ch}\""),
            SyntaxErrorKind::UnexpectedSemicolon => "unexpected \";\"".into(),
            SyntaxErrorKind::UnexpectedOpenBrace => "unexpected \"{\"".into(),
            SyntaxErrorKind::UnexpectedCloseBrace => "unexpected \"}\"".into(),
            SyntaxErrorKind::UnexpectedEof => {
                "unexpected end of file, expecting \";\" or \"}\"".into()
            }
            SyntaxErrorKind::UnexpectedEofExpectingBrace => {
                "unexpected end of file, expecting \"}\"".into()
            }
            SyntaxErrorKind::TooLongParameter { prefix } => {
                format!("too long parameter \"{prefix}...\" started")
            }
            SyntaxErrorKind::TooLongQuoted { quote } => {
                format!("too long parameter, probably missing terminating \"{quote}\" character")
            }
            SyntaxErrorKind::NotTerminated { name } => {
                format!("directive \"{name}\" is not terminated by \";\"")
            }
            SyntaxErrorKind::NoOpeningBrace { name } => {
                format!("directive \"{name}\" has no opening \"{{\"")
            }
            SyntaxErrorKind::TooManyNodes { limit } => {
                format!("more than {limit} directives and comments; proxylint stops reading here")
            }
            SyntaxErrorKind::TooManyErrors { limit } => {
                format!("more than {limit} syntax errors; proxylint stops reading here")
            }
            SyntaxErrorKind::Binary { byte, offset } => format!(
                "binary file, not a text configuration (control byte 0x{byte:02x} at offset {offset}); nginx cannot read it"
            ),
            SyntaxErrorKind::Utf16 { bom } => format!(
                "UTF-16 text (byte order mark {bom}); nginx reads a configuration as ASCII or UTF-8 and cannot read it"
            ),
            SyntaxErrorKind::TooManyFiles { limit } => {
                format!(
                    "more than {limit} included files; proxylint stops reading includes here, so the rest of the configuration is not checked"
                )
            }
            SyntaxErrorKind::TooDeep { limit } => {
                format!(
                    "blocks nested deeper than {limit} levels; the content below is not checked"
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
    /// The block left open, for errors at the end of a file.
    pub unclosed: Option<Span>,
}

/// Problems loading included files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// An explicit (non-glob) include that cannot be opened, or a glob that fails.
    Open {
        path: PathBuf,
        errno: i32,
        reason: String,
    },
    /// A file that (indirectly) includes itself; `chain` holds the include directives
    /// from the outermost to the one that closes the cycle.
    Cycle { path: PathBuf, chain: Vec<Span> },
    /// A glob that matches nothing because its directory does not exist here. nginx
    /// accepts it, but on the machine the configuration is for it may name files whose
    /// definitions proxylint cannot see.
    NoDirectory { pattern: PathBuf, dir: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub kind: LoadErrorKind,
    /// The `include` directive (its argument).
    pub span: Span,
}

/// The whole configuration as read: arena of nodes, entry roots and reading problems.
#[derive(Debug, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub roots: Vec<Root>,
    pub syntax_errors: Vec<SyntaxError>,
    pub load_errors: Vec<LoadError>,
    /// Every `load_module` directive, in reading order, noted as it is read: which
    /// modules are loaded decides how every other directive is looked up, and a scan
    /// of the tree for them was half a millisecond on 70,000 lines.
    pub load_modules: Vec<NodeId>,
}

impl Tree {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub fn directive(&self, id: NodeId) -> Option<&Directive> {
        match &self.node(id).item {
            Item::Directive(d) => Some(d),
            Item::Comment(_) => None,
        }
    }

    /// Every directive with its id, in the order nginx reads them.
    pub fn directives(&self) -> impl Iterator<Item = (NodeId, &Directive)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.item {
                Item::Directive(d) => Some((NodeId(i as u32), d)),
                Item::Comment(_) => None,
            })
    }

    pub fn comments(&self) -> impl Iterator<Item = &Comment> {
        self.nodes.iter().filter_map(|n| match &n.item {
            Item::Comment(c) => Some(c),
            Item::Directive(_) => None,
        })
    }

    /// The directives of a block (or root) list as nginx sees them: `include`
    /// directives are replaced by what they include, recursively. The include
    /// directive itself is yielded too, before its content.
    pub fn flatten<'a>(&'a self, ids: &'a [NodeId]) -> Flatten<'a> {
        Flatten {
            tree: self,
            stack: vec![ids.iter()],
        }
    }
}

/// Iterator of [`Tree::flatten`]; explicit stack, so include depth costs no recursion.
pub struct Flatten<'a> {
    tree: &'a Tree,
    stack: Vec<std::slice::Iter<'a, NodeId>>,
}

impl<'a> Iterator for Flatten<'a> {
    type Item = (NodeId, &'a Directive);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            let Some(&id) = top.next() else {
                self.stack.pop();
                continue;
            };
            if let Some(d) = self.tree.directive(id) {
                if &*d.name.value == "include" && d.block().is_none() {
                    self.stack.push(d.children().iter());
                }
                return Some((id, d));
            }
        }
    }
}
