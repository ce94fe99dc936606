//! `prompt-injection`: finds instructions aimed at the model in text that should
//! carry none.
//!
//! - `prompt-injection/direct` (medium): a user message tries to override the
//!   application's instructions, reassign the model's role, fake a system prompt or
//!   extract it.
//! - `prompt-injection/indirect` (high): a retrieved document or a tool's result
//!   carries such instructions. Worse than direct: the user did not write them, and
//!   the model may act on them on the user's behalf.
//!
//! Each offending field yields one finding, with the excerpt of its strongest match.

mod config;
mod normalize;
mod patterns;

use aiir_sdk::prelude::*;
use config::Config;
use normalize::Normalized;
use patterns::{Pattern, Verdict};

/// The detector: the built-in patterns, the operator's, and the threshold.
#[derive(Debug)]
pub struct PromptInjection {
    built_in: Vec<Pattern>,
    extra: Vec<Pattern>,
    min_confidence: f32,
}

impl Default for PromptInjection {
    fn default() -> Self {
        Self { built_in: patterns::built_in(), extra: Vec::new(), min_confidence: Config::default().min_confidence }
    }
}

/// How a rule differs between user text and third-party text.
struct Rule {
    id: &'static str,
    title: &'static str,
    severity: Severity,
    techniques: [&'static str; 2],
    /// Whether the text comes from a third party, which some patterns require.
    third_party: bool,
}

const DIRECT: Rule = Rule {
    id: "prompt-injection/direct",
    title: "prompt injection in a user message",
    severity: Severity::Medium,
    techniques: ["AML.T0051.000", "LLM01"],
    third_party: false,
};

const INDIRECT: Rule = Rule {
    id: "prompt-injection/indirect",
    title: "indirect prompt injection in third-party content",
    severity: Severity::High,
    techniques: ["AML.T0051.001", "LLM01"],
    third_party: true,
};

impl Detector for PromptInjection {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "prompt-injection",
            env!("CARGO_PKG_VERSION"),
            "instructions aimed at the model in user messages (direct) or in retrieved \
             documents and tool results (indirect)",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        let config = Config::from_settings(&settings)?;
        self.min_confidence = config.min_confidence;
        self.extra = config.extra_patterns;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        Ok(event.texts().iter().filter_map(|text| self.check(text)).collect())
    }
}

impl PromptInjection {
    /// The finding for one piece of text, if it is untrusted and scores high enough.
    fn check(&self, text: &Text<'_>) -> Option<Finding> {
        let rule = match text.origin {
            Origin::User => &DIRECT,
            origin if origin.is_third_party() => &INDIRECT,
            // The system prompt is the operator's; model output and the arguments the
            // model gives tools are the model's own, other detectors' concern.
            _ => return None,
        };
        let normalized = Normalized::new(text.text);
        let patterns = self.built_in.iter().chain(&self.extra);
        let verdict = patterns::score(patterns, &normalized, rule.third_party)?;
        (verdict.confidence >= self.min_confidence).then(|| finding(rule, text, &normalized, &verdict))
    }
}

fn finding(rule: &Rule, text: &Text<'_>, normalized: &Normalized, verdict: &Verdict<'_>) -> Finding {
    let range = normalized.original_range(verdict.range.clone());
    let title = format!("{}: {}", rule.title, verdict.strongest.name);
    Finding::new(rule.id, title, rule.severity)
        .confidence(verdict.confidence)
        .techniques(rule.techniques)
        .techniques(verdict.techniques.iter().copied())
        .evidence(text.field.clone(), excerpt(text.text, range))
}

aiir_sdk::export_detector!(PromptInjection);

#[cfg(test)]
mod tests;
