//! `sensitive-data-leak`: personal data and credentials in what a model writes, to the
//! user or into a tool call.
//!
//! - `sensitive-data-leak/<type>` for personal data: `email`, `phone`, `street-address`
//!   (low), `iban` (medium), `credit-card`, `us-ssn` (high).
//! - `sensitive-data-leak/secret-<kind>` for credentials (high; `secret-private-key`
//!   critical): cloud and API keys, tokens, JWTs, passwords in connection strings.
//!
//! Tables, JSON/YAML/XML keys and SQL column lists are read as structure: a key naming
//! a type, in the languages of the claimed locales, is context for the values under it.
//! Documentation domains, role and service mailboxes, VCS remotes, documented example
//! keys and placeholders are not reported.
//! The recipients of a message tool (`to`, `cc` …) are where it goes, not a leak.
//! One finding per type per field, with one evidence entry per occurrence, so that the
//! number of entries is the number of data found. Every excerpt is masked: the
//! datum itself and any other datum in its context.

mod config;

use aiir_sdk::prelude::*;
use config::Config;
use datakit::{Entity, Kind, Redacted, SecretKind};
use datakit::{MAX_EVIDENCE, MAX_FINDINGS};

const TECHNIQUES: [&str; 2] = ["AML.T0057", "LLM02"];

/// The detector: which texts to look in and what to report.
#[derive(Debug, Default)]
pub struct SensitiveDataLeak {
    config: Config,
}

impl Detector for SensitiveDataLeak {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "sensitive-data-leak",
            env!("CARGO_PKG_VERSION"),
            "personal data (email, phone, payment card, IBAN, US SSN, street address) and credentials \
             in model output and tool arguments",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let texts = event.texts().into_iter().filter(|t| self.config.scan.contains(&t.origin));
        Ok(texts.flat_map(|t| self.check(&t)).take(MAX_FINDINGS).collect())
    }
}

impl SensitiveDataLeak {
    /// One finding per kind of datum in this text, in order of first appearance.
    fn check(&self, text: &Text<'_>) -> Vec<Finding> {
        let entities = datakit::scan(text.text);
        let redacted = Redacted::new(text.text, &entities);
        let recipients = recipients(text);
        let reported: Vec<usize> = (0..entities.len())
            .filter(|&i| {
                let value = &text.text[entities[i].range.clone()];
                let addressed = entities[i].kind == Kind::Email && recipients.contains(&value.to_lowercase());
                !addressed && self.config.reports(entities[i].kind, value)
            })
            .collect();
        let mut kinds: Vec<Kind> = Vec::new();
        for kind in reported.iter().map(|&i| entities[i].kind) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        kinds
            .into_iter()
            .map(|kind| {
                let of_kind: Vec<usize> = reported.iter().copied().filter(|&i| entities[i].kind == kind).collect();
                finding(kind, text, &entities, &redacted, &of_kind)
            })
            .collect()
    }
}

/// The addresses a tool call sends its message to, lowercased: where the message
/// goes, not data it carries (`exfiltration` judges destinations).
fn recipients(text: &Text<'_>) -> Vec<String> {
    if text.origin != Origin::ToolArguments {
        return Vec::new();
    }
    let args = datakit::args::strings(text.text);
    let addresses = args.iter().filter(|a| a.is_recipient()).flat_map(|a| {
        a.value.split([',', ';', ' ', '<', '>']).filter(|s| s.contains('@')).map(str::to_lowercase).collect::<Vec<_>>()
    });
    addresses.collect()
}

/// The finding for the `occurrences` (indices into `entities`) of one kind in a text.
fn finding(kind: Kind, text: &Text<'_>, entities: &[Entity], redacted: &Redacted, occurrences: &[usize]) -> Finding {
    let n = occurrences.len();
    let what = if n == 1 { kind.label().to_owned() } else { format!("{n} × {}", kind.label()) };
    let title = format!("{what} in {}", where_(text.origin));
    let confidence = occurrences.iter().map(|&i| entities[i].confidence).fold(0.0, f32::max);
    let finding = Finding::new(format!("sensitive-data-leak/{}", kind.id()), title, severity(kind))
        .confidence(confidence)
        .techniques(TECHNIQUES);
    occurrences
        .iter()
        .take(MAX_EVIDENCE)
        .fold(finding, |f, &i| f.evidence(text.field.clone(), excerpt(&redacted.text, redacted.ranges[i].clone())))
}

/// Contact data is low; data that moves money or proves identity is high; a private
/// key is critical: it is the whole identity of a server or a signer.
fn severity(kind: Kind) -> Severity {
    match kind {
        Kind::Email | Kind::Phone | Kind::StreetAddress => Severity::Low,
        Kind::Iban => Severity::Medium,
        Kind::CreditCard | Kind::UsSsn => Severity::High,
        Kind::Secret(SecretKind::PrivateKey) => Severity::Critical,
        Kind::Secret(_) => Severity::High,
    }
}

fn where_(origin: Origin) -> &'static str {
    match origin {
        Origin::Assistant => "model output",
        Origin::ToolArguments => "tool arguments",
        Origin::User => "a user message",
        Origin::ToolResult => "a tool result",
        Origin::Retrieved => "a retrieved document",
        Origin::System => "the system prompt",
        Origin::TrainingRecord => "a training record",
        Origin::Custom => "a custom event",
    }
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(SensitiveDataLeak);

#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;
