//! `prepared`: a detector of the `prepared-detector` world. Its `warm-up` counts itself
//! in a static, and each finding says that count and the instance's calls
//! (`warmed 1, call 3`). The host runs `warm-up` once, when it compiles the component,
//! and starts every instance from the memory it left: every instance, a new one after
//! a failure included, says `warmed 1`. An event whose text is `trap` makes it trap.
//! Built only for tests, never shipped.

use aiir_sdk::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many times `warm-up` ran in this memory.
static WARM_UPS: AtomicU32 = AtomicU32::new(0);

/// The detector: its calls so far.
#[derive(Debug, Default)]
pub struct Prepared {
    calls: u64,
}

impl Detector for Prepared {
    fn info() -> PluginInfo {
        PluginInfo::new("prepared", env!("CARGO_PKG_VERSION"), "says how many warm-ups its memory has seen")
            .kinds([EventKind::Inference])
    }

    fn warm_up() {
        WARM_UPS.fetch_add(1, Ordering::Relaxed);
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        if event.texts().iter().any(|t| t.text == "trap") {
            std::process::abort();
        }
        self.calls += 1;
        let title = format!("warmed {}, call {}", WARM_UPS.load(Ordering::Relaxed), self.calls);
        Ok(vec![Finding::new("prepared/state", title, Severity::Low)])
    }
}

aiir_sdk::export_detector!(Prepared, warm_up);
