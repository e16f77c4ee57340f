//! Rule registry: every rule once, with its code, name, default severity, check
//! and documentation (the rule file's `//!` comment, embedded by build.rs).
//!
//! Families: `nginx/` (NGX: the configuration) and `meta/` (PXL: proxylint's own
//! suppression comments).

pub mod meta;
pub mod nginx;
pub mod suggest;

use crate::diagnostic::{Diagnostic, MaybeDefined, Severity};
use crate::model::unseen::Unseen;
use crate::model::{Config, Scope};
use crate::settings::Settings;
use crate::source::Span;

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

pub struct Rule {
    /// Stable code, e.g. `NGX002`; never reused.
    pub code: &'static str,
    /// Kebab-case name of the problem; reads well after "allow".
    pub name: &'static str,
    /// Default severity; `[rules]` in proxylint.toml overrides it.
    pub severity: Severity,
    pub check: Check,
}

/// A configuration rule's check: a pure function of the model and the settings.
pub type ModelCheck = fn(&Config, &Settings) -> Vec<Diagnostic>;

/// Where a rule's findings come from.
pub enum Check {
    /// A pure function of the model: every configuration rule.
    Model(ModelCheck),
    /// Found by the suppression filter (src/suppress.rs), which runs after every model
    /// check because it needs their findings: an unused suppression is only known once
    /// all findings are.
    Suppression,
}

impl Rule {
    /// A finding of this rule at its default severity (`[rules]` overrides apply later).
    pub fn diagnostic(&self, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(self.code, self.severity, message, span)
    }

    /// The rule's documentation (Markdown with the fixed sections).
    pub fn doc(&self) -> &'static str {
        RULE_DOCS
            .iter()
            .find(|(code, _)| *code == self.code)
            .map_or("", |(_, doc)| *doc)
    }

    /// The body of one `## Title` section of the documentation.
    pub fn section(&self, title: &str) -> Option<&'static str> {
        let doc = self.doc();
        let head = format!("## {title}\n");
        let start = doc.find(&head)? + head.len();
        let rest = &doc[start..];
        let end = rest.find("\n## ").unwrap_or(rest.len());
        Some(rest[..end].trim())
    }

    /// The gist of "What it does": its first sentence, up to a colon that starts a
    /// list of examples.
    pub fn summary(&self) -> String {
        let text = self.section("What it does").unwrap_or("");
        let para = text.split("\n\n").next().unwrap_or("").replace('\n', " ");
        let bytes = para.as_bytes();
        let sentence_end = (0..bytes.len())
            .find(|&i| {
                bytes[i] == b'.'
                    && (i + 1 == bytes.len()
                        || (bytes[i + 1] == b' '
                            && bytes.get(i + 2).is_some_and(u8::is_ascii_uppercase)))
            })
            .unwrap_or(bytes.len());
        let sentence = &para[..sentence_end];
        let gist = sentence
            .split(": ")
            .next()
            .unwrap_or(sentence)
            .trim_end_matches('.');
        format!("{gist}.")
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
    d.nginx = None;
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

/// Every rule: NGX codes in order, then PXL codes.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    nginx::RULES.iter().chain(meta::RULES).copied()
}

/// A rule by code (`NGX002`, any case) or name (`unknown-directive`).
pub fn find(key: &str) -> Option<&'static Rule> {
    all().find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Runs every enabled model check, in code order, with the configured severity
/// overrides (a rule may report some findings below its default severity).
pub fn run(config: &Config, settings: &Settings) -> Vec<Diagnostic> {
    let rules: Vec<(&Rule, ModelCheck)> = all()
        .filter(|r| settings.rule_enabled(r.code))
        .filter_map(|r| match r.check {
            Check::Model(check) => Some((r, check)),
            Check::Suppression => None,
        })
        .collect();
    let apply = |(r, check): &(&Rule, ModelCheck)| {
        let severity = settings.severity.get(r.code).copied();
        let mut found = cap_per_file(r.code, check(config, settings));
        if let Some(s) = severity {
            found
                .iter_mut()
                .filter(|d| d.unseen.is_none())
                .for_each(|d| d.severity = s);
        }
        found
    };
    // Rules are pure and independent: on a large configuration run them on every core,
    // then put their findings back in rule order. Small ones run on this thread: they
    // finish before a thread would start.
    if config.tree.nodes.len() < PARALLEL_NODES {
        return rules.iter().flat_map(apply).collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rules.len().max(1));
    let mut results: Vec<Vec<Diagnostic>> = vec![Vec::new(); rules.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let rules = &rules;
                let apply = &apply;
                scope.spawn(move || {
                    (t..rules.len())
                        .step_by(threads)
                        .map(|i| (i, apply(&rules[i])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            // A rule that panics is a bug; re-raise it rather than lose its findings.
            let done = worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, found) in done {
                results[i] = found;
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// Configurations from this many nodes up have their rules run in parallel.
const PARALLEL_NODES: usize = 20_000;

/// Findings of one rule shown per file; beyond that the file is not a configuration
/// worth reading finding by finding (binary garbage, a generated file gone wrong).
pub const MAX_FINDINGS_PER_FILE: usize = 1000;

/// Counts a rule's findings per file as it makes them, so that work only a shown finding
/// needs (a did-you-mean over every known name) is skipped for those [`cap_per_file`]
/// hides: all past the first [`MAX_FINDINGS_PER_FILE`] + 1 of a file.
#[derive(Default)]
pub struct ShownPerFile(foldhash::HashMap<crate::source::FileId, usize>);

impl ShownPerFile {
    /// Counts one more finding in `file`; whether it will be shown.
    pub fn next_shown(&mut self, file: crate::source::FileId) -> bool {
        let seen = self.0.entry(file).or_default();
        *seen += 1;
        *seen <= MAX_FINDINGS_PER_FILE + 1
    }
}

/// Keeps the first [`MAX_FINDINGS_PER_FILE`] findings of each file and says how many
/// more there were, so pathological input cannot flood memory or the terminal.
fn cap_per_file(code: &'static str, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if diags.len() <= MAX_FINDINGS_PER_FILE {
        return diags;
    }
    let mut count: foldhash::HashMap<Option<crate::source::FileId>, (usize, Option<Diagnostic>)> =
        foldhash::HashMap::default();
    let mut out = Vec::new();
    for d in diags {
        let entry = count.entry(d.span.map(|s| s.file)).or_default();
        entry.0 += 1;
        if entry.0 <= MAX_FINDINGS_PER_FILE {
            out.push(d);
        } else if entry.1.is_none() {
            entry.1 = Some(d);
        }
    }
    for (shown, first_hidden) in count.into_values() {
        let Some(mut d) = first_hidden else { continue };
        let hidden = shown - MAX_FINDINGS_PER_FILE;
        d.message = format!(
            "{} (and {hidden} more {code} findings in this file, not shown)",
            d.message
        );
        out.push(d);
    }
    out
}

/// The rule table of README.md: code, name, default severity, summary.
pub fn markdown_table() -> String {
    let mut out = String::from("| Code | Name | Severity | What it finds |\n|---|---|---|---|\n");
    for rule in all() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            rule.code,
            rule.name,
            rule.severity.as_str(),
            rule.summary().replace('|', "\\|")
        ));
    }
    out
}
