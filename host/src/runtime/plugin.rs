//! One loaded plugin and its warm instance.

use super::bindings::{Detector, DetectorPre};
use super::state::PluginState;
use super::{
    EPOCH_TICK, Event, EventKind, Finding, PluginInfo, Runtime, SettingsError, sha256_hex,
};
use std::time::{Duration, Instant};
use wasmtime::Store;
use wasmtime::component::Component;

/// The exports of the `detector` world.
const DETECTOR_EXPORTS: [&str; 3] = ["info", "configure", "inspect"];
/// Longest a single call may run before it is interrupted.
const CALL_DEADLINE: Duration = Duration::from_secs(1);

/// Why a plugin could not be loaded or started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The bytes are not WebAssembly at all.
    #[error("not a WebAssembly binary")]
    NotWasm,
    /// A core module where a component is needed.
    #[error("a core WebAssembly module, not a component: build it for wasm32-wasip2")]
    CoreModule,
    /// wasmtime could not compile it.
    #[error("cannot compile: {0:#}")]
    Compile(anyhow::Error),
    /// A component of some other world.
    #[error(
        "does not implement the aiir:plugin/detector world: it lacks the export(s) {missing} (it exports: {found})"
    )]
    WrongWorld {
        /// The detector exports it lacks.
        missing: String,
        /// What it exports instead.
        found: String,
    },
    /// Its imports or export types do not match what the host provides.
    #[error("cannot link: {0:#}")]
    Link(anyhow::Error),
    /// Instantiation or the `info` call failed.
    #[error("cannot start: {0:#}")]
    Start(anyhow::Error),
    /// `configure` rejected the settings.
    #[error("rejected its settings")]
    Settings(Vec<SettingsError>),
}

/// Why one call to `inspect` produced no findings.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The plugin trapped, ran past its deadline or could not be restarted;
    /// its instance is discarded and a fresh one serves the next event.
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin said it could not inspect the event.
    #[error("declined the event: {0}")]
    Declined(String),
}

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

/// A compiled component that implements the detector world and links against the
/// host: ready to start.
pub struct Loaded {
    pre: DetectorPre<PluginState>,
    stats: LoadStats,
    imports: Vec<String>,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Loaded {
    /// How it was loaded.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// The names it imports, e.g. `aiir:plugin/host@0.1.0`.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// What the plugin says about itself, from a throwaway instance, without
    /// configuring it.
    pub async fn describe(&self, name: &str) -> Result<PluginInfo, LoadError> {
        Ok(instantiate_with_info(name, &self.pre).await?.1)
    }
}

/// A warm instance: its store and its exports.
struct Instance {
    store: Store<PluginState>,
    detector: Detector,
}

/// A loaded, configured plugin.
pub struct Plugin {
    name: String,
    info: PluginInfo,
    settings: String,
    pre: DetectorPre<PluginState>,
    warm: Option<Instance>,
    stats: LoadStats,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Compile a component (or load it from the precompiled cache) and check that it
    /// implements the detector world and that the host provides all it imports.
    pub fn load(&self, wasm: &[u8]) -> Result<Loaded, LoadError> {
        check_header(wasm)?;
        let started = Instant::now();
        let sha256 = sha256_hex(wasm);
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.load(&self.engine, &sha256));
        let hit = cached.is_some();
        let component = match cached {
            Some(c) => c,
            None => self.compile(wasm, &sha256)?,
        };
        let load_time = started.elapsed();
        self.check_world(&component)?;
        let imports = component
            .component_type()
            .imports(&self.engine)
            .map(|(n, _)| n.to_owned())
            .collect();
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(e.into()))?;
        let pre = DetectorPre::new(pre).map_err(|e| LoadError::Link(e.into()))?;
        let stats = LoadStats {
            sha256,
            size: wasm.len(),
            cached: hit,
            load_time,
        };
        Ok(Loaded {
            pre,
            stats,
            imports,
        })
    }

    fn compile(&self, wasm: &[u8], sha256: &str) -> Result<Component, LoadError> {
        let component =
            Component::new(&self.engine, wasm).map_err(|e| LoadError::Compile(e.into()))?;
        if let Some(cache) = &self.cache {
            cache.store(sha256, &component);
        }
        Ok(component)
    }

    fn check_world(&self, component: &Component) -> Result<(), LoadError> {
        let ty = component.component_type();
        let exports: Vec<&str> = ty.exports(&self.engine).map(|(name, _)| name).collect();
        let missing: Vec<_> = DETECTOR_EXPORTS
            .iter()
            .filter(|e| !exports.contains(e))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let quote = |names: &mut dyn Iterator<Item = &str>| {
            names
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(LoadError::WrongWorld {
            missing: quote(&mut missing.iter().map(|n| **n)),
            found: if exports.is_empty() {
                "nothing".into()
            } else {
                quote(&mut exports.into_iter())
            },
        })
    }
}

