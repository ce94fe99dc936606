//! `regulator-report`: decides whether an incident is a serious incident under the EU
//! AI Act (Art. 3(49)) and, when it is, drafts the report that Art. 73 requires, with
//! its deadline, and a record in the AI Incident Database's shape.
//!
//! The decision comes from the incident and the operator's settings (which harm each
//! incident family causes, whether the system is critical infrastructure); the
//! timeline comes from the incident's findings in the host's store. Both reports are
//! proposed as `file-report` actions (`art73`, `aiid`); a not-serious incident gets
//! nothing but a log line saying why.

mod aiid;
mod art73;
mod config;
mod date;
mod serious;
#[cfg(test)]
mod tests;

use aiir_sdk::log;
use aiir_sdk::prelude::*;
use art73::Art73;
use config::Config;
use serious::Assessment;

/// The responder: its settings, once configured.
#[derive(Debug, Default)]
pub struct RegulatorReport {
    config: Option<Config>,
}

impl Responder for RegulatorReport {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "regulator-report",
            env!("CARGO_PKG_VERSION"),
            "decides whether an incident is serious under EU AI Act Art. 3(49) and drafts the Art. 73 report with \
             its deadline, and an AI Incident Database record",
        )
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Some(Config::from_settings(&settings)?);
        Ok(())
    }

    fn respond(&mut self, incident: &Incident, store: &dyn StoreView) -> Result<Vec<Proposal>, String> {
        let config = self.config.as_ref().ok_or("not configured")?;
        let impact = store.impact(&incident.id);
        let assessment = match serious::assess(config, incident, impact.as_ref()) {
            Ok(a) => a,
            Err(why) => {
                log::info(&format!("{}: not a serious incident: {why}", incident.id));
                return Ok(Vec::new());
            }
        };
        let findings = store.findings(&incident.id);
        let art73 = Art73::new(config, incident, &assessment, &findings, impact.as_ref());
        let art73_report = Report::new("art73", art73.markdown(), json(&art73)?);
        let record = aiid::Record::new(config, incident, &assessment);
        let aiid_report = Report::new("aiid", record.markdown(), json(&record)?);
        Ok(vec![
            Proposal::file_report(art73_report, reason(incident, &assessment)),
            Proposal::file_report(
                aiid_report,
                format!("{}: AI Incident Database record of the serious incident", incident.id),
            ),
        ])
    }
}

fn reason(incident: &Incident, a: &Assessment) -> String {
    format!(
        "{}: serious incident ({}, {}); report due by {} ({})",
        incident.id,
        a.harm.name(),
        a.harm.point(),
        date::rfc3339(a.deadline_unix_nano),
        a.basis
    )
}

fn json(value: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| format!("cannot write the report as JSON: {e}"))
}

aiir_sdk::export_responder!(RegulatorReport);
