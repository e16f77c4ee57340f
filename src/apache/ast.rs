//! The httpd configuration tree as proxylint reads it: every logical line that is a
//! directive or a section, with its source spans and the place httpd names when it
//! reports it (file and line, a `<Macro>` expansion's name).
//!
//! The tree keeps what httpd splices away, so that rules can point at it: a true
//! conditional section and an `Include` are nodes whose children are what httpd reads
//! in their place ([`Node::is_transparent`]); a false conditional is a node without
//! children; a macro `Use` is a node followed by the macro's lines; `LoadModule`,
//! `Define` and the other directives httpd runs while reading are nodes marked
//! [`NodeKind::ReadTime`]. [`Tree::effective`] walks
//! the tree as httpd's second pass sees it.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use super::grammar::DirectiveDef;
use super::text::{Mapped, words_with_ranges};
use crate::source::{FileId, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// The place httpd names in a message: "Syntax error on line `line` of `file`".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Printed {
    /// The file as httpd spells it (absolute, resolved against ServerRoot), or a macro
    /// expansion's name (`macro 'vhost' (defined on line 3 of "/etc/apache2/m.conf")
    /// used on line 9 of "/etc/apache2/sites.conf"`).
    pub file: Arc<str>,
    pub line: u32,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A directive httpd runs in its second pass.
    Directive,
    /// A section (`<VirtualHost>`, `<Location>`, an unknown `<Foo>`); `close` is its
    /// closing tag, `None` when it is never closed.
    Section { close: Option<Span> },
    /// A conditional section evaluated while reading (`<IfModule>`, `<IfDefine>`,
    /// `<IfVersion>`, `<IfFile>`, `<IfDirective>`, `<IfSection>`); a false one has no
    /// children (httpd skips its body unread).
    Conditional { taken: bool, close: Option<Span> },
    /// `Include` / `IncludeOptional`: the children are the files' nodes, in order.
    Include { files: Vec<FileId> },
    /// A `<Macro>` definition (its body is read only where `Use` expands it).
    MacroDef { close: Option<Span> },
    /// `Use`: httpd reads the macro's lines next, as if they followed it in the file;
    /// their nodes sit where those lines land and name the macro in `printed`.
    MacroUse,
    /// Another directive httpd runs while reading (`LoadModule`, `Define`, `UnDefine`,
    /// `ServerRoot`, `UndefMacro`...): not run again in the second pass.
    ReadTime,
}

/// One directive or section line.
#[derive(Debug, Clone)]
pub struct Node {
    /// The name httpd stores: the command table's spelling when the name is known
    /// while reading (`<VirtualHost`, `ServerName`), else as written; a section's
    /// name starts with `<` and has no `>`. (Borrowed from the table when known: an
    /// allocation per line otherwise.)
    pub name: Cow<'static, str>,
    /// The definition the reader found for the name, with the modules loaded at this
    /// line (`None`: unknown then); see [`super::grammar::lookup_again`].
    pub def: Option<&'static DirectiveDef>,
    pub kind: NodeKind,
    /// The logical line after `${VAR}` expansion, traced to its source.
    pub line: Mapped,
    /// Where the name is in `line.text`.
    pub name_range: Range<usize>,
    /// Where httpd's argument text starts in `line.text`.
    pub args_start: usize,
    /// A section tag with nothing after its name: httpd's arguments are `>`.
    pub args_gt: bool,
    /// The file the line's source bytes are in.
    pub file: FileId,
    /// The place httpd names in its messages about this node.
    pub printed: Printed,
    /// Where httpd reads it: the line itself, or, for a macro's line, the outermost
    /// `Use` that expanded it (for ordering refusals).
    pub read_at: Span,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
}

impl Node {
    /// The arguments as httpd hands them to the directive's handler.
    pub fn args(&self) -> &str {
        if self.args_gt {
            ">"
        } else {
            self.line.text.get(self.args_start..).unwrap_or_default()
        }
    }

    /// The whole logical line in its file.
    pub fn span(&self) -> Span {
        let r = self.line.whole();
        Span::new(self.file, r.start as usize, r.end as usize)
    }

    /// The directive's name as written.
    pub fn name_span(&self) -> Span {
        self.span_of(self.name_range.clone())
    }

    /// The span of a range of `line.text`.
    pub fn span_of(&self, range: Range<usize>) -> Span {
        let r = self.line.source(range);
        Span::new(self.file, r.start as usize, r.end as usize)
    }

    /// The span of the arguments (the name's end when there are none).
    pub fn args_span(&self) -> Span {
        if self.args_gt {
            return self.name_span();
        }
        let end = self.line.text.len();
        self.span_of(self.args_start.min(end)..end)
    }

    /// The arguments split as `ap_getword_conf` splits them, each with its span.
    pub fn words(&self) -> Vec<(Cow<'_, str>, Span)> {
        if self.args_gt {
            return Vec::new();
        }
        let start = self.args_start.min(self.line.text.len());
        words_with_ranges(&self.line.text[start..])
            .into_iter()
            .map(|(w, r)| {
                let span = self.span_of(r.start + start..r.end + start);
                (w, span)
            })
            .collect()
    }

    /// Whether httpd reads the children in this node's place (a true conditional, an
    /// include, a macro use): they belong to the enclosing section.
    pub fn is_transparent(&self) -> bool {
        matches!(
            self.kind,
            NodeKind::Conditional { .. } | NodeKind::Include { .. }
        )
    }

    pub fn is_section(&self) -> bool {
        matches!(self.kind, NodeKind::Section { .. })
    }
}

/// One file given to the loader, with its top-level nodes.
#[derive(Debug, Clone)]
pub struct Root {
    pub file: FileId,
    pub children: Vec<NodeId>,
}

/// All nodes of one load.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub roots: Vec<Root>,
    /// Every comment line, each span starting at its `#` (for suppression comments).
    pub comments: Vec<Span>,
}

impl Tree {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.0 as usize]
    }

    pub(crate) fn push(&mut self, node: Node) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(node);
        id
    }

    /// The nodes httpd's second pass sees among `ids`, in order: transparent nodes
    /// (true conditionals, includes) replaced by their children, read-time directives,
    /// macro definitions and uses left out.
    pub fn effective<'a>(&'a self, ids: &'a [NodeId]) -> Effective<'a> {
        Effective {
            tree: self,
            stack: vec![ids.iter()],
        }
    }
}

/// Iterator of [`Tree::effective`]; an explicit stack, so no nesting depth overflows.
pub struct Effective<'a> {
    tree: &'a Tree,
    stack: Vec<std::slice::Iter<'a, NodeId>>,
}

impl<'a> Iterator for Effective<'a> {
    type Item = (NodeId, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let top = self.stack.last_mut()?;
            let Some(&id) = top.next() else {
                self.stack.pop();
                continue;
            };
            let node = self.tree.node(id);
            if node.is_transparent() {
                self.stack.push(node.children.iter());
                continue;
            }
            if matches!(
                node.kind,
                NodeKind::ReadTime | NodeKind::MacroDef { .. } | NodeKind::MacroUse
            ) {
                continue;
            }
            return Some((id, node));
        }
    }
}
