//! The worlds a plugin may implement, as the rest of the runtime sees them: what the
//! host checks at load, and the calls every world shares (`info`, `configure`).

use super::bindings::compat::{detector as old_detector, responder as old_responder};
use super::bindings::packed::{PackedDetector, PackedDetectorPre};
use super::bindings::responder::Responder;
use super::bindings::{Detector, DetectorPre, responder::ResponderPre};
use super::error::{LoadError, name_list};
use super::prepare::WARM_UP;
use super::state::PluginState;
use super::{PluginInfo, SettingsError};
use wasmtime::Store;
use wasmtime::component::InstancePre;

/// A detector of this version of the contract: packed when it exports `inspect-packed`.
pub type CurrentDetector = Versioned<PackedDetector, Detector>;
/// A detector of any version of the contract the host loads.
pub type AnyDetector = Versioned<CurrentDetector, old_detector::Detector>;
/// A responder of any version of the contract the host loads.
pub type AnyResponder = Versioned<Responder, old_responder::Responder>;

/// The export a `packed-detector` adds to a `detector`'s.
const INSPECT_PACKED: &str = "inspect-packed";

/// A world of `aiir:plugin`, implemented by the bindings `bindgen!` generated for it.
pub trait World: Sized + Send + Sync + 'static {
    /// Its name, as in `aiir:plugin/<name>`.
    const NAME: &'static str;
    /// The exports a component of this world has.
    const EXPORTS: &'static [&'static str];
    /// The type-checked, linked component, ready to instantiate.
    type Pre: Clone + Send + Sync + 'static;

    /// Check the export types and wrap the linked component, whose top-level export
    /// names are `exports`.
    fn pre(pre: InstancePre<PluginState>, exports: &[String]) -> wasmtime::Result<Self::Pre>;
    /// The engine it was compiled for.
    fn engine(pre: &Self::Pre) -> &wasmtime::Engine;
    /// A new instance in `store`.
    fn instantiate(
        pre: &Self::Pre,
        store: &mut Store<PluginState>,
    ) -> impl Future<Output = wasmtime::Result<Self>> + Send;
    /// Call `info`.
    fn info(&self, store: &mut Store<PluginState>) -> impl Future<Output = wasmtime::Result<PluginInfo>> + Send;
    /// Call `configure`.
    fn configure(
        &self,
        store: &mut Store<PluginState>,
        settings: &str,
    ) -> impl Future<Output = wasmtime::Result<Result<(), Vec<SettingsError>>>> + Send;
}

/// Declare a bindgen world as a [`World`]: the calls are the same in each.
macro_rules! world {
    ($world:ty, $pre:ty, $name:literal, $exports:expr) => {
        world!($world, $pre, $name, $exports, std::convert::identity);
    };
    ($world:ty, $pre:ty, $name:literal, $exports:expr, $info:expr) => {
        impl World for $world {
            const NAME: &'static str = $name;
            const EXPORTS: &'static [&'static str] = &$exports;
            type Pre = $pre;

            fn pre(pre: InstancePre<PluginState>, _: &[String]) -> wasmtime::Result<Self::Pre> {
                <$pre>::new(pre)
            }

            fn engine(pre: &Self::Pre) -> &wasmtime::Engine {
                pre.engine()
            }

            async fn instantiate(pre: &Self::Pre, store: &mut Store<PluginState>) -> wasmtime::Result<Self> {
                pre.instantiate_async(store).await
            }

            async fn info(&self, store: &mut Store<PluginState>) -> wasmtime::Result<PluginInfo> {
                self.call_info(store).await.map($info)
            }

            async fn configure(
                &self,
                store: &mut Store<PluginState>,
                settings: &str,
            ) -> wasmtime::Result<Result<(), Vec<SettingsError>>> {
                self.call_configure(store, settings).await
            }
        }
    };
}

world!(Detector, DetectorPre<PluginState>, "detector", ["info", "configure", "inspect"]);
world!(
    PackedDetector,
    PackedDetectorPre<PluginState>,
    "packed-detector",
    ["info", "configure", "inspect", INSPECT_PACKED]
);
world!(Responder, ResponderPre<PluginState>, "responder", ["info", "configure", "respond"]);
world!(
    old_detector::Detector,
    old_detector::DetectorPre<PluginState>,
    "detector",
    ["info", "configure", "inspect"],
    super::compat::info
);
world!(
    old_responder::Responder,
    old_responder::ResponderPre<PluginState>,
    "responder",
    ["info", "configure", "respond"],
    super::compat::info
);

