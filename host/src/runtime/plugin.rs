//! One plugin: loaded (checked, compiled, linked), then started (instantiated,
//! configured), then called for each event under its limits.

use super::admit::{COMPILE_BUDGET, Shape, admit};
use super::bindings::aiir::plugin::types as wit;
use super::boundary;
use super::error::{LoadError, PluginError, Reason};
use super::keyed::{KeyedState, StateWrite};
use super::limits::Limits;
use super::prepare::{is_prepared, prepare};
use super::sandbox::Sandbox;
use super::state::PluginState;
use super::world::{self, AnyDetector, AnyResponder, World};
use super::{EPOCH_TICK, Event, EventKind, Finding, Outgoing, PluginInfo, Runtime, sha256_hex};
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};
use wasmtime::component::Component;
use wasmtime::{Engine, Store};

/// How a plugin was loaded.
#[derive(Debug, Clone)]
pub struct LoadStats {
    /// sha256 of the component, hex.
    pub sha256: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Whether the precompiled cache served it.
    pub cached: bool,
    /// Time to compile or to load from the cache.
    pub load_time: Duration,
}

/// What one call cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CallStats {
    /// Fuel spent, when the engine meters fuel.
    pub fuel: Option<u64>,
    /// The instance's largest linear memory so far, in bytes.
    pub peak_memory: usize,
    /// Wall-clock time of the call.
    pub wall: Duration,
}

/// A compiled component that implements world `W` (the detector world unless
/// said otherwise), imports only what its sandbox grants, and links against the
/// host: ready to start.
pub struct Loaded<W: World = AnyDetector> {
    pre: W::Pre,
    stats: LoadStats,
    imports: Vec<String>,
}

impl<W: World> std::fmt::Debug for Loaded<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("stats", &self.stats).finish_non_exhaustive()
    }
}

/// Everything that shapes a started plugin's instances.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// The operator's name for the plugin.
    pub name: String,
    /// Its settings as JSON text.
    pub settings: String,
    /// Its limits.
    pub limits: Limits,
    /// Its sandbox.
    pub sandbox: Sandbox,
    /// What it keeps through the `state` imports, shared by all its instances.
    pub state: KeyedState,
}

/// A warm instance: its store and its exports.
struct Instance<W> {
    store: Store<PluginState>,
    exports: W,
}

/// A loaded, configured plugin of world `W` (a detector unless said otherwise).
pub struct Plugin<W: World = AnyDetector> {
    setup: Setup,
    info: PluginInfo,
    pre: W::Pre,
    warm: Option<Instance<W>>,
    stats: LoadStats,
    fuel: bool,
}

impl<W: World> std::fmt::Debug for Plugin<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("setup", &self.setup).field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl Runtime {
    /// Check a component before compiling it (its size and counts against the load
    /// [`Limit`](super::Limit)s, that it implements the detector world, that it
    /// imports only what `sandbox` grants), then compile it (or load it from the
    /// precompiled cache) and link it against the host.
    pub fn load(&self, wasm: &[u8], sandbox: &Sandbox) -> Result<Loaded, LoadError> {
        self.load_world(wasm, sandbox)
    }

    /// [`load`](Self::load) for a component of world `W`. The cache is written only
    /// once every check has passed and the component links.
    pub(crate) fn load_world<W: World>(&self, wasm: &[u8], sandbox: &Sandbox) -> Result<Loaded<W>, LoadError> {
        let Shape { imports, exports } = check::<W>(wasm, sandbox)?;
        let started = Instant::now();
        let sha256 = sha256_hex(wasm);
        let prepared = is_prepared(&exports);
        // Under a key of its own: a host that does not prepare caches the same wasm as it is.
        let key = if prepared { format!("{sha256}-prepared") } else { sha256.clone() };
        let cached = self.cache.as_ref().and_then(|c| c.load(&self.engine, &key));
        let hit = cached.is_some();
        let component = match cached {
            Some(c) => c,
            None if prepared => compile(&self.engine, &prepare(&self.engine, &self.linker, sandbox, wasm, compile)?)?,
            None => compile(&self.engine, wasm)?,
        };
        let stats = LoadStats { sha256, size: wasm.len(), cached: hit, load_time: started.elapsed() };
        let pre = self.linker.instantiate_pre(&component).map_err(|e| LoadError::Link(e.into()))?;
        let pre = W::pre(pre, &exports).map_err(|e| LoadError::Link(e.into()))?;
        if let Some(cache) = self.cache.as_ref().filter(|_| !hit) {
            cache.store(&key, &component);
        }
        Ok(Loaded { pre, stats, imports })
    }
}

