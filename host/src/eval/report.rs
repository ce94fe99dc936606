//! The measurements, as text tables and as JSON.

use super::RowFindings;
use super::data::{PiiRow, PromptRow};
use super::metrics::{Confusion, LengthBaseline, percent, ratio};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// Rule names of sensitive-data-leak and the labels of the PII data set they match.
const PII_TYPES: &[(&str, &str)] = &[
    ("email", "EMAIL_ADDRESS"),
    ("phone", "PHONE_NUMBER"),
    ("credit-card", "CREDIT_CARD"),
    ("iban", "IBAN_CODE"),
    ("us-ssn", "US_SSN"),
    ("street-address", "STREET_ADDRESS"),
];

/// A report of either shape.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Report {
    /// Of a prompt data set.
    Prompts(PromptReport),
    /// Of a PII data set.
    Pii(PiiReport),
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Prompts(r) => r.fmt(f),
            Report::Pii(r) => r.fmt(f),
        }
    }
}

/// Attack detection on labeled prompts.
#[derive(Debug, Serialize)]
pub struct PromptReport {
    data: String,
    plugins: Vec<String>,
    baseline: LengthBaseline,
    kinds: Vec<KindRow>,
    /// Attacks (positives) against benign prompts (negatives); other labels left out.
    detector: Confusion,
    baseline_confusion: Confusion,
    /// Rows flagged by each rule family (the part of the rule id before `/`).
    by_family: BTreeMap<String, FamilyRow>,
}

/// One kind of example.
#[derive(Debug, Serialize)]
struct KindRow {
    kind: String,
    label: String,
    rows: u64,
    flagged: u64,
    baseline_flagged: u64,
}

#[derive(Debug, Default, Serialize)]
struct FamilyRow {
    attacks: u64,
    benign: u64,
}

impl PromptReport {
    /// Measure the findings of each row against its label.
    pub fn new(data: String, plugins: Vec<String>, rows: &[PromptRow], found: &[RowFindings]) -> Self {
        let polar = |r: &PromptRow| match r.label.as_str() {
            "attack" => Some(true),
            "benign" => Some(false),
            _ => None,
        };
        let samples: Vec<(usize, bool)> =
            rows.iter().filter_map(|r| Some((r.text.chars().count(), polar(r)?))).collect();
        let baseline = LengthBaseline::fit(&samples);
        let mut report = Self {
            data,
            plugins,
            baseline,
            kinds: Vec::new(),
            detector: Confusion::default(),
            baseline_confusion: baseline.confusion(&samples),
            by_family: BTreeMap::new(),
        };
        for (row, findings) in rows.iter().zip(found) {
            report.add(row, findings, polar(row));
        }
        report
    }

    fn add(&mut self, row: &PromptRow, findings: &RowFindings, polarity: Option<bool>) {
        let flagged = !findings.is_empty();
        if let Some(positive) = polarity {
            self.detector.add(positive, flagged);
        }
        let index = match self.kinds.iter().position(|k| k.kind == row.kind) {
            Some(i) => i,
            None => {
                let row = KindRow {
                    kind: row.kind.clone(),
                    label: row.label.clone(),
                    rows: 0,
                    flagged: 0,
                    baseline_flagged: 0,
                };
                self.kinds.push(row);
                self.kinds.len() - 1
            }
        };
        let kind = &mut self.kinds[index];
        kind.rows += 1;
        kind.flagged += u64::from(flagged);
        kind.baseline_flagged += u64::from(self.baseline.flags(row.text.chars().count()));
        let mut families: Vec<&str> = findings.iter().map(|(rule, _)| rule.split('/').next().unwrap_or(rule)).collect();
        families.dedup();
        for family in families {
            let counts = self.by_family.entry(family.to_owned()).or_default();
            match polarity {
                Some(true) => counts.attacks += 1,
                Some(false) => counts.benign += 1,
                None => {}
            }
        }
    }
}

impl fmt::Display for PromptReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "aiir eval: {} with {}", self.data, self.plugins.join(", "))?;
        let base = format!("len ≥ {}", self.baseline.threshold);
        writeln!(f, "\n{:<30} {:<16} {:>6} {:>8} {:>8}   {:>14}", "kind", "label", "rows", "flagged", "rate", base)?;
        for k in &self.kinds {
            let (rate, base) = (percent(ratio(k.flagged, k.rows)), percent(ratio(k.baseline_flagged, k.rows)));
            writeln!(f, "{:<30} {:<16} {:>6} {:>8} {:>8}   {:>14}", k.kind, k.label, k.rows, k.flagged, rate, base)?;
        }
        writeln!(f, "\nattack vs benign      {:<36} length baseline", "detector")?;
        confusion_rows(f, &self.detector, &self.baseline_confusion)?;
        writeln!(f, "\nrule family           attacks flagged   benign flagged")?;
        for (family, c) in &self.by_family {
            writeln!(f, "{family:<21} {:>15} {:>16}", c.attacks, c.benign)?;
        }
        Ok(())
    }
}

