//! `rollback`: for a model-integrity or data-poisoning incident, proposes moving the
//! model's serving alias back to its newest known-good version and quarantining the
//! version behind the incident.
//!
//! It reads the model's versions from the host's registry: with no known-good version
//! to fall back to it proposes nothing and logs why; the reason it gives names the
//! version the host will roll back to.

mod config;
#[cfg(test)]
mod tests;

use aiir_sdk::prelude::*;
use aiir_sdk::{LineageImpact, State, StoreView, log};
use config::Config;

/// The responder: its settings.
#[derive(Debug, Default)]
pub struct Rollback {
    config: Config,
}

impl Responder for Rollback {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "rollback",
            env!("CARGO_PKG_VERSION"),
            "rolls a tampered or poisoned model back to its newest known-good version and quarantines the offending one",
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
        if let Some(impact) = store.impact(&incident.id) {
            return Ok(self.undo_training(incident, &impact, store));
        }
        let Some(name) = model_name(incident) else {
            log::info(&format!("{}: names no model; nothing to roll back", incident.id));
            return Ok(Vec::new());
        };
        let versions = store.versions(name);
        let offending = offending(incident, &versions);
        let Some(target) = target(incident, &versions, offending.as_ref()) else {
            log::warn(&format!("{}: no known-good version of {name} to roll back to; proposing nothing", incident.id));
            return Ok(Vec::new());
        };
        let mut proposals = Vec::new();
        if target.serving {
            log::info(&format!("{}: {name} already serves known-good {}", incident.id, target.version));
        } else {
            let why = format!(
                "{}: {} incident on {name}; back to known-good {}",
                incident.id,
                incident.family,
                label(&target.model_ref())
            );
            proposals.push(Proposal::rollback(name, why));
        }
        proposals.extend(self.quarantine(incident, &versions, offending));
        Ok(proposals)
    }
}

impl Rollback {
    /// For an incident whose data trained models: every model back to its version
    /// none of the data reached (which the host names), every version it reached
    /// quarantined.
    fn undo_training(&self, incident: &Incident, impact: &LineageImpact, store: &dyn StoreView) -> Vec<Proposal> {
        let mut proposals = Vec::new();
        let mut models: Vec<&str> = impact.affected.iter().map(|m| m.name.as_str()).collect();
        models.sort_unstable();
        models.dedup();
        for name in models {
            let versions = store.versions(name);
            let serving = versions.iter().find(|v| v.serving).map(ModelVersion::model_ref);
            if let Some(s) = serving.as_ref().filter(|s| !impact.affected.iter().any(|a| same(s, a))) {
                log::info(&format!("{}: {name} serves {}, which none of the data reached", incident.id, label(s)));
                continue;
            }
            match impact.clean.iter().find(|c| c.name == name) {
                None => log::warn(&format!(
                    "{}: every version of {name} that could serve was trained on the incident's data; proposing no rollback",
                    incident.id
                )),
                Some(clean) if serving.as_ref().is_some_and(|s| same(s, clean)) => {
                    log::info(&format!("{}: {name} already serves {}", incident.id, label(clean)));
                }
                Some(clean) => {
                    let why = format!(
                        "{}: {} incident; {} was trained on none of its data",
                        incident.id,
                        incident.family,
                        label(clean)
                    );
                    proposals.push(Proposal::rollback(name, why));
                }
            }
        }
        if self.config.quarantine {
            for bad in &impact.affected {
                let versions = store.versions(&bad.name);
                if versions.iter().any(|v| v.quarantined && same(&v.model_ref(), bad)) {
                    continue;
                }
                let why = format!(
                    "{}: {} was trained on the data of the {} incident",
                    incident.id,
                    label(bad),
                    incident.family
                );
                proposals.push(Proposal::quarantine(bad.clone(), why));
            }
        }
        proposals
    }

    /// Quarantine the offending version, unless settings say not to, it is unknown or
    /// it is quarantined already.
    fn quarantine(
        &self,
        incident: &Incident,
        versions: &[ModelVersion],
        offending: Option<ModelRef>,
    ) -> Option<Proposal> {
        let bad = offending.filter(|_| self.config.quarantine)?;
        if versions.iter().any(|v| v.quarantined && same(&v.model_ref(), &bad)) {
            log::info(&format!("{}: {} is quarantined already", incident.id, label(&bad)));
            return None;
        }
        let why = format!("{}: {} is the version behind the {} incident", incident.id, label(&bad), incident.family);
        Some(Proposal::quarantine(bad, why))
    }
}

/// The model the incident is about: its model, else its key when grouped by model.
fn model_name(incident: &Incident) -> Option<&str> {
    match (&incident.model, incident.scope) {
        (Some(model), _) => Some(&model.name),
        (None, Scope::Model) => Some(&incident.key),
        (None, _) => None,
    }
}

/// The version behind the incident: the one its latest finding names, else the one
/// serving, unless that one is known to be good.
fn offending(incident: &Incident, versions: &[ModelVersion]) -> Option<ModelRef> {
    let named = incident.model.clone().filter(|m| m.version.is_some() || m.digest.is_some());
    named.or_else(|| versions.iter().find(|v| v.serving && !v.known_good).map(ModelVersion::model_ref))
}

/// The newest known-good, unquarantined version that is not the offending one,
/// preferring those the registry knew before the incident began.
fn target<'v>(incident: &Incident, versions: &'v [ModelVersion], bad: Option<&ModelRef>) -> Option<&'v ModelVersion> {
    let good = || {
        let usable =
            |v: &&ModelVersion| v.known_good && !v.quarantined && !bad.is_some_and(|b| same(&v.model_ref(), b));
        versions.iter().filter(usable)
    };
    let before = good().filter(|v| v.registered_unix_nano <= incident.first_seen_unix_nano);
    before.max_by_key(|v| v.registered_unix_nano).or_else(|| good().max_by_key(|v| v.registered_unix_nano))
}

/// Whether two references name the same artifact: the same digest where both know
/// it, else the same version label.
fn same(a: &ModelRef, b: &ModelRef) -> bool {
    a.name == b.name
        && match (&a.digest, &b.digest) {
            (Some(x), Some(y)) => x == y,
            _ => a.version.is_some() && a.version == b.version,
        }
}

/// `name version (digest)`, as much as is known.
fn label(m: &ModelRef) -> String {
    let mut s = m.name.clone();
    if let Some(v) = &m.version {
        s = format!("{s} {v}");
    }
    if let Some(d) = &m.digest {
        s = format!("{s} ({d})");
    }
    s
}

aiir_sdk::export_responder!(Rollback);
