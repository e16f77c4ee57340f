//! Did-you-mean: the known name closest to an unknown one (a directive, a variable), in
//! time bounded by the names' lengths. Dialect-neutral; two measures:
//!
//! - [`closest`]: Jaro-Winkler, optionally with a few edits allowed (Levenshtein), for
//!   nginx's names. Both need lengths of the same order, so a candidate whose length
//!   rules it out is never compared: a 60 MB "directive name" (binary garbage, a runaway
//!   quote) costs one count of its characters, not a comparison with every known name
//!   (which never ended).
//! - [`EditIndex`]: at most two edits (optimal string alignment), compared without case,
//!   over names bucketed by length once, for httpd's case-insensitive directive names.

/// The candidate most similar to `name` that is close enough: a Jaro-Winkler similarity
/// of at least `min_score` (0.9 or more), or at most `max_edits` single-character edits.
pub fn closest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    min_score: f64,
    max_edits: usize,
) -> Option<&'a str> {
    let len = name.chars().count();
    // Jaro-Winkler is at most 0.6 * Jaro + 0.4 (a prefix of up to 4 scaled by 0.1), and
    // Jaro at most (2 + shorter / longer) / 3: a score of `min_score` needs the shorter
    // name to be at least this fraction of the longer one.
    let jaro = (min_score - 0.4) / 0.6;
    let min_ratio = (3.0 * jaro - 2.0).max(0.0);
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let clen = candidate.chars().count();
        let (short, long) = (len.min(clen), len.max(clen));
        let similar_length = short as f64 >= min_ratio * long as f64;
        let few_edits = long - short <= max_edits;
        if !similar_length && !few_edits {
            continue;
        }
        let score = strsim::jaro_winkler(name, candidate);
        let close = (similar_length && score >= min_score)
            || (few_edits && max_edits > 0 && strsim::levenshtein(name, candidate) <= max_edits);
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, n)| n)
}

/// Longest name an [`EditIndex`] compares; longer names get no suggestion.
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

/// Known names by byte length, for suggestions within two edits, compared without case.
pub struct EditIndex {
    buckets: Vec<Vec<Candidate>>,
}

impl EditIndex {
    /// The index of `names` (the first spelling of names equal without case is kept;
    /// names longer than 64 bytes are left out).
    pub fn new(names: impl IntoIterator<Item = &'static str>) -> EditIndex {
        let mut buckets: Vec<Vec<Candidate>> = (0..=MAX_LEN).map(|_| Vec::new()).collect();
        let mut seen = foldhash::HashSet::default();
        for name in names {
            let lower = name.to_ascii_lowercase().into_bytes();
            if lower.len() <= MAX_LEN && seen.insert(lower.clone()) {
                buckets[lower.len()].push(Candidate {
                    histogram: histogram(&lower),
                    lower,
                    name,
                });
            }
        }
        EditIndex { buckets }
    }

    /// The known name closest to `name` (at most two edits: insertion, deletion,
    /// substitution or transposition; one for names of up to 4 bytes) that `accept`
    /// takes.
    pub fn closest(&self, name: &str, accept: impl Fn(&str) -> bool) -> Option<&'static str> {
        if name.is_empty() || name.len() > MAX_LEN {
            return None;
        }
        let lower = name.to_ascii_lowercase().into_bytes();
        let mine = histogram(&lower);
        let max = if lower.len() <= 4 { 1 } else { 2 };
        let mut best: Option<(usize, &'static str)> = None;
        let lo = lower.len().saturating_sub(max);
        let hi = (lower.len() + max).min(MAX_LEN);
        for bucket in &self.buckets[lo..=hi] {
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
                if d <= max && best.is_none_or(|(b, _)| d < b) && accept(c.name) {
                    best = Some((d, c.name));
                }
            }
        }
        best.map(|(_, n)| n)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    fn edit_index_is_case_blind_and_bounded() {
        let index = EditIndex::new(["ProxyPass", "Use", "ServerName"]);
        assert_eq!(index.closest("proxypas", |_| true), Some("ProxyPass"));
        assert_eq!(index.closest("Uss", |_| true), Some("Use"));
        assert_eq!(index.closest("Uxx", |_| true), None);
        assert_eq!(index.closest("ServerNmae", |n| n != "ServerName"), None);
        assert_eq!(index.closest(&"x".repeat(100_000), |_| true), None);
    }

    #[test]
    fn finds_typos() {
        let names = ["proxy_pass", "proxy_read_timeout", "root"];
        assert_eq!(closest("proxy_passs", names, 0.93, 2), Some("proxy_pass"));
        assert_eq!(closest("rot", names, 0.93, 2), Some("root"));
        assert_eq!(closest("listen", names, 0.93, 2), None);
    }

    /// A 1 MB name used to be compared with every name (seconds; 60 MB never ended).
    #[test]
    fn huge_names_are_not_compared() {
        let huge = "d".repeat(1 << 20);
        let started = std::time::Instant::now();
        assert_eq!(closest(&huge, ["proxy_pass", "dd"], 0.9, 2), None);
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    proptest! {
        /// The length bound never drops a candidate the full comparison would accept.
        #[test]
        fn the_length_bound_is_exact(a in "[a-f_]{0,24}", b in "[a-f_]{1,24}") {
            let full = strsim::jaro_winkler(&a, &b) >= 0.9
                || (a.chars().count().abs_diff(b.chars().count()) <= 2 && strsim::levenshtein(&a, &b) <= 2);
            prop_assert_eq!(closest(&a, [b.as_str()], 0.9, 2).is_some(), full);
        }
    }
}
