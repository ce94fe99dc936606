//! What the plugin remembers about one data set between its batches.

use crate::labels::{self, Counts, MAX_LABELS, OTHER};
use aiir_sdk::TrainingData;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One data set: its baseline and running totals, kept in the host's state.
#[derive(Debug, Serialize, Deserialize)]
pub struct Dataset {
    /// Batches seen so far.
    pub batches: u32,
    /// The expected label mix: learned from the first batches, or the operator's.
    pub baseline: Counts,
    /// Whether `baseline` is the operator's, so checked from the first batch.
    pub explicit: bool,
    /// Records seen so far, and in the baseline batches.
    pub records: u64,
    pub baseline_records: u64,
    /// Labels by index (at most [`MAX_LABELS`], the last [`OTHER`] when full), and the
    /// records seen with each.
    labels: Vec<String>,
    pub label_totals: Vec<f64>,
    /// Words of the data set kept in the host's state.
    #[serde(default)]
    pub words: u32,
}

impl Dataset {
    pub fn new(explicit: Option<&HashMap<String, f64>>) -> Self {
        let baseline = explicit.map(|shares| shares.clone().into_iter().collect()).unwrap_or_default();
        Self {
            batches: 0,
            baseline,
            explicit: explicit.is_some(),
            records: 0,
            baseline_records: 0,
            labels: Vec::new(),
            label_totals: Vec::new(),
            words: 0,
        }
    }

    /// Count a batch in: its label counts, and each record's label index. During the
    /// first `baseline_batches` batches, the labels also build a learned baseline.
    pub fn absorb(&mut self, data: &TrainingData, in_baseline: bool) -> (Counts, Vec<u16>) {
        let mut counts = Counts::new();
        let ids = data.records.iter().map(|r| {
            labels::count(&mut counts, &r.label, 1.0);
            self.index(&r.label)
        });
        let ids: Vec<u16> = ids.collect();
        if in_baseline && !self.explicit {
            counts.iter().for_each(|(label, n)| labels::count(&mut self.baseline, label, *n));
        }
        let n = data.records.len() as u64;
        self.records += n;
        if in_baseline {
            self.baseline_records += n;
        }
        self.batches += 1;
        (counts, ids)
    }

    /// The index of `label`, adding it while there is room.
    fn index(&mut self, label: &str) -> u16 {
        let at = match self.labels.iter().position(|l| l == label) {
            Some(at) => at,
            None if self.labels.len() < MAX_LABELS - 1 => self.push(label),
            None => self.labels.iter().position(|l| l == OTHER).unwrap_or_else(|| self.push(OTHER)),
        };
        self.label_totals[at] += 1.0;
        u16::try_from(at).expect("at most MAX_LABELS labels")
    }

    fn push(&mut self, label: &str) -> usize {
        self.labels.push(label.to_owned());
        self.label_totals.push(0.0);
        self.labels.len() - 1
    }

    /// The name of label index `at`.
    pub fn label(&self, at: u16) -> &str {
        self.labels.get(usize::from(at)).map_or(OTHER, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(labels: &[&str]) -> TrainingData {
        labels.iter().fold(TrainingData::new("ds", "b"), |d, l| d.record("text", *l))
    }

    #[test]
    fn baseline_batches_build_the_baseline_and_later_ones_do_not() {
        let mut ds = Dataset::new(None);
        ds.absorb(&batch(&["pos", "neg", "pos"]), true);
        let (counts, ids) = ds.absorb(&batch(&["neg", "neg"]), false);
        assert_eq!(ds.baseline["pos"], 2.0);
        assert_eq!(ds.baseline["neg"], 1.0);
        assert_eq!(counts["neg"], 2.0);
        assert_eq!(ids, [1, 1]);
        assert_eq!((ds.records, ds.baseline_records, ds.batches), (5, 3, 2));
        assert_eq!(ds.label_totals, [2.0, 3.0]);
    }

    #[test]
    fn an_explicit_baseline_is_kept() {
        let shares = HashMap::from([("pos".to_owned(), 0.5)]);
        let mut ds = Dataset::new(Some(&shares));
        ds.absorb(&batch(&["neg"]), true);
        assert_eq!(ds.baseline.len(), 1);
    }

    #[test]
    fn labels_beyond_the_limit_share_one_index() {
        let mut ds = Dataset::new(None);
        let names: Vec<String> = (0..40).map(|n| format!("l{n}")).collect();
        let (_, ids) = ds.absorb(&batch(&names.iter().map(String::as_str).collect::<Vec<_>>()), false);
        assert_eq!(ids[39], ids[31]);
        assert_eq!(ds.label(ids[39]), OTHER);
    }
}
