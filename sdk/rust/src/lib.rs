//! Write detector and responder plugins for [aiir](https://example.invalid/aiir), the host for
//! AI-incident response logic.
//!
//! A detector is one struct and one impl. This one flags a canary token that leaks
//! into a model's output:
//!
//! ```
//! use aiir_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Canary {
//!     token: String,
//! }
//!
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     token: String,
//! }
//!
//! impl Detector for Canary {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("canary", "0.1.0", "a canary token appears in model output")
//!             .kinds([EventKind::Inference])
//!             .settings("`token` (string, required): the canary to look for")
//!     }
//!
//!     fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
//!         self.token = settings.parse::<Config>()?.token;
//!         Ok(())
//!     }
//!
//!     fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
//!         let leaks = event.texts().into_iter().filter(|t| t.origin == Origin::Assistant);
//!         Ok(leaks
//!             .filter_map(|t| Some((t.text.find(&self.token)?, t)))
//!             .map(|(at, t)| {
//!                 Finding::new("canary/leak", "canary token in model output", Severity::High)
//!                     .techniques(["AML.T0056", "LLM07"])
//!                     .evidence(t.field, excerpt(t.text, at..at + self.token.len()))
//!             })
//!             .collect())
//!     }
//! }
//!
//! aiir_sdk::export_detector!(Canary);
//! # fn main() {
//! #     use aiir_sdk::testkit::Harness;
//! #     let mut h = Harness::<Canary>::with_settings(r#"{"token": "XYZZY-42"}"#).unwrap();
//! #     let leak = Event::new("e1", Inference::new().assistant("sure: XYZZY-42"));
//! #     assert_eq!(h.rules(&leak), ["canary/leak"]);
//! # }
//! ```
//!
//! A responder has the same shape. It looks at an incident, reads what else it needs
//! from the host's store, and proposes actions that the host carries out if the
//! operator's policy allows. This one blocks each principal behind three or more
//! findings of a prompt-injection incident:
//!
//! ```
//! use aiir_sdk::prelude::*;
//!
//! #[derive(Default)]
//! struct Block;
//!
//! impl Responder for Block {
//!     fn info() -> PluginInfo {
//!         PluginInfo::new("block", "0.1.0", "blocks principals who keep injecting prompts")
//!     }
//!
//!     fn respond(&mut self, incident: &Incident, store: &dyn StoreView) -> Result<Vec<Proposal>, String> {
//!         if incident.family != "prompt-injection" {
//!             return Ok(Vec::new());
//!         }
//!         let findings = store.findings(&incident.id);
//!         let by = |p: &String| findings.iter().filter(|f| f.principal.as_ref() == Some(p)).count();
//!         Ok(incident
//!             .principals
//!             .iter()
//!             .filter(|p| by(p) >= 3)
//!             .map(|p| Proposal::block(p, format!("{} prompt injections by {p} in {}", by(p), incident.id)))
//!             .collect())
//!     }
//! }
//!
//! aiir_sdk::export_responder!(Block);
//! # fn main() {
//! #     use aiir_sdk::testkit::{ResponderHarness, Store};
//! #     let hit = |n: &str| IncidentFinding::new(n, 1, "prompt-injection",
//! #         Finding::new("prompt-injection/direct", "injection", Severity::High)).principal("mallory");
//! #     let store = Store::new().finding("INC-1", hit("e1")).finding("INC-1", hit("e2")).finding("INC-1", hit("e3"));
//! #     let mut h = ResponderHarness::<Block>::new().store(store);
//! #     let incident = Incident::new("INC-1", "prompt-injection", Scope::Principal, "mallory").principals(["mallory"]);
//! #     assert_eq!(h.respond(&incident), [Proposal::block("mallory", "3 prompt injections by mallory in INC-1")]);
//! # }
//! ```
//!
//! Build either with `cargo build --release --target wasm32-wasip2` (crate type `cdylib`):
//! the result is a WebAssembly component that `aiir` loads. Test its logic natively
//! with plain `cargo test` through [`testkit`].
//!
//! The types ([`Event`], [`Finding`], [`Incident`], [`Proposal`], …) are generated from the WIT contract in `wit/`;
//! their documentation is the contract's.
#![deny(missing_docs)]

