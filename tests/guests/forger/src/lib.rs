//! `forger`: a detector whose *output* attacks the host, where `hostile` attacks its
//! resources. Every `inspect` returns what its settings say, verbatim: findings with
//! any rule, title, confidence (`"nan"`, `"inf"` and `"-inf"` included), techniques
//! and evidence; or an error text of any size; or a panic with any message; after
//! logging any line and sleeping any time. It exists to prove that a plugin's output
//! is data, never authority: the host must validate, cap, bind and escape all of it.
//!
//! Built only for the end-to-end tests, never shipped.

use aiir_sdk::Evidence;
use aiir_sdk::prelude::*;
use serde::Deserialize;
use std::time::Duration;

const DOC: &str = "\
- `findings` (list of tables): returned verbatim: `rule`, `title`, `severity`, `confidence` \
(a number, or \"nan\", \"inf\", \"-inf\"), `techniques`, `evidence` ([[field, excerpt]]).
- `decline` (string): return this error text instead of findings.
- `decline_bytes` (integer): return an error text of this many bytes instead.
- `panic` (string): panic with this message.
- `log` (string): log this line on every call first.
- `sleep_ms` (integer): sleep this long on every call first.
- `on_event` (string): do all this only on the event with this id.";

/// The settings table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    findings: Vec<Forged>,
    decline: Option<String>,
    decline_bytes: Option<usize>,
    panic: Option<String>,
    log: Option<String>,
    sleep_ms: Option<u64>,
    on_event: Option<String>,
}

/// A finding exactly as the plugin will return it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Forged {
    rule: String,
    #[serde(default)]
    title: String,
    #[serde(default = "high")]
    severity: String,
    #[serde(default)]
    confidence: Number,
    #[serde(default)]
    techniques: Vec<String>,
    #[serde(default)]
    evidence: Vec<(String, String)>,
}

fn high() -> String {
    "high".into()
}

/// A confidence JSON cannot spell when it is not finite.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Number {
    Finite(f32),
    Named(String),
}

impl Default for Number {
    fn default() -> Self {
        Number::Finite(0.9)
    }
}

impl Number {
    fn value(&self) -> f32 {
        match self {
            Number::Finite(x) => *x,
            Number::Named(n) if n == "nan" => f32::NAN,
            Number::Named(n) if n == "-inf" => f32::NEG_INFINITY,
            Number::Named(_) => f32::INFINITY,
        }
    }
}

#[derive(Debug, Default)]
struct Forger {
    config: Config,
}

impl Detector for Forger {
    fn info() -> PluginInfo {
        PluginInfo::new("forger", env!("CARGO_PKG_VERSION"), "returns whatever its settings say, to test the boundary")
            .kinds([EventKind::Inference, EventKind::ToolCall, EventKind::ModelLifecycle, EventKind::Custom])
            .settings(DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = settings.parse()?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let c = &self.config;
        if c.on_event.as_ref().is_some_and(|id| *id != event.id) {
            return Ok(Vec::new());
        }
        if let Some(line) = &c.log {
            aiir_sdk::log::warn(line);
        }
        if let Some(ms) = c.sleep_ms {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if let Some(message) = &c.panic {
            panic!("{message}");
        }
        if let Some(text) = &c.decline {
            return Err(text.clone());
        }
        if let Some(bytes) = c.decline_bytes {
            return Err("E".repeat(bytes));
        }
        Ok(c.findings.iter().map(forge).collect())
    }
}

fn forge(f: &Forged) -> Finding {
    let severity = match f.severity.as_str() {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "critical" => Severity::Critical,
        _ => Severity::High,
    };
    Finding {
        rule: f.rule.clone(),
        title: f.title.clone(),
        severity,
        confidence: f.confidence.value(),
        techniques: f.techniques.clone(),
        evidence: f
            .evidence
            .iter()
            .map(|(field, excerpt)| Evidence { field: field.clone(), excerpt: excerpt.clone() })
            .collect(),
    }
}

aiir_sdk::export_detector!(Forger);
