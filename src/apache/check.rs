//! httpd's second pass (server/config.c `ap_process_config_tree`, `ap_walk_config`):
//! every directive of the tree looked up among the modules the whole configuration
//! loads and run through the grammar's checks (context, arguments, handler) in the
//! sections that enclose it; `<If>`/`<ElseIf>` conditions parsed; `<Else>` placed.
//!
//! Pure over the tree: reads nodes, writes problems. The walk uses an explicit stack,
//! so no nesting depth overflows it.

use super::ast::{Node, NodeId, NodeKind, Tree};
use super::expr;
use super::grammar::context::section_inner;
use super::grammar::{
    self, ContextStack, DirectiveDef, HandlerState, LoadedModules, Lookup, check_args,
    check_context, check_directive, check_section_end, getword_conf,
};
use super::report::{Cap, Kind, Phase, Problem, Refused};
use crate::source::Span;

/// Which kind of problem httpd's `message` about `def` at `ctx` is: where it may
/// appear, how many arguments it takes, a proxy URL or parameter, a section tag.
pub fn classify(def: &DirectiveDef, ctx: &ContextStack, args: &str, message: &str) -> Kind {
    if check_context(def, ctx).err().as_deref() == Some(message)
        || message.contains(" cannot occur within ")
        || message.contains(" not allowed in ")
        || message.ends_with(" not allowed here")
        || message.ends_with(" only used in <VirtualHost>")
    {
        return Kind::NotAllowedHere;
    }
    if check_args(def, args).err().as_deref() == Some(message) {
        return Kind::InvalidArguments;
    }
    if def.section
        && [
            "directive missing closing '>'",
            "directive requires additional arguments",
            "does not take an argument",
            "doesn't take additional arguments",
            "arguments not (yet) supported.",
            "arguments not supported.",
        ]
        .iter()
        .any(|m| message.ends_with(m))
    {
        return Kind::SyntaxError;
    }
    if def.module == "mod_proxy"
        && matches!(
            def.name,
            "ProxyPass"
                | "ProxyPassMatch"
                | "BalancerMember"
                | "ProxySet"
                | "<Proxy"
                | "<ProxyMatch"
        )
    {
        return Kind::InvalidProxyUrl;
    }
    Kind::InvalidArguments
}

/// Why `name` is unknown, for the help text.
fn unknown_help(name: &str, lookup: &Lookup, version: grammar::Version) -> Option<String> {
    match lookup {
        Lookup::NotLoaded { def, module } => Some(match module.load_line() {
            Some(line) => format!(
                "{} is defined by {}, which this configuration does not load: add `{line}` (Debian: `a2enmod {}`)",
                def.display_name(),
                module.source_name(),
                module.so.map_or(module.module, |so| so
                    .trim_start_matches("mod_")
                    .trim_end_matches(".so"))
            ),
            None => format!(
                "{} is defined by {}, which this configuration does not load",
                def.display_name(),
                module.source_name()
            ),
        }),
        Lookup::Version { def, since, until } => Some(match (since, until) {
            (Some(s), None) => format!("{} exists in httpd {s} and later", def.display_name()),
            (_, Some(u)) => format!("{} exists up to httpd {u}", def.display_name()),
            (None, None) => return None,
        }),
        Lookup::NotBuilt { def } => Some(format!(
            "{} is defined by {}, which Debian's apache2 does not build",
            def.display_name(),
            def.module
        )),
        Lookup::Unknown => {
            grammar::suggestion(name, version).map(|s| format!("did you mean `{s}`?"))
        }
        Lookup::Found(_) => None,
    }
}

/// A section being walked.
struct Frame<'t> {
    /// The section (`None` for the top level of a root).
    node: Option<(NodeId, &'static DirectiveDef)>,
    children: super::ast::Effective<'t>,
    /// The last `<If>`-type section in this scope was `<If>` or `<ElseIf>`
    /// (`ap_add_if_conf`'s test for `<ElseIf>` and `<Else>`).
    if_open: bool,
}

/// The second pass over the roots of a tree.
pub struct Walker<'t> {
    tree: &'t Tree,
    modules: &'t LoadedModules,
    state: HandlerState,
    pub problems: Vec<Problem>,
    /// What of `problems` is built in full (the rest is counted).
    cap: Cap,
    seq: u64,
}

impl<'t> Walker<'t> {
    /// `seq` continues the first pass's reading order.
    pub fn new(tree: &'t Tree, modules: &'t LoadedModules, seq: u64) -> Self {
        Walker {
            tree,
            modules,
            state: HandlerState::new(modules),
            problems: Vec::new(),
            cap: Cap::default(),
            seq,
        }
    }

    /// What the handlers remember once the walk is over (proxy workers...).
    pub fn into_state(self) -> (HandlerState, Vec<Problem>, u64) {
        (self.state, self.problems, self.seq)
    }

