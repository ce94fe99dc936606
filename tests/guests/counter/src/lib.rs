//! `counter`: a detector that counts its calls in its instance's memory, not in keyed
//! state, and says the count in each finding's title (`call 7 of instance red`). A
//! warm instance's count goes on; a new instance's starts again at 1.
//!
//! `tests/all/reload.rs` runs two of them and reloads a config that changes one: the
//! other's count must go on. Built only for tests, never shipped.

use aiir_sdk::prelude::*;
use serde::Deserialize;

/// The detector: its calls so far, and the label its settings give it.
#[derive(Debug, Default)]
pub struct Counter {
    calls: u64,
    label: String,
}

/// `label = "red"`: named in each finding, so that a test can change the settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    label: String,
}

impl Detector for Counter {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "counter",
            env!("CARGO_PKG_VERSION"),
            "counts its calls, to tell a warm instance from a new one",
        )
        .kinds([EventKind::Inference])
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.label = settings.parse::<Config>()?.label;
        Ok(())
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        self.calls += 1;
        let title = format!("call {} of instance {}", self.calls, self.label);
        Ok(vec![Finding::new("counter/call", title, Severity::Low)])
    }
}

aiir_sdk::export_detector!(Counter);
