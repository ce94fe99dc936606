//! The draft of the serious-incident report of EU AI Act Art. 73, as JSON and Markdown
//! from one structure.

use crate::config::Config;
use crate::date::rfc3339;
use crate::serious::Assessment;
use aiir_sdk::markdown::cell;
use aiir_sdk::{Incident, IncidentFinding, LineageImpact, ModelRef, State};
use serde::Serialize;
use std::fmt::Write as _;

/// Timeline rows shown in the Markdown; the JSON has them all.
const MARKDOWN_ROWS: usize = 50;

/// The report.
#[derive(Debug, Serialize)]
pub struct Art73<'a> {
    pub report: &'static str,
    pub status: &'static str,
    pub incident: Summary<'a>,
    pub provider: &'a crate::config::Provider,
    pub system: System<'a>,
    pub aware_at: String,
    pub deadline: Deadline,
    pub description: String,
    pub timeline: Vec<Entry<'a>>,
    pub affected_persons: Affected,
    pub harm: HarmPart,
    pub causal_link: String,
    pub corrective_measures: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub family: &'a str,
    pub severity: &'static str,
    pub state: &'static str,
    pub findings: u32,
    pub rules: &'a [String],
    pub techniques: &'a [String],
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Serialize)]
pub struct System<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub eu_database_id: Option<&'a str>,
    pub model: Option<Model<'a>>,
}

/// The model involved.
#[derive(Debug, Serialize)]
pub struct Model<'a> {
    pub name: std::borrow::Cow<'a, str>,
    pub version: Option<std::borrow::Cow<'a, str>>,
    pub digest: Option<std::borrow::Cow<'a, str>>,
}

impl Model<'static> {
    fn owned(m: &ModelRef) -> Self {
        let own = |s: &Option<String>| s.clone().map(Into::into);
        Model { name: m.name.clone().into(), version: own(&m.version), digest: own(&m.digest) }
    }
}

impl Model<'_> {
    /// `name version (digest)`, as much as is known, escaped for Markdown.
    fn markdown(&self) -> String {
        let (version, digest) = (self.version.as_deref().unwrap_or("version unknown"), self.digest.as_deref());
        let digest = digest.map_or(String::new(), |d| format!(" ({})", cell(d)));
        format!("{} {}{digest}", cell(&self.name), cell(version))
    }
}

#[derive(Debug, Serialize)]
pub struct Deadline {
    pub date: String,
    pub days: u64,
    pub basis: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub time: String,
    pub event: &'a str,
    pub detector: &'a str,
    pub rule: &'a str,
    pub title: &'a str,
    pub severity: &'static str,
    pub principal: Option<&'a str>,
    pub session: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct Affected {
    pub at_least: u64,
    pub principals: usize,
    pub sessions: usize,
    pub widespread: bool,
    /// What the models trained on the incident's data served, by lineage.
    pub through_trained_models: Option<Served>,
}

/// The model versions trained on the incident's data and what they served.
#[derive(Debug, Serialize)]
pub struct Served {
    pub model_versions: Vec<Model<'static>>,
    pub events: u64,
    pub sessions: u64,
    pub principals: u64,
}

#[derive(Debug, Serialize)]
pub struct HarmPart {
    pub category: &'static str,
    pub point: &'static str,
    pub description: &'static str,
}

impl<'a> Art73<'a> {
    /// The draft for `incident`, assessed serious, with its `findings` from the store.
    pub fn new(
        config: &'a Config,
        incident: &'a Incident,
        a: &Assessment,
        findings: &'a [IncidentFinding],
        impact: Option<&LineageImpact>,
    ) -> Self {
        let model = incident.model.as_ref();
        Self {
            report: "eu-ai-act-art73-serious-incident",
            status: "draft",
            incident: Summary {
                id: &incident.id,
                title: &incident.title,
                family: &incident.family,
                severity: incident.severity.name(),
                state: incident.state.name(),
                findings: incident.finding_count,
                rules: &incident.rules,
                techniques: &incident.techniques,
                first_seen: rfc3339(incident.first_seen_unix_nano),
                last_seen: rfc3339(incident.last_seen_unix_nano),
            },
            provider: &config.provider,
            system: System {
                name: &config.system.name,
                version: config.system.version.as_deref(),
                eu_database_id: config.system.eu_database_id.as_deref(),
                model: model.map(|m| Model {
                    name: m.name.as_str().into(),
                    version: m.version.as_deref().map(Into::into),
                    digest: m.digest.as_deref().map(Into::into),
                }),
            },
            aware_at: rfc3339(incident.opened_unix_nano),
            deadline: Deadline { date: rfc3339(a.deadline_unix_nano), days: a.days, basis: a.basis },
            description: description(incident),
            timeline: findings.iter().map(entry).collect(),
            affected_persons: Affected {
                at_least: a.affected,
                principals: incident.principals.len(),
                sessions: incident.sessions.len(),
                widespread: a.widespread,
                through_trained_models: impact.map(|i| Served {
                    model_versions: i.affected.iter().map(Model::owned).collect(),
                    events: i.events,
                    sessions: i.sessions,
                    principals: i.principals,
                }),
            },
            harm: HarmPart { category: a.harm.name(), point: a.harm.point(), description: a.harm.description() },
            causal_link: causal_link(config, incident),
            corrective_measures: measures(incident.state),
        }
    }

