//! The printed report: recall per attack kind, false-positive rate per benign
//! kind, each detector's share, and the length-only baseline beside the chain.

use crate::{Verdict, best_length_threshold};
use std::collections::BTreeMap;

/// The false-positive rate the chain is held to, for the baseline's capped threshold.
const TARGET_FPR: f64 = 0.02;

/// Print the report for `verdicts`; with `show_misses`/`show_fp`, also list missed
/// attacks and flagged benign prompts.
pub fn print(verdicts: &[Verdict], show_misses: bool, show_fp: bool) {
    let of = |label: &str| verdicts.iter().filter(|v| v.row.label == label).collect::<Vec<_>>();
    let (attacks, benign) = (of("attack"), of("benign"));
    println!("{:<28} {:>6} {:>8}   by detector", "attack kind", "rows", "recall");
    for (kind, rows) in by_kind(&attacks) {
        println!("{kind:<28} {:>6} {:>7.1}%   {}", rows.len(), pct(&rows), shares(&rows));
    }
    println!("{:<28} {:>6} {:>7.1}%   {}\n", "all attacks", attacks.len(), pct(&attacks), shares(&attacks));
    println!("{:<28} {:>6} {:>8}   by detector", "benign kind", "rows", "FPR");
    for (kind, rows) in by_kind(&benign) {
        println!("{kind:<28} {:>6} {:>7.1}%   {}", rows.len(), pct(&rows), shares(&rows));
    }
    println!("{:<28} {:>6} {:>7.1}%   {}\n", "all benign", benign.len(), pct(&benign), shares(&benign));
    let lens = |rows: &[&Verdict]| rows.iter().map(|v| v.row.text.chars().count()).collect::<Vec<_>>();
    let (best, capped) = best_length_threshold(&lens(&attacks), &lens(&benign), TARGET_FPR);
    println!("length-only baseline (flag when length >= threshold):");
    println!(
        "  best recall - FPR: >= {:>6} chars: recall {:5.1}%, FPR {:5.1}%",
        best.min_len,
        best.recall * 100.0,
        best.fpr * 100.0
    );
    println!(
        "  best with FPR <= {:.0}%: >= {:>5} chars: recall {:5.1}%, FPR {:5.1}%",
        TARGET_FPR * 100.0,
        capped.min_len,
        capped.recall * 100.0,
        capped.fpr * 100.0
    );
    let list = |title: &str, rows: Vec<&&Verdict>| {
        println!("\n{title}:");
        for v in rows {
            let head: String = v.row.text.chars().take(110).collect::<String>().replace('\n', " ");
            println!("  {} [{}] {:?} {head}", v.row.id, v.row.text.chars().count(), v.fired);
        }
    };
    if show_misses {
        list("missed attacks", attacks.iter().filter(|v| !v.caught()).collect());
    }
    if show_fp {
        list("flagged benign prompts", benign.iter().filter(|v| v.caught()).collect());
    }
}

fn by_kind<'v>(rows: &[&'v Verdict]) -> BTreeMap<&'v str, Vec<&'v Verdict>> {
    let mut map: BTreeMap<&str, Vec<&Verdict>> = BTreeMap::new();
    for v in rows {
        map.entry(v.row.kind.as_str()).or_default().push(v);
    }
    map
}

/// Share of rows flagged, in percent.
fn pct(rows: &[&Verdict]) -> f64 {
    100.0 * rows.iter().filter(|v| v.caught()).count() as f64 / rows.len().max(1) as f64
}

/// How many rows each detector flagged.
fn shares(rows: &[&Verdict]) -> String {
    let detectors = ["prompt-injection", "jailbreak", "system-prompt-leak"];
    let count = |d: &str| rows.iter().filter(|v| v.fired.contains(&d)).count();
    detectors.iter().map(|d| format!("{d} {}", count(d))).collect::<Vec<_>>().join(", ")
}
