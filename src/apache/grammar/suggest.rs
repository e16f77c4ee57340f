//! Did-you-mean for unknown directive names: the closest name a Linux build of httpd
//! (any module, loaded or not) knows, within two edits, compared without case.
//!
//! Bounded: names are bucketed by length once, so a lookup compares with the few
//! names of a similar length, and names longer than any directive get no suggestion.

use std::sync::OnceLock;

use super::{DEFS, Version};

/// Longest name compared; no directive is longer than 48 bytes.
const MAX_LEN: usize = 64;

/// Known names (lowercased, original spelling) by byte length.
fn buckets() -> &'static Vec<Vec<(String, &'static str)>> {
    static BUCKETS: OnceLock<Vec<Vec<(String, &'static str)>>> = OnceLock::new();
    BUCKETS.get_or_init(|| {
        let mut buckets = vec![Vec::new(); MAX_LEN + 1];
        let mut seen = foldhash::HashSet::default();
        for def in DEFS {
            let lower = def.name.to_ascii_lowercase();
            if def.name.len() <= MAX_LEN && seen.insert(lower.clone()) {
                buckets[def.name.len()].push((lower, def.name));
            }
        }
        buckets
    })
}

/// Whether a name of this length is a plausible slip of a known name.
fn allowed_edits(len: usize) -> usize {
    if len <= 4 { 1 } else { 2 }
}

/// The known name closest to `name` (at most two edits: insertion, deletion,
/// substitution or transposition), among names available in `version`.
pub(super) fn closest(name: &str, version: Version) -> Option<&'static str> {
    if name.is_empty() || name.len() > MAX_LEN {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let max = allowed_edits(lower.len());
    let mut best: Option<(usize, &'static str)> = None;
    let lo = lower.len().saturating_sub(max);
    let hi = (lower.len() + max).min(MAX_LEN);
    for bucket in &buckets()[lo..=hi] {
        for (candidate, original) in bucket {
            let d = strsim::damerau_levenshtein(&lower, candidate);
            if d <= max
                && best.is_none_or(|(b, _)| d < b)
                && super::defs(original).any(|def| def.available(version))
            {
                best = Some((d, original));
            }
        }
    }
    best.map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apache::grammar::DEFAULT_VERSION;

    #[test]
    fn suggests_names_within_two_edits() {
        assert_eq!(closest("ProxyPas", DEFAULT_VERSION), Some("ProxyPass"));
        assert_eq!(
            closest("proxypasreverse", DEFAULT_VERSION),
            Some("ProxyPassReverse")
        );
        assert_eq!(closest("ServerNmae", DEFAULT_VERSION), Some("ServerName"));
        assert_eq!(
            closest("<VirtualHots", DEFAULT_VERSION),
            Some("<VirtualHost")
        );
    }

    #[test]
    fn no_suggestion_for_far_or_huge_names() {
        assert_eq!(closest("Qqqqqqqqqqqqq", DEFAULT_VERSION), None);
        assert_eq!(closest("", DEFAULT_VERSION), None);
        assert_eq!(closest(&"x".repeat(100_000), DEFAULT_VERSION), None);
    }

    #[test]
    fn short_names_allow_one_edit() {
        assert_eq!(closest("Uss", DEFAULT_VERSION), Some("Use"));
        assert_eq!(closest("Uxx", DEFAULT_VERSION), None);
    }

    #[test]
    fn names_of_other_builds_are_not_suggested() {
        // TLSEngine (mod_tls) left httpd after 2.4.62.
        assert_ne!(closest("TLSEngin", DEFAULT_VERSION), Some("TLSEngine"));
    }
}
