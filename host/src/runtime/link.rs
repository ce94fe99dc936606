//! The host imports every plugin links against: WASI (emptied by the sandbox), the
//! `aiir:plugin` interfaces of this version, and those of earlier versions so that
//! plugins built against them keep loading.

use super::bindings::Detector;
use super::bindings::aiir::plugin::{host, state};
use super::bindings::responder::aiir::plugin::{incidents, response};
use super::state::PluginState;
use super::{IncidentFinding, ModelVersion};
use anyhow::Context as _;
use wasmtime::StoreContextMut;
use wasmtime::component::{HasSelf, Linker, LinkerInstance};

/// The earlier versions still served, and which of their interfaces each had. Their
/// functions were the same as this version's, so this version's implementation serves
/// them; a component of 0.2.0 links against 0.2.1's by semver.
const EARLIER: [(&str, &[Interface]); 2] = [
    ("0.1.0", &[Interface::Types, Interface::Host]),
    ("0.2.1", &[Interface::Types, Interface::Host, Interface::State, Interface::Incidents, Interface::Response]),
];

/// An interface of an earlier version.
#[derive(Clone, Copy, Debug)]
enum Interface {
    Types,
    Host,
    State,
    Incidents,
    Response,
}

/// A linker with every host import a plugin of either world may use.
pub(crate) fn linker(engine: &wasmtime::Engine) -> anyhow::Result<Linker<PluginState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from).context("cannot link WASI")?;
    link_current(&mut linker).map_err(anyhow::Error::from).context("cannot link the host imports")?;
    for (version, interfaces) in EARLIER {
        for &interface in interfaces {
            link_earlier(&mut linker, version, interface)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot link the aiir:plugin@{version} imports"))?;
        }
    }
    Ok(linker)
}

/// `types` and `host` (through the detector world), then what only responders import.
fn link_current(linker: &mut Linker<PluginState>) -> wasmtime::Result<()> {
    Detector::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    incidents::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    response::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

type Cx<'a> = StoreContextMut<'a, PluginState>;

/// `aiir:plugin/<interface>@<version>`, its functions served by this version's.
/// `types` and `incidents` hold types only: an empty instance.
fn link_earlier(linker: &mut Linker<PluginState>, version: &str, interface: Interface) -> wasmtime::Result<()> {
    let name = format!("{:?}", interface).to_lowercase();
    let mut i = linker.instance(&format!("aiir:plugin/{name}@{version}"))?;
    match interface {
        Interface::Types | Interface::Incidents => Ok(()),
        Interface::Host => i.func_wrap("log", |mut s: Cx, (level, message): (host::Level, String)| {
            host::Host::log(s.data_mut(), level, message)
        }),
        Interface::State => link_state(&mut i),
        Interface::Response => link_response(&mut i),
    }
}

fn link_state(i: &mut LinkerInstance<'_, PluginState>) -> wasmtime::Result<()> {
    use state::Host as _;
    i.func_wrap("partition", |mut s: Cx, (): ()| s.data_mut().partition().map(|p| (p,)))?;
    i.func_wrap("get", |mut s: Cx, (key,): (String,)| s.data_mut().get(key).map(|v| (v,)))?;
    i.func_wrap("set", |mut s: Cx, (key, value): (String, Vec<u8>)| s.data_mut().set(key, value).map(|r| (r,)))?;
    i.func_wrap("remove", |mut s: Cx, (key,): (String,)| s.data_mut().remove(key))?;
    i.func_wrap("keys", |mut s: Cx, (): ()| s.data_mut().keys().map(|k| (k,)))
}

fn link_response(i: &mut LinkerInstance<'_, PluginState>) -> wasmtime::Result<()> {
    use response::Host as _;
    i.func_wrap("findings", |mut s: Cx, (id,): (String,)| -> wasmtime::Result<(Vec<IncidentFinding>,)> {
        s.data_mut().findings(id).map(|f| (f,))
    })?;
    i.func_wrap("versions", |mut s: Cx, (model,): (String,)| -> wasmtime::Result<(Vec<ModelVersion>,)> {
        s.data_mut().versions(model).map(|v| (v,))
    })
}
