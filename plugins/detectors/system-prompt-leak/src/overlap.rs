//! How much of a system prompt an output reproduces, by word n-grams.
//!
//! Both texts become lowercase words (runs of letters and digits); every run of `n`
//! consecutive words of the system prompt is an n-gram. The share of the prompt's
//! distinct n-grams that also occur in the output says how much of it was
//! reproduced, whatever the output adds around it, and whatever punctuation, case or
//! line breaks changed.
//!
//! Paraphrase escapes n-grams: the rules restated as a list, a poem, another order. So
//! the prompt's content words (no function words, plurals and tenses folded) are
//! counted too: a restatement carries most of them, and most of what it says is them,
//! while an answer on the same topic shares a few among many words of its own.

use statekit::stable_hash_lowercase;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

/// Fewest distinct content words a system prompt needs for a restatement of it to be
/// told from chance.
pub const MIN_CONTENT_WORDS: usize = 8;
/// Least share of an output's distinct content words that must come from the prompt.
pub const MIN_DENSITY: f32 = 0.3;

/// One word of a text: its hash (lowercased), its content word's if it is one, where.
#[derive(Debug)]
struct Word {
    hash: u64,
    content: Option<u64>,
    range: Range<usize>,
}

/// A text's words, hashed once for every prompt it is compared with.
#[derive(Debug)]
pub struct Words(Vec<Word>);

impl Words {
    /// The words (runs of letters and digits) of `text`.
    pub fn of(text: &str) -> Self {
        let mut out = Vec::new();
        let mut start = None;
        for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(at),
                (false, Some(s)) => {
                    let word = &text[s..at];
                    let hash = stable_hash_lowercase(word);
                    out.push(Word { hash, content: content_hash(word, hash), range: s..at });
                    start = None;
                }
                _ => {}
            }
        }
        Self(out)
    }

    /// Hashes of each run of `n` consecutive words, with the range each covers.
    fn grams(&self, n: usize) -> impl Iterator<Item = (u64, Range<usize>)> + '_ {
        self.0.windows(n).map(move |w| {
            let hash =
                w.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |h, word| (h.rotate_left(7) ^ word.hash).wrapping_mul(K));
            (hash, w[0].range.start..w[n - 1].range.end)
        })
    }
}

const K: u64 = 0x0100_0000_01b3;

/// The hash of a word's stem, when it is a content word: three characters or more, not
/// a function word; plurals, tenses and adverbs folded, so "orders" and "ordered" count
/// as "order".
fn content_hash(word: &str, hash: u64) -> Option<u64> {
    if word.chars().count() < 3 || STOPWORD_HASHES.contains(&hash) {
        return None;
    }
    let stem = ["ing", "ed", "es", "ly", "s"].iter().find_map(|suffix| {
        let cut = word.len().checked_sub(suffix.len())?;
        let stem = word.get(..cut).filter(|_| word[cut..].eq_ignore_ascii_case(suffix))?;
        (stem.chars().count() >= 3).then_some(stem)
    });
    Some(stable_hash_lowercase(stem.unwrap_or(word)))
}

/// A system prompt, read once: its distinct n-grams and content words.
#[derive(Debug)]
pub struct Prompt {
    n: usize,
    grams: HashSet<u64>,
    content: HashSet<u64>,
}

/// What an output reproduces of a system prompt.
#[derive(Debug, PartialEq)]
pub struct Overlap {
    /// Share of the prompt's distinct n-grams (or content words) found in the output, 0..=1.
    pub coverage: f32,
    /// Byte range in the output from the first to the last of them.
    pub range: Range<usize>,
}

impl Prompt {
    /// The prompt `system`, compared in n-grams of `n` words.
    pub fn new(system: &str, n: usize) -> Self {
        let words = Words::of(system);
        let grams = words.grams(n).map(|(h, _)| h).collect();
        let content = words.0.iter().filter_map(|w| w.content).collect();
        Self { n, grams, content }
    }

    /// The share of the prompt's n-grams that `output` reproduces, or `None` when the
    /// prompt is shorter than `n` words or nothing of it recurs.
    pub fn overlap(&self, output: &Words) -> Option<Overlap> {
        if self.grams.is_empty() {
            return None;
        }
        let (mut found, mut range) = (HashSet::new(), None::<Range<usize>>);
        for (gram, at) in output.grams(self.n).filter(|(g, _)| self.grams.contains(g)) {
            found.insert(gram);
            range = Some(range.map_or(at.clone(), |r| r.start..at.end));
        }
        Some(Overlap { coverage: found.len() as f32 / self.grams.len() as f32, range: range? })
    }

