//! `legacy-v0-1`: a detector built against the frozen `aiir:plugin@0.1.0` contract
//! (`wit/plugin.wit` beside this crate, as released), to prove that the host keeps
//! loading plugins of the previous minor version. It logs through the 0.1.0 `host`
//! import and reports one finding for every inference. Built only for tests.

#[allow(missing_docs, unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "detector", path: "wit" });
}

use bindings::aiir::plugin::host::{Level, log};
use bindings::aiir::plugin::types::{Event, EventKind, Evidence, Finding, PluginInfo, SettingsError, Severity};

struct Legacy;

impl bindings::Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "legacy-v0-1".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "reports every inference, built against aiir:plugin@0.1.0".into(),
            kinds: vec![EventKind::Inference],
            settings: String::new(),
        }
    }

    fn configure(_settings: String) -> Result<(), Vec<SettingsError>> {
        Ok(())
    }

    fn inspect(event: Event) -> Result<Vec<Finding>, String> {
        log(Level::Info, &format!("legacy detector saw {}", event.id));
        Ok(vec![Finding {
            rule: "legacy-v0-1/seen".into(),
            title: "seen by a 0.1.0 detector".into(),
            severity: Severity::Low,
            confidence: 1.0,
            techniques: vec!["AML.T0051".into()],
            evidence: vec![Evidence { field: "id".into(), excerpt: event.id }],
        }])
    }
}

/// The component's exports (generated code, hence the `unsafe`).
#[allow(unsafe_code)]
mod exports {
    use super::Legacy;
    crate::bindings::export!(Legacy with_types_in crate::bindings);
}
