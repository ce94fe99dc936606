//! `responder-v0-2`: a responder built against `aiir:plugin@0.2.1` as it was released
//! (`wit/plugin.wit` here is a frozen copy of it, before lineage), so that the tests
//! hold the host to loading responders of an earlier version of the contract. It
//! proposes to block the principal of its incident's first finding, saying how many
//! findings and versions its imports returned. Built only for tests, never shipped.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "responder", path: "wit" });
}

use bindings::aiir::plugin::host::{Level, log};
use bindings::aiir::plugin::incidents::{Action, Incident, Proposal};
use bindings::aiir::plugin::response;
use bindings::aiir::plugin::types::EventKind;
use bindings::{Guest, PluginInfo, SettingsError};

struct Legacy;

impl Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "blocks the principal of its incident's first finding; built against aiir:plugin@0.2.1".into(),
            kinds: vec![EventKind::Inference],
            settings: "None.".into(),
        }
    }

    fn configure(settings: String) -> Result<(), Vec<SettingsError>> {
        if settings.split_whitespace().collect::<String>() != "{}" {
            return Err(vec![SettingsError { path: String::new(), message: "this plugin takes no settings".into() }]);
        }
        log(Level::Info, "configured against aiir:plugin@0.2.1");
        Ok(())
    }

    fn respond(incident: Incident) -> Result<Vec<Proposal>, String> {
        let findings = response::findings(&incident.id);
        let first = findings.first().ok_or_else(|| format!("no findings for {}", incident.id))?;
        let principal = first.principal.clone().ok_or("the first finding has no principal")?;
        let versions = incident.model.as_ref().map_or(0, |m| response::versions(&m.name).len());
        let reason = format!("0.2.1: {} findings, first {}; {versions} versions", findings.len(), first.finding.rule);
        Ok(vec![Proposal { action: Action::BlockPrincipal(principal), reason }])
    }
}

/// The component's exports (generated code, hence the `unsafe`).
#[allow(unsafe_code)]
mod exports {
    use super::Legacy;
    crate::bindings::export!(Legacy with_types_in crate::bindings);
}
