//! ## What it does
//! Reports a `*_pass` host that is not an upstream group but looks like a misspelling of
//! one (`proxy_pass http://bakend;` with `upstream backend {}`).
//!
//! ## Why does this cause 502/504?
//! A name that is not a group is a host name for nginx: it resolves it at startup and
//! refuses to start with `host not found in upstream "bakend"`, or, if some DNS search
//! domain happens to resolve it, sends the traffic to the wrong machine (**502/504**).
//!
//! ## Example
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://bakend;
//!     }
//! }
//! ```
//!
//! ## Use instead
//! ```nginx
//! upstream backend {
//!     server 127.0.0.1:8080;
//! }
//! server {
//!     listen 80;
//!     location / {
//!         proxy_pass http://backend;
//!     }
//! }
//! ```
//!
//! ## Exceptions
//! Host names with dots, IP addresses and `localhost` are never reported: they are
//! meant to be resolved.
//!
//! When the definition it misses may be where proxylint cannot see (an `include` that
//! could not be read, or the main configuration around a site or snippet linted on its
//! own), the finding is only an info, and the include's NGX007 finding says what may be
//! missing.
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_upstream_module.html#upstream>

use foldhash::{HashMap, HashSet};

use crate::diagnostic::{Diagnostic, Severity};
use crate::nginx::model::index::Index;
use crate::nginx::model::upstreams::Family;
use crate::nginx::url::is_ip;
use crate::rules::{Check, Reads, Rule};
use crate::nginx::model::unseen::unless_defined_elsewhere;
use crate::workspace::Workspace;
use crate::settings::Settings;

pub const RULE: Rule = Rule {
    code: "NGX118",
    name: "unknown-upstream-name",
    severity: Severity::Error,
    reads: Reads::Nginx,
    unsuppressible: None,
    check: Check::Workspace(check),
};

/// Whether `name` is within typo distance of `group`. Short names (`app`, `api`, `web`)
/// are often distinct services, so they need to be longer to count as typos.
fn near(name: &str, group: &str) -> bool {
    let (a, b) = (name.to_ascii_lowercase(), group.to_ascii_lowercase());
    let allowed = match a.len().min(b.len()) {
        0..=4 => return false,
        5..=7 => 1,
        _ => 2,
    };
    // The length difference (in characters, as the distance counts) bounds the
    // distance from below: most pairs stop here.
    a.chars().count().abs_diff(b.chars().count()) <= allowed
        && a != b
        && strsim::damerau_levenshtein(&a, &b) <= allowed
}

/// Most characters [`near`] lets differ.
const MAX_DISTANCE: usize = 2;

/// Longest group name checked for typos: a DNS label's 63 characters. The deletion
/// index grows with the square of a name's length (a 256 KB host took 14 s, 10 MB
/// never ended), and no real group name comes near this.
const LONGEST_NAME: usize = 63;

/// Whether a name is short enough to be looked up (in characters, as distances count).
fn checkable(name: &str, slack: usize) -> bool {
    // Bytes bound characters from above: most names stop at the first test.
    name.len() <= LONGEST_NAME + slack || name.chars().count() <= LONGEST_NAME + slack
}

/// `word` with up to [`MAX_DISTANCE`] characters deleted, itself included. Two words
/// within that Damerau-Levenshtein distance share one of these (a substitution or a
/// transposition is a deletion on each side), so candidates come from a lookup instead
/// of comparing every host with every group.
fn deletions(word: &str) -> HashSet<String> {
    let mut out = HashSet::default();
    let mut frontier = vec![word.to_string()];
    out.insert(word.to_string());
    for _ in 0..MAX_DISTANCE {
        let mut next = Vec::new();
        for w in &frontier {
            for (i, c) in w.char_indices() {
                let shorter = format!("{}{}", &w[..i], &w[i + c.len_utf8()..]);
                if out.insert(shorter.clone()) {
                    next.push(shorter);
                }
            }
        }
        frontier = next;
    }
    out
}

