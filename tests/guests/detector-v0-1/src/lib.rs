//! `detector-v0-1`: a detector built against `aiir:plugin@0.1.0` as it was released
//! (`wit/plugin.wit` here is a frozen copy of it), so that the tests hold the host to
//! loading plugins of the previous minor version.
//!
//! It logs through the 0.1.0 `host` import once configured, accepts only empty
//! settings, and flags a user message containing `v0.1-canary` as
//! `detector-v0-1/canary` (low). Built only for tests, never shipped.

#[allow(unsafe_code, clippy::all)]
mod bindings {
    wit_bindgen::generate!({ world: "detector", path: "wit" });
}

use bindings::aiir::plugin::host::{Level, log};
use bindings::aiir::plugin::types::{
    Event, EventKind, Evidence, Finding, Payload, PluginInfo, Role, SettingsError, Severity,
};

const MARK: &str = "v0.1-canary";

struct V01;

impl bindings::Guest for V01 {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "detector-v0-1".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "flags `v0.1-canary` in a user message; built against aiir:plugin@0.1.0".into(),
            kinds: vec![EventKind::Inference],
            settings: "None.".into(),
        }
    }

    fn configure(settings: String) -> Result<(), Vec<SettingsError>> {
        if settings.split_whitespace().collect::<String>() != "{}" {
            return Err(vec![SettingsError { path: String::new(), message: "this plugin takes no settings".into() }]);
        }
        log(Level::Info, "configured against aiir:plugin@0.1.0");
        Ok(())
    }

    fn inspect(event: Event) -> Result<Vec<Finding>, String> {
        let Payload::Inference(inference) = &event.payload else {
            return Ok(Vec::new());
        };
        let hit = inference.input.iter().enumerate().find(|(_, m)| m.role == Role::User && m.content.contains(MARK));
        Ok(hit
            .map(|(n, _)| Finding {
                rule: "detector-v0-1/canary".into(),
                title: "the 0.1.0 canary in a user message".into(),
                severity: Severity::Low,
                confidence: 1.0,
                techniques: vec!["LLM01".into()],
                evidence: vec![Evidence {
                    field: format!("payload.inference.input[{n}].content"),
                    excerpt: MARK.into(),
                }],
            })
            .into_iter()
            .collect())
    }
}

// The raw export glue is unsafe code of wit-bindgen's, kept to its own module.
#[allow(unsafe_code)]
mod export {
    use super::V01;
    crate::bindings::export!(V01 with_types_in crate::bindings);
}
