//! `noop`: a detector that asks for every event kind and finds nothing.
//!
//! The host benchmark (`host/benches/runtime.rs`) calls it beside a native function
//! that does the same nothing, so that the difference is what the host and the
//! component boundary cost per call. Built only for tests and benchmarks, never shipped.

use aiir_sdk::prelude::*;

/// The detector: no state, no settings.
#[derive(Debug, Default)]
pub struct Noop;

impl Detector for Noop {
    fn info() -> PluginInfo {
        PluginInfo::new("noop", env!("CARGO_PKG_VERSION"), "finds nothing, to measure the host's cost per call").kinds(
            [
                EventKind::Inference,
                EventKind::ToolCall,
                EventKind::ModelLifecycle,
                EventKind::TrainingData,
                EventKind::Custom,
            ],
        )
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

aiir_sdk::export_detector!(Noop);
