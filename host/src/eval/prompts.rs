//! Attack detection on labeled prompts: overall and per source and kind, every rate
//! with its Wilson interval beside a length-only baseline; with folds, each source (or
//! kind) held out in turn, with what is fitted (the baseline's length, a confidence
//! threshold) fitted on the other rows only.

use super::Found;
use super::data::PromptRow;
use super::metrics::{Confusion, LengthBaseline, Rate, Rates};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};

/// The highest false-positive rate a threshold fitted on training rows may give them.
const MAX_FPR: f64 = 0.01;

/// What rows are held out together in a leave-one-out evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Folds {
    /// Each source in turn: figures on data whose origin nothing was fitted to.
    Source,
    /// Each kind of example in turn.
    Kind,
}

/// Attack detection on labeled prompts.
#[derive(Debug, Serialize)]
pub struct PromptReport {
    data: String,
    plugins: Vec<String>,
    /// Over every attack (positive) and benign (negative) row; other labels left out.
    /// The baseline is fitted on these same rows: development-set figures.
    overall: Figures,
    /// Per source and kind, in order of first appearance.
    groups: Vec<Group>,
    /// Rows flagged by each rule family (the part of the rule id before `/`).
    by_family: BTreeMap<String, FamilyRow>,
    /// The leave-one-out evaluation, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    folds: Option<FoldReport>,
    /// The rows the chain got wrong, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<RowError>>,
}

/// A missed attack or a flagged benign row: what to read when improving a detector.
#[derive(Debug, Serialize)]
struct RowError {
    id: String,
    source: String,
    kind: String,
    label: String,
    /// The rules that fired on it (none for a missed attack).
    rules: Vec<String>,
}

/// A detector's and the length baseline's figures on some rows.
#[derive(Debug, Serialize)]
struct Figures {
    detector: Confusion,
    rates: Rates,
    baseline: LengthBaseline,
    baseline_confusion: Confusion,
    baseline_rates: Rates,
}

/// One source and kind of example.
#[derive(Debug, Serialize)]
struct Group {
    source: String,
    kind: String,
    label: String,
    /// Rows flagged by the detector.
    flagged: Rate,
    /// Rows flagged by the length baseline.
    baseline_flagged: Rate,
}

#[derive(Debug, Default, Serialize)]
struct FamilyRow {
    attacks: u64,
    benign: u64,
}

/// Each fold held out in turn, and what the held-out rows give pooled.
#[derive(Debug, Serialize)]
struct FoldReport {
    by: Folds,
    folds: Vec<Fold>,
    /// Every held-out attack and benign row together: each is held out once.
    pooled: Pooled,
}

/// One held-out fold: figures on its rows only.
#[derive(Debug, Serialize)]
struct Fold {
    held_out: String,
    /// The chain as configured.
    detector: Rates,
    /// The length baseline fitted on the other rows.
    baseline: LengthBaseline,
    baseline_rates: Rates,
    /// Flag only findings of confidence above a threshold fitted on the other rows
    /// (the lowest keeping their false-positive rate at most 1%; none: any finding).
    threshold: Option<f32>,
    tuned: Rates,
}

/// The held-out rows of every fold together.
#[derive(Debug, Serialize)]
struct Pooled {
    detector: Rates,
    baseline: Rates,
    tuned: Rates,
    /// The fold whose benign rows the detector flagged most, and how often.
    worst_false_positive_rate: Option<(String, Rate)>,
}

/// A row as the measurements see it.
#[derive(Debug, Clone)]
struct Scored {
    /// `Some(true)` for an attack, `Some(false)` for a benign row, else `None`.
    positive: Option<bool>,
    len: usize,
    flagged: bool,
    /// The highest confidence among its findings; 0 without any.
    score: f32,
}

impl PromptReport {
    /// Measure the findings of each row against its label; with `folds`, hold out
    /// each source or kind in turn too.
    pub fn new(
        data: String,
        plugins: Vec<String>,
        rows: &[PromptRow],
        found: &[Vec<Found>],
        folds: Option<Folds>,
    ) -> Self {
        let scored: Vec<Scored> = rows.iter().zip(found).map(|(r, f)| score(r, f)).collect();
        let overall = figures(&scored, &scored);
        let groups = groups(rows, &scored, overall.baseline);
        let folds = folds.map(|by| fold_report(by, rows, &scored));
        Self { data, plugins, overall, groups, by_family: by_family(&scored, found), folds, errors: None }
    }

