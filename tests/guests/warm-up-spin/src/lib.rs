//! `warm-up-spin`: a detector whose `warm-up` never returns. The host must fail its
//! load with the deadline as the reason, and load the other plugins. Built only for
//! tests, never shipped.

use aiir_sdk::prelude::*;

/// The detector; it never gets to inspect anything.
#[derive(Debug, Default)]
pub struct WarmUpSpin;

impl Detector for WarmUpSpin {
    fn info() -> PluginInfo {
        PluginInfo::new("warm-up-spin", env!("CARGO_PKG_VERSION"), "never finishes its warm-up")
            .kinds([EventKind::Inference])
    }

    fn warm_up() {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    fn inspect(&mut self, _event: &Event) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

aiir_sdk::export_detector!(WarmUpSpin, warm_up);
