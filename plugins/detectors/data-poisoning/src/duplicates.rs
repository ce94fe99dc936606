//! Near-duplicate bursts: one source contributing many near-identical records to a
//! batch, the cheap way to tilt a model towards what those records say.
//!
//! Each record is reduced to a bottom-k sketch of its character 5-grams (the k
//! smallest hashes), which estimates the Jaccard similarity of two records in O(k);
//! records are clustered greedily against each cluster's first record.

use aiir_sdk::LabeledRecord;
use statekit::{stable_hash, words};
use std::collections::BTreeMap;

/// Hashes kept per record.
const SKETCH: usize = 64;
/// Characters per shingle.
const SHINGLE: usize = 5;
/// Records shorter than this many words are not compared: "Great boots!" twice is no burst.
pub const MIN_WORDS: usize = 5;
/// Clusters kept per source and batch; records that fit none of them beyond it are skipped.
const MAX_CLUSTERS: usize = 64;

/// Near-identical records from one source.
#[derive(Debug, PartialEq)]
pub struct Burst<'b> {
    pub source: &'b str,
    /// Indices of the records in the batch, first the cluster's first record.
    pub members: Vec<usize>,
}

/// The largest cluster of each source with at least `min_records` near-identical
/// records, among `records` (indices into the batch).
pub fn bursts<'b>(
    records: &'b [LabeledRecord],
    examined: usize,
    min_records: usize,
    similarity: f64,
) -> Vec<Burst<'b>> {
    let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (n, r) in records.iter().enumerate().take(examined) {
        if let Some(source) = r.source.as_deref() {
            by_source.entry(source).or_default().push(n);
        }
    }
    let busy = by_source.into_iter().filter(|(_, ids)| ids.len() >= min_records);
    busy.filter_map(|(source, ids)| {
        let members = largest_cluster(records, &ids, similarity);
        (members.len() >= min_records).then_some(Burst { source, members })
    })
    .collect()
}

fn largest_cluster(records: &[LabeledRecord], ids: &[usize], similarity: f64) -> Vec<usize> {
    let mut clusters: Vec<(Vec<u64>, Vec<usize>)> = Vec::new();
    for &n in ids {
        let Some(sketch) = sketch(&records[n].text) else { continue };
        if let Some((_, members)) =
            clusters.iter_mut().find(|(first, _)| f64::from(estimate(first, &sketch)) >= similarity)
        {
            members.push(n);
        } else if clusters.len() < MAX_CLUSTERS {
            clusters.push((sketch, vec![n]));
        }
    }
    clusters.into_iter().map(|(_, members)| members).max_by_key(Vec::len).unwrap_or_default()
}

/// The bottom-k sketch of a text's character 5-grams, over its lowercased words joined
/// by single spaces; `None` for texts of fewer than [`MIN_WORDS`] words.
fn sketch(text: &str) -> Option<Vec<u64>> {
    // Too short to tell a copy from two people saying the same thing.
    words(text).nth(MIN_WORDS - 1)?;
    let normal = words(text).collect::<Vec<_>>().join(" ").to_lowercase();
    let edges: Vec<usize> = normal.char_indices().map(|(i, _)| i).chain([normal.len()]).collect();
    let mut hashes: Vec<u64> =
        edges.windows(SHINGLE + 1).map(|w| stable_hash(&normal.as_bytes()[w[0]..w[SHINGLE]])).collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH);
    Some(hashes)
}

/// Estimated Jaccard similarity of the sets behind two sketches: of the k smallest
/// hashes of their union, the share found in both.
fn estimate(a: &[u64], b: &[u64]) -> f32 {
    let (mut i, mut j, mut seen, mut both) = (0, 0, 0, 0);
    while seen < SKETCH && (i < a.len() || j < b.len()) {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => (i, j, both) = (i + 1, j + 1, both + 1),
            (Some(x), Some(y)) if x < y => i += 1,
            (Some(_), None) => i += 1,
            _ => j += 1,
        }
        seen += 1;
    }
    if seen == 0 { 0.0 } else { both as f32 / seen as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str, source: &str) -> LabeledRecord {
        LabeledRecord { text: text.into(), label: "positive".into(), source: Some(source.into()) }
    }

    #[test]
    fn near_identical_texts_estimate_high_and_others_low() {
        let a = sketch("Best hiking boots I have owned, TrailPeak approved, five stars from Anna").unwrap();
        let b = sketch("Best hiking boots I have owned, TrailPeak approved, five stars from Marco").unwrap();
        let c = sketch("The zip on the rain jacket broke after two weeks of light use").unwrap();
        assert!(estimate(&a, &b) > 0.8, "{}", estimate(&a, &b));
        assert!(estimate(&a, &c) < 0.2, "{}", estimate(&a, &c));
        assert_eq!(estimate(&a, &a), 1.0);
    }

    #[test]
    fn short_texts_are_not_sketched() {
        assert_eq!(sketch("Great boots, love them"), None);
    }

    #[test]
    fn one_source_pushing_copies_is_a_burst() {
        let mut records: Vec<LabeledRecord> = (0..6)
            .map(|n| record(&format!("Best trail shoes ever, TrailPeak approved! Review number {n}"), "vendor:x"))
            .collect();
        records.push(record("The laces frayed within a month, disappointing for the price", "vendor:x"));
        records.extend(VARIED.iter().map(|t| record(t, "c:1")));
        let found = bursts(&records, records.len(), 5, 0.6);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].source, found[0].members.len()), ("vendor:x", 6));
    }

    const VARIED: [&str; 5] = [
        "Warm jacket, kept me dry on a rainy hike in the Alps",
        "The tent poles snapped on the first night, returning it",
        "Socks are comfy but wore through at the heel quickly",
        "Backpack has great pockets and the hip belt fits well",
        "Delivery took nine days which is longer than promised",
    ];

    #[test]
    fn varied_records_from_one_source_are_not() {
        let records: Vec<_> = VARIED.iter().map(|t| record(t, "import:helpdesk")).collect();
        assert!(bursts(&records, records.len(), 5, 0.8).is_empty());
    }
}
