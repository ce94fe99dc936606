//! The host imports every plugin links against: WASI (emptied by the sandbox), the
//! `aiir:plugin` interfaces of this version, and those of the previous minor version
//! so that detectors built against it keep loading.

use super::bindings::Detector;
use super::bindings::aiir::plugin::host;
use super::bindings::responder::aiir::plugin::{incidents, response};
use super::state::PluginState;
use anyhow::Context as _;
use wasmtime::component::{HasSelf, Linker};

/// The previous minor version of the contract: `types` and `host` were the same
/// records and functions, so one implementation serves both.
const PREVIOUS: &str = "0.1.0";

/// A linker with every host import a plugin of either world may use.
pub(crate) fn linker(engine: &wasmtime::Engine) -> anyhow::Result<Linker<PluginState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("cannot link WASI")?;
    link_current(&mut linker).map_err(anyhow::Error::from).context("cannot link the host imports")?;
    link_previous(&mut linker)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot link the aiir:plugin@{PREVIOUS} imports"))?;
    Ok(linker)
}

/// `types` and `host` (through the detector world), then what only responders import.
fn link_current(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    Detector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    incidents::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    response::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

/// `aiir:plugin/types@0.1.0` (types only, so an empty instance) and
/// `aiir:plugin/host@0.1.0` (`log`, served by the current `host::Host::log`).
fn link_previous(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    linker.instance(&format!("aiir:plugin/types@{PREVIOUS}"))?;
    linker.instance(&format!("aiir:plugin/host@{PREVIOUS}"))?.func_wrap(
        "log",
        |mut store: wasmtime::StoreContextMut<'_, PluginState>, (level, message): (host::Level, String)| {
            host::Host::log(store.data_mut(), level, message)
        },
    )
}
