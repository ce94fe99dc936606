//! The measurements, as text tables and as JSON; the PII report.

use super::Found;
use super::data::PiiRow;
use super::groups::{Breakdown, EntityRates};
use super::metrics::{Confusion, LengthBaseline, percent};
use super::prompts::PromptReport;
use serde::Serialize;
use std::fmt::{self, Write as _};

/// Rule names of sensitive-data-leak and the labels of the PII data set they match;
/// `secret-*` is every rule of a credential.
pub(super) const PII_TYPES: &[(&str, &str)] = &[
    ("email", "EMAIL_ADDRESS"),
    ("phone", "PHONE_NUMBER"),
    ("credit-card", "CREDIT_CARD"),
    ("iban", "IBAN_CODE"),
    ("us-ssn", "US_SSN"),
    ("street-address", "STREET_ADDRESS"),
    ("secret-*", "SECRET"),
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
    /// Per locale and per generator, when the rows say.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    breakdowns: Vec<Breakdown>,
}

/// One entity type: entity counts matched per sentence (TP = min(found, labeled)),
/// and whether each sentence holds the type at all, beside the length baseline.
#[derive(Debug, Serialize)]
struct TypeRow {
    entity: &'static str,
    rule: &'static str,
    entities: Confusion,
    rates: EntityRates,
    sentences: Confusion,
    baseline: LengthBaseline,
    baseline_sentences: Confusion,
}

impl PiiReport {
    /// Match each sentence's findings with its labeled spans, type by type.
    pub fn new(data: String, plugins: Vec<String>, rows: &[PiiRow], found: &[Vec<Found>]) -> Self {
        let types = PII_TYPES.iter().map(|&(rule, entity)| type_row(rule, entity, rows, found)).collect();
        let breakdowns =
            [("locale", Breakdown::locale as fn(&PiiRow) -> Option<&str>), ("generator", Breakdown::generator)]
                .into_iter()
                .filter_map(|(by, key)| Breakdown::new(by, key, rows, found))
                .collect();
        Self { data, plugins, sentences: rows.len(), types, breakdowns }
    }
}

/// How many of the sentence's entities of a type were found (TP), found beyond those
/// labeled (FP) and missed (FN): found and labeled matched by count.
pub(super) fn match_entities(row: &PiiRow, findings: &[Found], rule: &str, entity: &str) -> Confusion {
    let labeled = row.counts().get(entity).copied().unwrap_or(0);
    let hits: usize = findings.iter().filter(|f| of_type(&f.rule, rule)).map(|f| f.evidence).sum();
    let hits = hits as u64;
    Confusion { tp: hits.min(labeled), fp: hits.saturating_sub(labeled), fn_: labeled.saturating_sub(hits), tn: 0 }
}

/// Whether a finding's rule (`sensitive-data-leak/phone`) is of the type `rule`
/// (`phone`; `secret-*` for any `secret-…`).
fn of_type(found: &str, rule: &str) -> bool {
    let name = found.rsplit('/').next().unwrap_or(found);
    match rule.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == rule,
    }
}

fn type_row(rule: &'static str, entity: &'static str, rows: &[PiiRow], found: &[Vec<Found>]) -> TypeRow {
    let mut entities = Confusion::default();
    let mut sentences = Confusion::default();
    let mut samples = Vec::new();
    for (row, findings) in rows.iter().zip(found) {
        let c = match_entities(row, findings, rule, entity);
        entities.tp += c.tp;
        entities.fp += c.fp;
        entities.fn_ += c.fn_;
        let labeled = c.tp + c.fn_ > 0;
        sentences.add(labeled, c.tp + c.fp > 0);
        samples.push((row.full_text.chars().count(), labeled));
    }
    let baseline = LengthBaseline::fit(&samples);
    let rates = EntityRates::of(&entities);
    TypeRow { entity, rule, entities, rates, sentences, baseline, baseline_sentences: baseline.confusion(&samples) }
}

impl fmt::Display for PiiReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "aiir eval: {} ({} sentences) with {}", self.data, self.sentences, self.plugins.join(", "))?;
        writeln!(f, "\nentities, matched per sentence by count (Wilson 95% intervals):")?;
        let head = ["entity", "rule", "TP", "FP", "FN", "precision", "recall"];
        writeln!(
            f,
            "{:<16} {:<16} {:>5} {:>5} {:>5}  {:<21} {:<21}",
            head[0], head[1], head[2], head[3], head[4], head[5], head[6]
        )?;
        for t in &self.types {
            let e = &t.entities;
            let (p, r) = (t.rates.precision.to_string(), t.rates.recall.to_string());
            writeln!(f, "{:<16} {:<16} {:>5} {:>5} {:>5}  {p:<21} {r:<21}", t.entity, t.rule, e.tp, e.fp, e.fn_)?;
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
        f.write_str(&line)?;
        self.breakdowns.iter().try_for_each(|b| write!(f, "\n{b}"))
    }
}
