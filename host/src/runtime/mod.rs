//! Running plugins: one wasmtime engine, components compiled once (or loaded from the
//! precompiled cache), warm instances reused across events.
//!
//! A plugin goes through visible steps: [`Runtime::load`] (check the size and
//! counts against the load [`Limit`]s, the world and the grants, before compiling;
//! then compile or load from cache, and link) → [`Loaded::start`] (instantiate, `info`,
//! `configure`) → [`Plugin::inspect`] for each event, each call under the plugin's
//! [`Limits`] in its [`Sandbox`]. Responders take the same steps:
//! [`Runtime::load_responder`] → [`LoadedResponder::start`](Loaded::start) →
//! [`Responder::respond`](Plugin::respond) for each incident, with a
//! [`ResponseContext`] served to its `response` imports.

mod admit;
mod bindings;
mod boundary;
mod cache;
mod capture;
mod compat;
mod error;
mod keyed;
mod limits;
mod link;
mod packed;
mod plugin;
mod prepare;
mod responder;
mod sandbox;
mod state;
mod world;

pub use admit::Shape;
pub use admit::{COMPILE_BUDGET, Limit, read_component};
pub use aiir_boundary::{Action, Evidence, Finding, Notice, Proposal, Report, Severity};
pub use bindings::aiir::plugin::types::{
    Custom, DatasetInput, Document, Event, EventKind, Inference, LabeledRecord, Message, ModelLifecycle, ModelRef,
    Payload, PluginInfo, Role, SettingsError, ToolCall, TrainingData, TrainingRun,
};
pub use bindings::responder::aiir::plugin::incidents::{
    Incident, IncidentFinding, LineageImpact, ModelVersion, Scope, State,
};
pub(crate) use cache::write_atomic;
pub use cache::{Cache, MAX_CACHE_BYTES, sha256_hex};
pub use error::BUILD_WITHOUT;
pub(crate) use error::name_list;
pub use error::{LoadError, PluginError, Reason};
pub use keyed::{KeyedState, MAX_KEY_BYTES, MAX_VALUE_BYTES, StateWrite};
pub use limits::Limits;
pub use packed::Outgoing;
pub use plugin::{CallStats, Described, LoadStats, Loaded, Plugin, Setup, Verdict, shape};
pub use responder::{LoadedResponder, Responder};
pub use sandbox::{Grant, Sandbox};
pub use state::ResponseContext;

use anyhow::Context as _;
use state::PluginState;
use std::path::PathBuf;
use std::time::Duration;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine};

/// How often the engine's epoch advances; the granularity of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The engine, the linker with the host imports, and the precompiled cache.
pub struct Runtime {
    engine: Engine,
    linker: Linker<PluginState>,
    cache: Option<Cache>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("cache", &self.cache).finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime whose precompiled cache lives in `cache_dir` (none: always
    /// compile); `fuel` turns on fuel metering for every plugin it runs.
    pub fn new(cache_dir: Option<PathBuf>, fuel: bool) -> anyhow::Result<Self> {
        let engine =
            Engine::new(&engine_config(fuel)).map_err(anyhow::Error::from).context("cannot create the wasm engine")?;
        let linker = link::linker(&engine)?;
        spawn_epoch_ticker(&engine);
        let cache = cache_dir.map(|dir| Cache::new(dir, &engine));
        Ok(Self { engine, linker, cache })
    }
}

fn engine_config(fuel: bool) -> Config {
    let mut config = Config::new();
    // Fuel costs ~20% on every call, so it is on only when a plugin has a budget
    // or when a review wants the count.
    config.consume_fuel(fuel);
    // Deadlines: a call that runs past its epoch deadline traps.
    config.epoch_interruption(true);
    // Component-model async is not used; without it calls are about a quarter cheaper.
    config.concurrency_support(false);
    // `AIIR_PROFILE=perfmap` names each plugin's compiled functions for `perf`
    // (/tmp/perf-PID.map), so a plugin author can see where a detector spends its time.
    if std::env::var_os("AIIR_PROFILE").is_some_and(|v| v == "perfmap") {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// Advance the epoch every tick until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("aiir-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("cannot start the epoch thread");
}
