//! What a configured detector's findings mean to the host: the incident family they
//! join and the key its state is kept by, which decides the worker that inspects an
//! event for it.
//!
//! Both come from the host's knowledge of *which configured plugin* produced a
//! finding, never from a string the plugin chose: a standard detector is known by its
//! bytes (built in, or a file identical to the built-in component), any other gets
//! what the operator writes in its `[[detector]]` entry (`family`, `partition`) and
//! otherwise [`Role::UNKNOWN`]. A third-party plugin that names a model-integrity
//! rule or technique therefore cannot open a model-integrity incident, nor reach the
//! responders that act on one, unless the operator said so.

use crate::correlate::Family;
use crate::pack;
use crate::runtime::{Event, Payload};

/// What a plugin keeps its state by, and so which worker inspects an event for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// No state, or state by session else principal: the event's own key.
    Event,
    /// State by the subject model's name.
    Model,
    /// State by training data set.
    Dataset,
    /// State across everything it sees: always the same worker.
    Global,
}

impl Partition {
    /// Every partition, for messages.
    pub const ALL: [Partition; 4] = [Partition::Event, Partition::Model, Partition::Dataset, Partition::Global];

    /// Its name in the config: `event`, `model`, `dataset`, `global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Event => "event",
            Partition::Model => "model",
            Partition::Dataset => "dataset",
            Partition::Global => "global",
        }
    }

    /// The key of `event` in this partition: what a plugin's keyed state is kept
    /// under and what picks the worker that inspects the event for it. Session, else
    /// principal, else model name, else id for [`Partition::Event`]; the subject
    /// model, the data set (each falling back to the event's key), or the empty key
    /// of [`Partition::Global`].
    pub fn key(self, event: &Event) -> &str {
        match self {
            Self::Event => event_key(event),
            Self::Model => model_key(event),
            Self::Dataset => dataset_key(event),
            Self::Global => "",
        }
    }

    /// The partition of a name written by [`Partition::as_str`].
    pub fn parse(name: &str) -> Option<Partition> {
        Partition::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A detector's role: the family of its findings' incidents and its partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role {
    /// The incident family its findings join.
    pub family: Family,
    /// What its state is kept by.
    pub partition: Partition,
}

impl Role {
    /// A plugin the host knows nothing of: incidents of family `other`, state by
    /// the event's own key.
    pub const UNKNOWN: Role = Role { family: Family::Other, partition: Partition::Event };

    /// The role of the standard detector `name`.
    pub fn of_pack(name: &str) -> Option<Role> {
        let (family, partition) = match name {
            "model-integrity" => (Family::ModelIntegrity, Partition::Model),
            "data-poisoning" => (Family::DataPoisoning, Partition::Dataset),
            "model-extraction" => (Family::ModelExtraction, Partition::Global),
            "prompt-injection" | "indirect-injection" | "jailbreak" | "prompt-classifier" => {
                (Family::PromptInjection, Partition::Event)
            }
            "system-prompt-leak" => (Family::SystemPromptLeak, Partition::Event),
            "sensitive-data-leak" | "exfiltration" => (Family::DataLeakage, Partition::Event),
            "tool-abuse" => (Family::ToolAbuse, Partition::Event),
            _ => return None,
        };
        Some(Role { family, partition })
    }

    /// The role a component has by identity: a standard detector's when its bytes are
    /// that detector's (a renamed copy keeps it), else [`Role::UNKNOWN`].
    pub fn of_component(wasm: &[u8]) -> Role {
        pack::PACK
            .iter()
            .find(|(_, bytes)| *bytes == wasm)
            .and_then(|(name, _)| Role::of_pack(name))
            .unwrap_or(Role::UNKNOWN)
    }
}

fn event_key(event: &Event) -> &str {
    let model = event.model.as_ref().map(|m| m.name.as_str());
    event.session.as_deref().or(event.principal.as_deref()).or(model).unwrap_or(&event.id)
}

/// The model a lifecycle event acts on, else the model that served the event.
fn model_key(event: &Event) -> &str {
    let subject = match &event.payload {
        Payload::ModelLifecycle(l) => Some(&l.model),
        _ => event.model.as_ref(),
    };
    subject.map_or_else(|| event_key(event), |m| m.name.as_str())
}

fn dataset_key(event: &Event) -> &str {
    match &event.payload {
        Payload::TrainingData(t) => &t.dataset,
        Payload::TrainingRun(r) => r.inputs.first().map_or_else(|| event_key(event), |i| i.dataset.as_str()),
        _ => event_key(event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pack_is_known_by_its_bytes_not_its_name() {
        let (name, wasm) =
            pack::PACK.iter().find(|(n, _)| *n == "model-integrity").expect("model-integrity is built in");
        assert_eq!(Role::of_component(wasm), Role::of_pack(name).unwrap());
        assert_eq!(Role::of_component(wasm).family, Family::ModelIntegrity);
        assert_eq!(Role::of_component(b"\0asm\x0d\0\x01\0 model-integrity"), Role::UNKNOWN);
        assert!(pack::names().iter().all(|n| Role::of_pack(n).is_some()), "every standard detector has a role");
        assert!(Partition::ALL.iter().all(|p| Partition::parse(p.as_str()) == Some(*p)));
    }
}
