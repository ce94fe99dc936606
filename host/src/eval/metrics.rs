//! Confusion matrices, and the length-only baseline every figure stands beside.

use serde::Serialize;

/// Counts of a binary decision against the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// Positives flagged.
    pub tp: u64,
    /// Negatives flagged.
    pub fp: u64,
    /// Positives missed.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// Negatives left alone.
    pub tn: u64,
}

impl Confusion {
    /// Add one decision.
    pub fn add(&mut self, positive: bool, flagged: bool) {
        match (positive, flagged) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// tp / (tp + fp); `None` when nothing was flagged.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// tp / (tp + fn); `None` without positives.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// fp / (fp + tn); `None` without negatives.
    pub fn false_positive_rate(&self) -> Option<f64> {
        ratio(self.fp, self.fp + self.tn)
    }

    /// Recall, precision and false-positive rate, each with its interval.
    pub fn rates(&self) -> Rates {
        Rates {
            recall: Rate::of(self.tp, self.tp + self.fn_),
            precision: Rate::of(self.tp, self.tp + self.fp),
            false_positive_rate: Rate::of(self.fp, self.fp + self.tn),
        }
    }
}

/// A confusion matrix's rates with their intervals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    /// Positives caught.
    pub recall: Rate,
    /// Flags that were right.
    pub precision: Rate,
    /// Negatives flagged.
    pub false_positive_rate: Rate,
}

/// A proportion with its Wilson score interval at 95%: how sure a rate measured on
/// `n` rows can be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rate {
    /// Rows counted (flagged, caught…).
    pub k: u64,
    /// Rows in all.
    pub n: u64,
    /// `k / n`; `None` without rows.
    pub value: Option<f64>,
    /// The interval's lower bound.
    pub low: Option<f64>,
    /// The interval's upper bound.
    pub high: Option<f64>,
}

impl Rate {
    /// `k` of `n`, with its interval.
    pub fn of(k: u64, n: u64) -> Self {
        let Some(p) = ratio(k, n) else { return Self { k, n, ..Self::default() } };
        // z for a two-sided 95% interval.
        const Z: f64 = 1.959_964;
        let n_f = n as f64;
        let z2n = Z * Z / n_f;
        let centre = (p + z2n / 2.0) / (1.0 + z2n);
        let half = Z * (p * (1.0 - p) / n_f + z2n / (4.0 * n_f)).sqrt() / (1.0 + z2n);
        // At the edges the bounds are exactly 0 and 1; rounding would make them look otherwise.
        let low = if k == 0 { 0.0 } else { (centre - half).max(0.0) };
        let high = if k == n { 1.0 } else { (centre + half).min(1.0) };
        Self { k, n, value: Some(p), low: Some(low), high: Some(high) }
    }
}

impl std::fmt::Display for Rate {
    /// `92.4% [90.0–94.3]`, or `–` without rows.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.value, self.low, self.high) {
            (Some(v), Some(lo), Some(hi)) => write!(f, "{:.1}% [{:.1}–{:.1}]", v * 100.0, lo * 100.0, hi * 100.0),
            _ => f.write_str("–"),
        }
    }
}

/// `part / whole`, `None` for an empty whole.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A percentage for a table, `–` when undefined.
pub fn percent(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The classifier that flags a text when it is at least `threshold` characters
/// long, with the threshold that best separates the classes (highest recall minus
/// false-positive rate): what a detector must beat to show it reads more than length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LengthBaseline {
    /// Flag texts of at least this many characters.
    pub threshold: usize,
}

impl LengthBaseline {
    /// Fit the threshold to labeled lengths: (length, positive).
    pub fn fit(samples: &[(usize, bool)]) -> Self {
        let mut candidates: Vec<usize> = samples.iter().map(|(len, _)| *len).collect();
        candidates.sort_unstable();
        candidates.dedup();
        let score = |t: usize| {
            let c = Self { threshold: t }.confusion(samples);
            c.recall().unwrap_or(0.0) - c.false_positive_rate().unwrap_or(0.0)
        };
        let best = candidates.into_iter().max_by(|a, b| score(*a).total_cmp(&score(*b)).then(b.cmp(a)));
        Self { threshold: best.unwrap_or(0) }
    }

    /// Whether the baseline flags a text of this length.
    pub fn flags(&self, len: usize) -> bool {
        len >= self.threshold
    }

    /// Its confusion over labeled lengths.
    pub fn confusion(&self, samples: &[(usize, bool)]) -> Confusion {
        let mut c = Confusion::default();
        for &(len, positive) in samples {
            c.add(positive, self.flags(len));
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_their_definitions() {
        let c = Confusion { tp: 9, fp: 1, fn_: 1, tn: 89 };
        assert_eq!(c.precision(), Some(0.9));
        assert_eq!(c.recall(), Some(0.9));
        assert_eq!(c.false_positive_rate(), Some(1.0 / 90.0));
        assert_eq!(Confusion::default().recall(), None);
        assert_eq!(percent(None), "–");
    }

    #[test]
    fn wilson_intervals_hold_their_known_values() {
        // Known values: 0 of 10 → [0, 27.8%]; 10 of 10 → [72.2%, 100%]; 50 of 100 → [40.4%, 59.6%].
        let r = Rate::of(0, 10);
        assert_eq!((r.low.unwrap(), (r.high.unwrap() * 1000.0).round()), (0.0, 278.0));
        let r = Rate::of(10, 10);
        assert_eq!(((r.low.unwrap() * 1000.0).round(), r.high.unwrap()), (722.0, 1.0));
        let r = Rate::of(50, 100);
        assert_eq!(((r.low.unwrap() * 1000.0).round(), (r.high.unwrap() * 1000.0).round()), (404.0, 596.0));
        assert_eq!(Rate::of(50, 100).to_string(), "50.0% [40.4–59.6]");
        assert_eq!(Rate::of(0, 0).to_string(), "–");
    }

    #[test]
    fn baseline_picks_the_separating_length() {
        let samples = [(10, false), (20, false), (300, true), (400, true), (30, false), (250, true)];
        let baseline = LengthBaseline::fit(&samples);
        assert!(baseline.threshold > 30 && baseline.threshold <= 250, "{baseline:?}");
        assert_eq!(baseline.confusion(&samples), Confusion { tp: 3, fp: 0, fn_: 0, tn: 3 });
    }
}
