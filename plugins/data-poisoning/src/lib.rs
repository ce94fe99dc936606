//! `data-poisoning`: finds training-data batches that look poisoned.
//!
//! - `data-poisoning/label-shift` (medium): a batch's label mix departs from the data
//!   set's baseline, far and beyond chance (label flipping, a flood of one class).
//! - `data-poisoning/trigger` (high): rare words, new since the baseline, that nearly
//!   always carry one label: a planted backdoor trigger.
//! - `data-poisoning/near-duplicates` (medium): one source sends a burst of
//!   near-identical records.
//!
//! State is kept per data set, bounded, across the batches of one warm instance.

mod config;
mod dataset;
mod duplicates;
mod labels;
mod triggers;

use aiir_sdk::TrainingData;
use aiir_sdk::prelude::*;
use config::Config;
use datakit::Redacted;
use dataset::Dataset;
use labels::Counts;
use statekit::{Lru, stable_hash};
use std::collections::{BTreeMap, HashMap};
use triggers::{Corpus, WordStats};

/// Data sets remembered; the least recently seen is forgotten beyond it.
const MAX_DATASETS: usize = 64;
/// (data set, word) pairs remembered, across all data sets.
const MAX_WORDS: usize = 50_000;
/// Records of a batch examined for words and duplicates.
const MAX_EXAMINED: usize = 5_000;
/// Words named in one trigger finding.
const WORDS_SHOWN: usize = 5;

const POISONING: [&str; 2] = ["AML.T0020", "LLM04"];
const TRIGGER: [&str; 3] = ["AML.T0020", "AML.T0043.004", "LLM04"];

/// The detector: settings, and what it has learned of each data set.
#[derive(Debug)]
pub struct DataPoisoning {
    config: Config,
    datasets: Lru<String, Dataset>,
    /// By [`word_key`]: the words of all data sets.
    words: Lru<u64, WordStats>,
    next_id: u32,
}

impl Default for DataPoisoning {
    fn default() -> Self {
        Self { config: Config::default(), datasets: Lru::new(MAX_DATASETS), words: Lru::new(MAX_WORDS), next_id: 0 }
    }
}

impl Detector for DataPoisoning {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "data-poisoning",
            env!("CARGO_PKG_VERSION"),
            "training-data batches whose labels shift from the baseline, that carry a backdoor trigger word, \
             or in which one source sends a burst of near-duplicates",
        )
        .kinds([EventKind::TrainingData])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let Payload::TrainingData(data) = &event.payload else {
            return Ok(Vec::new());
        };
        let config = &self.config;
        let next_id = &mut self.next_id;
        let ds = self.datasets.get_or_insert_with(data.dataset.clone(), || {
            *next_id += 1;
            Dataset::new(*next_id, config.baseline.get(&data.dataset))
        });
        let in_baseline = ds.batches < config.baseline_batches;
        let (counts, label_ids) = ds.absorb(data, in_baseline);
        let mut findings = Vec::new();
        if !in_baseline || ds.explicit {
            findings.extend(label_shift(data, &counts, ds, config));
        }
        let batch_words = count_words(&mut self.words, ds.id, data, &label_ids, in_baseline);
        if !in_baseline {
            findings.extend(triggers(&mut self.words, &batch_words, data, ds, config));
        }
        findings.extend(near_duplicates(data, config));
        Ok(findings)
    }
}

fn label_shift(data: &TrainingData, counts: &Counts, ds: &Dataset, config: &Config) -> Option<Finding> {
    if data.records.len() < config.min_batch_records {
        return None;
    }
    let shift = labels::shift(counts, &ds.baseline)?;
    if !shift.significant || shift.distance < config.max_label_shift {
        return None;
    }
    let (label, now, before) = &shift.grown;
    let title = format!(
        "batch {} of {}: {label} is {:.0}% of the labels, against {:.0}% in the baseline (distance {:.2})",
        data.batch,
        data.dataset,
        now * 100.0,
        before * 100.0,
        shift.distance
    );
    let finding = Finding::new("data-poisoning/label-shift", title, Severity::Medium)
        .confidence((0.5 + shift.distance / 2.0).min(0.95) as f32)
        .techniques(POISONING);
    let first = data.records.iter().position(|r| r.label == *label);
    Some(match first {
        Some(n) => finding.evidence(format!("payload.training_data.records[{n}].label"), label.clone()),
        None => finding,
    })
}

