//! The semantic model the rules read: the tree plus, for every directive, the context
//! it is in and the directive-table entry nginx would use for it.
//!
//! Built in one forward pass over the arena (parents come before children). Pure data:
//! no I/O happens here.

pub mod index;
mod sets;
pub mod unseen;
pub mod upstreams;

use foldhash::{HashMap, HashMapExt, HashSet};

use crate::cores::Spare;
use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::ast::{Directive, Item, NodeId, Tree};
use crate::nginx::grammar::{
    Availability, DirectiveDef, Lookup, NameId, UNKNOWN_CONTEXT, Unavailable, grammar,
};
use crate::nginx::report::{NginxReport, RefusedByNginx};
use crate::source::{SourceMap, Span};

/// What nginx makes of a directive occurrence.
#[derive(Debug, Clone)]
pub enum Resolution {
    Def(&'static DirectiveDef),
    // The rare cases are boxed behind thin pointers: a model holds one resolution per
    // node (72 bytes a node unboxed, 24 behind a boxed slice, 16 behind a boxed vector).
    NotAllowed(Box<Vec<&'static DirectiveDef>>),
    Unavailable(Box<Unavailable>),
    Unknown,
    /// A data line of a raw block (map entry, MIME type...), not a directive.
    Data,
    /// Inside a block proxylint has no table for: not checked.
    Unchecked,
    Comment,
}

/// What the model knows of a node ([`Config::info`]).
#[derive(Debug, Clone, Copy)]
pub struct NodeInfo<'a> {
    /// The context the node appears in (`http>server`...).
    pub context: &'static str,
    pub resolution: &'a Resolution,
    /// Context of the node's block body.
    pub body_context: &'static str,
}

/// A node's record as the model keeps it: its contexts are numbers in the model's list
/// of the few dozen contexts met (24 bytes a node; with the contexts as `&str`, 48 were
/// 2.6 MB of fresh memory on 70,000 lines).
#[derive(Debug, Clone)]
struct Record {
    resolution: Resolution,
    context: u32,
    body_context: u32,
}

/// The number of context `name` in `contexts`, added when new.
fn context_number(contexts: &mut Vec<&'static str>, name: &'static str) -> u32 {
    let at = match contexts.iter().position(|&c| c == name) {
        Some(at) => at,
        None => {
            contexts.push(name);
            contexts.len() - 1
        }
    };
    at as u32
}

/// Directives outside the common case, each list in reading order.
#[derive(Debug, Default)]
struct Exceptions {
    /// Resolved neither to a definition nor to data: unknown, not allowed where they
    /// are, or from a module that is not available.
    unresolved: Vec<NodeId>,
    /// Data lines of raw blocks (map entries, MIME types...).
    data: Vec<NodeId>,
    /// Resolved to a definition but stopped before its handler (see
    /// [`Config::checked_def`]): terminated wrongly or not at all, or with an argument
    /// count the definition refuses.
    malformed: Vec<NodeId>,
}

/// Whether nginx gets as far as the handler of directive `d` resolved to `def`: ended
/// by `;` or `{` as the definition wants, with an argument count it accepts.
fn well_formed(def: &DirectiveDef, d: &Directive) -> bool {
    def.block == d.block().is_some() && def.arity.accepts(d.args.len())
}

/// Where a directive is set: a block's body or the top level of a root file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Block(NodeId),
    Root(usize),
}

/// A loaded configuration and what nginx makes of it.
pub struct Config {
    pub sources: std::sync::Arc<SourceMap>,
    pub tree: Tree,
    pub avail: Availability,
    /// A record per node (parallel to the arena).
    records: Vec<Record>,
    /// The contexts the records number.
    contexts: Vec<&'static str>,
    /// Scope of every node (parallel to the arena).
    scopes: Vec<Scope>,
    /// Every directive nginx knows where it is, by scope and name and by name, in
    /// reading order: a rule looking for one directive reads its occurrences, not the
    /// whole tree.
    sets: sets::Sets,
    /// The few directives the structural rules report, noted while resolving (in
    /// reading order): a scan of the arena per rule was a fifth of the rules' time.
    exceptions: Exceptions,
    upstream_conflicts: std::sync::OnceLock<Vec<upstreams::Conflict>>,
    index: std::sync::OnceLock<index::Index>,
    /// The `set` and `map` directives defining each variable (by `$name`), built once.
    variable_defs: std::sync::OnceLock<HashMap<String, Vec<NodeId>>>,
    /// The context each root file is checked in.
    root_contexts: Vec<&'static str>,
    /// Includes proxylint could not read, built once.
    unread: std::sync::OnceLock<unseen::UnreadIncludes>,
}

