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
use wasmtime::Store;

aiir_boundary::packed_event!();

/// Call `inspect-packed` with `event`, packed into the store's buffer.
pub(super) async fn inspect(
    detector: &PackedDetector,
    store: &mut Store<PluginState>,
    event: &Event,
) -> wasmtime::Result<Result<Vec<Finding>, String>> {
    let mut packing = std::mem::take(&mut store.data_mut().packing);
    aiir_boundary::packed::pack(event, &mut packing);
    let outcome = detector.call_inspect_packed(&mut *store, &packing).await;
    store.data_mut().packing = packing;
    outcome
}
