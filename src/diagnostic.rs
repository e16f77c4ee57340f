//! The one diagnostic type produced by the parser, the checks and the rules.
//!
//! A diagnostic holds byte spans only; printers turn them into lines and columns.

use serde::Serialize;

use crate::source::Span;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "invalid severity \"{other}\": expected error, warning or info"
            )),
        }
    }
}

/// A secondary location with a short explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// The server refuses the configuration for this reason: where it meets the problem
/// and where it says it is, so that the error `nginx -t` or `apache2 -t` prints first
/// can be told (each dialect orders refusals its own way: see `nginx::report` and
/// `apache::report`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Where the server is in its reading when it meets the problem.
    pub when: Span,
    /// A dialect-defined stage after `when` (0: while reading `when` itself; nginx
    /// numbers the checks it runs once a block is read, httpd its two passes).
    pub stage: u8,
    /// The place the server names in its message; `None` when it names none.
    pub printed: Option<Span>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Rule code, e.g. `NGX002`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The smallest piece of source at fault; `None` for findings about no location.
    pub span: Option<Span>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// Other places that explain this one (earlier definition, include chain).
    pub related: Vec<Label>,
    /// Set when the server refuses the configuration for this reason.
    pub refusal: Option<Refusal>,
    /// Set when what the finding calls missing may be defined where proxylint cannot
    /// see (the finding is then lowered, and no `[rules]` severity raises it again).
    pub unseen: Option<MaybeDefined>,
    /// Findings of the same rule in the same file past the per-file cap that were
    /// counted but never built (hostile input: a million unknown directives); the
    /// runner's "(and N more ...)" counts them ([`crate::rules::MAX_FINDINGS_PER_FILE`]).
    pub folded: usize,
}

/// A definition a finding lacks that may exist where proxylint cannot see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaybeDefined {
    /// The include that could not be read; `None` for the configuration that includes
    /// a file linted on its own.
    pub include: Option<Span>,
    /// What may be defined there: "a resolver", "variable $mage_root".
    pub what: String,
}

/// Longest message kept whole: messages quote the configuration, and a quoted
/// 4 KiB token (or a garbage line) would bury the finding.
const MAX_MESSAGE: usize = 300;

fn shorten(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    message
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
        span: Span,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: shorten(message.into()),
            span: Some(span),
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
            refusal: None,
            unseen: None,
            folded: 0,
        }
    }

    /// A finding about no place in the configuration (the run itself).
    pub fn without_span(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            span: None,
            ..Diagnostic::new(
                code,
                severity,
                message,
                Span::new(crate::source::FileId(0), 0, 0),
            )
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// The finding at another severity than its rule's default.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Marks the finding as one the server refuses the configuration for.
    pub fn refused(mut self, refusal: Refusal) -> Self {
        self.refusal = Some(refusal);
        self
    }
}