/// A plugin of world `N` as this contract has it, or of `O`, the same world as an
/// earlier version had it (with the same exports or fewer): the exports decide which,
/// at load. Its name and required exports are `O`'s, the ones every version has.
#[derive(Clone)]
pub enum Versioned<N, O> {
    /// Built against this version of the contract.
    Now(N),
    /// Built against an earlier one.
    Then(O),
}

impl<N: World, O: World> World for Versioned<N, O> {
    const NAME: &'static str = O::NAME;
    const EXPORTS: &'static [&'static str] = O::EXPORTS;
    type Pre = Versioned<N::Pre, O::Pre>;

    fn pre(pre: InstancePre<PluginState>, exports: &[String]) -> wasmtime::Result<Self::Pre> {
        if !has_all(exports, N::EXPORTS) {
            return O::pre(pre, exports).map(Versioned::Then);
        }
        // The error worth showing is this version's: an earlier one is the fallback.
        N::pre(pre.clone(), exports)
            .map(Versioned::Now)
            .or_else(|now| O::pre(pre, exports).map(Versioned::Then).map_err(|_| now))
    }

    fn engine(pre: &Self::Pre) -> &wasmtime::Engine {
        match pre {
            Versioned::Now(p) => N::engine(p),
            Versioned::Then(p) => O::engine(p),
        }
    }

    async fn instantiate(pre: &Self::Pre, store: &mut Store<PluginState>) -> wasmtime::Result<Self> {
        Ok(match pre {
            Versioned::Now(p) => Versioned::Now(N::instantiate(p, store).await?),
            Versioned::Then(p) => Versioned::Then(O::instantiate(p, store).await?),
        })
    }

    async fn info(&self, store: &mut Store<PluginState>) -> wasmtime::Result<PluginInfo> {
        match self {
            Versioned::Now(w) => w.info(store).await,
            Versioned::Then(w) => w.info(store).await,
        }
    }

    async fn configure(
        &self,
        store: &mut Store<PluginState>,
        settings: &str,
    ) -> wasmtime::Result<Result<(), Vec<SettingsError>>> {
        match self {
            Versioned::Now(w) => w.configure(store, settings).await,
            Versioned::Then(w) => w.configure(store, settings).await,
        }
    }
}

impl<N, O> std::fmt::Debug for Versioned<N, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Versioned::Now(_) => "Versioned::Now",
            Versioned::Then(_) => "Versioned::Then",
        })
    }
}

/// Check that a component exports what world `W` does (its top-level `exports`, as
/// read before compiling); name what it lacks, and what it is instead when it has
/// another world's.
pub(crate) fn check<W: World>(exports: &[String]) -> Result<(), LoadError> {
    let exports: Vec<&str> = exports.iter().map(String::as_str).collect();
    let missing: Vec<&str> = W::EXPORTS.iter().copied().filter(|e| !exports.contains(e)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let quote = |names: &[&str]| name_list(names, "`");
    let mut found = if exports.is_empty() { "nothing".into() } else { quote(&exports) };
    if let Some(other) = other_world(&exports) {
        found.push_str(&format!(": an aiir:plugin/{other}"));
    }
    Err(LoadError::WrongWorld { world: W::NAME, missing: quote(&missing), found })
}

/// The detector world a component with these exports implements, by the exports
/// beyond `detector`'s that it has.
pub(crate) fn detector_world(exports: &[impl AsRef<str>]) -> &'static str {
    match (has_all(exports, &[WARM_UP]), has_all(exports, &[INSPECT_PACKED])) {
        (false, false) => Detector::NAME,
        (false, true) => PackedDetector::NAME,
        (true, false) => "prepared-detector",
        (true, true) => "prepared-packed-detector",
    }
}

fn has_all(exports: &[impl AsRef<str>], names: &[&str]) -> bool {
    names.iter().all(|name| exports.iter().any(|e| e.as_ref() == *name))
}

/// The world whose exports a component has, when it has all of one.
fn other_world(exports: &[&str]) -> Option<&'static str> {
    if has_all(exports, Detector::EXPORTS) {
        Some(detector_world(exports))
    } else if has_all(exports, Responder::EXPORTS) {
        Some(Responder::NAME)
    } else {
        None
    }
}
