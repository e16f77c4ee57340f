//! Rule registry: every rule once, with its code, name, default severity, what it reads,
//! its check and documentation (the rule file's `//!` comment). build.rs generates the
//! registry from the rule files, so adding a rule is adding its file:
//! `src/rules/<family>/<code>_<name>.rs` defining `pub const RULE: Rule`.
//!
//! Families: `nginx/` (NGX), `apache/` (APA) and `meta/` (PXL: proxylint's own
//! suppression comments and rule runner). Dialect-neutral: a rule says which model it
//! reads, and runs only when the workspace holds that model.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::diagnostic::{Diagnostic, Severity};
use crate::settings::Settings;
use crate::source::Span;
use crate::workspace::{Dialect, Workspace};

pub mod shared;

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));
include!(concat!(env!("OUT_DIR"), "/rules_registry.rs"));

pub struct Rule {
    /// Stable code, e.g. `NGX002`; never reused.
    pub code: &'static str,
    /// Kebab-case name of the problem; reads well after "allow".
    pub name: &'static str,
    /// Default severity; `[rules]` in proxylint.toml overrides it.
    pub severity: Severity,
    /// What the rule reads; it runs only when the workspace has it.
    pub reads: Reads,
    /// `Some(what its findings are)` for a rule no setting or comment may turn off or
    /// lower (syntax errors: the server refuses such a file, so it never passes clean).
    pub unsuppressible: Option<&'static str>,
    pub check: Check,
}

/// What a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The nginx model.
    Nginx,
    /// The httpd model.
    Apache,
    /// Other rules' findings and the run itself (proxylint's own PXL rules).
    Findings,
}

impl Reads {
    /// The dialect whose model the rule needs, if any.
    pub fn dialect(self) -> Option<Dialect> {
        match self {
            Reads::Nginx => Some(Dialect::Nginx),
            Reads::Apache => Some(Dialect::Apache),
            Reads::Findings => None,
        }
    }

    /// Who turns a file away when these findings are ignored, for the messages that
    /// refuse to let an unsuppressible rule be turned off.
    pub fn refuser(self) -> &'static str {
        match self {
            Reads::Nginx => "nginx refuses",
            Reads::Apache => "httpd refuses",
            Reads::Findings => "proxylint could not check",
        }
    }
}

/// A configuration rule's check: a pure function of the workspace and the settings.
pub type WorkspaceCheck = fn(&Workspace, &Settings) -> Vec<Diagnostic>;

/// Where a rule's findings come from.
pub enum Check {
    /// A pure function of the workspace: every configuration rule.
    Workspace(WorkspaceCheck),
    /// Found by the suppression filter (src/suppress.rs), which runs after every
    /// workspace check because it needs their findings: an unused suppression is only
    /// known once all findings are.
    Suppression,
    /// Found by the rule runner ([`run`]) itself: a rule that crashed.
    Runner,
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
        // The colon that starts a list, not one inside parentheses or code
        // ("(configurable: `http-ports`...)").
        let mut depth = 0i32;
        let mut code = false;
        let colon = sentence.char_indices().find_map(|(i, c)| {
            match c {
                '`' => code = !code,
                '(' if !code => depth += 1,
                ')' if !code => depth -= 1,
                ':' if !code && depth == 0 && sentence[i + 1..].starts_with(' ') => {
                    return Some(i);
                }
                _ => {}
            }
            None
        });
        let gist = sentence[..colon.unwrap_or(sentence.len())].trim_end_matches('.');
        format!("{gist}.")
    }
}

/// Every rule: NGX codes in order, then PXL codes.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().copied()
}

/// A rule by code (`NGX002`, any case) or name (`unknown-directive`).
pub fn find(key: &str) -> Option<&'static Rule> {
    find_all(key).next()
}

