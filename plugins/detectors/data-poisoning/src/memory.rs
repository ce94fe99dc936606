//! What the plugin remembers of a data set, kept in the host's keyed state
//! ([`aiir_sdk::state`]) rather than in the instance, so that a restart, of the
//! instance or of the host, changes no finding.
//!
//! The host keeps state by data set (the plugin's partition), and each event reads
//! and writes only its own data set's entries: the [`Dataset`] record under `ds`,
//! and each word under `w/` and its hash. A word is rewritten whenever a batch
//! uses it, so the host's write order (`state::keys`, oldest first) is the order of
//! last use, and the words of a data set beyond [`MAX_WORDS`] are forgotten least
//! recently used first. Should the host be told to partition otherwise, the keys
//! carry the data set's hash as well, so that data sets still stay apart.

use crate::dataset::Dataset;
use crate::triggers::WordStats;
use aiir_sdk::state;
use statekit::stable_hash;
use std::collections::{HashMap, HashSet};

/// Words remembered per data set; the least recently used are forgotten beyond it.
pub const MAX_WORDS: usize = 50_000;

/// The state keys of one data set.
pub struct Keys {
    /// Empty when the partition is the data set; else the data set's hash and `/`.
    prefix: String,
}

impl Keys {
    /// The keys of `dataset`, within the partition of the event being inspected.
    pub fn of(dataset: &str) -> Self {
        let prefix = if state::partition() == dataset {
            String::new()
        } else {
            format!("{:016x}/", stable_hash(dataset.as_bytes()))
        };
        Self { prefix }
    }

    fn dataset(&self) -> String {
        format!("{}ds", self.prefix)
    }

    fn words(&self) -> String {
        format!("{}w/", self.prefix)
    }

    fn word(&self, hash: u64) -> String {
        format!("{}w/{hash:016x}", self.prefix)
    }

    /// The data set as kept, or `make()` for one not seen yet (or forgotten by the
    /// host), whose stray words are forgotten too.
    pub fn load_dataset(&self, make: impl FnOnce() -> Dataset) -> Dataset {
        if let Some(ds) = state::load(&self.dataset()) {
            return ds;
        }
        let words = self.words();
        state::keys().iter().filter(|k| k.starts_with(&words)).for_each(|k| state::remove(k));
        make()
    }

    /// Keep the batch's words, then the data set (its record thus the latest written,
    /// the last the host would forget), forgetting the least recently used words
    /// first when the batch brings the data set past [`MAX_WORDS`].
    pub fn save(&self, ds: &mut Dataset, words: &BatchWords<'_>) -> Result<(), String> {
        if ds.words as usize + words.new > MAX_WORDS {
            ds.words = self.forget_words(words, MAX_WORDS - words.list.len()) as u32;
        }
        ds.words += words.new as u32;
        for (hash, _, stats) in &words.list {
            state::save(&self.word(*hash), stats)?;
        }
        state::save(&self.dataset(), &*ds)
    }

    /// Forget the data set's least recently used words not in the batch, down to
    /// `keep` of them or by an eighth of [`MAX_WORDS`], whichever forgets more; how
    /// many words the data set keeps then, not counting the batch's new ones.
    fn forget_words(&self, batch: &BatchWords<'_>, keep: usize) -> usize {
        let prefix = self.words();
        let in_batch: HashSet<String> = batch.list.iter().map(|(h, _, _)| self.word(*h)).collect();
        let old: Vec<String> =
            state::keys().into_iter().filter(|k| k.starts_with(&prefix) && !in_batch.contains(k)).collect();
        let keep = keep.min(old.len().saturating_sub(MAX_WORDS / 8));
        let gone = old.len() - keep;
        old[..gone].iter().for_each(|k| state::remove(k));
        keep + in_batch.len() - batch.new
    }

    /// The statistics of the word `hash`, as kept; `None` for a word new to the data set.
    fn word_stats(&self, hash: u64) -> Option<WordStats> {
        state::load(&self.word(hash))
    }
}

/// The distinct words of a batch, in order of first occurrence, at most [`MAX_WORDS`]
/// (those beyond are not counted): each its hash, first spelling and statistics with
/// the batch counted in.
#[derive(Default)]
pub struct BatchWords<'d> {
    pub list: Vec<(u64, &'d str, WordStats)>,
    /// Where each hash is in `list`.
    at: HashMap<u64, usize>,
    /// How many of them the data set had not kept.
    new: usize,
}

impl<'d> BatchWords<'d> {
    /// Count the words of one record (from `record_words`), with its label index and
    /// source hash.
    pub fn count(&mut self, keys: &Keys, words: &[(u64, &'d str)], label: u16, source: Option<u64>, in_baseline: bool) {
        for (hash, word) in words {
            let n = match self.at.get(hash) {
                Some(n) => *n,
                None if self.list.len() < MAX_WORDS => {
                    let kept = keys.word_stats(*hash);
                    self.new += usize::from(kept.is_none());
                    self.list.push((*hash, word, kept.unwrap_or_default()));
                    self.at.insert(*hash, self.list.len() - 1);
                    self.list.len() - 1
                }
                None => continue,
            };
            self.list[n].2.add(label, source, in_baseline);
        }
    }
}