/// Count the batch's words into the data set's statistics; the distinct words seen,
/// by hash, each with its first spelling.
fn count_words<'d>(
    words: &mut Lru<u64, WordStats>,
    id: u32,
    data: &'d TrainingData,
    label_ids: &[u16],
    in_baseline: bool,
) -> HashMap<u64, &'d str> {
    let mut seen = HashMap::new();
    for (record, label) in data.records.iter().zip(label_ids).take(MAX_EXAMINED) {
        let source = record.source.as_deref().map(|s| stable_hash(s.as_bytes()));
        for (hash, word) in triggers::record_words(&record.text) {
            words.get_or_insert_with(word_key(id, hash), WordStats::default).add(*label, source, in_baseline);
            if seen.len() < MAX_WORDS {
                seen.entry(hash).or_insert(word);
            }
        }
    }
    seen
}

/// A word's key among all data sets' words: its hash, mixed with the data set's id.
fn word_key(dataset: u32, word: u64) -> u64 {
    word ^ stable_hash(&dataset.to_le_bytes())
}

/// One finding per label that some of the batch's words have become triggers for.
fn triggers(
    words: &mut Lru<u64, WordStats>,
    batch_words: &HashMap<u64, &str>,
    data: &TrainingData,
    ds: &Dataset,
    config: &Config,
) -> Vec<Finding> {
    let corpus = Corpus { records: ds.records, baseline_records: ds.baseline_records, label_totals: &ds.label_totals };
    let mut by_label: BTreeMap<u16, Vec<(u32, String)>> = BTreeMap::new();
    for (hash, word) in batch_words {
        let Some(stats) = words.get_mut(&word_key(ds.id, *hash)) else { continue };
        if let Some((label, _)) = triggers::judge(stats, &corpus, config) {
            stats.reported = true;
            by_label.entry(label).or_default().push((stats.baseline_docs + stats.docs, word.to_lowercase()));
        }
    }
    by_label.into_iter().map(|(label, mut found)| trigger_finding(data, ds.label(label), &mut found)).collect()
}

fn trigger_finding(data: &TrainingData, label: &str, found: &mut [(u32, String)]) -> Finding {
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let shown: Vec<String> = found.iter().take(WORDS_SHOWN).map(|(n, w)| format!("\"{w}\" ({n} records)")).collect();
    let more = found.len().saturating_sub(WORDS_SHOWN);
    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
    let title = format!(
        "batch {} of {}: {}{more} nearly always labelled {label}, rare and new since the baseline: \
         a likely backdoor trigger",
        data.batch,
        data.dataset,
        shown.join(", ")
    );
    let finding = Finding::new("data-poisoning/trigger", title, Severity::High).confidence(0.7).techniques(TRIGGER);
    let top = found[0].1.as_str();
    let Some((n, record)) = data.records.iter().enumerate().find(|(_, r)| triggers::locate(&r.text, top).is_some())
    else {
        return finding;
    };
    // Masked first, so the excerpt never repeats an address or a number in clear.
    let text = Redacted::all(&record.text);
    let range = triggers::locate(&text, top).unwrap_or(0..text.len());
    finding.evidence(format!("payload.training_data.records[{n}].text"), excerpt(&text, range))
}

fn near_duplicates(data: &TrainingData, config: &Config) -> Vec<Finding> {
    let (min, similarity) = (config.duplicate_min_records, config.duplicate_similarity);
    let bursts = duplicates::bursts(&data.records, MAX_EXAMINED, min, similarity);
    bursts.into_iter().map(|b| burst_finding(data, &b, min)).collect()
}

fn burst_finding(data: &TrainingData, burst: &duplicates::Burst<'_>, min: usize) -> Finding {
    let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
    for &n in &burst.members {
        *labels.entry(data.records[n].label.as_str()).or_default() += 1;
    }
    let (label, n) = labels.iter().max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l))).expect("a burst has members");
    let title = format!(
        "source {} sent {} near-identical records to batch {} of {}, {n} of them labelled {label}",
        burst.source,
        burst.members.len(),
        data.batch,
        data.dataset
    );
    let confidence = if burst.members.len() >= 2 * min { 0.85 } else { 0.7 };
    let first = burst.members[0];
    let text = Redacted::all(&data.records[first].text);
    Finding::new("data-poisoning/near-duplicates", title, Severity::Medium)
        .confidence(confidence)
        .techniques(POISONING)
        .evidence(format!("payload.training_data.records[{first}].text"), excerpt(&text, 0..text.len()))
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(DataPoisoning);

#[cfg(test)]
mod tests;
