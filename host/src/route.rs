//! Routing: each event goes to the plugins whose `info` asked for its kind.

use crate::runtime::{Event, EventKind, Payload, PluginInfo};

/// The kind of an event's payload.
pub fn kind(event: &Event) -> EventKind {
    match event.payload {
        Payload::Inference(_) => EventKind::Inference,
        Payload::ToolCall(_) => EventKind::ToolCall,
        Payload::ModelLifecycle(_) => EventKind::ModelLifecycle,
        Payload::TrainingData(_) => EventKind::TrainingData,
        Payload::TrainingRun(_) => EventKind::TrainingRun,
        Payload::Custom(_) => EventKind::Custom,
    }
}

/// For each kind of event, the indices of the plugins that want it, in config order.
#[derive(Debug, Default)]
pub struct Routes {
    by_kind: Vec<(EventKind, Vec<usize>)>,
}

impl Routes {
    /// Routes for these plugins, from what their `info` asked for.
    pub fn new(plugins: &[&PluginInfo]) -> Self {
        let kinds = [
            EventKind::Inference,
            EventKind::ToolCall,
            EventKind::ModelLifecycle,
            EventKind::TrainingData,
            EventKind::TrainingRun,
            EventKind::Custom,
        ];
        let by_kind = kinds
            .into_iter()
            .map(|k| (k, (0..plugins.len()).filter(|&i| plugins[i].kinds.contains(&k)).collect()))
            .collect();
        Self { by_kind }
    }

    /// The plugins that should see this event.
    pub fn targets(&self, event: &Event) -> &[usize] {
        let kind = kind(event);
        self.by_kind.iter().find(|(k, _)| *k == kind).map_or(&[], |(_, t)| t)
    }
}

/// The name of a kind, as in the JSON format's `payload` keys (with dashes).
pub fn kind_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Inference => "inference",
        EventKind::ToolCall => "tool-call",
        EventKind::ModelLifecycle => "model-lifecycle",
        EventKind::TrainingData => "training-data",
        EventKind::TrainingRun => "training-run",
        EventKind::Custom => "custom",
    }
}