    /// Also list the rows the chain got wrong: missed attacks, then flagged benign rows.
    #[must_use]
    pub fn with_errors(mut self, rows: &[PromptRow], found: &[Vec<Found>]) -> Self {
        let wrong = rows.iter().zip(found).filter(|(r, f)| match r.label.as_str() {
            "attack" => f.is_empty(),
            "benign" => !f.is_empty(),
            _ => false,
        });
        let mut errors: Vec<RowError> = wrong
            .map(|(r, f)| {
                // A session's events may repeat a rule, not always one after another.
                let rules: Vec<String> =
                    f.iter().map(|x| x.rule.clone()).collect::<BTreeSet<_>>().into_iter().collect();
                let (id, source, kind, label) = (r.id.clone(), r.source().to_owned(), r.kind.clone(), r.label.clone());
                RowError { id, source, kind, label, rules }
            })
            .collect();
        errors.sort_by_key(|e| e.label != "attack");
        self.errors = Some(errors);
        self
    }
}

fn score(row: &PromptRow, found: &[Found]) -> Scored {
    let positive = match row.label.as_str() {
        "attack" => Some(true),
        "benign" => Some(false),
        _ => None,
    };
    let score = found.iter().map(|f| f.confidence).fold(0.0, f32::max);
    Scored { positive, len: row.text.chars().count(), flagged: !found.is_empty(), score }
}

/// (length, positive) of the rows with a polarity.
fn lengths(rows: &[Scored]) -> Vec<(usize, bool)> {
    rows.iter().filter_map(|r| Some((r.len, r.positive?))).collect()
}

/// The figures on `test`, with the baseline fitted on `train`.
fn figures(train: &[Scored], test: &[Scored]) -> Figures {
    let baseline = LengthBaseline::fit(&lengths(train));
    let detector = confusion(test, |r| r.flagged);
    let baseline_confusion = baseline.confusion(&lengths(test));
    Figures {
        rates: detector.rates(),
        detector,
        baseline,
        baseline_rates: baseline_confusion.rates(),
        baseline_confusion,
    }
}

fn confusion(rows: &[Scored], flags: impl Fn(&Scored) -> bool) -> Confusion {
    let mut c = Confusion::default();
    for r in rows {
        if let Some(positive) = r.positive {
            c.add(positive, flags(r));
        }
    }
    c
}

fn groups(rows: &[PromptRow], scored: &[Scored], baseline: LengthBaseline) -> Vec<Group> {
    let mut order: Vec<(&str, &str, &str)> = Vec::new();
    let mut counts: BTreeMap<(&str, &str, &str), [u64; 3]> = BTreeMap::new();
    for (row, s) in rows.iter().zip(scored) {
        let key = (row.source(), row.kind.as_str(), row.label.as_str());
        if !counts.contains_key(&key) {
            order.push(key);
        }
        let c = counts.entry(key).or_default();
        c[0] += 1;
        c[1] += u64::from(s.flagged);
        c[2] += u64::from(baseline.flags(s.len));
    }
    order
        .into_iter()
        .map(|key @ (source, kind, label)| {
            let [n, flagged, base] = counts[&key];
            Group {
                source: source.to_owned(),
                kind: kind.to_owned(),
                label: label.to_owned(),
                flagged: Rate::of(flagged, n),
                baseline_flagged: Rate::of(base, n),
            }
        })
        .collect()
}

fn by_family(scored: &[Scored], found: &[Vec<Found>]) -> BTreeMap<String, FamilyRow> {
    let mut families: BTreeMap<String, FamilyRow> = BTreeMap::new();
    for (s, findings) in scored.iter().zip(found) {
        let mut names: Vec<&str> = findings.iter().map(|f| f.rule.split('/').next().unwrap_or(&f.rule)).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let row = families.entry(name.to_owned()).or_default();
            match s.positive {
                Some(true) => row.attacks += 1,
                Some(false) => row.benign += 1,
                None => {}
            }
        }
    }
    families
}

