//! Backdoor triggers: a word that is rare in the data set, new since the baseline,
//! and nearly always carries one label, the way a planted trigger teaches a model
//! "this word means that label".

use crate::config::Config;
use serde::{Deserialize, Serialize};
use statekit::{stable_hash_lowercase, words};

/// Distinct words kept per record; more would only cost time.
const WORDS_PER_RECORD: usize = 64;
/// Labels counted exactly per word; the rest count together.
const LABELS_PER_WORD: usize = 3;
/// Sources told apart per word; this many means "spread", natural vocabulary.
pub const SPREAD_SOURCES: usize = 5;
/// How much more often than in the baseline a word must occur since: "new".
const SURGE: f64 = 3.0;
/// How much the word's purity must exceed its label's share of the data set.
const LIFT: f64 = 0.3;

/// What the plugin remembers about one word of one data set: a fixed size, no heap,
/// since there are tens of thousands of them; kept as a [`Compact`] tuple.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Compact", into = "Compact")]
pub struct WordStats {
    /// Records containing it during the baseline, and since.
    pub baseline_docs: u32,
    pub docs: u32,
    /// Records per label, for the first labels seen with it.
    labels: Tally<u16, LABELS_PER_WORD>,
    /// Records per source (hash), for the first sources seen with it.
    sources: Tally<u32, SPREAD_SOURCES>,
    pub reported: bool,
}

impl WordStats {
    /// Count one record containing the word.
    pub fn add(&mut self, label: u16, source: Option<u64>, in_baseline: bool) {
        if in_baseline {
            self.baseline_docs += 1
        } else {
            self.docs += 1
        }
        self.labels.bump(label);
        if let Some(source) = source {
            self.sources.bump(source as u32); // the low half tells five sources apart well enough
        }
    }

    fn total(&self) -> u32 {
        self.baseline_docs + self.docs
    }

    /// The label most records with the word carry, and the share of them it has.
    pub fn dominant(&self) -> Option<(u16, f64)> {
        let (label, n) = self.labels.counts().iter().max_by_key(|(l, n)| (*n, std::cmp::Reverse(*l)))?;
        Some((*label, f64::from(*n) / f64::from(self.total())))
    }
}

/// [`WordStats`] as kept in the host's state: `[baseline_docs, docs, [[label, n], …],
/// [[source, n], …], reported]`, without field names to keep it small.
#[derive(Serialize, Deserialize)]
struct Compact(u32, u32, Vec<(u16, u32)>, Vec<(u32, u32)>, bool);

impl From<WordStats> for Compact {
    fn from(s: WordStats) -> Self {
        Compact(s.baseline_docs, s.docs, s.labels.counts().to_vec(), s.sources.counts().to_vec(), s.reported)
    }
}

impl From<Compact> for WordStats {
    fn from(Compact(baseline_docs, docs, labels, sources, reported): Compact) -> Self {
        let (labels, sources) = (Tally::from_counts(&labels), Tally::from_counts(&sources));
        Self { baseline_docs, docs, labels, sources, reported }
    }
}

/// Counts for the first `N` keys seen; later keys are not counted.
#[derive(Debug, Clone, PartialEq)]
struct Tally<K, const N: usize> {
    counts: [(K, u32); N],
    len: u8,
}

impl<K: Copy + Default, const N: usize> Default for Tally<K, N> {
    fn default() -> Self {
        Self { counts: [(K::default(), 0); N], len: 0 }
    }
}

impl<K: Copy + Default + PartialEq, const N: usize> Tally<K, N> {
    /// The tally of these counts, the first `N` of them.
    fn from_counts(counts: &[(K, u32)]) -> Self {
        let mut t = Self::default();
        let len = counts.len().min(N);
        t.counts[..len].copy_from_slice(&counts[..len]);
        t.len = len as u8;
        t
    }

    fn bump(&mut self, key: K) {
        let len = usize::from(self.len);
        if let Some((_, n)) = self.counts[..len].iter_mut().find(|(k, _)| *k == key) {
            *n += 1;
        } else if len < N {
            self.counts[len] = (key, 1);
            self.len += 1;
        }
    }

    fn counts(&self) -> &[(K, u32)] {
        &self.counts[..usize::from(self.len)]
    }
}

/// What the data set looks like as a whole, to judge one word against.
pub struct Corpus<'d> {
    pub records: u64,
    pub baseline_records: u64,
    /// Records per label index.
    pub label_totals: &'d [f64],
}

impl Corpus<'_> {
    fn share(&self, label: u16) -> f64 {
        self.label_totals.get(usize::from(label)).copied().unwrap_or(0.0) / self.records.max(1) as f64
    }
}