/// A component's top-level imports and exports, read without compiling it: what
/// `aiir inspect` lists when it refuses one.
pub fn shape(wasm: &[u8]) -> Result<Shape, LoadError> {
    check_header(wasm)?;
    admit(wasm)
}

/// What a component of either world says about itself, from [`Runtime::describe`].
#[derive(Debug, Clone)]
pub struct Described {
    /// `detector`, `packed-detector`, `prepared-detector`, `prepared-packed-detector`
    /// or `responder`, from what it exports.
    pub world: &'static str,
    /// Its `info`.
    pub info: PluginInfo,
    /// How it was loaded.
    pub stats: LoadStats,
    /// Its imports.
    pub imports: Vec<String>,
}

impl Runtime {
    /// Load a component as a responder when it exports the responder world's
    /// functions, else as a detector, and ask for its `info`.
    pub async fn describe(&self, wasm: &[u8], sandbox: &Sandbox, setup: &Setup) -> Result<Described, LoadError> {
        let exports = shape(wasm)?.exports;
        if world::check::<AnyResponder>(&exports).is_ok() {
            return self.load_world::<AnyResponder>(wasm, sandbox)?.described(setup).await;
        }
        let described = self.load(wasm, sandbox)?.described(setup).await?;
        Ok(Described { world: world::detector_world(&exports), ..described })
    }
}

impl<W: World> Loaded<W> {
    async fn described(self, setup: &Setup) -> Result<Described, LoadError> {
        let info = self.describe(setup).await?;
        Ok(Described { world: W::NAME, info, stats: self.stats, imports: self.imports })
    }
}

/// Everything checked before compiling: the header, the load limits, the world and
/// the grants. Returns the component's imports and exports.
fn check<W: World>(wasm: &[u8], sandbox: &Sandbox) -> Result<Shape, LoadError> {
    check_header(wasm)?;
    let shape = admit(wasm)?;
    world::check::<W>(&shape.exports)?;
    let ungranted = sandbox.ungranted(&shape.imports);
    if !ungranted.is_empty() {
        return Err(LoadError::Ungranted(ungranted.into_iter().map(String::from).collect()));
    }
    Ok(shape)
}

/// Compile on a thread of its own, waiting at most [`COMPILE_BUDGET`]. A compile
/// past the budget cannot be stopped: its thread finishes in the background and its
/// result is dropped; the load limits bound what that can cost.
fn compile(engine: &Engine, wasm: &[u8]) -> Result<Component, LoadError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    let (engine, wasm) = (engine.clone(), wasm.to_vec());
    std::thread::Builder::new()
        .name("aiir-compile".into())
        .spawn(move || tx.send(Component::new(&engine, &wasm)))
        .map_err(|e| LoadError::Compile(anyhow::Error::new(e).context("cannot start the compile thread")))?;
    match rx.recv_timeout(COMPILE_BUDGET) {
        Ok(compiled) => compiled.map_err(|e| LoadError::Compile(e.into())),
        Err(RecvTimeoutError::Timeout) => Err(LoadError::CompileBudget(COMPILE_BUDGET)),
        Err(RecvTimeoutError::Disconnected) => Err(LoadError::Compile(anyhow::anyhow!("the compiler panicked"))),
    }
}

fn check_header(wasm: &[u8]) -> Result<(), LoadError> {
    match wasm.get(..8) {
        Some([0, b'a', b's', b'm', _, _, 0, 0]) => Err(LoadError::CoreModule),
        Some([0, b'a', b's', b'm', ..]) => Ok(()),
        _ => Err(LoadError::NotWasm),
    }
}

impl<W: World> Loaded<W> {
    /// How it was loaded.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// The names it imports, e.g. `aiir:plugin/types@0.3.1`.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// What the plugin says about itself, from a throwaway instance, without
    /// configuring it.
    pub async fn describe(&self, setup: &Setup) -> Result<PluginInfo, LoadError> {
        Ok(start_instance::<W>(setup, &self.pre).await?.1)
    }

    /// Instantiate the plugin, ask for its `info` and hand it its settings. The
    /// instance stays warm for the first event. One load may start many plugins.
    pub async fn start(&self, setup: Setup) -> Result<Plugin<W>, LoadError> {
        let (mut warm, info) = start_instance::<W>(&setup, &self.pre).await?;
        configure(&mut warm, &setup).await?;
        let fuel = warm.store.get_fuel().is_ok();
        let (pre, stats) = (self.pre.clone(), self.stats.clone());
        Ok(Plugin { setup, info, pre, warm: Some(warm), stats, fuel })
    }
}

