//! `contain`: proposes blocking each principal behind repeated prompt injection,
//! jailbreaks or model extraction, so that an attack that keeps going is stopped.
//!
//! A principal is blocked when at least `min_findings` of the incident's findings
//! (as the host's store serves them) come from it. The host decides by the operator's
//! policy whether the block is carried out.

mod config;
#[cfg(test)]
mod tests;

use aiir_sdk::prelude::*;
use aiir_sdk::{State, log};
use config::Config;
use std::collections::BTreeMap;

/// The responder: its settings.
#[derive(Debug, Default)]
pub struct Contain {
    config: Config,
}

impl Responder for Contain {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "contain",
            env!("CARGO_PKG_VERSION"),
            "blocks each principal behind repeated prompt injection, jailbreaks or model extraction",
        )
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn respond(&mut self, incident: &Incident, store: &dyn StoreView) -> Result<Vec<Proposal>, String> {
        if incident.state == State::Closed || !self.config.families.contains(&incident.family) {
            return Ok(Vec::new());
        }
        let findings = store.findings(&incident.id);
        let (repeat, once): (Vec<_>, Vec<_>) = per_principal(&findings)
            .into_iter()
            .filter(|(who, _)| !self.config.exempt.contains(*who))
            .partition(|(_, n)| *n >= self.config.min_findings);
        if repeat.is_empty() {
            let seen: Vec<String> = once.iter().map(|(who, n)| format!("{who} ({n})")).collect();
            let min = self.config.min_findings;
            log::info(&format!("{}: no principal has {min} findings yet: {}", incident.id, list(&seen)));
        }
        Ok(repeat.into_iter().map(|(who, n)| block(incident, who, n)).collect())
    }
}

/// How many findings each principal is behind, by name.
fn per_principal(findings: &[IncidentFinding]) -> BTreeMap<&str, u32> {
    let mut counts = BTreeMap::new();
    for who in findings.iter().filter_map(|f| f.principal.as_deref()) {
        *counts.entry(who).or_insert(0) += 1;
    }
    counts
}

fn block(incident: &Incident, who: &str, n: u32) -> Proposal {
    Proposal::block(who, format!("{n} {} findings by {who} in {}", incident.family, incident.id))
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "no principal named".into() } else { items.join(", ") }
}

aiir_sdk::export_responder!(Contain);
