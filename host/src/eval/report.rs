//! The measurements, as text tables and as JSON; the PII report.

use super::Found;
use super::data::PiiRow;
use super::metrics::{Confusion, LengthBaseline, percent};
use super::prompts::PromptReport;
use serde::Serialize;
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
    Prompts(Box<PromptReport>),
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
    pub fn new(data: String, plugins: Vec<String>, rows: &[PiiRow], found: &[Vec<Found>]) -> Self {
        let types = PII_TYPES.iter().map(|&(rule, entity)| type_row(rule, entity, rows, found)).collect();
        Self { data, plugins, sentences: rows.len(), types }
    }
}

fn type_row(rule: &'static str, entity: &'static str, rows: &[PiiRow], found: &[Vec<Found>]) -> TypeRow {
    let mut entities = Confusion::default();
    let mut sentences = Confusion::default();
    let mut samples = Vec::new();
    for (row, findings) in rows.iter().zip(found) {
        let labeled = row.counts().get(entity).copied().unwrap_or(0);
        let hits: usize = findings.iter().filter(|f| f.rule.rsplit('/').next() == Some(rule)).map(|f| f.evidence).sum();
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
