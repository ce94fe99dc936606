//! Test a plugin's logic natively, with plain `cargo test`, no wasm build.
//!
//! [`Harness`] drives a [`Detector`] the way the host does: `configure` with the
//! settings, then `inspect` only the events whose kind `info` asks for, and checks
//! that every finding is well-formed as the host will require.
//! [`ResponderHarness`] does the same for a [`Responder`](crate::Responder), with a
//! [`Store`] of findings and model versions standing in for the host's.
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

use crate::{Detector, Event, Finding, PluginInfo, Settings, SettingsError, adapter, log};

mod responder;
pub use responder::{ResponderHarness, Store};

/// Drives one detector instance as the host would, with the thread's
/// [`state`](crate::state) standing in for the host's keyed state (emptied when a
/// harness is made).
#[derive(Debug)]
pub struct Harness<D> {
    detector: D,
    info: PluginInfo,
    settings: String,
    partition: fn(&Event) -> String,
}

/// Run `f` as if inspecting an event of `partition`: the [`state`](crate::state)
/// functions read and write that partition.
pub fn in_partition<R>(partition: &str, f: impl FnOnce() -> R) -> R {
    crate::state::native::with_partition(partition, f)
}

impl<D: Detector> Harness<D> {
    /// A detector configured with empty settings; panics if it rejects them.
    pub fn new() -> Self {
        Self::with_settings("{}").unwrap_or_else(|e| panic!("empty settings rejected: {e:?}"))
    }

    /// A detector configured with these settings (JSON text).
    pub fn with_settings(json: &str) -> Result<Self, Vec<SettingsError>> {
        let info = D::info();
        check_name(&info);
        assert!(!info.kinds.is_empty(), "plugin {} asks for no event kinds", info.name);
        let mut detector = D::default();
        adapter::configure(&mut detector, json)?;
        crate::state::native::clear();
        Ok(Self { detector, info, settings: json.to_owned(), partition: |_| String::new() })
    }

    /// Keep state by the key `partition` gives each event, as the host does by the
    /// detector's configured partition (one partition for all when not said).
    pub fn partition_by(mut self, partition: fn(&Event) -> String) -> Self {
        self.partition = partition;
        self
    }

    /// Start a new instance with the same settings, keeping the state, as the host
    /// does after a failure or a restart.
    pub fn restart(&mut self) {
        let mut detector = D::default();
        adapter::configure(&mut detector, &self.settings).unwrap_or_else(|e| panic!("settings rejected: {e:?}"));
        self.detector = detector;
    }

    /// Inspect one event; an event of a kind the detector did not ask for is not
    /// sent, as in the host. Panics if the detector returns an error or a
    /// malformed finding.
    pub fn inspect(&mut self, event: &Event) -> Vec<Finding> {
        if !self.info.kinds.contains(&event.kind()) {
            return Vec::new();
        }
        let partition = (self.partition)(event);
        let findings = in_partition(&partition, || self.detector.inspect(event))
            .unwrap_or_else(|e| panic!("inspect of {} failed: {e}", event.id));
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
        logs()
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

/// Run a plugin's settings parser on JSON text, its problems as `(path, message)` pairs
/// that are easy to compare; panics if the text is not JSON.
pub fn parse_settings<T>(
    json: &str,
    parse: impl FnOnce(&Settings) -> Result<T, Vec<SettingsError>>,
) -> Result<T, Vec<(String, String)>> {
    let settings = Settings::from_json(json).unwrap_or_else(|e| panic!("not settings JSON: {e:?}"));
    parse(&settings).map_err(|errors| errors.into_iter().map(|e| (e.path, e.message)).collect())
}

/// The log lines this thread's plugin wrote so far, oldest first.
fn logs() -> Vec<(log::Level, String)> {
    log::native::take()
}

/// The checks the host applies to every plugin's info, from the host's own rules.
pub(crate) fn check_name(info: &PluginInfo) {
    let checked = aiir_boundary::validate_info(&info.name, &info.version, &info.description, &info.settings);
    checked.unwrap_or_else(|v| panic!("plugin {:?}: the host would refuse its info: {v}", info.name));
}

/// The checks the host applies to every finding (the host's own rules), and two
/// more it cannot: evidence points at a field this event has, and the finding names
/// a technique.
fn check_finding(info: &PluginInfo, event: &Event, f: &Finding) {
    let ns = aiir_boundary::Namespace { configured: &info.name, declared: &info.name };
    aiir_boundary::validate_finding(&ns, raw(f))
        .unwrap_or_else(|v| panic!("the host would refuse finding {:?}: {v}", f.rule));
    assert!(!f.techniques.is_empty(), "finding {} names no technique", f.rule);
    let fields: Vec<String> = event.texts().into_iter().map(|t| t.field).collect();
    for e in &f.evidence {
        let known = fields.contains(&e.field) || NON_TEXT_FIELDS.iter().any(|p| e.field.starts_with(p));
        assert!(known, "finding {} points at {:?}, not a field of the event", f.rule, e.field);
    }
}

/// A finding as the host receives it, before its checks.
fn raw(f: &Finding) -> aiir_boundary::RawFinding {
    use aiir_boundary::Severity as S;
    let severity = match f.severity {
        crate::Severity::Info => S::Info,
        crate::Severity::Low => S::Low,
        crate::Severity::Medium => S::Medium,
        crate::Severity::High => S::High,
        crate::Severity::Critical => S::Critical,
    };
    aiir_boundary::RawFinding {
        rule: f.rule.clone(),
        title: f.title.clone(),
        severity,
        confidence: f.confidence,
        techniques: f.techniques.clone(),
        evidence: f.evidence.iter().map(|e| (e.field.clone(), e.excerpt.clone())).collect(),
    }
}

/// Fields evidence may point at besides the texts of [`Event::texts`].
const NON_TEXT_FIELDS: &[&str] = &[
    "model.",
    "principal",
    "session",
    "attributes.",
    "payload.model_lifecycle.",
    "payload.tool_call.tool",
    "payload.inference.input_tokens",
    "payload.inference.output_tokens",
    "payload.training_data.",
    "payload.custom.kind",
];