/// Contexts a file linted on its own may belong to, in the order they are tried.
pub const ROOT_CONTEXTS: &[&str] = &[
    "main",
    "http",
    "http>server",
    "http>location",
    "http>upstream",
    "stream",
    "stream>server",
    "stream>upstream",
    "mail",
    "mail>server",
    "events",
];

impl Config {
    /// Builds the model; `root_contexts` gives each root file's context.
    pub fn new(
        sources: std::sync::Arc<SourceMap>,
        tree: Tree,
        avail: Availability,
        root_contexts: Vec<&'static str>,
    ) -> Config {
        let mut records: Vec<Record> = Vec::with_capacity(tree.nodes.len());
        let mut scopes: Vec<Scope> = Vec::with_capacity(tree.nodes.len());
        let mut entries: Vec<sets::Entry> = Vec::with_capacity(tree.nodes.len());
        let mut room = sets::Room::new(tree.nodes.len(), tree.roots.len());
        // Faulted in on another core in the order they are filled: the forward pass
        // fills the first three, the groups the room's.
        let mut spares = vec![
            Spare::of(records.spare_capacity_mut()),
            Spare::of(scopes.spare_capacity_mut()),
            Spare::of(entries.spare_capacity_mut()),
        ];
        spares.extend(room.spares());
        crate::cores::prefault_in_order(spares);
        let g = grammar();
        let mut exceptions = Exceptions::default();
        // What each name resolves to in each context, and the context of its body, once
        // per pair: 70,000 directives are a few dozen pairs, and resolving compares the
        // context with every definition's (a third of this pass). Keyed by the
        // context's number.
        let mut resolved: HashMap<(NameId, u32), &'static DirectiveDef> = HashMap::new();
        let mut bodies: HashMap<(NameId, u32), u32> = HashMap::new();
        let mut contexts = Vec::new();
        let unknown = context_number(&mut contexts, UNKNOWN_CONTEXT);
        let main = context_number(&mut contexts, "main");
        let root_numbers: Vec<u32> = root_contexts
            .iter()
            .map(|&c| context_number(&mut contexts, c))
            .collect();
        let mut root_of_file = HashMap::new();
        for (i, root) in tree.roots.iter().enumerate() {
            root_of_file.insert(root.file, i);
        }
        for (index, node) in tree.nodes.iter().enumerate() {
            let id = NodeId(index as u32);
            let scope = match node.parent {
                // Included nodes belong where the include is.
                Some(p) if tree.directive(p).is_some_and(|d| d.block().is_none()) => {
                    scopes[p.0 as usize]
                }
                Some(p) => Scope::Block(p),
                None => {
                    let file = match &node.item {
                        Item::Directive(d) => d.name.span.file,
                        Item::Comment(c) => c.span.file,
                    };
                    Scope::Root(root_of_file.get(&file).copied().unwrap_or(0))
                }
            };
            scopes.push(scope);
            let (context, in_raw) = match node.parent {
                Some(p) => {
                    let parent = &records[p.0 as usize];
                    let raw = matches!(parent.resolution, Resolution::Data)
                        || tree
                            .directive(p)
                            .and_then(|d| d.block())
                            .is_some_and(|b| b.body == crate::nginx::ast::BodyKind::Raw);
                    (parent.body_context, raw)
                }
                None => {
                    let file = match &node.item {
                        Item::Directive(d) => d.name.span.file,
                        Item::Comment(c) => c.span.file,
                    };
                    let ctx = root_of_file.get(&file).map_or(main, |&i| root_numbers[i]);
                    (ctx, false)
                }
            };
            let entry = match &node.item {
                Item::Comment(_) => Record {
                    context,
                    resolution: Resolution::Comment,
                    body_context: context,
                },
                Item::Directive(d) => {
                    let name = &*d.name.value;
                    // In map/types/geo bodies every line is data, `include` lines too
                    // (their files hold data).
                    let key = g.name_id(name).map(|n| (n, context));
                    let resolution = if in_raw {
                        Resolution::Data
                    } else if context == unknown {
                        Resolution::Unchecked
                    } else if let Some(&def) = key.and_then(|k| resolved.get(&k)) {
                        Resolution::Def(def)
                    } else {
                        match g.lookup(name, contexts[context as usize], &avail) {
                            Lookup::Found(def) => {
                                if let Some(k) = key {
                                    resolved.insert(k, def);
                                }
                                Resolution::Def(def)
                            }
                            Lookup::NotAllowed(defs) => Resolution::NotAllowed(Box::new(defs)),
                            Lookup::Unavailable(why) => Resolution::Unavailable(Box::new(why)),
                            Lookup::Unknown => Resolution::Unknown,
                        }
                    };
                    let body_context = if name == "include" && d.block().is_none() {
                        context
                    } else if d.block().is_some() {
                        match &resolution {
                            Resolution::Def(_) | Resolution::NotAllowed(_) => {
                                match key.and_then(|k| bodies.get(&k)) {
                                    Some(&body) => body,
                                    None => {
                                        let child =
                                            g.child_context(contexts[context as usize], name);
                                        let body = context_number(&mut contexts, child);
                                        if let Some(k) = key {
                                            bodies.insert(k, body);
                                        }
                                        body
                                    }
                                }
                            }
                            _ => unknown,
                        }
                    } else {
                        context
                    };
                    Record {
                        context,
                        resolution,
                        body_context,
                    }
                }
            };
            match (&entry.resolution, &node.item) {
                // Only directives nginx knows here carry values worth looking up.
                (Resolution::Def(def), Item::Directive(d)) => {
                    entries.push(sets::Entry {
                        slot: sets::Sets::slot(tree.nodes.len(), scope),
                        name: def.name_id,
                        id,
                    });
                    if !well_formed(def, d) {
                        exceptions.malformed.push(id);
                    }
                }
                (
                    Resolution::NotAllowed(_) | Resolution::Unavailable(_) | Resolution::Unknown,
                    _,
                ) => exceptions.unresolved.push(id),
                (Resolution::Data, _) => exceptions.data.push(id),
                _ => {}
            }
            records.push(entry);
        }
        let sets = sets::Sets::new(room, g.name_count(), &entries);
        Config {
            sources,
            tree,
            avail,
            records,
            contexts,
            scopes,
            sets,
            exceptions,
            upstream_conflicts: std::sync::OnceLock::new(),
            index: std::sync::OnceLock::new(),
            variable_defs: std::sync::OnceLock::new(),
            root_contexts,
            unread: std::sync::OnceLock::new(),
        }
    }

