//! `aiir test --soak N`: each case's events sent N times through one instance, to find
//! what a single pass cannot: linear memory that grows with every call (a leak in the
//! plugin or in its language's runtime) until the cap stops it, far into a real run.

use super::cases::Case;
use crate::role::Partition;
use crate::route;
use crate::runtime::{Loaded, Setup};
use serde::Serialize;

/// Growth of linear memory past this many bytes a call, after the warm-up, is a leak:
/// 100,000 calls would add 1.5 MiB. Memory grows by 64 KiB pages, so a plugin whose
/// memory is flat shows a few pages at most over a soak.
pub const LEAK_BYTES_PER_CALL: f64 = 16.0;

/// One case's soak.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Soak {
    /// The case's name.
    pub case: String,
    /// Times its events were sent.
    pub rounds: u32,
    /// `inspect` calls made.
    pub calls: u64,
    /// Calls that failed (each restarts the instance).
    pub failed_calls: u64,
    /// Why the first failed call, or the start, failed.
    pub first_failure: Option<String>,
    /// Linear memory after the warm-up (the first tenth of the rounds), in bytes.
    pub memory_after_warmup: usize,
    /// Linear memory at the end, in bytes.
    pub memory_end: usize,
    /// Calls made after the warm-up.
    pub calls_after_warmup: u64,
}

impl Soak {
    /// Bytes of linear memory gained per call after the warm-up.
    pub fn growth_per_call(&self) -> f64 {
        let grown = self.memory_end.saturating_sub(self.memory_after_warmup) as f64;
        if self.calls_after_warmup == 0 { 0.0 } else { grown / self.calls_after_warmup as f64 }
    }

    /// No call failed and memory stayed flat.
    pub fn passed(&self) -> bool {
        self.failed_calls == 0 && self.first_failure.is_none() && self.growth_per_call() <= LEAK_BYTES_PER_CALL
    }
}

/// Send `case`'s events `rounds` times through one instance started with its settings.
pub async fn soak(loaded: &Loaded, setup: Setup, partition: Partition, case: &Case, rounds: u32) -> Soak {
    let mut soak = Soak { case: case.name.clone(), rounds, ..Soak::default() };
    let mut plugin = match loaded.start(setup).await {
        Ok(plugin) => plugin,
        Err(e) => {
            soak.first_failure = Some(format!("did not start: {e}"));
            return soak;
        }
    };
    let events: Vec<_> = case.events.iter().filter(|e| plugin.wants(route::kind(e))).collect();
    let warmup = (rounds / 10).max(1);
    let mut memory = 0;
    for round in 1..=rounds {
        for event in &events {
            let verdict = plugin.inspect(event, partition.key(event)).await;
            soak.calls += 1;
            memory = verdict.stats.peak_memory;
            if let Err(e) = verdict.result {
                soak.failed_calls += 1;
                soak.first_failure
                    .get_or_insert_with(|| format!("event {}: {}: {}", event.id, e.reason.code(), e.detail));
            }
        }
        if round == warmup {
            (soak.memory_after_warmup, soak.calls_after_warmup) = (memory, soak.calls);
        }
    }
    soak.calls_after_warmup = soak.calls - soak.calls_after_warmup;
    soak.memory_end = memory;
    soak
}
