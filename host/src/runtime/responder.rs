//! Responders: plugins of the `responder` world, loaded, started and called with the
//! same machinery as detectors (one cache, one set of limits, one sandbox), asked
//! to propose actions for an incident. Their proposals' shape is checked at the
//! boundary; what they may touch is the actuators' to check.

use super::bindings::responder::aiir::plugin::incidents as wit;
use super::boundary;
use super::error::{LoadError, PluginError, Reason};
use super::limits::Limits;
use super::plugin::{CallStats, Cap, Loaded, Plugin, check_output};
use super::sandbox::Sandbox;
use super::state::{PluginState, ResponseContext};
use super::world::AnyResponder;
use super::{Incident, Proposal, Runtime};

/// A compiled component of the responder world, ready to start.
pub type LoadedResponder = Loaded<AnyResponder>;

/// A loaded, configured responder.
pub type Responder = Plugin<AnyResponder>;

impl Runtime {
    /// [`load`](Self::load) for a responder: the component must implement the
    /// `responder` world; a detector is refused with the exports it lacks.
    pub fn load_responder(&self, wasm: &[u8], sandbox: &Sandbox) -> Result<LoadedResponder, LoadError> {
        self.load_world(wasm, sandbox)
    }
}

impl Responder {
    /// Ask for the actions to propose for `incident` under the plugin's limits.
    /// During the call the `response` imports serve `context`: the findings for
    /// this incident's id, the versions by model name.
    pub async fn respond(
        &mut self,
        incident: &Incident,
        context: ResponseContext,
    ) -> (Result<Vec<Proposal>, PluginError>, CallStats) {
        let call = async |r: &AnyResponder, s: &mut wasmtime::Store<PluginState>| {
            s.data_mut().set_response(&incident.id, context);
            let result = r.respond(&mut *s, incident).await;
            s.data_mut().set_response("", ResponseContext::default());
            result
        };
        self.run(call, |proposals, setup, _| check_proposals(proposals, &setup.limits)).await
    }
}

/// Within the caps, and every proposal of the right shape (normalised): else the
/// call failed with `invalid-output`, naming the first bad proposal.
fn check_proposals(proposals: Vec<wit::Proposal>, limits: &Limits) -> Result<Vec<Proposal>, PluginError> {
    let cap = Cap { count: limits.max_proposals, noun: "proposals", reason: Reason::TooManyProposals };
    boundary::proposals(check_output(proposals, cap, limits, string_bytes)?)
}

/// Bytes of strings in a proposal, as counted against `max_output_bytes`.
fn string_bytes(p: &wit::Proposal) -> usize {
    use wit::Action;
    let action = match &p.action {
        Action::RollbackModel(model) | Action::BlockPrincipal(model) => model.len(),
        Action::QuarantineModel(m) => {
            m.name.len() + m.version.as_ref().map_or(0, String::len) + m.digest.as_ref().map_or(0, String::len)
        }
        Action::Notify(n) => n.url.len() + n.body.len(),
        Action::FileReport(r) => r.kind.len() + r.markdown.len() + r.json.len(),
    };
    p.reason.len() + action
}