/// Every rule a code or name designates: a name may be one rule per dialect
/// (`syntax-error` is NGX001 and APA001).
pub fn find_all(key: &str) -> impl Iterator<Item = &'static Rule> {
    all().filter(move |r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// The rule a code names (any case), with what its findings are, when no setting or
/// comment may turn it off or lower it.
pub fn unsuppressible(code: &str) -> Option<(&'static Rule, &'static str)> {
    let rule = all().find(|r| r.code.eq_ignore_ascii_case(code))?;
    Some((rule, rule.unsuppressible?))
}

/// Runs every enabled check whose model the workspace holds, in code order, with the
/// configured severity overrides (a rule may report some findings below its default
/// severity). A rule that panics loses its own findings only: the crash is reported as
/// a PXL002 finding and the other rules' findings are kept.
pub fn run(ws: &Workspace, settings: &Settings) -> Vec<Diagnostic> {
    let rules: Vec<&Rule> = all()
        .filter(|r| settings.rule_enabled(r.code))
        .filter(|r| r.reads.dialect().is_none_or(|d| ws.has(d)))
        .collect();
    // Rules are pure and independent: on a large configuration run them on every core.
    // Small ones run on this thread: they finish before a thread would start.
    run_rules(&rules, ws, settings, ws.size() >= PARALLEL_NODES)
}

/// The rules that read the nginx index of upstreams, servers and passes (or the
/// upstream registry built from it): when one of them runs on a large configuration,
/// a worker builds these first ([`Workspace::prepare_shared`]). Listed longest first
/// (on 70,000 lines: NGX005 1.6 ms, NGX119 1.3, NGX112 1.2, NGX101 0.8, NGX016 0.7,
/// NGX117 0.5, NGX109 0.5, NGX017 0.4, the rest 0.3 ms or less) and queued in this
/// order, so the last rule taken is a short one: taken in code order, one worker ran
/// NGX119 alone for 1.3 ms while the other had nothing left.
const READ_NGINX_INDEX: &[&str] = &[
    "NGX005", "NGX119", "NGX112", "NGX101", "NGX016", "NGX117", "NGX109", "NGX017", "NGX108",
    "NGX107", "NGX105", "NGX111", "NGX025", "NGX011", "NGX110", "NGX018", "NGX012", "NGX106",
    "NGX113", "NGX114", "NGX115", "NGX118",
];

/// [`run`] over a given list of rules (the registry's, or a test's), on every core when
/// `parallel`; the findings come back in rule order either way.
fn run_rules(
    rules: &[&Rule],
    ws: &Workspace,
    settings: &Settings,
    parallel: bool,
) -> Vec<Diagnostic> {
    let rules: Vec<(&Rule, WorkspaceCheck)> = rules
        .iter()
        .filter_map(|r| match r.check {
            Check::Workspace(check) => Some((*r, check)),
            Check::Suppression | Check::Runner => None,
        })
        .collect();
    let apply = |(r, check): &(&Rule, WorkspaceCheck)| {
        let found = match isolated(|| check(ws, settings)) {
            Ok(found) => found,
            Err(panic) => return vec![crashed(r, &panic)],
        };
        let mut found = cap_per_file(r.code, found);
        // A finding lowered because what it misses may be defined out of sight keeps
        // its lowered severity: `[rules]` raises the rule, not the doubt.
        if let Some(&s) = settings.severity.get(r.code) {
            found
                .iter_mut()
                .filter(|d| d.unseen.is_none())
                .for_each(|d| d.severity = s);
        }
        found
    };
    if !parallel {
        return rules.iter().flat_map(apply).collect();
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rules.len().max(1));
    let mut results: Vec<Vec<Diagnostic>> = vec![Vec::new(); rules.len()];
    // Each worker takes the next rule when it is done with one (rules differ a
    // hundredfold in cost: a fixed share left one worker idle for milliseconds). The
    // first builds what half the rules share before taking any, and the rules that
    // read it are queued last: taken in registry order, the other worker met NGX005
    // fifth and waited for the index (4 ms of 70k lines) with twenty rules to do.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (mut queue, mut readers): (Vec<usize>, Vec<usize>) =
        (0..rules.len()).partition(|&i| !READ_NGINX_INDEX.contains(&rules[i].0.code));
    readers.sort_by_key(|&i| READ_NGINX_INDEX.iter().position(|&c| c == rules[i].0.code));
    let shared = !readers.is_empty();
    queue.extend(readers);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (rules, queue, apply, next) = (&rules, &queue, &apply, &next);
                scope.spawn(move || {
                    if t == 0 && shared {
                        ws.prepare_shared();
                    }
                    let mut done = Vec::new();
                    loop {
                        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i) = queue.get(n) else {
                            return done;
                        };
                        done.push((i, apply(&rules[i])));
                    }
                })
            })
            .collect();
        for worker in workers {
            // `apply` catches the rules' panics: a worker only fails on a bug of the
            // runner itself, which must not pass silently.
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

thread_local! {
    /// Set while this thread runs a rule: its panic is caught and reported, so the
    /// panic hook keeps quiet about it.
    static IN_RULE: Cell<bool> = const { Cell::new(false) };
    /// What the hook saw of the last panic in a rule: message and place.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic into its message and place (the hook records them instead
/// of printing, on this thread only: other threads' panics print as usual).
fn isolated<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_RULE.get() {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".to_string());
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            CAUGHT.set(Some(format!("{message}{place}")));
        }));
    });
    IN_RULE.set(true);
    let result = catch_unwind(AssertUnwindSafe(f));
    IN_RULE.set(false);
    result.map_err(|_| CAUGHT.take().unwrap_or_else(|| "(no message)".to_string()))
}