    fn refuse(
        &mut self,
        kind: Kind,
        message: String,
        span: Span,
        node: &Node,
        when: Span,
    ) -> Option<&mut Problem> {
        self.seq += 1;
        if !self.cap.admit(&mut self.problems, (kind, span.file)) {
            return None;
        }
        self.problems.push(Problem {
            kind,
            message,
            span,
            refused: Some(Refused {
                phase: Phase::Walk,
                when,
                seq: self.seq,
                printed: Some(node.printed.clone()),
                printed_span: Some(node.span()),
            }),
            help: None,
            related: Vec::new(),
            folded: 0,
        });
        self.problems.last_mut()
    }

    /// The span a problem of `kind` about `node` points at.
    fn at_fault(node: &Node, kind: Kind) -> Span {
        match kind {
            Kind::UnknownDirective | Kind::NotAllowedHere => node.name_span(),
            _ => {
                let args = node.args_span();
                if args.start < args.end {
                    args
                } else {
                    node.name_span()
                }
            }
        }
    }

    /// Walks `roots` (top-level nodes) in `ctx` (the top level of the main
    /// configuration, or the context a snippet is checked in).
    pub fn walk(&mut self, roots: &'t [NodeId], ctx: &mut ContextStack) {
        let tree = self.tree;
        let mut stack = vec![Frame {
            node: None,
            children: tree.effective(roots),
            if_open: false,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some((id, node)) = frame.children.next() else {
                let done = stack.pop();
                if let Some(Frame {
                    node: Some((id, def)),
                    ..
                }) = done
                {
                    ctx.pop();
                    let if_open = stack.last().is_some_and(|f| f.if_open);
                    let placed = self.end_section(id, def, ctx, if_open);
                    if let (Some(parent), Some(open)) = (stack.last_mut(), placed) {
                        parent.if_open = open;
                    }
                }
                continue;
            };
            let lookup = grammar::lookup_again(node.def, &node.name, self.modules);
            let def = match lookup {
                Lookup::Found(def) => def,
                other => {
                    let version = self.modules.version();
                    // The did-you-mean is worked out only for a problem that is kept.
                    if let Some(p) = self.refuse(
                        Kind::UnknownDirective,
                        grammar::invalid_command(&node.name),
                        node.name_span(),
                        node,
                        node.read_at,
                    ) {
                        p.help = unknown_help(&node.name, &other, version);
                    }
                    continue;
                }
            };
            // Run while reading (a `Use` or `<Macro>` met before mod_macro was
            // loaded): httpd's second pass skips it, body and all.
            if def.exec_on_read {
                continue;
            }
            let args = node.args();
            if let Err(message) = check_directive(def, ctx, args, &mut self.state) {
                let kind = classify(def, ctx, args, &message);
                self.refuse(
                    kind,
                    message,
                    Self::at_fault(node, kind),
                    node,
                    node.read_at,
                );
                if !def.section {
                    continue;
                }
            } else if matches!(def.name, "<If" | "<ElseIf") {
                let mut rest = section_inner(args);
                let condition = getword_conf(&mut rest);
                if let Err(message) = expr::check(&condition, self.modules) {
                    self.refuse(
                        Kind::SyntaxError,
                        format!("Cannot parse condition clause: {message}"),
                        node.args_span(),
                        node,
                        node.read_at,
                    );
                }
            }
            if def.section {
                ctx.push(&node.name, args);
                stack.push(Frame {
                    node: Some((id, def)),
                    children: tree.effective(&node.children),
                    if_open: false,
                });
            }
        }
    }

    /// What a section's handler does after its body: `ap_add_if_conf` for the `<If>`
    /// family (returns whether the scope's last one is now an `<If>` or `<ElseIf>`),
    /// then the grammar's end checks.
    fn end_section(
        &mut self,
        id: NodeId,
        def: &'static DirectiveDef,
        ctx: &ContextStack,
        if_open: bool,
    ) -> Option<bool> {
        let node = self.tree.node(id);
        let when = match node.kind {
            NodeKind::Section { close: Some(close) } if node.read_at == node.span() => close,
            _ => node.read_at,
        };
        let placed = match def.name {
            "<If" => Some(true),
            "<ElseIf" | "<Else" if !if_open => {
                self.refuse(
                    Kind::SyntaxError,
                    "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope"
                        .to_string(),
                    node.name_span(),
                    node,
                    when,
                );
                return None;
            }
            "<ElseIf" => Some(true),
            "<Else" => Some(false),
            _ => None,
        };
        let args = node.args();
        if let Err(message) = check_section_end(def, ctx, args, &mut self.state) {
            let kind = classify(def, ctx, args, &message);
            self.refuse(kind, message, Self::at_fault(node, kind), node, when);
        }
        placed
    }
}