impl<W: World> Plugin<W> {
    /// The operator's name for this plugin.
    pub fn name(&self) -> &str {
        &self.setup.name
    }

    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// How it was loaded.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// Make one call `f` under the plugin's limits, then `check` what it returned
    /// (against the plugin's setup and what it said of itself) and turn it into the
    /// host's types. After any failure but a declined call, the instance is
    /// discarded; the next call starts a fresh one, configured with the same settings.
    pub(crate) async fn run<R, T>(
        &mut self,
        f: impl AsyncFnOnce(&W, &mut Store<PluginState>) -> wasmtime::Result<Result<R, String>>,
        check: impl FnOnce(R, &Setup, &PluginInfo) -> Result<T, PluginError>,
    ) -> (Result<T, PluginError>, CallStats) {
        let mut instance = match self.warm.take() {
            Some(i) => i,
            None => match self.restart().await {
                Ok(i) => i,
                Err(e) => return (Err(e), CallStats::default()),
            },
        };
        let started = Instant::now();
        let result = call(&mut instance, &self.setup.limits, f).await;
        let stats = CallStats {
            fuel: self.fuel.then(|| spent_fuel(&instance.store, &self.setup.limits)),
            peak_memory: instance.store.data().limiter.peak_memory(),
            wall: started.elapsed(),
        };
        let result = match result {
            Ok(Ok(output)) => check(output, &self.setup, &self.info),
            Ok(Err(text)) => Err(PluginError::declined(text, self.setup.limits.max_output_bytes)),
            Err(e) => Err(e),
        };
        if result.is_ok() || result.as_ref().is_err_and(|e| e.reason == Reason::Declined) {
            self.warm = Some(instance);
        }
        (result, stats)
    }

    /// The same plugin with its own fresh instance, configured with the same settings,
    /// for another worker: no load, no compile; the two share no state.
    pub async fn replica(&self) -> Result<Self, PluginError> {
        let warm = self.restart().await?;
        let (setup, info, pre, stats) = (self.setup.clone(), self.info.clone(), self.pre.clone(), self.stats.clone());
        Ok(Self { setup, info, pre, warm: Some(warm), stats, fuel: self.fuel })
    }

    async fn restart(&self) -> Result<Instance<W>, PluginError> {
        let restart_failed = |e: LoadError| PluginError::new(Reason::Trap, format!("cannot restart: {e}"));
        let (mut instance, _) = start_instance::<W>(&self.setup, &self.pre).await.map_err(restart_failed)?;
        configure(&mut instance, &self.setup).await.map_err(restart_failed)?;
        Ok(instance)
    }
}

impl Plugin<AnyDetector> {
    /// Whether the plugin asked for events of this kind.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.info.kinds.contains(&kind)
    }

    /// Inspect one event, whose partition key is `partition`, under the plugin's
    /// limits (see `run` for what a failure does to the instance). What the call
    /// wrote through the `state` imports is kept only when the instance is.
    pub async fn inspect(&mut self, event: &Event, partition: &str) -> Verdict {
        self.inspect_outgoing(&Outgoing::new(event), partition).await
    }

    /// [`inspect`](Self::inspect) an event that other plugins are sent too: a packed
    /// detector packs it only when none has before.
    pub async fn inspect_outgoing(&mut self, event: &Outgoing<'_>, partition: &str) -> Verdict {
        let check = |findings, setup: &Setup, info: &PluginInfo| {
            let limits = &setup.limits;
            let cap = Cap { count: limits.max_findings, noun: "findings", reason: Reason::TooManyFindings };
            let findings = check_output(findings, cap, limits, string_bytes)?;
            let ns = aiir_boundary::Namespace { configured: &setup.name, declared: &info.name };
            boundary::findings(&ns, findings)
        };
        let inspect = async |d: &AnyDetector, s: &mut Store<PluginState>| {
            s.data_mut().open_state(partition);
            d.inspect(s, event).await
        };
        let (result, stats) = self.run(inspect, check).await;
        let state = match self.warm.as_mut().map(|w| w.store.data_mut().take_state()) {
            Some((Some(partition), draft)) => self.setup.state.commit(&partition, draft),
            _ => Vec::new(),
        };
        Verdict { result, stats, state }
    }
}

/// What one `inspect` call gave back.
#[derive(Debug)]
pub struct Verdict {
    /// The findings, or why there are none.
    pub result: Result<Vec<Finding>, PluginError>,
    /// What the call cost.
    pub stats: CallStats,
    /// What it changed in its keyed state, to store with the event.
    pub state: Vec<StateWrite>,
}

