//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Problems, Settings, SettingsError};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// What `info` shows operators.
pub const DOC: &str = "\
Every key is optional; with none the plugin learns each data set's label mix from its \
first batches and stays quiet on ordinary data.

- `baseline_batches` (integer, 1 to 1000, default `3`): how many first batches of a data \
set make its baseline: their label mix is the expected one, and the words they use are \
the known vocabulary. Label shifts and triggers are not looked for in them.
- `baseline` (table, default `{}`): expected label shares per data set, which replace the \
learned mix, e.g. `{ \"reviews-ft\" = { positive = 0.55, negative = 0.35, neutral = 0.1 } }`. \
Shares are non-negative numbers, scaled to sum to 1. A data set named here is checked from \
its first batch.
- `max_label_shift` (float, above 0 up to 1, default `0.25`): a batch of at least \
`min_batch_records` records fires `data-poisoning/label-shift` (medium) when its label mix \
is this far from the baseline in total variation distance (half the sum of the share \
differences) and the difference is significant (chi-square, p < 0.001), so small batches \
do not fire on chance.
- `min_batch_records` (integer, at least 2, default `20`): smaller batches are not \
checked for label shifts.
- `trigger_min_examples` (integer, at least 2, default `10`), `trigger_min_purity` \
(float, 0.5 to 1, default `0.95`) and `trigger_max_share` (float, above 0 up to 1, default \
`0.15`): a word fires `data-poisoning/trigger` (high) when it occurs in at least \
`trigger_min_examples` records, at least `trigger_min_purity` of them with one label, in at \
most `trigger_max_share` of the data set's records (rare), at least three times as often \
since the baseline as in it (new), while that label's share of the data set is at least \
0.3 lower (so the word predicts the label, not the data set); and it does not come from \
five or more distinct record `source`s (natural vocabulary does). Words are runs of \
letters and digits, lowercased, two characters or more, not all digits; one finding per \
batch and label lists up to five such words; each word is reported once.
- `duplicate_min_records` (integer, at least 2, default `5`) and `duplicate_similarity` \
(float, above 0 up to 1, default `0.8`): a `source` that contributes at least \
`duplicate_min_records` records to one batch that are near-identical to each other \
(estimated Jaccard similarity of their character 5-grams at least `duplicate_similarity`) \
fires `data-poisoning/near-duplicates` (medium). Records of fewer than five words are \
not compared.

State and its bounds: what the plugin learns is kept by the host, by data set (the \
plugin's partition `dataset`), with the input's checkpoint, so a restart of the plugin \
or of the host forgets nothing and a resumed run finds what an uninterrupted one would. \
Per data set it remembers 50 000 words, forgetting the least recently seen first (a \
forgotten word counts as new if it comes back; words of one batch beyond 50 000 are not \
counted), and 32 labels (further labels count together). Data sets are bounded by the \
host's `max_state_bytes` (a word takes about 70 bytes): past it the host forgets the \
entries written longest ago, and a data set whose record is forgotten learns a new \
baseline. It examines at most 5 000 records of a batch for words and duplicates \
(labels are counted for all), and at most 64 distinct words of a record.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `baseline_batches = 3`
    #[serde(default = "defaults::baseline_batches")]
    baseline_batches: u32,
    /// `baseline = { "reviews-ft" = { positive = 0.55, negative = 0.45 } }`
    #[serde(default)]
    baseline: BTreeMap<String, BTreeMap<String, f64>>,
    /// `max_label_shift = 0.25`
    #[serde(default = "defaults::max_label_shift")]
    max_label_shift: f64,
    /// `min_batch_records = 20`
    #[serde(default = "defaults::min_batch_records")]
    min_batch_records: u32,
    /// `trigger_min_examples = 10`
    #[serde(default = "defaults::trigger_min_examples")]
    trigger_min_examples: u32,
    /// `trigger_min_purity = 0.95`
    #[serde(default = "defaults::trigger_min_purity")]
    trigger_min_purity: f64,
    /// `trigger_max_share = 0.15`
    #[serde(default = "defaults::trigger_max_share")]
    trigger_max_share: f64,
    /// `duplicate_min_records = 5`
    #[serde(default = "defaults::duplicate_min_records")]
    duplicate_min_records: u32,
    /// `duplicate_similarity = 0.8`
    #[serde(default = "defaults::duplicate_similarity")]
    duplicate_similarity: f64,
}

