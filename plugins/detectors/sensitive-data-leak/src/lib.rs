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
//! In tool arguments, the parties an action goes to (a message's `to`, a payment's
//! `iban` …) and the personal data the user gave earlier in the session are what the
//! user asked the agent to act on, not a leak (`exfiltration` and `tool-abuse` judge
//! where actions go).
//! One finding per type per field, with one evidence entry per occurrence, so that the
//! number of entries is the number of data found. Every excerpt is masked: the
//! datum itself and any other datum in its context.

mod config;

use aiir_sdk::prelude::*;
use config::Config;
use datakit::{Entity, Kind, Redacted, SecretKind, args};
use datakit::{MAX_EVIDENCE, MAX_FINDINGS};
use statekit::supplied;

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

    /// The tables every instance shares, built once for the host's pre-initialisation.
    fn warm_up() {
        datakit::warm_up();
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let texts = event.texts();
        let scanned = texts.iter().filter(|t| self.config.scan.contains(&t.origin));
        let findings = scanned.flat_map(|t| self.check(t)).take(MAX_FINDINGS).collect();
        texts.iter().filter(|t| t.origin == Origin::User).for_each(|t| supplied::remember(t.text));
        Ok(findings)
    }
}

impl SensitiveDataLeak {
    /// One finding per kind of datum in this text, in order of first appearance.
    fn check(&self, text: &Text<'_>) -> Vec<Finding> {
        let entities = datakit::scan(text.text);
        let redacted = Redacted::new(text.text, &entities);
        let arguments = text.origin == Origin::ToolArguments;
        let addressees = if arguments { addressees(text.text) } else { Vec::new() };
        let reported: Vec<usize> = (0..entities.len())
            .filter(|&i| {
                let (kind, value) = (entities[i].kind, &text.text[entities[i].range.clone()]);
                let theirs = arguments && (addressees.contains(&args::party(value)) || supplied::by_user(kind, value));
                !theirs && self.config.reports(kind, value)
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

/// The parties a tool call's action goes to, as [`args::party`] writes them.
fn addressees(arguments: &str) -> Vec<String> {
    args::strings(arguments).iter().flat_map(args::Arg::addressees).collect()
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
aiir_sdk::export_detector!(SensitiveDataLeak, warm_up);

#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;