/// The PXL002 finding for a rule that panicked.
fn crashed(rule: &Rule, panic: &str) -> Diagnostic {
    let me = &meta::pxl002_rule_panicked::RULE;
    Diagnostic::without_span(
        me.code,
        me.severity,
        format!(
            "rule {} ({}) crashed and could not check this configuration: {panic}",
            rule.code, rule.name
        ),
    )
    .with_help(
        "this is a bug in proxylint: please report it with the configuration (or the smallest part of it that still crashes); the other rules ran",
    )
}

/// Configurations from this many nodes up have their rules run in parallel.
pub(crate) const PARALLEL_NODES: usize = 20_000;

/// Findings of one rule shown per file; beyond that the file is not a configuration
/// worth reading finding by finding (binary garbage, a generated file gone wrong).
pub const MAX_FINDINGS_PER_FILE: usize = 1000;

/// A finding that can stand for more of its kind past the per-file cap: those counted
/// but never built ([`Diagnostic::folded`], or a loader's own finding type).
pub trait Folds {
    fn folded(&mut self) -> &mut usize;
}

impl Folds for Diagnostic {
    fn folded(&mut self) -> &mut usize {
        &mut self.folded
    }
}

/// Counts findings per key (a file; a loader's kind and file) as they are made, so that
/// work only a shown finding needs (a did-you-mean over every known name, or the whole
/// finding) is skipped for those [`cap_per_file`] hides: all past the first
/// [`MAX_FINDINGS_PER_FILE`] + 1 of a key.
pub struct ShownPer<K>(foldhash::HashMap<K, (usize, usize)>);

/// A rule's findings counted per file.
pub type ShownPerFile = ShownPer<crate::source::FileId>;

impl<K> Default for ShownPer<K> {
    fn default() -> Self {
        ShownPer(foldhash::HashMap::default())
    }
}

impl<K: std::hash::Hash + Eq> ShownPer<K> {
    /// Counts one more finding of `key`; whether it will be shown.
    pub fn next_shown(&mut self, key: K) -> bool {
        let (seen, _) = self.0.entry(key).or_default();
        *seen += 1;
        *seen <= MAX_FINDINGS_PER_FILE + 1
    }

    /// Counts one more finding of `key`, to be pushed onto `kept`: whether to build it;
    /// when not, it is counted on the last one kept ([`Folds`]), so a million findings
    /// never exist at once.
    pub fn admit<T: Folds>(&mut self, kept: &mut [T], key: K) -> bool {
        let next = kept.len();
        let (seen, last) = self.0.entry(key).or_insert((0, next));
        *seen += 1;
        if *seen <= MAX_FINDINGS_PER_FILE + 1 {
            *last = next;
            return true;
        }
        if let Some(finding) = kept.get_mut(*last) {
            *finding.folded() += 1;
        }
        false
    }
}

