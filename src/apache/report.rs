//! What the httpd loader finds, in httpd's words, and which refusal `apache2 -t`
//! prints first.
//!
//! Every [`Problem`] has a [`Kind`] (one rule code each), httpd's message, the span at
//! fault and, when httpd refuses the configuration for it, where httpd reports it
//! ([`Refused`]): in which pass, after reading which line, and the file and line it
//! prints. httpd stops at its first error: any error of the reading pass comes before
//! any error of the second pass (the walk of the tree), and within a pass the one met
//! first in reading order wins ([`first_problem`]).
//!
//! Pure: reads problems and diagnostics only.

use super::ast::Printed;
use crate::diagnostic::{Diagnostic, Refusal, Severity};
use crate::source::{FileId, Span};

/// What kind of problem; each maps to one rule code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Section tags, quotes, lines, binary data, `<If>` expressions (APA001).
    SyntaxError,
    /// "Invalid command ..." (APA002).
    UnknownDirective,
    /// "... not allowed here", "... cannot occur within ..." (APA003).
    NotAllowedHere,
    /// Argument counts and values (APA004).
    InvalidArguments,
    /// An `Include` that finds no file (APA005).
    IncludeNotFound,
    /// A proxy scheme whose module is not loaded (APA006).
    ModuleNotLoaded,
    /// An `Include` that reads a file it is already reading (APA007).
    IncludeCycle,
    /// What httpd refuses in ProxyPass / BalancerMember URLs and parameters (APA008).
    InvalidProxyUrl,
    /// `${VAR}` that nothing defines: httpd's warning AH00111 (no code yet).
    UndefinedVariable,
}

impl Kind {
    /// The rule code, when the kind has one.
    pub fn code(self) -> Option<&'static str> {
        Some(match self {
            Kind::SyntaxError => "APA001",
            Kind::UnknownDirective => "APA002",
            Kind::NotAllowedHere => "APA003",
            Kind::InvalidArguments => "APA004",
            Kind::IncludeNotFound => "APA005",
            Kind::ModuleNotLoaded => "APA006",
            Kind::IncludeCycle => "APA007",
            Kind::InvalidProxyUrl => "APA008",
            Kind::UndefinedVariable => return None,
        })
    }
}

/// httpd's passes over a configuration, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Reading the files (`ap_build_config`): sections, includes, conditionals,
    /// `Define`, `LoadModule`...
    Read,
    /// Right after reading (`ap_check_mpm`: "No MPM loaded.").
    AfterRead,
    /// Walking the tree (`ap_process_config_tree`): every other directive.
    Walk,
}

impl Phase {
    /// The dialect-neutral refusal stage.
    pub fn stage(self) -> u8 {
        self as u8
    }
}

/// Where httpd reports a problem it refuses the configuration for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub phase: Phase,
    /// Where httpd is in its reading when it meets the problem (the line, the closing
    /// tag, the end of the file; a macro line's outermost `Use`).
    pub when: Span,
    /// Reading order within the phase (the loader's counter): ties of `when` broken.
    pub seq: u64,
    /// The file and line httpd prints (`None`: it prints none).
    pub printed: Option<Printed>,
    /// The source line of `printed`, when it has one.
    pub printed_span: Option<Span>,
}

/// One finding of the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    /// httpd's message (for limits of proxylint, proxylint's).
    pub message: String,
    /// The smallest piece of source at fault.
    pub span: Span,
    /// Set when httpd refuses the configuration for it.
    pub refused: Option<Refused>,
    pub help: Option<String>,
    /// Other places that explain it (the include chain of a cycle, a macro's `Use`).
    pub related: Vec<(Span, String)>,
    /// More problems of this kind in this file, past what is shown, that were only
    /// counted ([`Cap`]).
    pub folded: usize,
}

impl Problem {
    /// The finding as a diagnostic (an error when httpd refuses it, else a warning),
    /// for the rule of its code; `None` for kinds without one.
    pub fn diagnostic(&self) -> Option<Diagnostic> {
        let code = self.kind.code()?;
        let severity = if self.refused.is_some() {
            Severity::Error
        } else {
            Severity::Warning
        };
        let mut d = Diagnostic::new(code, severity, self.message.clone(), self.span);
        d.folded = self.folded;
        if let Some(help) = &self.help {
            d = d.with_help(help.clone());
        }
        for (span, message) in &self.related {
            d = d.with_related(*span, message.clone());
        }
        if let Some(r) = &self.refused {
            d = d.refused(Refusal {
                when: r.when,
                stage: r.phase.stage(),
                printed: r.printed_span,
            });
        }
        Some(d)
    }
}

/// Bounds what a loader builds on hostile input (a million unknown directives, a file
/// of garbage): past the problems of one kind in one file that can be shown, the next
/// ones are counted on the last kept, not built (the rule runner's own counter, keyed by
/// kind and file).
pub type Cap = crate::rules::ShownPer<(Kind, FileId)>;

impl crate::rules::Folds for Problem {
    fn folded(&mut self) -> &mut usize {
        &mut self.folded
    }
}

/// The findings of one kind among `problems`, as diagnostics: what each structural
/// rule (APA001-APA008) reports.
pub fn diagnostics<'a>(problems: impl Iterator<Item = &'a Problem>, kind: Kind) -> Vec<Diagnostic> {
    problems
        .filter(|p| p.kind == kind)
        .filter_map(Problem::diagnostic)
        .collect()
}

/// The problem `apache2 -t` prints (it prints one): the earliest pass, then the
/// earliest in reading order.
pub fn first_problem(problems: &[Problem]) -> Option<&Problem> {
    problems
        .iter()
        .filter_map(|p| p.refused.as_ref().map(|r| (p, (r.phase, r.seq))))
        .min_by_key(|(_, key)| *key)
        .map(|(p, _)| p)
}
