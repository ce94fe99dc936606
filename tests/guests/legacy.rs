// The body of a detector built against a frozen, released contract (the including
// crate's `wit/`): `detector-v0-1` and `detector-v0-2` include it after generating their
// bindings and defining `MARK` (the text it flags) and `CONTRACT` (the version).
//
// It logs through the `host` import once configured, accepts only empty settings, and
// flags a user message containing `MARK` as `<crate>/canary` (low).

use bindings::aiir::plugin::host::{Level, log};
use bindings::aiir::plugin::types::{
    Event, EventKind, Evidence, Finding, Payload, PluginInfo, Role, SettingsError, Severity,
};

struct Legacy;

impl bindings::Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: format!("flags `{MARK}` in a user message; built against aiir:plugin@{CONTRACT}"),
            kinds: vec![EventKind::Inference],
            settings: "None.".into(),
        }
    }

    fn configure(settings: String) -> Result<(), Vec<SettingsError>> {
        if settings.split_whitespace().collect::<String>() != "{}" {
            return Err(vec![SettingsError { path: String::new(), message: "this plugin takes no settings".into() }]);
        }
        log(Level::Info, &format!("configured against aiir:plugin@{CONTRACT}"));
        Ok(())
    }

    fn inspect(event: Event) -> Result<Vec<Finding>, String> {
        let Payload::Inference(inference) = &event.payload else {
            return Ok(Vec::new());
        };
        let hit = inference.input.iter().enumerate().find(|(_, m)| m.role == Role::User && m.content.contains(MARK));
        Ok(hit
            .map(|(n, _)| Finding {
                rule: concat!(env!("CARGO_PKG_NAME"), "/canary").into(),
                title: format!("the {CONTRACT} canary in a user message"),
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
    use super::Legacy;
    crate::bindings::export!(Legacy with_types_in crate::bindings);
}
