//! Label mixes: a data set's baseline, a batch's counts, and how far apart they are.

use std::collections::BTreeMap;

/// Labels a data set keeps apart; any further label counts under [`OTHER`].
pub const MAX_LABELS: usize = 32;
/// The label further labels count under once a data set has [`MAX_LABELS`].
pub const OTHER: &str = "(other labels)";
/// z for p = 0.001, one-sided: the chi-square test's level.
const Z_999: f64 = 3.09;

/// Label counts, by label: ordered, so that sums over them come out the same on
/// every run (and after the counts were kept and read back).
pub type Counts = BTreeMap<String, f64>;

/// How a batch's label mix departs from the baseline.
#[derive(Debug, PartialEq)]
pub struct Shift {
    /// Total variation distance: half the sum of the share differences, 0 to 1.
    pub distance: f64,
    /// Whether the departure is beyond chance for a batch of this size.
    pub significant: bool,
    /// The label whose share grew most, its share in the batch and in the baseline.
    pub grown: (String, f64, f64),
}

/// Compare a batch's label counts with a baseline (counts or shares: only
/// proportions matter). `None` when either is empty.
pub fn shift(batch: &Counts, baseline: &Counts) -> Option<Shift> {
    let (n, base_total) = (batch.values().sum::<f64>(), baseline.values().sum::<f64>());
    if n <= 0.0 || base_total <= 0.0 {
        return None;
    }
    let labels: Vec<&String> = batch.keys().chain(baseline.keys().filter(|l| !batch.contains_key(*l))).collect();
    // Labels the baseline never saw get a small expected share, so that one odd
    // record does not make an infinite chi-square.
    let floor = 0.5 / base_total.max(n);
    let expected = |l: &str| (baseline.get(l).copied().unwrap_or(0.0) / base_total).max(floor);
    let observed = |l: &str| batch.get(l).copied().unwrap_or(0.0) / n;
    let distance = labels.iter().map(|l| (observed(l) - expected(l)).abs()).sum::<f64>() / 2.0;
    let chi_square: f64 = labels.iter().map(|l| (observed(l) - expected(l)).powi(2) * n / expected(l)).sum();
    let significant = labels.len() > 1 && chi_square > critical_chi_square(labels.len() - 1);
    let growth = |l: &&String| observed(l) - expected(l);
    let grown = labels.iter().max_by(|a, b| growth(a).total_cmp(&growth(b)).then_with(|| b.cmp(a)))?;
    Some(Shift { distance, significant, grown: ((*grown).clone(), observed(grown), expected(grown)) })
}

/// The chi-square value that `df` degrees of freedom exceed with probability 0.001
/// (Wilson–Hilferty's approximation, within a few percent from one degree up).
fn critical_chi_square(df: usize) -> f64 {
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + Z_999 * a.sqrt()).powi(3)
}

/// Add `label` to `counts`, keeping at most [`MAX_LABELS`] labels apart.
pub fn count(counts: &mut Counts, label: &str, by: f64) {
    if let Some(c) = counts.get_mut(label) {
        *c += by;
    } else if counts.len() < MAX_LABELS - 1 {
        counts.insert(label.to_owned(), by);
    } else {
        *counts.entry(OTHER.to_owned()).or_default() += by;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(pairs: &[(&str, f64)]) -> Counts {
        pairs.iter().map(|(l, c)| ((*l).to_owned(), *c)).collect()
    }

    #[test]
    fn critical_values_match_the_tables() {
        for (df, table) in [(1, 10.83), (2, 13.82), (5, 20.52), (10, 29.59)] {
            let got = critical_chi_square(df);
            assert!((got - table).abs() / table < 0.06, "df {df}: {got} vs {table}");
        }
    }

    #[test]
    fn a_large_significant_shift_is_measured() {
        let base = counts(&[("positive", 50.0), ("negative", 35.0), ("neutral", 15.0)]);
        let batch = counts(&[("positive", 48.0), ("negative", 8.0), ("neutral", 4.0)]);
        let s = shift(&batch, &base).unwrap();
        assert!((s.distance - 0.3).abs() < 1e-9, "{s:?}");
        assert!(s.significant);
        assert_eq!(s.grown.0, "positive");
    }

    #[test]
    fn a_small_batch_is_not_significant() {
        let base = counts(&[("positive", 0.5), ("negative", 0.5)]);
        let s = shift(&counts(&[("positive", 7.0), ("negative", 3.0)]), &base).unwrap();
        assert!((s.distance - 0.2).abs() < 1e-9 && !s.significant, "{s:?}");
    }

    #[test]
    fn a_label_the_baseline_never_saw_counts_fully() {
        let base = counts(&[("positive", 60.0), ("negative", 40.0)]);
        let s = shift(&counts(&[("refund", 30.0), ("positive", 18.0), ("negative", 12.0)]), &base).unwrap();
        assert!(s.significant && s.distance > 0.49, "{s:?}");
        assert_eq!(s.grown.0, "refund");
    }

    #[test]
    fn labels_beyond_the_limit_count_together() {
        let mut c = Counts::new();
        for n in 0..40 {
            count(&mut c, &format!("l{n}"), 1.0);
        }
        assert_eq!(c.len(), MAX_LABELS);
        assert_eq!(c[OTHER], 9.0);
    }
}
