//! Did-you-mean for unknown directive names: the closest name a Linux build of httpd
//! (any module, loaded or not) knows, within two edits, compared without case.
//!
//! Bounded: names are bucketed by length once, so a lookup compares with the few
//! names of a similar length, and names longer than any directive get no suggestion.

use std::sync::OnceLock;

use super::{DEFS, Version};

/// Longest name compared; no directive is longer than 48 bytes.
const MAX_LEN: usize = 64;

/// A known name: lowercased bytes, spelling, and how many times each byte class occurs
/// (a cheap lower bound on the edit distance rules most names out before the distance).
struct Candidate {
    lower: Vec<u8>,
    name: &'static str,
    histogram: [u8; 32],
}

fn histogram(bytes: &[u8]) -> [u8; 32] {
    let mut h = [0u8; 32];
    for &b in bytes {
        let slot = &mut h[usize::from(b % 32)];
        *slot = slot.saturating_add(1);
    }
    h
}

/// Known names by byte length.
fn buckets() -> &'static Vec<Vec<Candidate>> {
    static BUCKETS: OnceLock<Vec<Vec<Candidate>>> = OnceLock::new();
    BUCKETS.get_or_init(|| {
        let mut buckets: Vec<Vec<Candidate>> = (0..=MAX_LEN).map(|_| Vec::new()).collect();
        let mut seen = foldhash::HashSet::default();
        for def in DEFS {
            let lower = def.name.to_ascii_lowercase().into_bytes();
            if lower.len() <= MAX_LEN && seen.insert(lower.clone()) {
                buckets[lower.len()].push(Candidate {
                    histogram: histogram(&lower),
                    lower,
                    name: def.name,
                });
            }
        }
        buckets
    })
}

/// Whether a name of this length is a plausible slip of a known name.
fn allowed_edits(len: usize) -> usize {
    if len <= 4 { 1 } else { 2 }
}

/// Optimal string alignment distance (insertions, deletions, substitutions, adjacent
/// transpositions) of two names of at most `MAX_LEN` bytes, without allocating.
fn osa(a: &[u8], b: &[u8]) -> usize {
    let mut rows = [[0usize; MAX_LEN + 1]; 3];
    for (j, cell) in rows[1].iter_mut().enumerate().take(b.len() + 1) {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (prev2, rest) = rows.split_at_mut(1);
        let (prev, cur) = rest.split_at_mut(1);
        let (prev2, prev, cur) = (&prev2[0], &prev[0], &mut cur[0]);
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        rows.rotate_left(1);
    }
    rows[1][b.len()]
}

/// The known name closest to `name` (at most two edits: insertion, deletion,
/// substitution or transposition), among names available in `version`.
pub(super) fn closest(name: &str, version: Version) -> Option<&'static str> {
    if name.is_empty() || name.len() > MAX_LEN {
        return None;
    }
    let lower = name.to_ascii_lowercase().into_bytes();
    let mine = histogram(&lower);
    let max = allowed_edits(lower.len());
    let mut best: Option<(usize, &'static str)> = None;
    let lo = lower.len().saturating_sub(max);
    let hi = (lower.len() + max).min(MAX_LEN);
    for bucket in &buckets()[lo..=hi] {
        for c in bucket {
            // Each edit changes at most two byte-class counts by one.
            let diff: usize = mine
                .iter()
                .zip(&c.histogram)
                .map(|(x, y)| usize::from(x.abs_diff(*y)))
                .sum();
            if diff > 2 * max {
                continue;
            }
            let d = osa(&lower, &c.lower);
            if d <= max
                && best.is_none_or(|(b, _)| d < b)
                && super::defs(c.name).any(|def| def.available(version))
            {
                best = Some((d, c.name));
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
    fn osa_counts_edits() {
        assert_eq!(osa(b"proxypass", b"proxypass"), 0);
        assert_eq!(osa(b"proxypas", b"proxypass"), 1);
        assert_eq!(osa(b"porxypass", b"proxypass"), 1);
        assert_eq!(osa(b"abc", b"xyz"), 3);
        assert_eq!(osa(b"", b"ab"), 2);
        assert_eq!(osa(b"ca", b"abc"), 3);
        assert_eq!(osa(b"ca", b"ac"), 1);
    }

    #[test]
    fn names_of_other_builds_are_not_suggested() {
        // TLSEngine (mod_tls) left httpd after 2.4.62.
        assert_ne!(closest("TLSEngin", DEFAULT_VERSION), Some("TLSEngine"));
    }
}
