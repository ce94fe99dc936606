//! `data-poisoning`: finds training-data batches that look poisoned.
//!
//! - `data-poisoning/label-shift` (medium): a batch's label mix departs from the data
//!   set's baseline, far and beyond chance (label flipping, a flood of one class).
//! - `data-poisoning/trigger` (high): rare words, new since the baseline, that nearly
//!   always carry one label: a planted backdoor trigger.
//! - `data-poisoning/near-duplicates` (medium): one source sends a burst of
//!   near-identical records.
//!
//! What decides a finding (each data set's baseline, label totals and words) is kept
//! in the host's state, by data set ([`memory`]): the struct holds only the settings,
//! and a restarted instance finds what an uninterrupted one would.

mod config;
mod dataset;
mod duplicates;
mod labels;
mod memory;
mod triggers;

use aiir_sdk::TrainingData;
use aiir_sdk::prelude::*;
use config::Config;
use datakit::Redacted;
use dataset::Dataset;
use labels::Counts;
use memory::{BatchWords, Keys};
use statekit::stable_hash;
use std::collections::BTreeMap;
use triggers::Corpus;

/// Records of a batch examined for words and duplicates.
const MAX_EXAMINED: usize = 5_000;
/// Words named in one trigger finding.
const WORDS_SHOWN: usize = 5;

const POISONING: [&str; 2] = ["AML.T0020", "LLM04"];
const TRIGGER: [&str; 3] = ["AML.T0020", "AML.T0043.004", "LLM04"];

/// The detector: its settings. What it learns of each data set is in the host's state.
#[derive(Debug, Default)]
pub struct DataPoisoning {
    config: Config,
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
        let keys = Keys::of(&data.dataset);
        let mut ds = keys.load_dataset(|| Dataset::new(config.baseline.get(&data.dataset)));
        let in_baseline = ds.batches < config.baseline_batches;
        let (counts, label_ids) = ds.absorb(data, in_baseline);
        let mut findings = Vec::new();
        if !in_baseline || ds.explicit {
            findings.extend(label_shift(data, &counts, &ds, config));
        }
        let mut words = count_words(&keys, data, &label_ids, in_baseline);
        if !in_baseline {
            findings.extend(triggers(&mut words, data, &ds, config));
        }
        keys.save(&mut ds, &words)?;
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

/// The batch's words, each with its statistics as kept and the batch counted in.
fn count_words<'d>(keys: &Keys, data: &'d TrainingData, label_ids: &[u16], in_baseline: bool) -> BatchWords<'d> {
    let mut words = BatchWords::default();
    for (record, label) in data.records.iter().zip(label_ids).take(MAX_EXAMINED) {
        let source = record.source.as_deref().map(|s| stable_hash(s.as_bytes()));
        words.count(keys, &triggers::record_words(&record.text), *label, source, in_baseline);
    }
    words
}

/// One finding per label that some of the batch's words have become triggers for.
fn triggers(words: &mut BatchWords<'_>, data: &TrainingData, ds: &Dataset, config: &Config) -> Vec<Finding> {
    let corpus = Corpus { records: ds.records, baseline_records: ds.baseline_records, label_totals: &ds.label_totals };
    let mut by_label: BTreeMap<u16, Vec<(u32, String)>> = BTreeMap::new();
    for (_, word, stats) in &mut words.list {
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