fn check_header(wasm: &[u8]) -> Result<(), LoadError> {
    match wasm.get(..8) {
        Some([0, b'a', b's', b'm', _, _, 0, 0]) => Err(LoadError::CoreModule),
        Some([0, b'a', b's', b'm', ..]) => Ok(()),
        _ => Err(LoadError::NotWasm),
    }
}

impl Plugin {
    /// Start a loaded plugin under the operator's `name`: instantiate it, ask for its
    /// `info` and hand it `settings` (JSON text). The instance stays warm.
    pub async fn start(name: &str, loaded: Loaded, settings: String) -> Result<Self, LoadError> {
        let Loaded { pre, stats, .. } = loaded;
        let (mut warm, info) = instantiate_with_info(name, &pre).await?;
        configure(&mut warm, &settings).await?;
        Ok(Self {
            name: name.to_owned(),
            info,
            settings,
            pre,
            warm: Some(warm),
            stats,
        })
    }

    /// The operator's name for this plugin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the plugin said about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// How it was loaded.
    pub fn stats(&self) -> &LoadStats {
        &self.stats
    }

    /// Whether the plugin asked for events of this kind.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.info.kinds.contains(&kind)
    }

    /// Inspect one event. After a trap the instance is discarded; the next call
    /// starts a fresh one, configured with the same settings.
    pub async fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, PluginError> {
        let mut instance = match self.warm.take() {
            Some(i) => i,
            None => self.restart().await?,
        };
        let result = call(&mut instance, |d, s| Box::pin(d.call_inspect(s, event))).await;
        match result {
            Ok(Ok(findings)) => {
                self.warm = Some(instance);
                Ok(findings)
            }
            Ok(Err(reason)) => {
                self.warm = Some(instance);
                Err(PluginError::Declined(reason))
            }
            Err(trap) => Err(PluginError::Trap(format!("{trap:#}"))),
        }
    }

    async fn restart(&self) -> Result<Instance, PluginError> {
        let mut instance = instantiate(&self.name, &self.pre)
            .await
            .map_err(|e| PluginError::Trap(format!("cannot restart: {e:#}")))?;
        configure(&mut instance, &self.settings)
            .await
            .map_err(|e| PluginError::Trap(format!("cannot restart: {e}")))?;
        Ok(instance)
    }
}

async fn instantiate(name: &str, pre: &DetectorPre<PluginState>) -> anyhow::Result<Instance> {
    let mut store = Store::new(pre.engine(), PluginState::new(name));
    store.set_epoch_deadline(deadline_ticks());
    let detector = pre.instantiate_async(&mut store).await?;
    Ok(Instance { store, detector })
}

async fn instantiate_with_info(
    name: &str,
    pre: &DetectorPre<PluginState>,
) -> Result<(Instance, PluginInfo), LoadError> {
    let mut instance = instantiate(name, pre).await.map_err(LoadError::Start)?;
    let info = call(&mut instance, |d, s| Box::pin(d.call_info(s)))
        .await
        .map_err(LoadError::Start)?;
    Ok((instance, info))
}

async fn configure(instance: &mut Instance, settings: &str) -> Result<(), LoadError> {
    call(instance, |d, s| Box::pin(d.call_configure(s, settings)))
        .await
        .map_err(LoadError::Start)?
        .map_err(LoadError::Settings)
}

type CallFuture<'a, R> = std::pin::Pin<Box<dyn Future<Output = wasmtime::Result<R>> + Send + 'a>>;

/// Make one call into the instance under a fresh deadline.
async fn call<'a, R>(
    instance: &'a mut Instance,
    f: impl FnOnce(&'a Detector, &'a mut Store<PluginState>) -> CallFuture<'a, R>,
) -> anyhow::Result<R> {
    instance.store.set_epoch_deadline(deadline_ticks());
    Ok(f(&instance.detector, &mut instance.store).await?)
}

fn deadline_ticks() -> u64 {
    (CALL_DEADLINE.as_millis() / EPOCH_TICK.as_millis()) as u64
}
