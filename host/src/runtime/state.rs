//! What a plugin's store holds: its WASI context, its limiter, its captured output,
//! and the host imports it may call.

use super::bindings::aiir::plugin::state as keyed;
use super::bindings::aiir::plugin::{host, types};
use super::bindings::responder::aiir::plugin::{incidents, response};
use super::capture::Capture;
use super::keyed::{Draft, KeyedState};
use super::limits::{Exceeded, Limiter, Limits};
use super::sandbox::Sandbox;
use super::{IncidentFinding, LineageImpact, ModelVersion};
use crate::output::terminal;
use std::borrow::Cow;
use std::collections::BTreeMap;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// Per-instance host state. Public only so the world trait can name it; nothing
/// outside the runtime can reach it.
pub struct PluginState {
    plugin: String,
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) capture: Capture,
    log: LogBudget,
    response: ResponseBudget,
    keyed: Keyed,
}

/// The plugin's keyed state, and the call's view of it: the partition of the event
/// being inspected and what the call wrote so far.
struct Keyed {
    shared: KeyedState,
    cap: usize,
    partition: Option<String>,
    draft: Draft,
}

/// What a responder may read through the `response` imports during one `respond`
/// call: a snapshot the caller takes from the store.
#[derive(Debug, Clone, Default)]
pub struct ResponseContext {
    /// The incident's findings, oldest first (the caller keeps at most the newest 1000).
    pub findings: Vec<IncidentFinding>,
    /// Every version the registry knows, by model name, oldest first.
    pub versions: BTreeMap<String, Vec<ModelVersion>>,
    /// What the incident's training data reached, when lineage knows.
    pub impact: Option<LineageImpact>,
}

/// The snapshot served to the `response` imports in the current call, and what is
/// left of their allowance.
#[derive(Default)]
struct ResponseBudget {
    incident: String,
    context: ResponseContext,
    max_calls: u32,
    calls: u32,
}

impl std::fmt::Debug for PluginState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginState").field("plugin", &self.plugin).finish_non_exhaustive()
    }
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
    pub(crate) fn new(plugin: &str, sandbox: &Sandbox, limits: &Limits, keyed: &KeyedState) -> Self {
        let capture = Capture::new(limits.max_stdio_bytes);
        Self {
            plugin: plugin.to_owned(),
            wasi: sandbox.wasi_ctx(plugin, &capture),
            table: ResourceTable::new(),
            limiter: Limiter::new(limits),
            capture,
            log: LogBudget { max_calls: limits.max_log_calls, max_bytes: limits.max_log_bytes, calls: 0, bytes: 0 },
            response: ResponseBudget { max_calls: limits.max_import_calls, ..ResponseBudget::default() },
            keyed: Keyed {
                shared: keyed.clone(),
                cap: limits.max_state_bytes,
                partition: None,
                draft: Draft::default(),
            },
        }
    }

    /// Serve the `state` imports in `partition` until [`take_state`](Self::take_state).
    pub(crate) fn open_state(&mut self, partition: &str) {
        self.keyed.partition = Some(partition.to_owned());
        self.keyed.draft = Draft::default();
    }

    /// Close the partition; its writes, for the caller to commit or drop.
    pub(crate) fn take_state(&mut self) -> (Option<String>, Draft) {
        (self.keyed.partition.take(), std::mem::take(&mut self.keyed.draft))
    }

    /// Start a call: the log and import allowances are per call.
    pub(crate) fn begin_call(&mut self) {
        self.log.calls = 0;
        self.log.bytes = 0;
        self.response.calls = 0;
    }

    /// Serve `context` as the findings of `incident` until the next `respond`.
    pub(crate) fn set_response(&mut self, incident: &str, context: ResponseContext) {
        incident.clone_into(&mut self.response.incident);
        self.response.context = context;
    }

    /// Count one call to a `response` import; trap past the allowance.
    fn response_call(&mut self) -> wasmtime::Result<&ResponseContext> {
        let budget = &mut self.response;
        budget.calls += 1;
        if budget.calls > budget.max_calls {
            return Err(wasmtime::Error::new(Exceeded::Imports { calls: budget.max_calls }));
        }
        Ok(&budget.context)
    }

    /// End a call: hand what the plugin printed to `tracing`, a line an event; return
    /// it for the classification of a failure.
    pub(crate) fn end_call(&mut self) -> String {
        let (text, dropped) = self.capture.take();
        let plugin = self.plugin.as_str();
        for line in plugin_lines(&text) {
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

impl incidents::Host for PluginState {}

impl response::Host for PluginState {
    /// The snapshot's findings when `incident` is the one being responded to;
    /// nothing for any other id (a responder sees only its own incident).
    fn findings(&mut self, incident: String) -> wasmtime::Result<Vec<IncidentFinding>> {
        let own = incident == self.response.incident;
        let context = self.response_call()?;
        Ok(if own { context.findings.clone() } else { Vec::new() })
    }

    fn versions(&mut self, model: String) -> wasmtime::Result<Vec<ModelVersion>> {
        Ok(self.response_call()?.versions.get(&model).cloned().unwrap_or_default())
    }

    /// Like `findings`: only the incident being responded to has an impact.
    fn impact(&mut self, incident: String) -> wasmtime::Result<Option<LineageImpact>> {
        let own = incident == self.response.incident;
        let context = self.response_call()?;
        Ok(context.impact.clone().filter(|_| own))
    }
}

impl keyed::Host for PluginState {
    fn partition(&mut self) -> wasmtime::Result<String> {
        Ok(self.keyed.partition.clone().unwrap_or_default())
    }

    fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let k = &self.keyed;
        let Some(partition) = &k.partition else { return Ok(None) };
        Ok(match k.draft.get(&key) {
            Some(written) => written.map(<[u8]>::to_vec),
            None => k.shared.get(partition, &key),
        })
    }

    fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        let k = &mut self.keyed;
        if k.partition.is_none() {
            return Ok(Err("state is kept only while an event is inspected".into()));
        }
        Ok(k.draft.set(key, value, k.cap))
    }

    fn remove(&mut self, key: String) -> wasmtime::Result<()> {
        let k = &mut self.keyed;
        if k.partition.is_some() {
            // A plugin that keeps removing past its cap is flooding: trap it.
            k.draft.remove(key, k.cap).map_err(wasmtime::Error::msg)?;
        }
        Ok(())
    }

    fn keys(&mut self) -> wasmtime::Result<Vec<String>> {
        let k = &self.keyed;
        let Some(partition) = &k.partition else { return Ok(Vec::new()) };
        Ok(k.draft.keys(k.shared.keys(partition)))
    }
}

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
        for line in plugin_lines(&message) {
            match level {
                host::Level::Debug => tracing::debug!(plugin, "{line}"),
                host::Level::Info => tracing::info!(plugin, "{line}"),
                host::Level::Warn => tracing::warn!(plugin, "{line}"),
                host::Level::Error => tracing::error!(plugin, "{line}"),
            }
        }
        Ok(())
    }
}

/// A plugin's text as log lines: one per line it wrote, each escaped, so that neither
/// a CR nor an escape sequence can forge or repaint a line of the host's log.
fn plugin_lines(text: &str) -> impl Iterator<Item = Cow<'_, str>> {
    text.lines().map(terminal::line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn plugin_text_is_logged_a_line_an_event_escaped() {
        let forged = "ok\r\naiir: plugin \"x\" DISABLED\rover\x1b[2K";
        let lines: Vec<_> = super::plugin_lines(forged).collect();
        assert_eq!(lines, ["ok", r#"aiir: plugin "x" DISABLED\rover\u{1b}[2K"#]);
    }
}
