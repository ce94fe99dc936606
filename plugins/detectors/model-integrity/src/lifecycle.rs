//! The rules only lifecycle events feed: how an artifact came into service, beyond
//! which digest it has.
//!
//! - `unsigned` (low): no digest, so nothing can verify the artifact.
//! - `outside-registry` (high): the operator lists trusted registries, and the
//!   artifact came from elsewhere, or from nowhere the log names.
//! - `version-rollback` (high): an older version put in service without declaring a
//!   rollback: the quiet way to bring back a version with a known weakness.
//! - `unsafe-format` (high): a pickle-based artifact, which runs code when loaded.

use crate::{IN_SERVICE, ModelIntegrity, Report, artifact, describe, version};
use aiir_sdk::ModelLifecycle;
use aiir_sdk::prelude::*;
use std::cmp::Ordering;

const SUPPLY_CHAIN: [&str; 2] = ["AML.T0010.003", "LLM03"];
const BACKDOOR: [&str; 2] = ["AML.T0018", "LLM03"];
const MODEL: &str = "payload.model_lifecycle.model";

/// What an action does to the version in service.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Action {
    /// Puts the model's version in service.
    InService,
    /// Puts an earlier version back in service, and says so.
    Rollback,
    /// Takes a model out of service: none of these rules apply.
    OutOfService,
    /// Anything else (`registered`, `scanned` …): artifact rules apply, the version
    /// in service does not move.
    Other,
}

impl Action {
    fn of(action: &str) -> Self {
        let action = action.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        match action.as_str() {
            "deployed" | "loaded" | "promoted" | "activated" | "released" | "restored" | "started" | "served" => {
                Self::InService
            }
            "rolled-back" | "rollback" | "reverted" => Self::Rollback,
            "unloaded" | "retired" | "deleted" | "archived" | "deprecated" | "removed" | "stopped" | "undeployed"
            | "deactivated" | "quarantined" => Self::OutOfService,
            _ => Self::Other,
        }
    }
}

/// A version change: the version in service before, and how the new one compares.
struct Move {
    from: String,
    order: Option<Ordering>,
}

impl ModelIntegrity {
    /// The lifecycle rules' findings for one lifecycle event.
    pub(crate) fn lifecycle(&self, event: &Event, l: &ModelLifecycle) -> Result<Vec<Report>, String> {
        let action = Action::of(&l.action);
        if action == Action::OutOfService {
            return Ok(Vec::new());
        }
        let moved = track_version(l, action)?;
        let outside = self.outside_registry(l, moved.as_ref());
        // Outside the registry already says it all; a rollback inside it is its own news.
        let rollback = if outside.is_none() { rollback(l, action, moved.as_ref()) } else { None };
        Ok([self.unsigned(l), outside, rollback, unsafe_format(event, l)].into_iter().flatten().collect())
    }

    fn unsigned(&self, l: &ModelLifecycle) -> Option<Report> {
        if !self.config.require_digest || l.model.digest.is_some() {
            return None;
        }
        let title = format!("{} {} without a digest: the artifact cannot be verified", describe(&l.model), l.action);
        let finding = Finding::new("model-integrity/unsigned", title, Severity::Low).confidence(0.6);
        Some(report(finding, SUPPLY_CHAIN, l, "name", &l.model.name, ""))
    }

    fn outside_registry(&self, l: &ModelLifecycle, moved: Option<&Move>) -> Option<Report> {
        if self.config.registries.is_empty() || self.config.trusts_registry(l.registry.as_deref()) {
            return None;
        }
        let from = match &l.registry {
            Some(registry) => format!("from {registry}, not a trusted registry"),
            None => "from no named registry".to_owned(),
        };
        let title = format!("{} {} {from}{}", describe(&l.model), l.action, move_note(l, moved));
        let finding = Finding::new("model-integrity/outside-registry", title, Severity::High).confidence(0.8);
        let registry = l.registry.as_deref().unwrap_or_default();
        let finding = match &l.registry {
            Some(r) => finding.evidence("payload.model_lifecycle.registry", excerpt(r, 0..r.len())),
            None => finding,
        };
        Some(report(finding, SUPPLY_CHAIN, l, "name", &l.model.name, registry))
    }
}

/// Record the version this event puts in service; the move from the previous one.
fn track_version(l: &ModelLifecycle, action: Action) -> Result<Option<Move>, String> {
    let Some(version) = l.model.version.as_ref() else { return Ok(None) };
    if !matches!(action, Action::InService | Action::Rollback) {
        return Ok(None);
    }
    let name = [l.model.name.as_str()];
    let current = IN_SERVICE.get::<String>(&name);
    if current.as_ref() == Some(version) {
        return Ok(None);
    }
    IN_SERVICE.put(&name, version)?;
    let Some(from) = current else { return Ok(None) };
    let order = version::compare(version, &from);
    Ok(Some(Move { from, order }))
}

fn rollback(l: &ModelLifecycle, action: Action, moved: Option<&Move>) -> Option<Report> {
    let moved = moved.filter(|m| m.order == Some(Ordering::Less) && action != Action::Rollback)?;
    let version = l.model.version.as_deref()?;
    let title = format!(
        "{} moved back from {} to {version} by a `{}` event, not a declared rollback",
        l.model.name, moved.from, l.action
    );
    let finding = Finding::new("model-integrity/version-rollback", title, Severity::High).confidence(0.7);
    Some(report(finding, SUPPLY_CHAIN, l, "version", version, &moved.from))
}

fn unsafe_format(event: &Event, l: &ModelLifecycle) -> Option<Report> {
    let pickle = artifact::find(&event.attributes)?;
    let title = format!(
        "{} {} from a pickle-based artifact ({}): loading it runs whatever code it carries",
        describe(&l.model),
        l.action,
        pickle.why
    );
    let finding = Finding::new("model-integrity/unsafe-format", title, Severity::High)
        .confidence(pickle.confidence)
        .techniques(BACKDOOR)
        .evidence(format!("attributes.{}", pickle.key), excerpt(&pickle.shown, 0..pickle.shown.len()));
    let key = crate::artifact_key(&finding, &l.model, l.model.digest.as_deref().unwrap_or(&pickle.shown));
    Some((finding, key))
}

/// ` (moves 2.3.1 → 2.4.0)` when the event changed the version in service.
fn move_note(l: &ModelLifecycle, moved: Option<&Move>) -> String {
    match (moved, &l.model.version) {
        (Some(m), Some(to)) => format!(" (moves {} → {to})", m.from),
        _ => String::new(),
    }
}

/// A finding with its techniques and evidence on the model's `field`, and its key.
fn report(
    finding: Finding,
    techniques: [&str; 2],
    l: &ModelLifecycle,
    field: &str,
    value: &str,
    detail: &str,
) -> Report {
    let finding = finding.techniques(techniques).evidence(format!("{MODEL}.{field}"), excerpt(value, 0..value.len()));
    let key = crate::artifact_key(&finding, &l.model, detail);
    (finding, key)
}
