//! PII figures per group of rows — per locale, per generator — each type's precision
//! and recall with their Wilson intervals: where a detector holds and where it does not,
//! and how it does on a generator held out from its rules' development.

use super::Found;
use super::data::PiiRow;
use super::metrics::{Confusion, Rate};
use super::report::{PII_TYPES, match_entities};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Precision and recall of entities, with their intervals.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct EntityRates {
    /// Found entities that were labeled.
    pub precision: Rate,
    /// Labeled entities that were found.
    pub recall: Rate,
}

impl EntityRates {
    /// The rates of matched entity counts.
    pub fn of(c: &Confusion) -> Self {
        Self { precision: Rate::of(c.tp, c.tp + c.fp), recall: Rate::of(c.tp, c.tp + c.fn_) }
    }
}

/// The rows split by one of their fields.
#[derive(Debug, Serialize)]
pub struct Breakdown {
    by: &'static str,
    groups: Vec<Group>,
}

/// The rows of one value of the field.
#[derive(Debug, Serialize)]
struct Group {
    name: String,
    sentences: usize,
    types: Vec<GroupType>,
}

/// One type within a group; only types labeled or found there are listed.
#[derive(Debug, Serialize)]
struct GroupType {
    entity: &'static str,
    entities: Confusion,
    rates: EntityRates,
}

impl Breakdown {
    /// A row's locale.
    pub fn locale(row: &PiiRow) -> Option<&str> {
        row.locale.as_deref()
    }

    /// A row's generator.
    pub fn generator(row: &PiiRow) -> Option<&str> {
        row.generator.as_deref()
    }

    /// The rows grouped by `key`; `None` when no row has it.
    pub fn new(
        by: &'static str,
        key: fn(&PiiRow) -> Option<&str>,
        rows: &[PiiRow],
        found: &[Vec<Found>],
    ) -> Option<Self> {
        let mut grouped: BTreeMap<&str, Vec<(&PiiRow, &[Found])>> = BTreeMap::new();
        for (row, findings) in rows.iter().zip(found) {
            grouped.entry(key(row)?).or_default().push((row, findings));
        }
        if grouped.is_empty() {
            return None;
        }
        let groups = grouped.into_iter().map(|(name, members)| Group::new(name, &members)).collect();
        Some(Self { by, groups })
    }
}

impl Group {
    fn new(name: &str, members: &[(&PiiRow, &[Found])]) -> Self {
        let types = PII_TYPES.iter().filter_map(|&(rule, entity)| {
            let mut c = Confusion::default();
            for (row, findings) in members {
                let m = match_entities(row, findings, rule, entity);
                (c.tp, c.fp, c.fn_) = (c.tp + m.tp, c.fp + m.fp, c.fn_ + m.fn_);
            }
            (c.tp + c.fp + c.fn_ > 0).then(|| GroupType { entity, entities: c, rates: EntityRates::of(&c) })
        });
        Self { name: name.to_owned(), sentences: members.len(), types: types.collect() }
    }
}

impl fmt::Display for Breakdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "per {} (entities; Wilson 95% intervals):", self.by)?;
        let head = [self.by, "entity", "TP", "FP", "FN", "precision", "recall"];
        writeln!(
            f,
            "{:<12} {:<16} {:>5} {:>5} {:>5}  {:<21} {:<21}",
            head[0], head[1], head[2], head[3], head[4], head[5], head[6]
        )?;
        for g in &self.groups {
            for (i, t) in g.types.iter().enumerate() {
                let name = if i == 0 { g.name.as_str() } else { "" };
                let (e, p, r) = (&t.entities, t.rates.precision.to_string(), t.rates.recall.to_string());
                writeln!(f, "{name:<12} {:<16} {:>5} {:>5} {:>5}  {p:<21} {r:<21}", t.entity, e.tp, e.fp, e.fn_)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(json: &str) -> PiiRow {
        serde_json::from_str(json).unwrap()
    }

    fn found(rule: &str, evidence: usize) -> Found {
        Found { rule: format!("sensitive-data-leak/{rule}"), evidence, confidence: 0.9 }
    }

    #[test]
    fn each_locale_gets_its_own_counts_and_secrets_count_together() {
        let rows = [
            row(r#"{"full_text": "a", "spans": [{"entity_type": "PHONE_NUMBER"}], "locale": "de_DE"}"#),
            row(
                r#"{"full_text": "b", "spans": [{"entity_type": "SECRET"}, {"entity_type": "SECRET"}], "locale": "ja_JP"}"#,
            ),
            row(r#"{"full_text": "c", "spans": [], "locale": "de_DE"}"#),
        ];
        let found = vec![
            vec![found("phone", 1)],
            vec![found("secret-aws-access-key", 1), found("secret-aws-secret-key", 1)],
            vec![found("phone", 2)],
        ];
        let b = Breakdown::new("locale", Breakdown::locale, &rows, &found).unwrap();
        let names: Vec<&str> = b.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["de_DE", "ja_JP"]);
        let de = &b.groups[0].types;
        assert_eq!((de.len(), de[0].entity), (1, "PHONE_NUMBER"));
        assert_eq!(de[0].entities, Confusion { tp: 1, fp: 2, fn_: 0, tn: 0 });
        assert_eq!(de[0].rates.precision.to_string(), Rate::of(1, 3).to_string());
        let ja = &b.groups[1].types[0];
        assert_eq!((ja.entity, ja.entities.tp), ("SECRET", 2));
        assert!(Breakdown::new("generator", Breakdown::generator, &rows, &found).is_none());
        assert!(b.to_string().contains("de_DE        PHONE_NUMBER"), "{b}");
    }
}
