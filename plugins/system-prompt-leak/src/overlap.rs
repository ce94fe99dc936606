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

use std::collections::HashSet;
use std::ops::Range;

/// Words of a text with their byte ranges.
fn words(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                out.push((text[s..at].to_lowercase(), s..at));
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// What an output reproduces of a system prompt.
#[derive(Debug, PartialEq)]
pub struct Overlap {
    /// Share of the prompt's distinct n-grams found in the output, 0..=1.
    pub coverage: f32,
    /// Byte range in the output from the first to the last reproduced n-gram.
    pub range: Range<usize>,
}

/// The overlap of `output` with `system`, or `None` when the prompt is shorter than
/// `n` words or nothing of it recurs.
pub fn overlap(system: &str, output: &str, n: usize) -> Option<Overlap> {
    let system: Vec<String> = words(system).into_iter().map(|(w, _)| w).collect();
    let grams: HashSet<&[String]> = system.windows(n).collect();
    if grams.is_empty() {
        return None;
    }
    let output = words(output);
    let texts: Vec<String> = output.iter().map(|(w, _)| w.clone()).collect();
    let mut found: HashSet<&[String]> = HashSet::new();
    let mut range: Option<Range<usize>> = None;
    for (i, gram) in texts.windows(n).enumerate() {
        if grams.contains(gram) {
            found.insert(gram);
            let (start, end) = (output[i].1.start, output[i + n - 1].1.end);
            range = Some(range.map_or(start..end, |r| r.start..end));
        }
    }
    let coverage = found.len() as f32 / grams.len() as f32;
    range.map(|range| Overlap { coverage, range })
}

/// Fewest distinct content words a system prompt needs for a restatement of it to be
/// told from chance.
pub const MIN_CONTENT_WORDS: usize = 8;
/// Least share of an output's distinct content words that must come from the prompt.
pub const MIN_DENSITY: f32 = 0.3;

/// What an output restates of a system prompt, in content words.
#[derive(Debug, PartialEq)]
pub struct Restated {
    /// Share of the prompt's distinct content words found in the output.
    pub coverage: f32,
    /// Byte range in the output from the first to the last of them.
    pub range: Range<usize>,
}

/// The content words `output` shares with `system`, when the prompt has enough of them
/// and the output is mostly made of them (at least [`MIN_DENSITY`]).
pub fn restated(system: &str, output: &str) -> Option<Restated> {
    let prompt: HashSet<String> = content_words(system).map(|(w, _)| w).collect();
    if prompt.len() < MIN_CONTENT_WORDS {
        return None;
    }
    let (mut own, mut shared, mut range) = (HashSet::new(), HashSet::new(), None::<Range<usize>>);
    for (word, at) in content_words(output) {
        if prompt.contains(&word) {
            range = Some(range.map_or(at.clone(), |r| r.start..at.end));
            shared.insert(word);
        } else {
            own.insert(word);
        }
    }
    let density = shared.len() as f32 / (shared.len() + own.len()).max(1) as f32;
    let coverage = shared.len() as f32 / prompt.len() as f32;
    (density >= MIN_DENSITY).then_some(Restated { coverage, range: range? })
}

/// A text's content words, stemmed, with their byte ranges.
fn content_words(text: &str) -> impl Iterator<Item = (String, Range<usize>)> {
    words(text)
        .into_iter()
        .filter(|(w, _)| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .map(|(w, r)| (stem(&w), r))
}

/// Plurals, tenses and adverbs folded, so "orders" and "ordered" count as "order".
fn stem(word: &str) -> String {
    let cut =
        ["ing", "ed", "es", "ly", "s"].iter().find_map(|s| word.strip_suffix(s).filter(|b| b.chars().count() >= 3));
    cut.unwrap_or(word).to_owned()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    const SYSTEM: &str = "You are the support assistant of Northwind Outfitters. Help customers with orders, \
                          refunds, shipping and their account. Never ask for passwords or full card numbers.";

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
