//! Test a detector's logic natively, with plain `cargo test`, no wasm build.
//!
//! [`Harness`] drives a [`Detector`] the way the host does: `configure` with the
//! settings, then `inspect` only the events whose kind `info` asks for, and checks
//! that every finding is well-formed as the host will require.
//!
//! ```
//! # use aiir_sdk::prelude::*;
//! # #[derive(Default)] struct Nothing;
//! # impl Detector for Nothing {
//! #     fn info() -> PluginInfo { PluginInfo::new("nothing", "0.1.0", "finds nothing").kinds([EventKind::Inference]) }
//! #     fn inspect(&mut self, _: &Event) -> Result<Vec<Finding>, String> { Ok(vec![]) }
//! # }
//! use aiir_sdk::testkit::Harness;
//! let mut h = Harness::<Nothing>::new();
//! assert!(h.inspect(&Event::new("e1", Inference::new().user("hello"))).is_empty());
//! ```

use crate::{Detector, Event, Finding, Payload, PluginInfo, SettingsError, adapter, log};

/// Drives one detector instance as the host would.
#[derive(Debug)]
pub struct Harness<D> {
    detector: D,
    info: PluginInfo,
}

impl<D: Detector> Harness<D> {
    /// A detector configured with empty settings; panics if it rejects them.
    pub fn new() -> Self {
        Self::with_settings("{}").unwrap_or_else(|e| panic!("empty settings rejected: {e:?}"))
    }

    /// A detector configured with these settings (JSON text).
    pub fn with_settings(json: &str) -> Result<Self, Vec<SettingsError>> {
        let info = D::info();
        check_info(&info);
        let mut detector = D::default();
        adapter::configure(&mut detector, json)?;
        Ok(Self { detector, info })
    }

    /// Inspect one event; an event of a kind the detector did not ask for is not
    /// sent, as in the host. Panics if the detector returns an error or a
    /// malformed finding.
    pub fn inspect(&mut self, event: &Event) -> Vec<Finding> {
        if !self.info.kinds.contains(&event.kind()) {
            return Vec::new();
        }
        let findings = self.detector.inspect(event).unwrap_or_else(|e| panic!("inspect of {} failed: {e}", event.id));
        for f in &findings {
            check_finding(&self.info, event, f);
        }
        findings
    }

    /// The rule ids found in one event, in order.
    pub fn rules(&mut self, event: &Event) -> Vec<String> {
        self.inspect(event).into_iter().map(|f| f.rule).collect()
    }

    /// The log lines written so far (by this thread), oldest first.
    pub fn logs(&self) -> Vec<(log::Level, String)> {
        log::native::take()
    }

    /// The detector itself, to look at its state.
    pub fn detector(&self) -> &D {
        &self.detector
    }
}

impl<D: Detector> Default for Harness<D> {
    fn default() -> Self {
        Self::new()
    }
}

fn check_info(info: &PluginInfo) {
    let name_ok =
        !info.name.is_empty() && info.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    assert!(name_ok, "plugin name {:?} must be lowercase with dashes", info.name);
    assert!(!info.version.is_empty(), "plugin {} has no version", info.name);
    assert!(!info.kinds.is_empty(), "plugin {} asks for no event kinds", info.name);
}

/// The checks the host applies to every finding.
fn check_finding(info: &PluginInfo, event: &Event, f: &Finding) {
    let prefix = format!("{}/", info.name);
    assert!(f.rule.starts_with(&prefix), "rule {:?} must start with {prefix:?}", f.rule);
    assert!(!f.title.is_empty(), "finding {} has no title", f.rule);
    assert!((0.0..=1.0).contains(&f.confidence), "finding {} confidence {}", f.rule, f.confidence);
    assert!(!f.techniques.is_empty(), "finding {} names no technique", f.rule);
    for e in &f.evidence {
        assert!(is_field(event, &e.field), "finding {} points at {:?}, not a field of the event", f.rule, e.field);
    }
}

/// Whether `path` names a field the event has, in the aiir JSON format: a text from
/// [`Event::texts`], or one of the fields that hold no free text.
fn is_field(event: &Event, path: &str) -> bool {
    if event.texts().iter().any(|t| t.field == path) {
        return true;
    }
    let set = |present: bool, field: &str| present && path == field;
    let model = path.strip_prefix("model.").is_some_and(is_model_field) && event.model.is_some();
    let attribute = path.strip_prefix("attributes.").is_some_and(|key| event.find_attribute(key).is_some());
    let fixed = model
        || set(event.principal.is_some(), "principal")
        || set(event.session.is_some(), "session")
        || path == "source"
        || attribute;
    fixed || is_payload_field(&event.payload, path)
}

fn is_model_field(rest: &str) -> bool {
    matches!(rest, "name" | "version" | "digest")
}

fn is_payload_field(payload: &Payload, path: &str) -> bool {
    match payload {
        Payload::ModelLifecycle(l) => path.strip_prefix("payload.model_lifecycle.").is_some_and(|rest| {
            rest == "action"
                || (rest == "registry" && l.registry.is_some())
                || rest.strip_prefix("model.").is_some_and(is_model_field)
        }),
        Payload::ToolCall(_) => path == "payload.tool_call.tool",
        Payload::Inference(i) => {
            (path == "payload.inference.input_tokens" && i.input_tokens.is_some())
                || (path == "payload.inference.output_tokens" && i.output_tokens.is_some())
        }
        Payload::TrainingData(d) => {
            let record = |n: usize, key: &str| {
                d.records.get(n).is_some_and(|r| key == "label" || (key == "source" && r.source.is_some()))
            };
            matches!(path, "payload.training_data.dataset" | "payload.training_data.batch")
                || record_field(path).is_some_and(|(n, key)| record(n, key))
        }
        Payload::Custom(_) => path == "payload.custom.kind",
    }
}

/// `payload.training_data.records[3].label` → `(3, "label")`.
fn record_field(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("payload.training_data.records[")?;
    let (n, key) = rest.split_once("].")?;
    Some((n.parse().ok()?, key))
}

#[cfg(test)]
mod tests {
    use super::is_field;
    use crate::{Event, Inference, ModelLifecycle, ModelRef, ToolCall, TrainingData};

    #[test]
    fn fields_without_free_text_are_fields_when_present() {
        let chat = Event::new("e", Inference::new().user("hi")).principal("user:a").attribute("format", "pt");
        for path in ["payload.inference.input[0].content", "principal", "attributes.format", "source"] {
            assert!(is_field(&chat, path), "{path}");
        }
        for path in ["session", "attributes.other", "model.digest", "payload.inference.input_tokens"] {
            assert!(!is_field(&chat, path), "{path}");
        }
        let data = Event::new("d", TrainingData::new("ds", "b1").record("t", "pos"));
        assert!(is_field(&data, "payload.training_data.records[0].label"));
        assert!(!is_field(&data, "payload.training_data.records[0].source"));
        assert!(!is_field(&data, "payload.training_data.records[1].label"));
        let deploy = Event::new("l", ModelLifecycle::new("deployed", ModelRef::new("m")));
        assert!(is_field(&deploy, "payload.model_lifecycle.model.name"));
        assert!(!is_field(&deploy, "payload.model_lifecycle.registry"));
        assert!(is_field(&Event::new("t", ToolCall::new("shell", "{}")), "payload.tool_call.tool"));
    }
}
