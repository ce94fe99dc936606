//! Resource limits of one plugin and the limiter that enforces them.

use serde::Deserialize;
use std::time::Duration;
use wasmtime::ResourceLimiter;

/// Limits for one plugin, from `[detector.limits]` or `[responder.limits]`. Every
/// call (`configure`, `inspect`, `respond`) runs under them; defaults suit the standard pack with a wide margin.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// `timeout_ms = 1000`: wall-clock time a call may take, time spent in host calls
    /// (a WASI sleep, a poll) included. A regex detector's first call builds its
    /// tables in ~10 ms and later calls take microseconds, so a second is generous
    /// while still keeping a stuck plugin from stalling the stream for long.
    pub timeout_ms: u64,
    /// `fuel = 50_000_000`: deterministic instruction budget per call; off when absent.
    /// A 15-regex detector spends ~100,000 units on a 1 KB event.
    pub fuel: Option<u64>,
    /// `memory_mib = 64`: cap on the plugin's linear memory. Warm standard detectors
    /// use 1.5–3 MiB.
    pub memory_mib: u64,
    /// `table_elements = 20_000`: cap on each table (function references).
    pub table_elements: usize,
    /// `instances = 64`: cap on core instances, memories and tables a component may create.
    pub instances: usize,
    /// `max_findings = 100`: findings one event may produce.
    pub max_findings: usize,
    /// `max_proposals = 20`: actions one `respond` call may propose (responders).
    pub max_proposals: usize,
    /// `max_output_bytes = 1_048_576`: bytes of strings one call may return.
    pub max_output_bytes: usize,
    /// `max_log_calls = 100`: `log` calls per call into the plugin.
    pub max_log_calls: u32,
    /// `max_log_bytes = 65_536`: bytes logged per call into the plugin.
    pub max_log_bytes: usize,
    /// `max_import_calls = 1000`: calls to the `response` imports (`findings`,
    /// `versions`) per call into the plugin; a responder needs a handful.
    pub max_import_calls: u32,
    /// `max_stdio_bytes = 65_536`: bytes of stdout and stderr kept per call; the rest
    /// is dropped (counted, not an error).
    pub max_stdio_bytes: usize,
    /// `max_state_bytes = 16_777_216`: bytes of keys and values a detector keeps
    /// through the `state` imports, across all its partitions; past it the entries
    /// written longest ago are forgotten.
    pub max_state_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout_ms: 1000,
            fuel: None,
            memory_mib: 64,
            table_elements: 20_000,
            instances: 64,
            max_findings: 100,
            max_proposals: 20,
            max_output_bytes: 1 << 20,
            max_log_calls: 100,
            max_log_bytes: 64 << 10,
            max_import_calls: 1000,
            max_stdio_bytes: 64 << 10,
            max_state_bytes: 16 << 20,
        }
    }
}

impl Limits {
    /// The per-call deadline.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Problems with these values, as (key, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.timeout_ms == 0 {
            out.push(("timeout_ms", "must be at least 1".to_owned()));
        }
        if self.fuel == Some(0) {
            out.push(("fuel", "must be at least 1 (leave it out to turn fuel off)".to_owned()));
        }
        if self.memory_mib == 0 || self.memory_mib > 4096 {
            out.push(("memory_mib", format!("must be between 1 and 4096, not {}", self.memory_mib)));
        }
        out
    }
}

/// A limit a plugin ran into; carried inside the trap so the reason can be told.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Exceeded {
    /// Linear memory would grow past the cap.
    #[error("memory would grow to {desired} bytes, past the cap of {cap} MiB")]
    Memory {
        /// Size asked for.
        desired: usize,
        /// The cap.
        cap: u64,
    },
    /// A table would grow past the cap.
    #[error("a table would grow to {desired} elements, past the cap of {cap}")]
    Table {
        /// Size asked for.
        desired: usize,
        /// The cap.
        cap: usize,
    },
    /// Too many calls to the `response` imports.
    #[error("import flood: more than {calls} calls to the response imports in one call")]
    Imports {
        /// The call cap.
        calls: u32,
    },
    /// Too many `log` calls or bytes.
    #[error("log flood: more than {calls} calls or {bytes} bytes in one call")]
    Log {
        /// The call cap.
        calls: u32,
        /// The byte cap.
        bytes: usize,
    },
}

/// Enforces memory and table caps and remembers the peak memory.
#[derive(Debug)]
pub struct Limiter {
    memory_cap: usize,
    memory_mib: u64,
    table_cap: usize,
    instances: usize,
    peak_memory: usize,
}

impl Limiter {
    /// A limiter for these limits.
    pub fn new(limits: &Limits) -> Self {
        Self {
            memory_cap: usize::try_from(limits.memory_mib << 20).unwrap_or(usize::MAX),
            memory_mib: limits.memory_mib,
            table_cap: limits.table_elements,
            instances: limits.instances,
            peak_memory: 0,
        }
    }

    /// The largest linear memory granted so far, in bytes.
    pub fn peak_memory(&self) -> usize {
        self.peak_memory
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            return Err(wasmtime::Error::new(Exceeded::Memory { desired, cap: self.memory_mib }));
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.table_cap {
            return Err(wasmtime::Error::new(Exceeded::Table { desired, cap: self.table_cap }));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.instances
    }

    fn memories(&self) -> usize {
        self.instances
    }
}
