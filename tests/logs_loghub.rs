//! Grouping accuracy (GA) and parsing accuracy (PA) of the template miner on Loghub's
//! Apache sample, against loghub-2.0's corrected ground truth (Zhu et al., "Tools and
//! Benchmarks for Automated Log Parsing", ICSE-SEIP 2019; Jiang et al., loghub-2.0, 2024).
//!
//! GA: a line is correct when the set of lines in its mined group equals the set of lines
//! of its ground-truth group. PA: a line is correct when its mined template equals the
//! ground-truth template. Drain's published figures on this sample: GA 1.0, PA 0.694.
//!
//! The lines go through the same record parser as `proxylint logs`, and the miner sees the
//! same `content` it sees there (the message after the time and level brackets).

#[path = "common/skip.rs"]
mod skip;

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use proxylint::logs::record;
use proxylint::logs::template::Miner;

fn loghub() -> Option<PathBuf> {
    skip::shared("corpus/logs/loghub", "Loghub template accuracy")
}

/// Splits one CSV record (RFC 4180 quoting; the Loghub files have no embedded newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Loghub's grouping accuracy: the share of lines whose predicted group is exactly their
/// true group.
fn grouping_accuracy(predicted: &[u32], truth: &[String]) -> f64 {
    let mut by_pred: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (p, t)) in predicted.iter().zip(truth).enumerate() {
        by_pred.entry(*p).or_default().push(i);
        by_truth.entry(t.as_str()).or_default().push(i);
    }
    let correct: usize = by_pred
        .values()
        .filter(|lines| {
            let t = &truth[lines[0]];
            by_truth.get(t.as_str()).is_some_and(|tl| tl == *lines)
        })
        .map(Vec::len)
        .sum();
    correct as f64 / predicted.len() as f64
}

#[test]
fn template_miner_reaches_drain_ga_and_beats_drain_pa_on_loghub_apache() {
    let Some(dir) = loghub() else { return };
    let raw = fs::read_to_string(dir.join("Apache/Apache_2k.log")).expect("Apache_2k.log");
    let truth_csv =
        fs::read_to_string(dir.join("loghub-2.0/Apache/Apache_2k.log_structured_corrected.csv"))
            .expect("corrected ground truth");
    let truth: Vec<(String, String)> = truth_csv
        .lines()
        .skip(1)
        .map(|l| {
            let f = csv_fields(l);
            (f[4].clone(), f[5].clone())
        })
        .collect();
    let lines: Vec<&str> = raw.lines().collect();
    assert_eq!(lines.len(), truth.len());

    let mut miner = Miner::new();
    let ids: Vec<u32> = lines
        .iter()
        .map(|l| miner.add(record::parse(l).content))
        .collect();
    let templates: Vec<String> = ids
        .iter()
        .map(|&id| miner.templates()[id as usize].text())
        .collect();

    let truth_ids: Vec<String> = truth.iter().map(|(id, _)| id.clone()).collect();
    let ga = grouping_accuracy(&ids, &truth_ids);
    let pa_correct = templates
        .iter()
        .zip(&truth)
        .filter(|(mine, (_, t))| *mine == t)
        .count();
    let pa = pa_correct as f64 / lines.len() as f64;
    println!(
        "Loghub Apache_2k: GA = {ga:.3}, PA = {pa:.3} ({} templates)",
        miner.templates().len()
    );
    for (mine, (id, t)) in templates
        .iter()
        .zip(&truth)
        .filter(|(m, (_, t))| *m != t)
        .take(5)
    {
        println!("  PA miss: {id}: mined {mine:?}, truth {t:?}");
    }
    assert!(ga >= 1.0, "GA {ga} below Drain's 1.0");
    assert!(pa > 0.694, "PA {pa} does not beat Drain's 0.694");
}
