//! Write detector plugins for [aiir](https://example.invalid/aiir), the host for
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
//! Build it with `cargo build --release --target wasm32-wasip2` (crate type `cdylib`):
//! the result is a WebAssembly component that `aiir` loads. Test its logic natively
//! with plain `cargo test` through [`testkit`].
//!
//! The types ([`Event`], [`Finding`], …) are generated from the WIT contract in `wit/`;
//! their documentation is the contract's.
#![deny(missing_docs)]

mod detector;
mod event;
mod finding;
pub mod log;
mod settings;
#[cfg(not(target_arch = "wasm32"))]
pub mod testkit;
mod text;

/// Guest bindings generated from `wit/plugin.wit`.
#[allow(missing_docs, unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "detector",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_detector_world",
        default_bindings_module: "aiir_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub use bindings::aiir::plugin::types::{
    Custom, Document, Event, EventKind, Evidence, Finding, Inference, LabeledRecord, Message, ModelLifecycle, ModelRef,
    Payload, PluginInfo, Role, SettingsError, Severity, ToolCall, TrainingData,
};
pub use detector::Detector;
#[doc(hidden)]
pub use detector::adapter;
pub use finding::excerpt;
pub use settings::Settings;
pub use text::{Origin, Text};

/// Everything a detector usually needs, for `use aiir_sdk::prelude::*`.
pub mod prelude {
    pub use crate::{
        Detector, Event, EventKind, Finding, Inference, ModelRef, Origin, Payload, PluginInfo, Role, Settings,
        SettingsError, Severity, Text, ToolCall, excerpt,
    };
}
