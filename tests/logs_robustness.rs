//! No input makes the log pipeline panic: arbitrary text, and real fixture lines cut,
//! spliced and sprinkled with odd bytes, go through parse → classify → correlate → mine.

use proptest::prelude::*;
use proxylint::logs::analyze::Analyzer;
use proxylint::logs::record;
use proxylint::logs::sink::Discard;

fn fixture_lines() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs");
    let mut lines = Vec::new();
    for sub in ["nginx", "apache", "samples"] {
        for entry in std::fs::read_dir(dir.join(sub))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                lines.extend(text.lines().map(str::to_owned));
            }
        }
    }
    lines
}

fn analyse(lines: &[String]) {
    let mut a = Analyzer::new(None, None);
    let mut sink = Discard;
    for (i, l) in lines.iter().enumerate() {
        let rec = record::parse(l);
        let _ = a.push(0, "f", i as u64 + 1, &rec, l, &mut sink);
    }
    let _ = a.flush(0, "f", &mut sink);
    let _ = a.finish();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(lines in prop::collection::vec(".{0,300}", 1..20)) {
        analyse(&lines);
    }

    #[test]
    fn mangled_real_lines_never_panic(
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), ".{0,12}"), 1..20)
    ) {
        let real = fixture_lines();
        prop_assume!(!real.is_empty());
        let lines: Vec<String> = picks
            .iter()
            .map(|(which, cut, junk)| {
                let l = which.get(&real);
                let chars: Vec<char> = l.chars().collect();
                let at = cut.index(chars.len() + 1);
                let mut s: String = chars[..at].iter().collect();
                s.push_str(junk);
                s.extend(chars[at..].iter());
                s
            })
            .collect();
        analyse(&lines);
    }
}