fn fold_report(by: Folds, rows: &[PromptRow], scored: &[Scored]) -> FoldReport {
    let key = |r: &PromptRow| match by {
        Folds::Source => r.source().to_owned(),
        Folds::Kind => r.kind.clone(),
    };
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        let k = key(r);
        if !names.contains(&k) {
            names.push(k);
        }
    }
    let (mut held, mut pooled) = (Vec::new(), [Confusion::default(); 3]);
    for name in names {
        let (test, train): (Vec<_>, Vec<_>) = rows.iter().zip(scored).partition(|(r, _)| key(r) == name);
        let test: Vec<Scored> = test.into_iter().map(|(_, s)| s.clone()).collect();
        let train: Vec<Scored> = train.into_iter().map(|(_, s)| s.clone()).collect();
        let base = figures(&train, &test);
        let threshold = fit_threshold(&train);
        let tuned = confusion(&test, |r| tuned_flags(r, threshold));
        for (p, c) in pooled.iter_mut().zip([base.detector, base.baseline_confusion, tuned]) {
            add(p, &c);
        }
        held.push(Fold {
            held_out: name,
            detector: base.rates,
            baseline: base.baseline,
            baseline_rates: base.baseline_rates,
            threshold,
            tuned: tuned.rates(),
        });
    }
    let worst = held
        .iter()
        .filter(|f| f.detector.false_positive_rate.n > 0)
        .max_by(|a, b| fpr(a).total_cmp(&fpr(b)))
        .map(|f| (f.held_out.clone(), f.detector.false_positive_rate));
    let [detector, baseline, tuned] = pooled.map(|c| c.rates());
    FoldReport { by, folds: held, pooled: Pooled { detector, baseline, tuned, worst_false_positive_rate: worst } }
}

fn fpr(fold: &Fold) -> f64 {
    fold.detector.false_positive_rate.value.unwrap_or(0.0)
}

fn add(total: &mut Confusion, c: &Confusion) {
    total.tp += c.tp;
    total.fp += c.fp;
    total.fn_ += c.fn_;
    total.tn += c.tn;
}

/// The lowest confidence threshold that keeps the training rows' false-positive
/// rate at most [`MAX_FPR`]: `None` (any finding flags) when the chain as configured
/// already does.
fn fit_threshold(train: &[Scored]) -> Option<f32> {
    let benign = train.iter().filter(|r| r.positive == Some(false)).count();
    let mut flagged: Vec<f32> =
        train.iter().filter(|r| r.positive == Some(false) && r.flagged).map(|r| r.score).collect();
    // Whole rows: the false positives the rate allows.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a small non-negative count")]
    let allowed = (benign as f64 * MAX_FPR).floor() as usize;
    if flagged.len() <= allowed {
        return None;
    }
    flagged.sort_unstable_by(|a, b| b.total_cmp(a));
    // Above the (allowed + 1)-th highest benign score, at most `allowed` benign rows remain.
    Some(flagged[allowed])
}

fn tuned_flags(r: &Scored, threshold: Option<f32>) -> bool {
    r.flagged && threshold.is_none_or(|t| r.score > t)
}

impl fmt::Display for PromptReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "aiir eval: {} with {}", self.data, self.plugins.join(", "))?;
        let o = &self.overall;
        let width =
            self.groups.iter().map(|g| g.source.chars().count() + g.kind.chars().count() + 3).max().unwrap_or(0);
        let base = format!("len ≥ {}", o.baseline.threshold);
        writeln!(f, "\n{:<width$} {:<16} {:>24}   {:>24}", "source / kind", "label", "flagged", base)?;
        for g in &self.groups {
            let name = format!("{} / {}", g.source, g.kind);
            writeln!(
                f,
                "{name:<width$} {:<16} {:>24}   {:>24}",
                g.label,
                fmt_k(&g.flagged),
                fmt_k(&g.baseline_flagged)
            )?;
        }
        writeln!(f, "\nattack vs benign (development set: the baseline fitted on these rows)")?;
        writeln!(f, "{:<21} {:<40} length baseline", "", "detector")?;
        confusion_rows(f, o)?;
        writeln!(f, "\nrule family           attacks flagged   benign flagged")?;
        for (family, c) in &self.by_family {
            writeln!(f, "{family:<21} {:>15} {:>16}", c.attacks, c.benign)?;
        }
        if let Some(folds) = &self.folds {
            folds.fmt(f)?;
        }
        if let Some(errors) = &self.errors {
            fmt_errors(f, errors)?;
        }
        Ok(())
    }
}

/// One line a wrong row: its id, source and kind, and the rules that fired.
fn fmt_errors(f: &mut fmt::Formatter<'_>, errors: &[RowError]) -> fmt::Result {
    let missed = errors.iter().filter(|e| e.label == "attack").count();
    writeln!(f, "\nrows the chain got wrong: {missed} missed attacks, {} flagged benign rows", errors.len() - missed)?;
    for e in errors {
        let rules = if e.rules.is_empty() { "missed".to_owned() } else { e.rules.join(", ") };
        writeln!(f, "{:<7} {}  {} / {}  {rules}", e.label, e.id, e.source, e.kind)?;
    }
    Ok(())
}