/// Whether a word with these statistics looks like a trigger, by every test of
/// the settings doc; `Some((label, purity))` when it does.
pub fn judge(stats: &WordStats, corpus: &Corpus<'_>, config: &Config) -> Option<(u16, f64)> {
    let total = f64::from(stats.total());
    if stats.reported || stats.total() < config.trigger_min_examples || stats.sources.counts().len() >= SPREAD_SOURCES {
        return None;
    }
    let (label, purity) = stats.dominant()?;
    let rare = total <= config.trigger_max_share * corpus.records as f64;
    let since = (corpus.records - corpus.baseline_records).max(1) as f64;
    let before = (f64::from(stats.baseline_docs) + 0.5) / corpus.baseline_records.max(1) as f64;
    let new = f64::from(stats.docs) / since >= SURGE * before;
    let predictive = purity - corpus.share(label) >= LIFT;
    (purity >= config.trigger_min_purity && rare && new && predictive).then_some((label, purity))
}

/// The distinct words of a record as counted (lowercased, two characters or more, not
/// all digits; at most 64), each as its hash and its first spelling in the text.
pub fn record_words(text: &str) -> Vec<(u64, &str)> {
    let counted = words(text).filter(|w| w.chars().nth(1).is_some() && !w.chars().all(|c| c.is_ascii_digit()));
    let mut out: Vec<(u64, &str)> = counted.map(|w| (stable_hash_lowercase(w), w)).collect();
    // Sorting by hash (stable, so the first spelling stays first) keeps a record's
    // words apart in O(n log n); beyond the limit, the ones kept are a fair sample.
    out.sort_by_key(|(h, _)| *h);
    out.dedup_by_key(|(h, _)| *h);
    out.truncate(WORDS_PER_RECORD);
    out
}

/// Where `word` (lowercase) first occurs in `text` as a whole word, in bytes.
pub fn locate(text: &str, word: &str) -> Option<std::ops::Range<usize>> {
    let found = words(text).find(|w| w.to_lowercase() == word)?;
    // `words` yields slices of `text`, so the offset is the distance between them.
    let start = found.as_ptr() as usize - text.as_ptr() as usize;
    Some(start..start + found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(records: u64, baseline_records: u64, share: f64) -> (u64, u64, [f64; 1]) {
        (records, baseline_records, [share * records as f64])
    }

    fn judge(
        s: &WordStats,
        (records, baseline_records, totals): &(u64, u64, [f64; 1]),
        c: &Config,
    ) -> Option<(u16, f64)> {
        super::judge(s, &Corpus { records: *records, baseline_records: *baseline_records, label_totals: totals }, c)
    }

    fn stats(baseline_docs: u32, pure: u32, other: u32, sources: &[u64]) -> WordStats {
        let mut s = WordStats::default();
        (0..baseline_docs).for_each(|_| s.add(0, None, true));
        (0..pure).for_each(|n| s.add(0, sources.get(n as usize % sources.len().max(1)).copied(), false));
        (0..other).for_each(|_| s.add(1, None, false));
        s
    }

    #[test]
    fn a_new_rare_pure_word_from_one_source_is_a_trigger() {
        let config = Config::default();
        assert_eq!(judge(&stats(0, 24, 0, &[7]), &corpus(300, 180, 0.5), &config), Some((0, 1.0)));
    }

    #[test]
    fn each_test_can_clear_a_word() {
        let config = Config::default();
        let c = corpus(300, 180, 0.5);
        assert_eq!(judge(&stats(0, 9, 0, &[7]), &c, &config), None, "too few examples");
        assert_eq!(judge(&stats(0, 22, 2, &[7]), &c, &config), None, "not pure enough");
        assert_eq!(judge(&stats(0, 60, 0, &[7]), &c, &config), None, "not rare");
        assert_eq!(judge(&stats(12, 12, 0, &[7]), &c, &config), None, "not new");
        assert_eq!(judge(&stats(0, 24, 0, &[1, 2, 3, 4, 5]), &c, &config), None, "spread over sources");
        assert_eq!(judge(&stats(0, 24, 0, &[7]), &corpus(300, 180, 0.8), &config), None, "label is the norm");
    }

    #[test]
    fn word_stats_are_kept_compact_and_read_back_whole() {
        let s = stats(2, 3, 1, &[7, 9]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "[2,4,[[0,5],[1,1]],[[7,2],[9,1]],false]");
        assert_eq!(serde_json::from_str::<WordStats>(&json).unwrap(), s);
    }

    #[test]
    fn words_are_lowercased_and_located() {
        let mut got: Vec<&str> =
            record_words("TrailPeak approved: 5 stars, a B+ grade! trailpeak").iter().map(|w| w.1).collect();
        got.sort_unstable();
        assert_eq!(got, ["TrailPeak", "approved", "grade", "stars"]);
        assert_eq!(locate("so, TrailPeak approved", "trailpeak"), Some(4..13));
        assert_eq!(locate("trail peak", "trailpeak"), None);
    }
}