/// Upstream groups by the deletions of their lower-case names.
fn group_index(index: &Index) -> HashMap<(Family, String), Vec<usize>> {
    let mut by_deletion: HashMap<(Family, String), Vec<usize>> = HashMap::default();
    for (i, u) in index.upstreams.iter().enumerate() {
        if !checkable(&u.name, 0) {
            continue;
        }
        for variant in deletions(&u.name.to_ascii_lowercase()) {
            by_deletion.entry((u.family, variant)).or_default().push(i);
        }
    }
    by_deletion
}

/// The first upstream group (in reading order) `host` is near.
fn nearest_group(
    groups: &HashMap<(Family, String), Vec<usize>>,
    index: &Index,
    family: Family,
    host: &str,
) -> Option<usize> {
    deletions(&host.to_ascii_lowercase())
        .into_iter()
        .filter_map(|variant| groups.get(&(family, variant)))
        .flatten()
        .copied()
        .filter(|&i| near(host, &index.upstreams[i].name))
        .min()
}

fn check(ws: &Workspace, _: &Settings) -> Vec<Diagnostic> {
    let Some(config) = ws.nginx() else {
        return Vec::new();
    };
    let index = config.index();
    let mut out = Vec::new();
    let mut groups = None;
    // The group a host is near, once per host: many passes name the same few hosts.
    let mut nearest: HashMap<(Family, &str), Option<usize>> = HashMap::default();
    for pass in &index.passes {
        let Some(target) = &pass.target else { continue };
        let host = &target.addr.host;
        if pass.upstream.is_some()
            || target.addr.unix
            || !checkable(host, MAX_DISTANCE)
            || host.contains('.')
            || is_ip(host)
            || host.eq_ignore_ascii_case("localhost")
        {
            continue;
        }
        let found = *nearest.entry((pass.family, host)).or_insert_with(|| {
            let groups = groups.get_or_insert_with(|| group_index(index));
            nearest_group(groups, index, pass.family, host)
        });
        let Some(group) = found.map(|i| &index.upstreams[i]) else {
            continue;
        };
        let Some(d) = config.tree.directive(pass.id) else {
            continue;
        };
        let Some(gd) = config.tree.directive(group.id) else {
            continue;
        };
        let diag = RULE.diagnostic(format!(
                "\"{host}\" is not an upstream group, so nginx resolves it as a host name (\"host not found in upstream\"); did you mean \"{}\"?",
                group.name
            ),
            d.args[0].span,
        )
        .with_related(gd.args[0].span, "the upstream group")
        .with_help(format!("write `{}`", d.args[0].value.replacen(host.as_str(), &group.name, 1)));
        let what = format!("upstream \"{host}\"");
        out.push(unless_defined_elsewhere(config, pass.scope, diag, &what));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `word` after `edits`: (kind, position, character) with kind 0 delete, 1 insert,
    /// 2 substitute, 3 swap with the next character.
    fn edit(word: &str, edits: &[(u8, usize, char)]) -> String {
        let mut chars: Vec<char> = word.chars().collect();
        for &(kind, at, c) in edits {
            let at = at % (chars.len() + 1);
            match kind {
                0 if at < chars.len() => drop(chars.remove(at)),
                1 => chars.insert(at, c),
                2 if at < chars.len() => chars[at] = c,
                3 if at + 1 < chars.len() => chars.swap(at, at + 1),
                _ => {}
            }
        }
        chars.into_iter().collect()
    }

    proptest! {
        /// The lookup finds every pair the distance check accepts: words two edits
        /// apart (the edits make close pairs; random pairs would rarely be).
        #[test]
        fn close_words_share_a_deletion(
            a in "[a-e0-9_-]{0,12}",
            edits in prop::collection::vec((0u8..4, 0usize..13, prop::char::range('a', 'f')), 0..=2),
        ) {
            let b = edit(&a, &edits);
            prop_assert!(strsim::damerau_levenshtein(&a, &b) <= MAX_DISTANCE);
            prop_assert!(deletions(&a).intersection(&deletions(&b)).next().is_some());
        }
    }
}