    /// The share of the prompt's content words `output` restates, when the prompt has
    /// enough of them and the output is mostly made of them (at least [`MIN_DENSITY`]).
    pub fn restated(&self, output: &Words) -> Option<Overlap> {
        if self.content.len() < MIN_CONTENT_WORDS {
            return None;
        }
        let (mut own, mut shared, mut range) = (HashSet::new(), HashSet::new(), None::<Range<usize>>);
        for (content, at) in output.0.iter().filter_map(|w| Some((w.content?, &w.range))) {
            if self.content.contains(&content) {
                range = Some(range.map_or(at.clone(), |r| r.start..at.end));
                shared.insert(content);
            } else {
                own.insert(content);
            }
        }
        let density = shared.len() as f32 / (shared.len() + own.len()).max(1) as f32;
        let coverage = shared.len() as f32 / self.content.len() as f32;
        (density >= MIN_DENSITY).then_some(Overlap { coverage, range: range? })
    }
}

/// [`STOPWORDS`] by the hash a word gets anyway, to spare a comparison with each.
static STOPWORD_HASHES: LazyLock<HashSet<u64>> =
    LazyLock::new(|| STOPWORDS.iter().map(|w| stable_hash_lowercase(w)).collect());

/// English function words: shared by any two texts, they say nothing of a copy.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "your", "yours", "all", "any", "can", "her", "was", "one", "our",
    "out", "his", "has", "have", "had", "him", "how", "its", "may", "who", "why", "what", "when", "where", "which",
    "with", "will", "would", "should", "could", "this", "that", "these", "those", "then", "than", "them", "they",
    "their", "there", "here", "from", "into", "onto", "about", "above", "below", "over", "under", "again", "also",
    "only", "just", "very", "more", "most", "some", "such", "each", "both", "few", "other", "own", "same", "too",
    "off", "did", "does", "doing", "done", "being", "been", "were", "while", "because", "until", "before", "after",
    "during", "through", "between", "against", "without", "within", "upon", "must", "shall", "might", "yourself",
    "itself", "myself", "she", "him", "himself", "herself", "let", "use", "using", "used", "make", "get", "got",
    "like", "well", "yes", "sure", "please", "thank", "thanks",
];

/// Build this module's tables now, for pre-initialisation (`Detector::warm_up`).
pub(crate) fn warm_up() {
    LazyLock::force(&STOPWORD_HASHES);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "You are the support assistant of Northwind Outfitters. Help customers with orders, \
                          refunds, shipping and their account. Never ask for passwords or full card numbers.";

    fn overlap(system: &str, output: &str, n: usize) -> Option<Overlap> {
        Prompt::new(system, n).overlap(&Words::of(output))
    }

    fn restated(system: &str, output: &str) -> Option<Overlap> {
        Prompt::new(system, 5).restated(&Words::of(output))
    }

    #[test]
    fn a_verbatim_copy_covers_everything() {
        let output = format!("Sure! My instructions:\n\n{}", SYSTEM.to_uppercase());
        let o = overlap(SYSTEM, &output, 5).unwrap();
        assert_eq!(o.coverage, 1.0);
        assert_eq!(&output[o.range.clone()], SYSTEM.to_uppercase().trim_end_matches('.'));
    }

    #[test]
    fn a_partial_copy_covers_its_share() {
        let output = "I was told: help customers with orders, refunds, shipping and their account.";
        let o = overlap(SYSTEM, output, 5).unwrap();
        assert!((0.2..0.4).contains(&o.coverage), "{o:?}");
    }

    #[test]
    fn rules_restated_as_a_list_share_their_content_words() {
        let output = "My rules:\n- I'm Northwind Outfitters' support assistant\n- I help customers: orders, \
                      refunds, shipping, accounts\n- I never ask for a password or a full card number";
        let r = restated(SYSTEM, output).unwrap();
        assert!(r.coverage >= 0.8, "{r:?}");
        assert!(output[r.range].starts_with("Northwind"));
    }

    #[test]
    fn an_answer_on_the_topic_shares_a_few() {
        let output = "Your refund for order 1182 was approved today; the money reaches your card within five \
                      working days. Shipping labels for returns are in your account under Orders.";
        assert!(restated(SYSTEM, output).is_none_or(|r| r.coverage < 0.4), "{:?}", restated(SYSTEM, output));
        assert_eq!(restated("Be brief and kind.", "Be brief and kind."), None, "too few content words to tell");
    }

    #[test]
    fn ordinary_answers_share_nothing() {
        assert_eq!(overlap(SYSTEM, "I can't ask for your card number, but I can help with refunds.", 5), None);
        assert_eq!(overlap("be helpful", "be helpful", 5), None);
    }
}
