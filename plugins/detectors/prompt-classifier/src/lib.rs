//! `prompt-classifier`: a learned classifier of prompt injections and jailbreaks for
//! the wordings rules do not list. Hashed character, word and de-obfuscated letter
//! n-grams, a logistic regression trained by `train/train.py` on the corpus
//! `train/corpus.py` builds from licensed package data; the weights are embedded.
//!
//! - `prompt-classifier/attack` (medium): a user message the model scores at or above
//!   its threshold (chosen on validation data for a false-positive rate of 1%), or the
//!   operator's `min_confidence` when higher; the confidence is the model's probability.
//!
//! Its settings doc carries the model card (`train/model.json`: sources, licences,
//! figures), so `aiir inspect` shows what the model learned from and how it measured.
//!
//! Opt-in: not in the default chain until it meets its targets (see `train/README.md`).

mod features;
mod model;

pub use model::{Model, Score, Scratch};

use aiir_sdk::prelude::*;
use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/card.rs"));

/// The detector: the embedded model, the operator's threshold, and the buffers it
/// scores with.
#[derive(Debug)]
pub struct PromptClassifier {
    model: Option<Model>,
    /// Flag only at this probability or above, besides the model's own threshold.
    min_confidence: f64,
    scratch: Scratch,
}

impl Default for PromptClassifier {
    fn default() -> Self {
        Self { model: Model::embedded(), min_confidence: 0.0, scratch: Scratch::default() }
    }
}

/// The settings table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tuning {
    /// `min_confidence = 0.9`
    min_confidence: Option<f32>,
}

fn settings_doc() -> String {
    format!(
        "- `min_confidence` (float, 0.0 to 1.0, default: the model's own threshold): flag a message only \
         when the model's probability also reaches this; raise it to trade recall for fewer false \
         positives.\n\n{CARD}"
    )
}

impl Detector for PromptClassifier {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "prompt-classifier",
            env!("CARGO_PKG_VERSION"),
            "user messages a learned model scores as prompt injection or jailbreak, in wordings the rules \
             do not list",
        )
        .kinds([EventKind::Inference])
        .settings(settings_doc())
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        let tuning: Tuning = settings.parse()?;
        let min = tuning.min_confidence.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&min) {
            return Err(vec![SettingsError::new("min_confidence", format!("must be between 0.0 and 1.0, not {min}"))]);
        }
        self.min_confidence = f64::from(min);
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let model = self.model.as_ref().ok_or("the embedded model is not of the expected layout")?;
        let users = event.texts().into_iter().filter(|t| t.origin == Origin::User);
        Ok(users
            .filter_map(|t| {
                let score = model.score(t.text, &mut self.scratch);
                let flagged = score.flagged && score.probability() >= self.min_confidence;
                flagged.then(|| finding(t.field.clone(), t.text, score))
            })
            .collect())
    }
}

fn finding(field: String, text: &str, score: Score) -> Finding {
    #[allow(clippy::cast_possible_truncation, reason = "a probability")]
    let confidence = score.probability() as f32;
    let excerpt: String = text.chars().take(120).collect();
    Finding::new(
        "prompt-classifier/attack",
        format!("learned model: attack (margin {:.2})", score.margin),
        Severity::Medium,
    )
    .confidence(confidence)
    .techniques(["AML.T0051", "AML.T0054", "LLM01"])
    .evidence(field, excerpt)
}

// Exported only in the wasm build, so native tests can link it beside other detectors.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(PromptClassifier);

#[cfg(test)]
mod tests;
