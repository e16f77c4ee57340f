//! What proxylint cannot see: includes it could not read (a file missing here, a glob
//! whose directory does not exist here) and, for a file linted on its own as a site or
//! snippet, the configuration that includes it. Rules whose verdict depends on a
//! definition elsewhere (a resolver, a certificate, a variable, an upstream group, a
//! zone) ask here before calling something missing. Reads the model only.

use std::path::PathBuf;

use super::{Config, Scope};
use crate::diagnostic::{Diagnostic, MaybeDefined, Severity};
use crate::nginx::ast::{LoadErrorKind, NodeId};
use crate::source::Span;

/// An `include` whose files proxylint did not read.
#[derive(Debug, Clone)]
pub struct Unread {
    /// The include directive.
    pub include: NodeId,
    /// Its argument, where NGX007 reports it.
    pub span: Span,
    /// Where its content would be set.
    pub scope: Scope,
    /// What was looked for (the mapped path, for an include root).
    pub path: PathBuf,
}

/// Where a definition proxylint does not see may come from.
#[derive(Debug, Clone, Copy)]
pub enum Unseen<'a> {
    /// An include that could not be read.
    Include(&'a Unread),
    /// The configuration that includes this file, which was linted on its own (in a
    /// context other than main).
    Includer,
}

/// The unread includes of a configuration, in reading order, with the first one set
/// directly in each scope (looked up for every finding that may depend on one).
#[derive(Debug, Default)]
pub struct UnreadIncludes {
    list: Vec<Unread>,
    first_in: foldhash::HashMap<Scope, usize>,
}

fn unread_includes(config: &Config) -> UnreadIncludes {
    let list = unread_list(config);
    let mut first_in = foldhash::HashMap::default();
    for (i, u) in list.iter().enumerate() {
        first_in.entry(u.scope).or_insert(i);
    }
    UnreadIncludes { list, first_in }
}

fn unread_list(config: &Config) -> Vec<Unread> {
    let failed: Vec<(Span, &PathBuf)> = config
        .tree
        .load_errors
        .iter()
        .filter_map(|e| match &e.kind {
            LoadErrorKind::Open { path, .. } => Some((e.span, path)),
            LoadErrorKind::NoDirectory { pattern, .. } => Some((e.span, pattern)),
            LoadErrorKind::Cycle { .. } => None,
        })
        .collect();
    if failed.is_empty() {
        return Vec::new();
    }
    let spans: foldhash::HashMap<Span, &PathBuf> = failed.iter().copied().collect();
    config
        .directives()
        .filter(|(_, d)| &*d.name.value == "include")
        .filter_map(|(id, d)| {
            let span = d.args.first()?.span;
            let path = spans.get(&span)?;
            Some(Unread {
                include: id,
                span,
                scope: config.scope(id),
                path: (*path).clone(),
            })
        })
        .collect()
}

impl Config {
    /// Includes proxylint could not read (computed once).
    pub fn unread_includes(&self) -> &[Unread] {
        &self.unread_index().list
    }

    /// The first include set directly in `scope` that could not be read.
    pub fn unread_in(&self, scope: Scope) -> Option<&Unread> {
        let unread = self.unread_index();
        unread.first_in.get(&scope).map(|&i| &unread.list[i])
    }

    fn unread_index(&self) -> &UnreadIncludes {
        self.unread.get_or_init(|| unread_includes(self))
    }

    /// The root file a scope belongs to.
    pub fn root_of(&self, mut scope: Scope) -> usize {
        loop {
            match scope {
                Scope::Root(i) => return i,
                Scope::Block(_) => match self.outer(scope) {
                    Some(outer) => scope = outer,
                    None => return 0,
                },
            }
        }
    }

    /// Whether the file of `scope` was linted as a site or snippet: the configuration
    /// around it is not read.
    fn inside_unread_includer(&self, scope: Scope) -> bool {
        self.root_context(self.root_of(scope)) != "main"
    }

    /// What may set a directive inherited into `scope` that proxylint does not see
    /// (`resolver`, `ssl_certificate`, `proxy_ssl_server_name`...): an unread include in
    /// `scope` or a block around it, else the includer of a file linted on its own.
    pub fn unseen_setting(&self, scope: Scope) -> Option<Unseen<'_>> {
        let mut current = Some(scope);
        while let Some(s) = current {
            if let Some(u) = self.unread_in(s) {
                return Some(Unseen::Include(u));
            }
            current = self.outer(s);
        }
        self.inside_unread_includer(scope)
            .then_some(Unseen::Includer)
    }

    /// What may define a name used in `scope` that proxylint does not see (a variable,
    /// an upstream group, a shared memory zone, a charset map): any unread include
    /// (names are global to the configuration), else the includer of a file linted on
    /// its own.
    pub fn unseen_name(&self, scope: Scope) -> Option<Unseen<'_>> {
        if let Some(u) = self.unread_includes().first() {
            return Some(Unseen::Include(u));
        }
        self.inside_unread_includer(scope)
            .then_some(Unseen::Includer)
    }
}

/// What a finding calls missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// A directive inherited from an outer block (`resolver`, `ssl_certificate`).
    Setting,
    /// A name defined anywhere in the configuration (a variable, an upstream group, a
    /// zone).
    Name,
}

/// `d` lowered because `what` it finds missing ("a resolver", "variable $mage_root")
/// may be defined where proxylint cannot see: in an include it could not read (info),
/// or in the configuration that includes a file linted on its own (info for a name,
/// a warning at most for a setting, which main configurations set less often). It no
/// longer counts as a refusal of `nginx -t`.
pub fn maybe_defined_elsewhere(
    mut d: Diagnostic,
    unseen: Unseen,
    what: &str,
    missing: Missing,
) -> Diagnostic {
    d.refusal = None;
    let (note, include) = match unseen {
        Unseen::Include(u) => {
            d.severity = Severity::Info;
            d = d.with_related(
                u.span,
                format!("{what} may be defined in this include, which could not be read"),
            );
            (
                format!(
                    "{what} may be defined in {}, which could not be read (map its directory with --include-root)",
                    u.path.display()
                ),
                Some(u.span),
            )
        }
        Unseen::Includer => {
            let most = match missing {
                Missing::Name => Severity::Info,
                Missing::Setting => Severity::Warning,
            };
            d.severity = d.severity.min(most);
            (
                format!(
                    "this file was linted on its own: {what} may be defined by the configuration that includes it"
                ),
                None,
            )
        }
    };
    d.help = Some(match d.help.take() {
        Some(help) => format!("{note}; if not, {help}"),
        None => note,
    });
    d.unseen = Some(MaybeDefined {
        include,
        what: what.to_string(),
    });
    d
}

/// `d`, lowered when the setting it finds missing in `scope` (`what`: "a resolver")
/// may be set where proxylint cannot see.
pub fn unless_set_elsewhere(
    config: &Config,
    scope: Scope,
    d: Diagnostic,
    what: &str,
) -> Diagnostic {
    match config.unseen_setting(scope) {
        Some(unseen) => maybe_defined_elsewhere(d, unseen, what, Missing::Setting),
        None => d,
    }
}

/// `d`, lowered when the name it finds undefined (`what`: "variable $mage_root"), used
/// in `scope`, may be defined where proxylint cannot see.
pub fn unless_defined_elsewhere(
    config: &Config,
    scope: Scope,
    d: Diagnostic,
    what: &str,
) -> Diagnostic {
    match config.unseen_name(scope) {
        Some(unseen) => maybe_defined_elsewhere(d, unseen, what, Missing::Name),
        None => d,
    }
}
