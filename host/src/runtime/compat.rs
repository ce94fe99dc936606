//! Plugins built against earlier versions of the contract: what 0.3.0 changed,
//! turned into the forms of 0.1.0 and 0.2.x on the way in and back on the way out.
//!
//! An earlier plugin cannot ask for a kind of event its version lacks, so it is never
//! sent one; a field its version lacks (a batch's `revision`) is left out.

use super::bindings::aiir::plugin::types::Finding;
use super::bindings::compat::detector::aiir::compat::types as old;
use super::bindings::responder::aiir::plugin::incidents::{Incident, Proposal};
use super::packed::Outgoing;
use super::state::PluginState;
use super::world::{AnyDetector, AnyResponder, Versioned};
use super::{Event, EventKind, Payload, PluginInfo};
use wasmtime::Store;

/// A call's outcome as the bindings give it: trapped, declined with a message, or done.
type Outcome<T> = wasmtime::Result<Result<Vec<T>, String>>;

impl AnyDetector {
    /// Call `inspect` in whichever version the plugin was built for: packed for a
    /// `packed-detector`.
    pub(crate) async fn inspect(&self, store: &mut Store<PluginState>, event: &Outgoing<'_>) -> Outcome<Finding> {
        match self {
            Versioned::Now(Versioned::Now(d)) => super::packed::inspect(d, store, event).await,
            Versioned::Now(Versioned::Then(d)) => d.call_inspect(store, event.event()).await,
            Versioned::Then(d) => match earlier(event.event()) {
                Some(event) => d.call_inspect(store, &event).await,
                None => Ok(Ok(Vec::new())),
            },
        }
    }
}

impl AnyResponder {
    /// Call `respond`: an incident is the same record in every version.
    pub(crate) async fn respond(&self, store: &mut Store<PluginState>, incident: &Incident) -> Outcome<Proposal> {
        match self {
            Versioned::Now(r) => r.call_respond(store, incident).await,
            Versioned::Then(r) => r.call_respond(store, incident).await,
        }
    }
}

/// What an earlier plugin says of itself, in this version's terms.
pub(super) fn info(info: old::PluginInfo) -> PluginInfo {
    let old::PluginInfo { name, version, description, kinds, settings } = info;
    let kinds = kinds.into_iter().map(kind).collect();
    PluginInfo { name, version, description, kinds, settings }
}

fn kind(kind: old::EventKind) -> EventKind {
    match kind {
        old::EventKind::Inference => EventKind::Inference,
        old::EventKind::ToolCall => EventKind::ToolCall,
        old::EventKind::ModelLifecycle => EventKind::ModelLifecycle,
        old::EventKind::TrainingData => EventKind::TrainingData,
        old::EventKind::Custom => EventKind::Custom,
    }
}

/// The event as earlier versions have it; `None` for a kind they lack.
fn earlier(event: &Event) -> Option<old::Event> {
    let payload = match &event.payload {
        Payload::Inference(i) => old::Payload::Inference(i.clone()),
        Payload::ToolCall(t) => old::Payload::ToolCall(t.clone()),
        Payload::ModelLifecycle(l) => old::Payload::ModelLifecycle(l.clone()),
        Payload::TrainingData(d) => old::Payload::TrainingData(old::TrainingData {
            dataset: d.dataset.clone(),
            batch: d.batch.clone(),
            records: d.records.clone(),
        }),
        Payload::Custom(c) => old::Payload::Custom(c.clone()),
        Payload::TrainingRun(_) => return None,
    };
    Some(old::Event {
        id: event.id.clone(),
        time_unix_nano: event.time_unix_nano,
        source: event.source.clone(),
        model: event.model.clone(),
        principal: event.principal.clone(),
        session: event.session.clone(),
        payload,
        attributes: event.attributes.clone(),
    })
}