    /// The context root file `i` is checked in (`main` for a whole configuration).
    pub fn root_context(&self, i: usize) -> &'static str {
        self.root_contexts.get(i).copied().unwrap_or("main")
    }

    /// The `}` of the `http` or `stream` block around a scope, after which nginx runs the
    /// checks that need the whole block (its `{` when the file ends first).
    pub fn top_block_end(&self, scope: Scope) -> Option<Span> {
        let mut current = Some(scope);
        while let Some(Scope::Block(id)) = current {
            if matches!(self.info(id).body_context, "http" | "stream") {
                let d = self.tree.directive(id)?;
                let block = d.block()?;
                return Some(block.close.unwrap_or(block.open));
            }
            current = self.outer(Scope::Block(id));
        }
        None
    }

    /// The literal values a variable (named without `$`) can take when the configuration
    /// defines it only with `map` blocks and `set` directives whose values have no
    /// variables; `None` when it comes from anywhere else (a built-in, a request header...).
    pub fn variable_literals(&self, variable: &str) -> Option<Vec<String>> {
        self.variable_values(variable)
            .map(|values| values.into_iter().map(|(v, _)| v).collect())
    }

    /// [`Config::variable_literals`] with the word that gives each value. A `map` whose
    /// own source has known values gives only the values of the entries those select
    /// (`map $php_version $pool` with `set $php_version 8.2;`): the others can never be
    /// the result.
    pub fn variable_values(&self, variable: &str) -> Option<Vec<(String, Span)>> {
        self.variable_values_within(variable, 0)
    }

    fn variable_values_within(&self, variable: &str, depth: usize) -> Option<Vec<(String, Span)>> {
        // Maps reading maps: a few levels are real; deeper (or a cycle) is unknown.
        const MAX_DEPTH: usize = 4;
        if depth > MAX_DEPTH {
            return None;
        }
        let defs = self.variable_defs.get_or_init(|| {
            let mut defs: HashMap<String, Vec<NodeId>> = HashMap::new();
            for (id, def, d) in self.resolved_where(|def| matches!(def.name, "set" | "map")) {
                let target = match def.name {
                    "set" => d.arg(0),
                    _ => d.arg(1),
                };
                if let Some(target) = target {
                    defs.entry(target.to_string()).or_default().push(id);
                }
            }
            defs
        });
        let ids = defs.get(&format!("${variable}"))?;
        let mut values = Vec::new();
        for &id in ids {
            let d = self.tree.directive(id)?;
            if self.def(id).map(|def| def.name) == Some("set") {
                let w = d.args.get(1)?;
                values.push((w.value.to_string(), w.span));
            } else {
                values.extend(self.map_values(id, d, depth));
            }
        }
        let literal = values
            .iter()
            .all(|(v, _)| !crate::nginx::url::has_variables(v));
        literal.then_some(values)
    }

    /// The values a `map` block can give: every entry's, or, when the map's source is
    /// one variable with known values, those of the entries these select (exact keys
    /// ignoring case, then regular expressions in order, then `default`).
    fn map_values(&self, id: NodeId, d: &Directive, depth: usize) -> Vec<(String, Span)> {
        let entries: Vec<(&str, &crate::nginx::ast::Word)> = self
            .body(id)
            .filter(|(_, e)| e.args.len() == 1 && &*e.name.value != "include")
            .map(|(_, e)| (&*e.name.value, &e.args[0]))
            .collect();
        let hostnames = self.body(id).any(|(_, e)| &*e.name.value == "hostnames");
        let sources = match crate::nginx::url::pieces(d.arg(0).unwrap_or("")).as_slice() {
            [crate::nginx::url::Piece::Variable(v)] if !hostnames => {
                self.variable_values_within(v, depth + 1)
            }
            _ => None,
        };
        let value = |w: &crate::nginx::ast::Word| (w.value.to_string(), w.span);
        let Some(sources) = sources else {
            return entries.iter().map(|(_, w)| value(w)).collect();
        };
        let mut out = Vec::new();
        for (source, _) in &sources {
            out.extend(map_select(&entries, source).into_iter().map(value));
        }
        out
    }

    /// Whether a `resolver` applies in `scope`.
    pub fn has_resolver(&self, scope: Scope) -> bool {
        self.defining_scope(scope, "resolver").is_some()
    }

    /// Upstream groups, server blocks and passes (built once, on first use).
    pub fn index(&self) -> &index::Index {
        self.index.get_or_init(|| index::build(self))
    }

    /// The arguments nginx uses for single-occurrence directive `name` in `scope`: the
    /// effective directive's, else nginx's default for the version checked against
    /// (`None` when it has none). The id is the directive that set it.
    pub fn value(&self, scope: Scope, name: &str) -> Option<(Vec<String>, Option<NodeId>)> {
        if let Some(id) = self.effective(scope, name) {
            let d = self.tree.directive(id)?;
            return Some((
                d.args.iter().map(|w| w.value.to_string()).collect(),
                Some(id),
            ));
        }
        let default = crate::nginx::grammar::default_value(name, self.avail.version)?;
        Some((
            default.split_whitespace().map(str::to_string).collect(),
            None,
        ))
    }

    /// Upstream registry conflicts (computed once, shared by the rules that report them).
    pub fn upstream_conflicts(&self) -> &[upstreams::Conflict] {
        self.upstream_conflicts
            .get_or_init(|| upstreams::conflicts(self))
    }

    /// The scope a node is set in.
    pub fn scope(&self, id: NodeId) -> Scope {
        self.scopes[id.0 as usize]
    }

    /// The scope enclosing `scope` (where an inherited value comes from).
    pub fn outer(&self, scope: Scope) -> Option<Scope> {
        match scope {
            Scope::Block(id) => Some(self.scope(id)),
            Scope::Root(_) => None,
        }
    }

    /// How many times `name` is written (well-formed or not, in any context): a bound
    /// to size what collects its occurrences.
    pub fn written(&self, name: &str) -> usize {
        self.named(name).len()
    }

    /// Every occurrence of `name` nginx knows where it is, in reading order.
    fn named(&self, name: &str) -> &[NodeId] {
        grammar()
            .name_id(name)
            .map_or(&[], |name| self.sets.named(name))
    }

    /// Well-formed occurrences of `name` set directly in `scope`, in order.
    pub fn set_here<'a>(&'a self, scope: Scope, name: &str) -> impl Iterator<Item = NodeId> + 'a {
        grammar()
            .name_id(name)
            .map_or(&[][..], |name| self.sets.in_scope(scope, name))
            .iter()
            .copied()
            .filter(|id| self.checked_def(*id).is_some())
    }

    /// The scope whose occurrences of `name` nginx applies in `scope`: the innermost
    /// one (from `scope` outwards) that sets it. Arrays such as `proxy_set_header` are
    /// inherited wholesale this way too: one definition in a block hides all outer ones.
    pub fn defining_scope(&self, scope: Scope, name: &str) -> Option<Scope> {
        let name = grammar().name_id(name)?;
        let mut current = Some(scope);
        while let Some(s) = current {
            if self
                .sets
                .in_scope(s, name)
                .iter()
                .any(|id| self.checked_def(*id).is_some())
            {
                return Some(s);
            }
            current = self.outer(s);
        }
        None
    }

    /// The first occurrence of `name` nginx applies in `scope` (for directives set once).
    pub fn effective(&self, scope: Scope, name: &str) -> Option<NodeId> {
        self.set_here(self.defining_scope(scope, name)?, name)
            .next()
    }

    pub fn info(&self, id: NodeId) -> NodeInfo<'_> {
        let record = &self.records[id.0 as usize];
        NodeInfo {
            context: self.contexts[record.context as usize],
            resolution: &record.resolution,
            body_context: self.contexts[record.body_context as usize],
        }
    }

    /// The definition nginx uses for this directive, if it is known and allowed here.
    pub fn def(&self, id: NodeId) -> Option<&'static DirectiveDef> {
        match self.info(id).resolution {
            Resolution::Def(def) => Some(def),
            _ => None,
        }
    }

    /// The definition, when nginx gets as far as the directive's own handler: known,
    /// allowed here, terminated right and with an accepted argument count. Value checks
    /// start from here, so one directive gets one error, as in nginx.
    pub fn checked_def(&self, id: NodeId) -> Option<(&'static DirectiveDef, &Directive)> {
        let def = self.def(id)?;
        let d = self.tree.directive(id)?;
        well_formed(def, d).then_some((def, d))
    }

    /// Directives resolved neither to a definition nor to data (unknown, not allowed
    /// where they are, from a module not available), in reading order.
    pub fn unresolved(&self) -> impl Iterator<Item = (NodeId, &Directive)> {
        self.listed(&self.exceptions.unresolved)
    }

    /// The data lines of raw blocks (map, geo, types...), in reading order.
    pub fn data_lines(&self) -> impl Iterator<Item = (NodeId, &Directive)> {
        self.listed(&self.exceptions.data)
    }

    /// Directives resolved to a definition that nginx refuses before its handler (no
    /// [`Config::checked_def`]), in reading order.
    pub fn malformed(&self) -> impl Iterator<Item = (NodeId, &'static DirectiveDef, &Directive)> {
        self.listed(&self.exceptions.malformed)
            .filter_map(|(id, d)| Some((id, self.def(id)?, d)))
    }

    fn listed<'a>(&'a self, ids: &'a [NodeId]) -> impl Iterator<Item = (NodeId, &'a Directive)> {
        ids.iter()
            .filter_map(|&id| Some((id, self.tree.directive(id)?)))
    }

    /// The directives resolved to a definition `pick` accepts (well-formed or not), in
    /// reading order: read from the occurrences of the names written in the
    /// configuration that `pick` accepts a definition of, not from the whole tree (nor
    /// from the whole table, whose pages a small configuration never touches).
    pub fn resolved_where(
        &self,
        pick: impl Fn(&'static DirectiveDef) -> bool,
    ) -> Vec<(NodeId, &'static DirectiveDef, &Directive)> {
        let g = grammar();
        let mut found: Vec<_> = (0..g.name_count())
            .filter_map(|name| NameId::try_from(name).ok())
            .map(|name| (name, self.sets.named(name)))
            .filter(|(name, ids)| !ids.is_empty() && g.defs_of(*name).any(&pick))
            .flat_map(|(_, ids)| ids)
            .filter_map(|&id| {
                let def = self.def(id)?;
                Some((id, def, self.tree.directive(id)?)).filter(|_| pick(def))
            })
            .collect();
        found.sort_unstable_by_key(|&(id, _, _)| id);
        found
    }

    /// [`Config::resolved_where`], well-formed directives only (those with a
    /// [`Config::checked_def`]): the ones whose values nginx's handlers check.
    pub fn checked_where(
        &self,
        pick: impl Fn(&'static DirectiveDef) -> bool,
    ) -> Vec<(NodeId, &'static DirectiveDef, &Directive)> {
        let mut found = self.resolved_where(pick);
        found.retain(|(_, def, d)| well_formed(def, d));
        found
    }

    /// Where to point for a problem with `token` of directive `d`: the token itself
    /// when it is on the line nginx reports (the line of the `;` or `{`), else the
    /// terminator, so the reported line is always nginx's.
    pub fn report_span(&self, d: &Directive, token: Span) -> Span {
        let at = d.nginx_span();
        if self.sources.line(token) == self.sources.line(at) {
            token
        } else {
            at
        }
    }

    /// A diagnostic for something `nginx -t` refuses in directive `d`, about `token`.
    pub fn refusal(
        &self,
        code: &'static str,
        message: String,
        d: &Directive,
        token: Span,
    ) -> Diagnostic {
        let span = self.report_span(d, token);
        // nginx handles a directive once it has read its `;` or `{`: errors met while
        // reading the directive's tokens come first.
        let diag = Diagnostic::new(code, Severity::Error, message, span)
            .refused_by_nginx(NginxReport::At(d.nginx_span()));
        if span == token {
            diag
        } else {
            diag.with_label(token, "this part")
        }
    }

    /// Directives with their ids in nginx's reading order.
    pub fn directives(&self) -> impl Iterator<Item = (NodeId, &Directive)> {
        self.tree.directives()
    }

    /// Directives that nginx handles with `def` (same name, resolved and well-formed).
    pub fn occurrences<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (NodeId, &'a Directive)> + 'a {
        self.named(name)
            .iter()
            .filter_map(|&id| Some((id, self.checked_def(id)?.1)))
    }

    /// Every directive nginx knows where it is, by name and scope: the occurrences in
    /// reading order (well-formed or not), the groups in no particular order.
    pub fn sets(&self) -> impl Iterator<Item = (&'static str, Scope, &[NodeId])> {
        let g = grammar();
        self.sets
            .groups()
            .map(|(name, scope, ids)| (g.name_of(name), scope, ids))
    }

    /// The directives of a block's body with includes expanded.
    pub fn body(&self, id: NodeId) -> impl Iterator<Item = (NodeId, &Directive)> {
        let children = self.tree.directive(id).map_or(&[][..], |d| d.children());
        self.tree.flatten(children)
    }
}

/// File names of the modules `load_module` lines load; `None` when there are none.
pub fn loaded_modules(tree: &Tree) -> Option<HashSet<String>> {
    let loaded: HashSet<String> = tree
        .load_modules
        .iter()
        .filter(|&&id| {
            tree.node(id)
                .parent
                .is_none_or(|p| tree.directive(p).is_some_and(|pd| pd.block().is_none()))
        })
        .filter_map(|&id| tree.directive(id)?.arg(0))
        .map(|path| path.rsplit('/').next().unwrap_or(path).to_string())
        .collect();
    (!loaded.is_empty()).then_some(loaded)
}

/// The entries of a map that may give its value for `source`: the exact key (ignoring
/// case, as nginx's map hash does), else the first regular expression that matches,
/// else `default`. A regular expression proxylint cannot compile may match: it is kept
/// and the search goes on.
fn map_select<'a>(
    entries: &[(&str, &'a crate::nginx::ast::Word)],
    source: &str,
) -> Vec<&'a crate::nginx::ast::Word> {
    let literal_key = |key: &str| key.strip_prefix('\\').unwrap_or(key).to_string();
    if let Some((_, w)) = entries.iter().find(|(key, _)| {
        *key != "default" && !key.starts_with('~') && literal_key(key).eq_ignore_ascii_case(source)
    }) {
        return vec![w];
    }
    let mut out = Vec::new();
    for (key, w) in entries {
        let Some(pattern) = crate::nginx::regex::map_key_pattern(key) else {
            continue;
        };
        let caseless = key.starts_with("~*");
        match regex::RegexBuilder::new(pattern)
            .case_insensitive(caseless)
            .build()
        {
            Ok(re) if re.is_match(source) => {
                out.push(*w);
                return out;
            }
            Ok(_) => {}
            Err(_) => out.push(*w),
        }
    }
    out.extend(
        entries
            .iter()
            .filter(|(key, _)| *key == "default")
            .map(|(_, w)| *w),
    );
    out
}
