//! What a plugin's store holds: its WASI context, its limiter, its captured output,
//! and the host imports it may call.

use super::bindings::aiir::plugin::{host, types};
use super::capture::Capture;
use super::limits::{Exceeded, Limiter, Limits};
use super::sandbox::Sandbox;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-instance host state.
pub(crate) struct PluginState {
    plugin: String,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) capture: Capture,
    log: LogBudget,
}

/// What is left of the `log` allowance in the current call.
struct LogBudget {
    max_calls: u32,
    max_bytes: usize,
    calls: u32,
    bytes: usize,
}

impl PluginState {
    /// State for one instance of `plugin` in `sandbox` under `limits`.
    pub(crate) fn new(plugin: &str, sandbox: &Sandbox, limits: &Limits) -> Self {
        let capture = Capture::new(limits.max_stdio_bytes);
        Self {
            plugin: plugin.to_owned(),
            wasi: sandbox.wasi_ctx(plugin, &capture),
            table: ResourceTable::new(),
            limiter: Limiter::new(limits),
            capture,
            log: LogBudget { max_calls: limits.max_log_calls, max_bytes: limits.max_log_bytes, calls: 0, bytes: 0 },
        }
    }

    /// Start a call: the log allowance is per call.
    pub(crate) fn begin_call(&mut self) {
        self.log.calls = 0;
        self.log.bytes = 0;
    }

    /// End a call: hand what the plugin printed to `tracing`; return it for the
    /// classification of a failure.
    pub(crate) fn end_call(&mut self) -> String {
        let (text, dropped) = self.capture.take();
        let plugin = self.plugin.as_str();
        for line in text.lines() {
            tracing::info!(plugin, stream = "stdio", "{line}");
        }
        if dropped > 0 {
            tracing::warn!(plugin, dropped, "plugin output over its cap was dropped");
        }
        text
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for PluginState {}

impl host::Host for PluginState {
    fn log(&mut self, level: host::Level, message: String) -> wasmtime::Result<()> {
        let budget = &mut self.log;
        budget.calls += 1;
        budget.bytes += message.len();
        if budget.calls > budget.max_calls || budget.bytes > budget.max_bytes {
            let exceeded = Exceeded::Log { calls: budget.max_calls, bytes: budget.max_bytes };
            return Err(wasmtime::Error::new(exceeded));
        }
        let plugin = self.plugin.as_str();
        match level {
            host::Level::Debug => tracing::debug!(plugin, "{message}"),
            host::Level::Info => tracing::info!(plugin, "{message}"),
            host::Level::Warn => tracing::warn!(plugin, "{message}"),
            host::Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }
}