mod detector;
mod event;
mod finding;
mod incident;
pub mod log;
pub mod markdown;
mod responder;
mod settings;
pub mod state;
#[cfg(not(target_arch = "wasm32"))]
pub mod testkit;
mod text;

/// Guest bindings generated from `wit/plugin.wit`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "detector",
        path: "../../wit",
        pub_export_macro: true,
        export_macro_name: "__export_detector_world",
        default_bindings_module: "aiir_sdk::bindings",
        additional_derives: [PartialEq],
    });

    /// Guest bindings of a detector world whose types and imports are the ones above,
    /// not copies.
    macro_rules! detector_world {
        ($world:literal, $export_macro:literal, $module:literal) => {
            wit_bindgen::generate!({
                world: $world,
                path: "../../wit",
                with: {
                    "aiir:plugin/types@0.3.1": crate::bindings::aiir::plugin::types,
                    "aiir:plugin/host@0.3.1": crate::bindings::aiir::plugin::host,
                    "aiir:plugin/state@0.3.1": crate::bindings::aiir::plugin::state,
                },
                pub_export_macro: true,
                export_macro_name: $export_macro,
                default_bindings_module: $module,
            });
        };
    }

    /// Guest bindings of the `packed-detector` world, which the export macro
    /// implements: a detector that also takes its events packed in one buffer.
    pub mod packed {
        detector_world!("packed-detector", "__export_packed_detector_world", "aiir_sdk::bindings::packed");

        /// Guest bindings of the `prepared-packed-detector` world: a packed detector
        /// that also exports `warm-up`.
        pub mod prepared {
            detector_world!(
                "prepared-packed-detector",
                "__export_prepared_packed_detector_world",
                "aiir_sdk::bindings::packed::prepared"
            );
        }
    }

    /// Guest bindings of the `responder` world. The types it shares with the
    /// `detector` world (`types`, `host`) are the ones above, not copies.
    pub mod responder {
        wit_bindgen::generate!({
            world: "responder",
            path: "../../wit",
            with: {
                "aiir:plugin/types@0.3.1": crate::bindings::aiir::plugin::types,
                "aiir:plugin/host@0.3.1": crate::bindings::aiir::plugin::host,
            },
            pub_export_macro: true,
            export_macro_name: "__export_responder_world",
            default_bindings_module: "aiir_sdk::bindings::responder",
            additional_derives: [PartialEq],
        });
    }
}

pub use bindings::aiir::plugin::types::{
    Custom, DatasetInput, Document, Event, EventKind, Evidence, Finding, Inference, LabeledRecord, Message,
    ModelLifecycle, ModelRef, Payload, PluginInfo, Role, SettingsError, Severity, ToolCall, TrainingData, TrainingRun,
};
aiir_boundary::packed_event!();

pub use bindings::responder::aiir::plugin::incidents::{
    Action, Incident, IncidentFinding, LineageImpact, ModelVersion, Notice, Proposal, Report, Scope, State,
};
pub use detector::Detector;
#[doc(hidden)]
pub use detector::adapter;
pub use finding::excerpt;
#[doc(hidden)]
pub use responder::adapter as responder_adapter;
pub use responder::{Responder, StoreView};
pub use settings::{Problems, Settings, blank_entries, defaults, severity_setting};
pub use text::{Origin, Text};

/// Everything a detector or responder usually needs, for `use aiir_sdk::prelude::*`.
pub mod prelude {
    pub use crate::{
        Action, Detector, Event, EventKind, Finding, Incident, IncidentFinding, Inference, LineageImpact, ModelRef,
        ModelVersion, Origin, Payload, PluginInfo, Proposal, Report, Responder, Role, Scope, Settings, SettingsError,
        Severity, StoreView, Text, ToolCall, excerpt,
    };
}