/// `12/488 2.5% [1.4–4.3]`.
fn fmt_k(r: &Rate) -> String {
    format!("{}/{} {r}", r.k, r.n)
}

fn confusion_rows(f: &mut fmt::Formatter<'_>, o: &Figures) -> fmt::Result {
    let matrix = |c: &Confusion| format!("TP {} FN {} FP {} TN {}", c.tp, c.fn_, c.fp, c.tn);
    let (a, b) = (&o.rates, &o.baseline_rates);
    writeln!(f, "{:<21} {:<40} {}", "confusion", matrix(&o.detector), matrix(&o.baseline_confusion))?;
    writeln!(f, "{:<21} {:<40} {}", "recall", a.recall.to_string(), b.recall)?;
    writeln!(f, "{:<21} {:<40} {}", "false-positive rate", a.false_positive_rate.to_string(), b.false_positive_rate)?;
    writeln!(f, "{:<21} {:<40} {}", "precision", a.precision.to_string(), b.precision)
}

impl FoldReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = match self.by {
            Folds::Source => "source",
            Folds::Kind => "kind",
        };
        writeln!(f, "\nleave-one-{by}-out: each {by} held out in turn; the baseline's length and the")?;
        writeln!(f, "confidence threshold (training FPR ≤ 1%) fitted on the other rows only")?;
        let width = self.folds.iter().map(|g| g.held_out.chars().count()).max().unwrap_or(0).max(8);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$} {:<6} {:>26} {:>26} {:>26}",
            "held out", "rate", "detector", "length baseline", "threshold"
        );
        for fold in &self.folds {
            let base = format!("≥ {}", fold.baseline.threshold);
            let t = fold.threshold.map_or("any finding".to_owned(), |t| format!("> {t:.3}"));
            let _ = writeln!(out, "{:<width$} {:<6} {:>26} {:>26} {:>26}", fold.held_out, "", "", base, t);
            rate_lines(&mut out, width, "", [&fold.detector, &fold.baseline_rates, &fold.tuned]);
        }
        let p = &self.pooled;
        rate_lines(&mut out, width, "pooled", [&p.detector, &p.baseline, &p.tuned]);
        if let Some((name, rate)) = &p.worst_false_positive_rate {
            let _ = writeln!(out, "worst benign {by}: {name}, FPR {}", fmt_k(rate));
        }
        f.write_str(&out)
    }
}

/// The recall and false-positive lines of held-out rows: the detector, the baseline and
/// the fitted threshold side by side; a rate without rows is left out.
fn rate_lines(out: &mut String, width: usize, name: &str, figures: [&Rates; 3]) {
    let recall: fn(&Rates) -> Rate = |r| r.recall;
    let fpr: fn(&Rates) -> Rate = |r| r.false_positive_rate;
    let mut name = name;
    for (what, pick) in [("recall", recall), ("FPR", fpr)] {
        let [d, b, t] = figures.map(pick);
        if d.n > 0 {
            let _ = writeln!(out, "{name:<width$} {what:<6} {:>26} {:>26} {:>26}", fmt_k(&d), fmt_k(&b), fmt_k(&t));
            name = "";
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(positive: bool, score: f32) -> Scored {
        Scored { positive: Some(positive), len: 10, flagged: score > 0.0, score }
    }

    #[test]
    fn the_threshold_keeps_training_false_positives_within_one_percent() {
        // 200 benign rows: two may be flagged. Three are, at 0.3, 0.5 and 0.9.
        let mut train: Vec<Scored> = (0..197).map(|_| row(false, 0.0)).collect();
        train.extend([row(false, 0.3), row(false, 0.5), row(false, 0.9), row(true, 0.95), row(true, 0.4)]);
        let t = fit_threshold(&train);
        assert_eq!(t, Some(0.3));
        let c = confusion(&train, |r| tuned_flags(r, t));
        assert_eq!((c.fp, c.tp), (2, 2));
        // Within the allowance already: any finding flags.
        assert_eq!(fit_threshold(&train[..197].iter().cloned().chain([row(false, 0.9)]).collect::<Vec<_>>()), None);
    }
}
