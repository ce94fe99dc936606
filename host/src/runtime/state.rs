//! What a plugin's store holds: its WASI context (granting nothing) and the host
//! imports it may call.

use super::bindings::aiir::plugin::{host, types};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-instance host state.
pub(crate) struct PluginState {
    plugin: String,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl PluginState {
    /// State for one instance of `plugin`. WASI is linked because Rust's std imports
    /// it, but the context grants nothing: no preopened directories, no environment,
    /// no arguments, stdin closed, stdout and stderr dropped, every socket denied.
    pub(crate) fn new(plugin: &str) -> Self {
        Self {
            plugin: plugin.to_owned(),
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
        }
    }
}

impl WasiView for PluginState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for PluginState {}

impl host::Host for PluginState {
    fn log(&mut self, level: host::Level, message: String) {
        let plugin = self.plugin.as_str();
        match level {
            host::Level::Debug => tracing::debug!(plugin, "{message}"),
            host::Level::Info => tracing::info!(plugin, "{message}"),
            host::Level::Warn => tracing::warn!(plugin, "{message}"),
            host::Level::Error => tracing::error!(plugin, "{message}"),
        }
    }
}