    /// The report for a human. What came from the incident (a detector's titles and
    /// rules, a log's principals and model names) is escaped, so that it reads as the
    /// text it is and adds no structure; the provider's settings are written as given.
    pub fn markdown(&self) -> String {
        let (i, s, p) = (&self.incident, &self.system, self.provider);
        let mut md = format!("# Serious incident report (EU AI Act Art. 73): {}\n\n", cell(i.id));
        md += "_Draft for the provider to review and complete before it is submitted to the market \
               surveillance authority._\n\n";
        let _ = writeln!(
            md,
            "**Deadline: {}** ({} days from awareness, {})\n",
            self.deadline.date, self.deadline.days, self.deadline.basis
        );
        let _ = writeln!(md, "## Provider\n\n- Name: {}\n- Address: {}\n- Contact: {}\n", p.name, p.address, p.contact);
        let _ = writeln!(md, "## AI system\n\n- Name: {}\n- Version: {}", s.name, s.version.unwrap_or("not given"));
        let _ = writeln!(md, "- EU database id: {}", s.eu_database_id.unwrap_or("not given"));
        if let Some(m) = &s.model {
            let _ = writeln!(md, "- Model: {}", m.markdown());
        }
        let _ = writeln!(
            md,
            "\n## Incident\n\n- {}: {}\n- Family: {}; severity: {}; state: {}",
            cell(i.id),
            cell(i.title),
            cell(i.family),
            i.severity,
            i.state
        );
        let _ = writeln!(
            md,
            "- First seen: {}; last seen: {}; aware (opened): {}",
            i.first_seen, i.last_seen, self.aware_at
        );
        let _ = writeln!(md, "- Techniques: {}\n\n{}\n", cell(&list(i.techniques)), cell(&self.description));
        md += &self.timeline_markdown();
        let a = &self.affected_persons;
        let wide = if a.widespread { " (widespread)" } else { "" };
        let _ = writeln!(
            md,
            "## Affected persons\n\nAt least {}{wide}: {} principals, {} sessions.\n",
            a.at_least, a.principals, a.sessions
        );
        if let Some(t) = &a.through_trained_models {
            let versions: Vec<String> = t.model_versions.iter().map(Model::markdown).collect();
            let _ = writeln!(
                md,
                "Model versions trained on the incident's data (by lineage): {}. They served {} model calls \
                 in {} sessions to {} principals.\n",
                versions.join(", "),
                t.events,
                t.sessions,
                t.principals
            );
        }
        let _ = writeln!(md, "## Harm\n\n{} ({}): {}.\n", self.harm.category, self.harm.point, self.harm.description);
        let _ = writeln!(md, "## Causal link\n\n{}\n", cell(&self.causal_link));
        let _ = writeln!(md, "## Corrective measures taken\n\n{}", self.corrective_measures);
        md
    }

    fn timeline_markdown(&self) -> String {
        let mut md = String::from(
            "## Timeline\n\n| time (UTC) | event | detector rule | finding | principal | session |\n|---|---|---|---|---|---|\n",
        );
        for e in self.timeline.iter().take(MARKDOWN_ROWS) {
            let cells = [
                &e.time,
                e.event,
                e.rule,
                &format!("{} ({})", e.title, e.severity),
                e.principal.unwrap_or(""),
                e.session.unwrap_or(""),
            ];
            let cells: Vec<_> = cells.iter().map(|c| cell(c)).collect();
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        if self.timeline.len() > MARKDOWN_ROWS {
            let _ =
                writeln!(md, "\n… and {} more findings (all in the JSON report).", self.timeline.len() - MARKDOWN_ROWS);
        }
        md + "\n"
    }
}

/// What happened, in one paragraph.
pub fn description(incident: &Incident) -> String {
    let model = incident.model.as_ref().map(|m| format!(" on model {}", m.name)).unwrap_or_default();
    format!(
        "aiir detected {} findings of {}{model}, grouped by {} `{}`, between {} and {}; rules: {}.",
        incident.finding_count,
        incident.family,
        incident.scope.name(),
        incident.key,
        rfc3339(incident.first_seen_unix_nano),
        rfc3339(incident.last_seen_unix_nano),
        list(&incident.rules),
    )
}

fn causal_link(config: &Config, incident: &Incident) -> String {
    format!(
        "The findings come from the logs of {} itself: its own events, inspected by aiir's detectors ({}). \
         They show the AI system's involvement; whether it caused the harm is for the provider's investigation \
         to confirm (Art. 73(6)).",
        config.system.name,
        list(&incident.techniques),
    )
}

/// The corrective measures the incident's state records.
pub fn measures(state: State) -> &'static str {
    match state {
        State::Open => "None recorded yet.",
        State::Contained => {
            "The incident is contained: the attack was stopped from going on (a principal blocked or a model version quarantined)."
        }
        State::Recovered => {
            "Service is recovered: the AI system was returned to a known-good state (a model rolled back)."
        }
        State::Closed => "The incident is closed after its corrective measures.",
    }
}

fn entry(f: &IncidentFinding) -> Entry<'_> {
    Entry {
        time: rfc3339(f.time_unix_nano),
        event: &f.event_id,
        detector: &f.plugin,
        rule: &f.finding.rule,
        title: &f.finding.title,
        severity: f.finding.severity.name(),
        principal: f.principal.as_deref(),
        session: f.session.as_deref(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}
