//! Events for a `packed-detector`: packed into one buffer (`aiir_boundary::packed`),
//! which the component model lowers as one allocation and one copy, instead of one
//! of each for every string and list of the `event` record.

use super::bindings::aiir::plugin::types::Finding;
use super::bindings::packed::PackedDetector;
use super::state::PluginState;
use super::{
    Custom, DatasetInput, Document, Event, Inference, LabeledRecord, Message, ModelLifecycle, ModelRef, Payload, Role,
    ToolCall, TrainingData, TrainingRun,
};
use std::cell::OnceCell;
use wasmtime::Store;

aiir_boundary::packed_event!();

/// An event on its way to the detectors: packed by the first packed detector that
/// takes it, the packing then shared by the others.
#[derive(Debug)]
pub struct Outgoing<'a> {
    event: &'a Event,
    packed: OnceCell<Vec<u8>>,
}

impl<'a> Outgoing<'a> {
    /// `event`, not packed yet.
    pub fn new(event: &'a Event) -> Self {
        Self { event, packed: OnceCell::new() }
    }

    /// The event.
    pub fn event(&self) -> &'a Event {
        self.event
    }

    fn packed(&self) -> &[u8] {
        self.packed.get_or_init(|| {
            let mut out = Vec::new();
            aiir_boundary::packed::pack(self.event, &mut out);
            out
        })
    }
}

/// Call `inspect-packed` with the event, packed.
pub(super) async fn inspect(
    detector: &PackedDetector,
    store: &mut Store<PluginState>,
    event: &Outgoing<'_>,
) -> wasmtime::Result<Result<Vec<Finding>, String>> {
    detector.call_inspect_packed(store, event.packed()).await
}
