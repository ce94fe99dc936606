//! The incident as a record of the AI Incident Database (incidentdatabase.ai): its
//! incident fields (`incident_id`, `date`, `title`, `description`, the alleged
//! deployer, developer and harmed parties, `reports`) and one report to submit.

use crate::config::Config;
use crate::date::{date, rfc3339};
use crate::serious::Assessment;
use aiir_sdk::Incident;
use aiir_sdk::markdown::cell;
use serde::Serialize;

/// The record: the incident and the report that describes it.
#[derive(Debug, Serialize)]
pub struct Record {
    pub incident: AiidIncident,
    pub reports: Vec<AiidReport>,
}

/// An incident as the database keeps it; entities are slugs, as there.
#[derive(Debug, Serialize)]
pub struct AiidIncident {
    /// Assigned by the database's editors.
    pub incident_id: Option<u64>,
    pub date: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "Alleged deployer of AI system")]
    pub deployers: Vec<String>,
    #[serde(rename = "Alleged developer of AI system")]
    pub developers: Vec<String>,
    #[serde(rename = "Alleged harmed or nearly harmed parties")]
    pub harmed: Vec<String>,
    pub implicated_systems: Vec<String>,
    /// Report numbers, assigned by the database.
    pub reports: Vec<u64>,
}

/// A report as submitted to the database.
#[derive(Debug, Serialize)]
pub struct AiidReport {
    pub title: String,
    pub text: String,
    pub date_published: String,
    pub authors: Vec<String>,
    pub submitters: Vec<String>,
    pub language: &'static str,
    pub tags: Vec<String>,
}

impl Record {
    /// The record of `incident`, assessed serious. Being public, it leaves out the
    /// principals and sessions (personal data) that the Art. 73 report names.
    pub fn new(config: &Config, incident: &Incident, a: &Assessment) -> Self {
        let system = &config.system;
        let developer = system.developer.as_deref().unwrap_or(&config.provider.name);
        let title = format!("{}: {} in {}", incident.id, incident.title, system.name);
        let description = description(incident, &system.name);
        let text = format!(
            "{description}\n\nHarm: {} ({}).\n\nCorrective measures: {}",
            a.harm.description(),
            a.harm.point(),
            crate::art73::measures(incident.state)
        );
        let mut tags = incident.techniques.clone();
        tags.push(format!("harm:{}", a.harm.name()));
        Self {
            incident: AiidIncident {
                incident_id: None,
                date: date(incident.first_seen_unix_nano),
                title: title.clone(),
                description,
                deployers: vec![slug(&config.provider.name)],
                developers: vec![slug(developer)],
                harmed: vec![format!("users-of-{}", slug(&system.name))],
                implicated_systems: vec![slug(&system.name)],
                reports: Vec::new(),
            },
            reports: vec![AiidReport {
                title,
                text,
                date_published: rfc3339(incident.opened_unix_nano),
                authors: vec![config.provider.name.clone()],
                submitters: vec![config.provider.name.clone()],
                language: "en",
                tags,
            }],
        }
    }

    /// The record for a human; the incident's text is escaped (see `Art73::markdown`).
    pub fn markdown(&self) -> String {
        let i = &self.incident;
        format!(
            "# AI Incident Database record: {}\n\n- Date: {}\n- Alleged deployer: {}\n- Alleged developer: {}\n\
             - Alleged harmed or nearly harmed parties: {}\n- Implicated systems: {}\n\n{}\n",
            cell(&i.title),
            i.date,
            i.deployers.join(", "),
            i.developers.join(", "),
            i.harmed.join(", "),
            i.implicated_systems.join(", "),
            cell(&i.description),
        )
    }
}

/// What happened, without naming who.
fn description(incident: &Incident, system: &str) -> String {
    let model = incident.model.as_ref().map(|m| format!(" (model {})", m.name)).unwrap_or_default();
    format!(
        "{} findings of {} in {system}{model} between {} and {}.",
        incident.finding_count,
        incident.family,
        rfc3339(incident.first_seen_unix_nano),
        rfc3339(incident.last_seen_unix_nano)
    )
}

/// The database's entity id for a name: lowercase words joined by dashes.
fn slug(name: &str) -> String {
    let words: Vec<String> =
        name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    words.join("-")
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_words_with_dashes() {
        assert_eq!(super::slug("Acme AI GmbH"), "acme-ai-gmbh");
        assert_eq!(super::slug("  Zürich Re / AI "), "zürich-re-ai");
    }
}
