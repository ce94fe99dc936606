//! `notify`: proposes POSTing a JSON notice of an incident to the operator's webhook
//! once it reaches `min_severity`, and again each time its severity rises.
//!
//! The host checks the URL's host against the responder's `allow_hosts` and does the
//! POST; this plugin only decides when and what.

mod config;
#[cfg(test)]
mod tests;

use aiir_sdk::prelude::*;
use aiir_sdk::{State, log};
use config::Config;
use serde_json::json;
use statekit::Lru;

/// Incidents whose notified severity is remembered; the least recent is forgotten.
const MAX_INCIDENTS: usize = 4_096;

/// The responder: settings, and the severity each incident was last notified at.
#[derive(Debug)]
pub struct Notify {
    config: Config,
    notified: Lru<String, Severity>,
}

impl Default for Notify {
    fn default() -> Self {
        Self { config: Config::default(), notified: Lru::new(MAX_INCIDENTS) }
    }
}

impl Responder for Notify {
    fn info() -> PluginInfo {
        PluginInfo::new("notify", env!("CARGO_PKG_VERSION"), "posts a JSON notice of an incident to a webhook")
            .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn respond(&mut self, incident: &Incident, _store: &dyn StoreView) -> Result<Vec<Proposal>, String> {
        let Some(url) = &self.config.url else {
            log::debug(&format!("{}: no `url` set; not notifying", incident.id));
            return Ok(Vec::new());
        };
        if !self.wanted(incident) {
            return Ok(Vec::new());
        }
        let last = self.notified.get_or_insert_with(incident.id.clone(), || Severity::Info);
        *last = incident.severity;
        let why = format!(
            "{}: {} {} incident, {} findings",
            incident.id,
            incident.severity.name(),
            incident.family,
            incident.finding_count
        );
        Ok(vec![Proposal::notify(url, body(incident).to_string(), why)])
    }
}

impl Notify {
    /// An open incident of a wanted family, at `min_severity` or above, not notified
    /// yet at its severity.
    fn wanted(&self, incident: &Incident) -> bool {
        let families = &self.config.families;
        let severe = incident.severity as u8 >= self.config.min_severity as u8;
        let news = self.notified.get(&incident.id).is_none_or(|last| (incident.severity as u8) > *last as u8);
        incident.state != State::Closed
            && (families.is_empty() || families.contains(&incident.family))
            && severe
            && news
    }
}

/// The notice: what a chat or paging webhook needs to say what happened.
fn body(incident: &Incident) -> serde_json::Value {
    let model = incident.model.as_ref().map(|m| json!({"name": m.name, "version": m.version, "digest": m.digest}));
    json!({
        "incident": incident.id,
        "title": incident.title,
        "severity": incident.severity.name(),
        "state": incident.state.name(),
        "family": incident.family,
        "scope": incident.scope.name(),
        "key": incident.key,
        "model": model,
        "counts": {
            "findings": incident.finding_count,
            "principals": incident.principals.len(),
            "sessions": incident.sessions.len(),
        },
        "techniques": incident.techniques,
        "principals": incident.principals,
        "first_seen_unix_nano": incident.first_seen_unix_nano,
        "last_seen_unix_nano": incident.last_seen_unix_nano,
    })
}

aiir_sdk::export_responder!(Notify);
