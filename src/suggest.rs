//! Did-you-mean: the known name closest to an unknown one (a directive, a variable), in
//! time bounded by the names' lengths.
//!
//! Similarity is Jaro-Winkler, optionally with a few edits allowed (Levenshtein).
//! Both need lengths of the same order, so a candidate whose length rules it out is
//! never compared: a 60 MB "directive name" (binary garbage, a runaway quote) costs one
//! count of its characters, not a comparison with every known name (which never ended).

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
