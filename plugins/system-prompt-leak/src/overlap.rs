//! How much of a system prompt an output reproduces, by word n-grams.
//!
//! Both texts become lowercase words (runs of letters and digits); every run of `n`
//! consecutive words of the system prompt is an n-gram. The share of the prompt's
//! distinct n-grams that also occur in the output says how much of it was
//! reproduced, whatever the output adds around it, and whatever punctuation, case or
//! line breaks changed. Paraphrase escapes it; verbatim leaks, the common kind, do not.

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
    fn ordinary_answers_share_nothing() {
        assert_eq!(overlap(SYSTEM, "I can't ask for your card number, but I can help with refunds.", 5), None);
        assert_eq!(overlap("be helpful", "be helpful", 5), None);
    }
}