mod defaults {
    pub fn baseline_batches() -> u32 {
        3
    }
    pub fn max_label_shift() -> f64 {
        0.25
    }
    pub fn min_batch_records() -> u32 {
        20
    }
    pub fn trigger_min_examples() -> u32 {
        10
    }
    pub fn trigger_min_purity() -> f64 {
        0.95
    }
    pub fn trigger_max_share() -> f64 {
        0.15
    }
    pub fn duplicate_min_records() -> u32 {
        5
    }
    pub fn duplicate_similarity() -> f64 {
        0.8
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub baseline_batches: u32,
    /// Label shares per data set, summing to 1.
    pub baseline: HashMap<String, HashMap<String, f64>>,
    pub max_label_shift: f64,
    pub min_batch_records: usize,
    pub trigger_min_examples: u32,
    pub trigger_min_purity: f64,
    pub trigger_max_share: f64,
    pub duplicate_min_records: usize,
    pub duplicate_similarity: f64,
}

impl Default for Config {
    fn default() -> Self {
        aiir_sdk::defaults(Self::from_settings)
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut problems = Problems::default();
        let b = raw.baseline_batches;
        problems.require((1..=1000).contains(&b), "baseline_batches", "between 1 and 1000", b);
        let s = raw.max_label_shift;
        problems.require(s > 0.0 && s <= 1.0, "max_label_shift", "above 0 and at most 1", s);
        problems.require(raw.min_batch_records >= 2, "min_batch_records", "at least 2", raw.min_batch_records);
        let k = raw.trigger_min_examples;
        problems.require(k >= 2, "trigger_min_examples", "at least 2", k);
        let p = raw.trigger_min_purity;
        problems.require((0.5..=1.0).contains(&p), "trigger_min_purity", "between 0.5 and 1", p);
        let m = raw.trigger_max_share;
        problems.require(m > 0.0 && m <= 1.0, "trigger_max_share", "above 0 and at most 1", m);
        let d = raw.duplicate_min_records;
        problems.require(d >= 2, "duplicate_min_records", "at least 2", d);
        let j = raw.duplicate_similarity;
        problems.require(j > 0.0 && j <= 1.0, "duplicate_similarity", "above 0 and at most 1", j);
        let baseline = baselines(&raw.baseline, &mut problems);
        problems.finish(|| Self {
            baseline_batches: raw.baseline_batches,
            baseline,
            max_label_shift: raw.max_label_shift,
            min_batch_records: raw.min_batch_records as usize,
            trigger_min_examples: raw.trigger_min_examples,
            trigger_min_purity: raw.trigger_min_purity,
            trigger_max_share: raw.trigger_max_share,
            duplicate_min_records: raw.duplicate_min_records as usize,
            duplicate_similarity: raw.duplicate_similarity,
        })
    }
}

/// The explicit baselines, scaled to sum to 1; problems go to `problems` with their path.
fn baselines(
    raw: &BTreeMap<String, BTreeMap<String, f64>>,
    problems: &mut Problems,
) -> HashMap<String, HashMap<String, f64>> {
    let mut out = HashMap::new();
    for (dataset, shares) in raw {
        let at = format!("baseline.{dataset}");
        let valid = |s: f64| s.is_finite() && s >= 0.0;
        for (label, &share) in shares {
            problems.require(valid(share), format!("{at}.{label}"), "a share of 0 or more", share);
        }
        let total: f64 = shares.values().copied().filter(|&s| valid(s)).sum();
        if total <= 0.0 {
            problems.push(SettingsError::new(at, "must give at least one label a share above 0"));
            continue;
        }
        out.insert(dataset.clone(), shares.iter().map(|(l, s)| (l.clone(), s / total)).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
    }

    #[test]
    fn empty_settings_give_the_defaults() {
        let c = parse("{}").unwrap();
        assert_eq!((c.baseline_batches, c.min_batch_records, c.trigger_min_examples), (3, 20, 10));
        assert_eq!((c.max_label_shift, c.trigger_min_purity, c.trigger_max_share), (0.25, 0.95, 0.15));
        assert_eq!((c.duplicate_min_records, c.duplicate_similarity), (5, 0.8));
        assert!(c.baseline.is_empty());
    }

    #[test]
    fn explicit_baselines_are_scaled_to_one() {
        let c = parse(r#"{"baseline": {"reviews": {"positive": 3, "negative": 1}}}"#).unwrap();
        assert_eq!(c.baseline["reviews"]["positive"], 0.75);
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let json = r#"{"baseline_batches": 0, "max_label_shift": 1.5, "min_batch_records": 1,
            "trigger_min_examples": 1, "trigger_min_purity": 0.2, "trigger_max_share": 0,
            "duplicate_min_records": 0, "duplicate_similarity": -1,
            "baseline": {"a": {"x": -1, "y": 1}, "b": {"x": 0}}}"#;
        let got = parse(json).unwrap_err();
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        let expected = [
            "baseline_batches",
            "max_label_shift",
            "min_batch_records",
            "trigger_min_examples",
            "trigger_min_purity",
            "trigger_max_share",
            "duplicate_min_records",
            "duplicate_similarity",
            "baseline.a.x",
            "baseline.b",
        ];
        assert_eq!(paths, expected);
        assert_eq!(got[1].1, "must be above 0 and at most 1, not 1.5");
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_their_key() {
        assert_eq!(parse(r#"{"baseline_batch": 3}"#).unwrap_err()[0].0, "baseline_batch");
        assert_eq!(parse(r#"{"baseline": {"a": {"x": "half"}}}"#).unwrap_err()[0].0, "baseline.a.x");
    }
}
