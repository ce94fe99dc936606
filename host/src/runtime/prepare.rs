//! Pre-initialisation: a component of the `prepared-detector` world exports `warm-up`,
//! which builds the tables every instance shares. At its first compile the host runs
//! `warm-up` once, in an instance of its own under the default [`Limits`], and writes
//! the memory and globals it left into the component as its initial state (Wizer's
//! snapshot); that component is what is compiled and cached. Every instance then
//! starts with the tables built, the first after a failure included.
//!
//! `warm-up` is plugin code like any other: it runs in the plugin's sandbox, and a
//! trap, a loop or a flood fails the load with its reason. A component whose shape the
//! snapshot cannot handle is compiled as it is.

use super::error::LoadError;
use super::keyed::KeyedState;
use super::limits::Limits;
use super::plugin::{arm, guarded};
use super::sandbox::Sandbox;
use super::state::PluginState;
use wasmtime::component::{Component, Instance, Lift, Linker, WasmList};
use wasmtime::{Engine, Store};
use wasmtime_wizer::{ComponentInstanceState, Wizer};

/// The export that makes a component preparable.
pub(super) const WARM_UP: &str = "warm-up";

/// Whether a component with these top-level exports is of the `prepared-detector` world.
pub(super) fn is_prepared(exports: &[String]) -> bool {
    exports.iter().any(|e| e == WARM_UP)
}

/// What `warm-up` runs as, in the messages and logs of the sandbox.
const WHO: &str = "(warm-up)";

/// `wasm` with the state its `warm-up` leaves as its initial state. `compile` turns
/// wasm into a component (under the host's compile budget).
pub(super) fn prepare(
    engine: &Engine,
    linker: &Linker<PluginState>,
    sandbox: &Sandbox,
    wasm: &[u8],
    compile: impl Fn(&Engine, &[u8]) -> Result<Component, LoadError> + Sync,
) -> Result<Vec<u8>, LoadError> {
    // On a thread of its own: the calls need an async runtime, and the caller may be
    // inside one, which cannot be blocked on; and Wizer reads plugin-made bytes, so a
    // panic of its own must fail this load, not the host.
    std::thread::scope(|scope| scope.spawn(|| snapshot(engine, linker, sandbox, wasm, &compile)).join())
        .unwrap_or_else(|_| Err(LoadError::Compile(anyhow::anyhow!("the pre-initialisation panicked"))))
}

fn snapshot(
    engine: &Engine,
    linker: &Linker<PluginState>,
    sandbox: &Sandbox,
    wasm: &[u8],
    compile: impl Fn(&Engine, &[u8]) -> Result<Component, LoadError>,
) -> Result<Vec<u8>, LoadError> {
    let mut wizer = Wizer::new();
    // Kept: the component's own export of it still refers to the core function.
    wizer.init_func(WARM_UP).keep_init_func(true);
    let (cx, instrumented) = match wizer.instrument_component(wasm) {
        Ok(instrumented) => instrumented,
        Err(e) => {
            tracing::warn!("compiled without pre-initialisation: its shape cannot be snapshot: {e:#}");
            return Ok(wasm.to_vec());
        }
    };
    let component = compile(engine, &instrumented)?;
    let limits = Limits::default();
    let mut store = Store::new(engine, PluginState::new(WHO, sandbox, &limits, &KeyedState::default()));
    store.limiter(|s| &mut s.limiter);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| LoadError::Compile(anyhow::Error::new(e).context("cannot start the warm-up's runtime")))?;
    runtime.block_on(async {
        let instance = warm_up(linker, &component, &mut store, &limits).await?;
        let mut warmed = Snapshot { store: &mut store, instance };
        wizer
            .snapshot_component(&cx, &mut warmed)
            .await
            .map_err(|e| LoadError::Compile(anyhow::Error::from(e).context("cannot snapshot the warmed instance")))
    })
}

/// Instantiate the instrumented component and call its `warm-up` under `limits`.
async fn warm_up(
    linker: &Linker<PluginState>,
    component: &Component,
    store: &mut Store<PluginState>,
    limits: &Limits,
) -> Result<Instance, LoadError> {
    let instance = guarded(store, limits, async |s| linker.instantiate_async(s, component).await)
        .await
        .map_err(LoadError::WarmUp)?;
    let func = instance
        .get_typed_func::<(), ()>(&mut *store, WARM_UP)
        .map_err(|e| LoadError::Link(anyhow::Error::from(e).context("its `warm-up` export is not a `func()`")))?;
    guarded(store, limits, async |s| func.call_async(s, ()).await).await.map_err(LoadError::WarmUp)?;
    Ok(instance)
}

/// The warmed instance, read through the accessors Wizer's instrumentation exported.
struct Snapshot<'a> {
    store: &'a mut Store<PluginState>,
    instance: Instance,
}

impl Snapshot<'_> {
    /// Call `instance#func`, a `func() -> R` the instrumentation added.
    async fn call<R: Lift + Send + Sync + 'static>(&mut self, instance: &str, func: &str) -> R {
        let store = &mut *self.store;
        let (_, exported) = self.instance.get_export(&mut *store, None, instance).expect("an accessor instance");
        let (_, func) = self.instance.get_export(&mut *store, Some(&exported), func).expect("an accessor");
        let func = self.instance.get_typed_func::<(), (R,)>(&mut *store, func).expect("an accessor's type");
        // Accessors only read memory and globals; past the warm-up's own checks, a
        // failure here is a bug of the instrumentation, which Wizer's trait cannot report.
        arm(store, &Limits::default());
        func.call_async(&mut *store, ()).await.expect("an accessor call").0
    }
}

impl ComponentInstanceState for Snapshot<'_> {
    async fn call_func_ret_list_u8(&mut self, instance: &str, func: &str, contents: impl FnOnce(&[u8]) + Send) {
        let list: WasmList<u8> = self.call(instance, func).await;
        contents(list.as_le_slice(&*self.store));
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func).await
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func).await
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call::<f32>(instance, func).await.to_bits()
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call::<f64>(instance, func).await.to_bits()
    }
}