/// A cap on how many items one call may return.
pub(crate) struct Cap {
    /// How many.
    pub(crate) count: usize,
    /// What they are, plural, for the message.
    pub(crate) noun: &'static str,
    /// The reason code of going over.
    pub(crate) reason: Reason,
}

/// Reject results over the output caps: `cap` items, `max_output_bytes` of strings
/// as `bytes` counts them.
pub(crate) fn check_output<T>(
    items: Vec<T>,
    cap: Cap,
    limits: &Limits,
    bytes: impl Fn(&T) -> usize,
) -> Result<Vec<T>, PluginError> {
    if items.len() > cap.count {
        let detail = format!("{} {}, more than the cap of {}", items.len(), cap.noun, cap.count);
        return Err(PluginError::new(cap.reason, detail));
    }
    let total: usize = items.iter().map(bytes).sum();
    if total > limits.max_output_bytes {
        let detail = format!("{total} bytes of strings, more than the cap of {}", limits.max_output_bytes);
        return Err(PluginError::new(Reason::OutputTooLarge, detail));
    }
    Ok(items)
}

fn string_bytes(f: &wit::Finding) -> usize {
    let techniques: usize = f.techniques.iter().map(String::len).sum();
    let evidence: usize = f.evidence.iter().map(|e| e.field.len() + e.excerpt.len()).sum();
    f.rule.len() + f.title.len() + techniques + evidence
}

fn spent_fuel(store: &Store<PluginState>, limits: &Limits) -> u64 {
    fuel_budget(limits).saturating_sub(store.get_fuel().unwrap_or(0))
}

/// The fuel a call starts with: the budget, or all there is when only metering.
fn fuel_budget(limits: &Limits) -> u64 {
    limits.fuel.unwrap_or(u64::MAX)
}

/// A new instance with its `info`.
async fn start_instance<W: World>(setup: &Setup, pre: &W::Pre) -> Result<(Instance<W>, PluginInfo), LoadError> {
    let limits = &setup.limits;
    let mut store = Store::new(W::engine(pre), PluginState::new(&setup.name, &setup.sandbox, limits, &setup.state));
    store.limiter(|s| &mut s.limiter);
    let exports =
        guarded(&mut store, limits, async |s| W::instantiate(pre, s).await).await.map_err(LoadError::Start)?;
    let mut instance = Instance { store, exports };
    let info = call(&mut instance, limits, async |w, s| w.info(s).await).await.map_err(LoadError::Start)?;
    boundary::info(&info).map_err(LoadError::Start)?;
    Ok((instance, info))
}

async fn configure<W: World>(instance: &mut Instance<W>, setup: &Setup) -> Result<(), LoadError> {
    let settings = setup.settings.as_str();
    call(instance, &setup.limits, async |w, s| w.configure(s, settings).await)
        .await
        .map_err(LoadError::Start)?
        .map_err(|errors| LoadError::Settings(boundary::settings_errors(errors)))
}

/// Make one call into the instance under its deadline and fuel budget (see [`guarded`]).
async fn call<W, R>(
    instance: &mut Instance<W>,
    limits: &Limits,
    f: impl AsyncFnOnce(&W, &mut Store<PluginState>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    let Instance { store, exports } = instance;
    guarded(store, limits, async |store| f(exports, store).await).await
}

/// Run `f`, a call into the store's instance, under its deadline and fuel budget. The
/// deadline is kept twice: the epoch interrupts wasm code, the timer covers time
/// the plugin spends waiting in host calls, which epochs cannot interrupt.
pub(super) async fn guarded<R>(
    store: &mut Store<PluginState>,
    limits: &Limits,
    f: impl AsyncFnOnce(&mut Store<PluginState>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    arm(store, limits);
    store.data_mut().begin_call();
    let outcome = tokio::time::timeout(limits.timeout(), f(store)).await;
    match outcome {
        Ok(Ok(r)) => {
            store.data_mut().end_call();
            Ok(r)
        }
        Ok(Err(e)) => Err(failure(store, &e, limits)),
        Err(_) => {
            store.data_mut().end_call();
            Err(PluginError::deadline(limits.timeout()))
        }
    }
}

/// Set the deadline and the fuel for the next call.
pub(super) fn arm(store: &mut Store<PluginState>, limits: &Limits) {
    let ticks = limits.timeout().as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1);
    store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
    // Fails only when the engine does not meter fuel; then there is nothing to set.
    let _ = store.set_fuel(fuel_budget(limits));
}

fn failure(store: &mut Store<PluginState>, error: &wasmtime::Error, limits: &Limits) -> PluginError {
    let stdio = store.data_mut().end_call();
    PluginError::from_trap(error, &stdio, limits.timeout())
}