fn confusion_rows(f: &mut fmt::Formatter<'_>, a: &Confusion, b: &Confusion) -> fmt::Result {
    let matrix = |c: &Confusion| format!("TP {} FN {} FP {} TN {}", c.tp, c.fn_, c.fp, c.tn);
    writeln!(f, "{:<21} {:<36} {}", "confusion", matrix(a), matrix(b))?;
    writeln!(f, "{:<21} {:<36} {}", "precision", percent(a.precision()), percent(b.precision()))?;
    writeln!(f, "{:<21} {:<36} {}", "recall", percent(a.recall()), percent(b.recall()))?;
    writeln!(
        f,
        "{:<21} {:<36} {}",
        "false-positive rate",
        percent(a.false_positive_rate()),
        percent(b.false_positive_rate())
    )
}

/// PII detection on labeled sentences.
#[derive(Debug, Serialize)]
pub struct PiiReport {
    data: String,
    plugins: Vec<String>,
    sentences: usize,
    types: Vec<TypeRow>,
}

/// One entity type: entity counts matched per sentence (TP = min(found, labeled)),
/// and whether each sentence holds the type at all, beside the length baseline.
#[derive(Debug, Serialize)]
struct TypeRow {
    entity: &'static str,
    rule: &'static str,
    entities: Confusion,
    sentences: Confusion,
    baseline: LengthBaseline,
    baseline_sentences: Confusion,
}

impl PiiReport {
    /// Match each sentence's findings with its labeled spans, type by type.
    pub fn new(data: String, plugins: Vec<String>, rows: &[PiiRow], found: &[RowFindings]) -> Self {
        let types = PII_TYPES.iter().map(|&(rule, entity)| type_row(rule, entity, rows, found)).collect();
        Self { data, plugins, sentences: rows.len(), types }
    }
}

fn type_row(rule: &'static str, entity: &'static str, rows: &[PiiRow], found: &[RowFindings]) -> TypeRow {
    let mut entities = Confusion::default();
    let mut sentences = Confusion::default();
    let mut samples = Vec::new();
    for (row, findings) in rows.iter().zip(found) {
        let labeled = row.counts().get(entity).copied().unwrap_or(0);
        let hits: usize = findings.iter().filter(|(r, _)| r.rsplit('/').next() == Some(rule)).map(|(_, n)| n).sum();
        let hits = hits as u64;
        entities.tp += hits.min(labeled);
        entities.fp += hits.saturating_sub(labeled);
        entities.fn_ += labeled.saturating_sub(hits);
        sentences.add(labeled > 0, hits > 0);
        samples.push((row.full_text.chars().count(), labeled > 0));
    }
    let baseline = LengthBaseline::fit(&samples);
    TypeRow { entity, rule, entities, sentences, baseline, baseline_sentences: baseline.confusion(&samples) }
}

impl fmt::Display for PiiReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "aiir eval: {} ({} sentences) with {}", self.data, self.sentences, self.plugins.join(", "))?;
        writeln!(f, "\nentities, matched per sentence by count:")?;
        let head = ["entity", "rule", "TP", "FP", "FN", "precision", "recall"];
        writeln!(
            f,
            "{:<16} {:<16} {:>5} {:>5} {:>5} {:>10} {:>8}",
            head[0], head[1], head[2], head[3], head[4], head[5], head[6]
        )?;
        for t in &self.types {
            let e = &t.entities;
            let (p, r) = (percent(e.precision()), percent(e.recall()));
            writeln!(f, "{:<16} {:<16} {:>5} {:>5} {:>5} {:>10} {:>8}", t.entity, t.rule, e.tp, e.fp, e.fn_, p, r)?;
        }
        writeln!(f, "\nsentences holding the type (detector | length baseline):")?;
        let mut line = String::new();
        for t in &self.types {
            let (s, b) = (&t.sentences, &t.baseline_sentences);
            let _ = writeln!(
                line,
                "{:<16} recall {:>6} FPR {:>6} | len ≥ {:<5} recall {:>6} FPR {:>6}",
                t.entity,
                percent(s.recall()),
                percent(s.false_positive_rate()),
                t.baseline.threshold,
                percent(b.recall()),
                percent(b.false_positive_rate())
            );
        }
        f.write_str(&line)
    }
}
