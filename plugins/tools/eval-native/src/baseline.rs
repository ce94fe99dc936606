//! The length-only baseline: the best single threshold on a prompt's length.

/// A rule "flag when the length is at least `min_len`", and how it does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// Flag prompts of at least this many characters.
    pub min_len: usize,
    /// Share of attacks flagged.
    pub recall: f64,
    /// Share of benign prompts flagged.
    pub fpr: f64,
}

/// The threshold that maximises `recall - fpr` (Youden's J) over the given lengths,
/// and, second, the one with the best recall whose false-positive rate stays within
/// `max_fpr`.
pub fn best_length_threshold(attacks: &[usize], benign: &[usize], max_fpr: f64) -> (Threshold, Threshold) {
    let mut candidates: Vec<usize> = attacks.iter().chain(benign).copied().collect();
    candidates.push(usize::MAX);
    candidates.sort_unstable();
    candidates.dedup();
    let rate = |lens: &[usize], t: usize| lens.iter().filter(|&&l| l >= t).count() as f64 / lens.len().max(1) as f64;
    let all: Vec<Threshold> =
        candidates.iter().map(|&t| Threshold { min_len: t, recall: rate(attacks, t), fpr: rate(benign, t) }).collect();
    let best = all.iter().copied().max_by(|a, b| (a.recall - a.fpr).total_cmp(&(b.recall - b.fpr))).expect("one");
    let within = all.iter().copied().filter(|t| t.fpr <= max_fpr);
    let capped = within.max_by(|a, b| a.recall.total_cmp(&b.recall)).expect("usize::MAX flags nothing");
    (best, capped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_separating_length() {
        let (best, capped) = best_length_threshold(&[100, 200, 300], &[10, 20, 150], 0.0);
        assert_eq!((best.min_len, best.recall, best.fpr), (100, 1.0, 1.0 / 3.0));
        assert_eq!((capped.min_len, capped.fpr), (200, 0.0));
        assert!((capped.recall - 2.0 / 3.0).abs() < 1e-9);
    }
}