/// Keeps the first [`MAX_FINDINGS_PER_FILE`] findings of each file and says how many
/// more there were (those a loader only counted, [`Diagnostic::folded`], included), so
/// pathological input cannot flood memory or the terminal.
fn cap_per_file(code: &'static str, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if diags.len() <= MAX_FINDINGS_PER_FILE && diags.iter().all(|d| d.folded == 0) {
        return diags;
    }
    let mut count: foldhash::HashMap<Option<crate::source::FileId>, (usize, Option<Diagnostic>)> =
        foldhash::HashMap::default();
    let mut out = Vec::new();
    for mut d in diags {
        let entry = count.entry(d.span.map(|s| s.file)).or_default();
        entry.0 += 1 + std::mem::take(&mut d.folded);
        if entry.0 <= MAX_FINDINGS_PER_FILE {
            out.push(d);
        } else if entry.1.is_none() {
            entry.1 = Some(d);
        }
    }
    for (total, first_hidden) in count.into_values() {
        let Some(mut d) = first_hidden else { continue };
        let hidden = total - MAX_FINDINGS_PER_FILE;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMap;
    use std::sync::Arc;

    /// The list of index readers is the rules whose source asks for the index: a rule
    /// missing from it would only be slower, one wrongly in it would build the index
    /// for nothing.
    #[test]
    fn index_readers_are_the_rules_that_read_the_index() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules/nginx");
        let mut readers = Vec::new();
        for entry in std::fs::read_dir(dir).expect("rule sources") {
            let source = std::fs::read_to_string(entry.expect("entry").path()).expect("source");
            if source.contains(".index()") || source.contains("upstream_conflicts()") {
                let at = source.find("code: \"").expect("a rule code") + 7;
                readers.push(source[at..at + 6].to_string());
            }
        }
        readers.sort();
        let mut listed = READ_NGINX_INDEX.to_vec();
        listed.sort_unstable();
        assert_eq!(readers, listed);
    }

    fn panics(_: &Workspace, _: &Settings) -> Vec<Diagnostic> {
        let names: Vec<&str> = Vec::new();
        // An out-of-bounds index, as a rule meeting unforeseen input would.
        vec![Diagnostic::without_span(
            "NGX999",
            Severity::Warning,
            names[3],
        )]
    }

    fn finds(_: &Workspace, _: &Settings) -> Vec<Diagnostic> {
        vec![Diagnostic::without_span(
            "NGX998",
            Severity::Warning,
            "found",
        )]
    }

    /// Findings a rule only counted ([`Diagnostic::folded`], on the first finding past
    /// the cap, where the producers put them) are in the "(and N more)" note.
    #[test]
    fn capped_counts_include_folded_findings() {
        let at = Span::new(crate::source::FileId(0), 0, 1);
        let mut diags: Vec<Diagnostic> = (0..MAX_FINDINGS_PER_FILE + 1)
            .map(|i| Diagnostic::new("NGX002", Severity::Error, format!("f{i}"), at))
            .collect();
        diags[MAX_FINDINGS_PER_FILE].folded = 41;
        let capped = cap_per_file("NGX002", diags);
        assert_eq!(capped.len(), MAX_FINDINGS_PER_FILE + 1);
        assert_eq!(
            capped[MAX_FINDINGS_PER_FILE].message,
            "f1000 (and 42 more NGX002 findings in this file, not shown)"
        );
    }

    const PANICS: Rule = Rule {
        code: "NGX999",
        name: "panics",
        severity: Severity::Warning,
        reads: Reads::Findings,
        unsuppressible: None,
        check: Check::Workspace(panics),
    };

    const FINDS: Rule = Rule {
        code: "NGX998",
        name: "finds",
        severity: Severity::Warning,
        reads: Reads::Findings,
        unsuppressible: None,
        check: Check::Workspace(finds),
    };

    /// A crashing rule used to take the whole run down (the worker's panic was
    /// re-raised): it is now one PXL002 finding, and the other rules' findings stay.
    #[test]
    fn a_rule_that_panics_is_reported_and_the_others_still_run() {
        let ws = Workspace::new(Arc::new(SourceMap::new()));
        let found = run_rules(&[&FINDS, &PANICS, &FINDS], &ws, &Settings::default(), false);
        let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["NGX998", "PXL002", "NGX998"]);
        let crash = &found[1];
        assert_eq!(crash.severity, Severity::Error);
        assert!(
            crash.message.starts_with("rule NGX999 (panics) crashed")
                && crash.message.contains("index out of bounds")
                && crash.message.contains("src/rules/mod.rs:"),
            "{}",
            crash.message
        );
        assert!(crash.span.is_none());
    }

    /// The same on the threaded path of large configurations.
    #[test]
    fn a_rule_that_panics_on_a_worker_thread_is_reported() {
        let ws = Workspace::new(Arc::new(SourceMap::new()));
        let rules: Vec<&Rule> = [&FINDS, &PANICS].repeat(4);
        let found = run_rules(&rules, &ws, &Settings::default(), true);
        let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["NGX998", "PXL002"].repeat(4));
    }

    fn finds_as_index_reader(_: &Workspace, _: &Settings) -> Vec<Diagnostic> {
        vec![Diagnostic::without_span(
            READ_NGINX_INDEX[0],
            Severity::Warning,
            "found",
        )]
    }

    const READS_INDEX: Rule = Rule {
        code: READ_NGINX_INDEX[0],
        name: "reads-index",
        severity: Severity::Warning,
        reads: Reads::Findings,
        unsuppressible: None,
        check: Check::Workspace(finds_as_index_reader),
    };

    /// The workers take the rules that read the index last; their findings still come
    /// back in the order of the rules given.
    #[test]
    fn findings_keep_rule_order_when_index_readers_run_last() {
        let ws = Workspace::new(Arc::new(SourceMap::new()));
        let rules: Vec<&Rule> = [&READS_INDEX, &FINDS, &FINDS].repeat(5);
        let found = run_rules(&rules, &ws, &Settings::default(), true);
        let codes: Vec<&str> = found.iter().map(|d| d.code).collect();
        assert_eq!(codes, [READ_NGINX_INDEX[0], "NGX998", "NGX998"].repeat(5));
    }

    /// A panic outside a rule still reaches the previous hook (and the test harness).
    /// NGX114's summary was cut at the colon inside its parenthesis.
    #[test]
    fn summary_ends_at_the_colon_of_a_list_not_one_in_parentheses() {
        let summary = find("NGX114").map(Rule::summary).unwrap_or_default();
        assert!(
            summary.ends_with("(configurable: `http-ports`, `tls-ports`, `fastcgi-ports`)."),
            "{summary}"
        );
    }

    #[test]
    fn panics_outside_rules_are_not_swallowed() {
        let _ = isolated(|| ());
        let caught = std::panic::catch_unwind(|| panic!("outside"));
        assert!(caught.is_err());
        assert!(CAUGHT.take().is_none());
    }
}
