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

/// The checks nginx runs once an `http` (or `stream`) block is read, in the order it
/// runs them (`ngx_http_block`): upstream groups are initialised, then locations
/// merged, location trees built, modules post-configured, variables resolved, and the
/// listen addresses optimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    UpstreamInit,
    Merge,
    Locations,
    PostConfiguration,
    Variables,
    Listen,
}

/// Where `nginx -t` reports a problem proxylint mirrors, so that proxylint can say
/// which error nginx would print first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NginxReport {
    /// At the diagnostic's own span, while reading it.
    Here,
    /// While reading `Span` (a directive is handled once its `;` or `{` is read), and
    /// printed with that line.
    At(Span),
    /// After the block ending at `after` is read, in `phase`; printed with the line of
    /// `printed` (`None`: nginx prints no line).
    Deferred {
        printed: Option<Span>,
        after: Span,
        phase: Phase,
    },
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
    /// Set when `nginx -t` refuses the configuration for this reason.
    pub nginx: Option<NginxReport>,
    /// Set when what the finding calls missing may be defined where proxylint cannot
    /// see (the finding is then lowered, and no `[rules]` severity raises it again).
    pub unseen: Option<MaybeDefined>,
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
            nginx: None,
            unseen: None,
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

    /// Marks the finding as one `nginx -t` refuses, reported where `at` says.
    pub fn refused_by_nginx(mut self, at: NginxReport) -> Self {
        self.nginx = Some(at);
        self
    }
}
