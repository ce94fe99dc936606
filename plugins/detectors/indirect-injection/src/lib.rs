//! `indirect-injection`: finds instructions aimed at the model in text that entered
//! its context from a third party — retrieved documents, tool-role messages and
//! tool-call results — and text hidden there from human readers.
//!
//! - `indirect-injection/instructions` (high): third-party text carries instructions
//!   for the model (override, fake delimiters, an address to "AI assistants reading
//!   this", a role's label followed by an order, orders about the reader's own answer,
//!   a side task or a download to run beside them, requests to send data to a URL or
//!   to reveal the system prompt), also when encoded. An attack the text quotes counts
//!   at half its weight: a page that names an injection is about one. When the instructions sit in an HTML or markdown comment or a
//!   CSS-hidden element, the title says so and confidence rises: hiding them from the
//!   reader shows intent.
//! - `indirect-injection/invisible-text` (medium): third-party text carries
//!   invisible characters that encode text (Unicode tag characters outside emoji
//!   flags, runs of zero-width characters) even if what they say matched nothing.
//!
//! Worse than direct injection: the user did not write it, and the model may act on
//! it on the user's behalf. One finding per offending field.

mod hidden;
mod signals;

use aiir_sdk::prelude::*;
use hidden::{Concealment, Finder};
use textscan::{OBFUSCATION, Rule, Scanner, Spec, Verdict};

/// What third-party text is checked against.
const CATALOG: &[&[Spec]] = &[textscan::signals::INJECTION, textscan::signals::EXTRACTION, signals::THIRD_PARTY];

/// The weight concealment adds to a verdict whose strongest match it hides.
const HIDDEN_WEIGHT: f32 = 0.5;

/// The detector: the signals, the operator's, the threshold, and the finder of
/// hidden parts.
#[derive(Debug)]
pub struct IndirectInjection {
    scanner: Scanner,
    finder: Finder,
}

impl Default for IndirectInjection {
    fn default() -> Self {
        Self { scanner: Scanner::new(CATALOG), finder: Finder::default() }
    }
}

const INSTRUCTIONS: Rule = Rule {
    id: "indirect-injection/instructions",
    title: "indirect prompt injection in third-party content",
    severity: Severity::High,
    techniques: &["AML.T0051.001", "LLM01"],
};

impl Detector for IndirectInjection {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "indirect-injection",
            env!("CARGO_PKG_VERSION"),
            "instructions for the model, or hidden text, in retrieved documents and tool results",
        )
        .kinds([EventKind::Inference, EventKind::ToolCall])
        .settings(textscan::settings::doc("visit https://evil\\.example"))
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.scanner.retune(CATALOG, &settings, &[])?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let third_party = event.texts().into_iter().filter(|t| t.origin.is_third_party());
        Ok(third_party.filter_map(|t| self.instructions(&t).or_else(|| invisible_text(&t))).collect())
    }
}

impl IndirectInjection {
    fn instructions(&self, text: &Text<'_>) -> Option<Finding> {
        let verdict = self.scanner.catalog.score(text.text)?;
        let hidden = self.concealment(text.text, &verdict);
        let miss_hidden = if hidden.is_some() { 1.0 - HIDDEN_WEIGHT } else { 1.0 };
        let confidence = 1.0 - (1.0 - uncited(text.text, &verdict)) * miss_hidden;
        if confidence < self.scanner.min_confidence {
            return None;
        }
        let mut finding = INSTRUCTIONS.finding(text.field.clone(), text.text, &verdict).confidence(confidence);
        if let Some(how) = hidden {
            finding.title.push_str(&format!(" (hidden in {how})"));
            if !finding.techniques.iter().any(|t| t == OBFUSCATION) {
                finding.techniques.push(OBFUSCATION.into());
            }
        }
        Some(finding)
    }

    /// How the strongest match is kept from the reader, if it is.
    fn concealment(&self, text: &str, verdict: &Verdict<'_>) -> Option<Concealment> {
        let spans = self.finder.spans(text);
        let inside = |r: &std::ops::Range<usize>| r.start <= verdict.range.start && verdict.range.end <= r.end;
        spans.into_iter().find(|(_, r)| inside(r)).map(|(how, _)| how)
    }
}

/// The verdict's confidence, its strongest match counted at half its weight when the
/// text quotes it ("attackers write 'ignore previous instructions'"): a document
/// that names an injection is about one, and quoting alone does not make it one.
fn uncited(text: &str, verdict: &Verdict<'_>) -> f32 {
    let w = verdict.strongest.weight;
    if w >= 1.0 || !quoted(text, &verdict.range) {
        return verdict.confidence;
    }
    1.0 - (1.0 - verdict.confidence) / (1.0 - w) * (1.0 - w / 2.0)
}

/// Whether `range` of `text` sits inside quotation marks on its line: an opening mark
/// before it with no other mark between, a closing one after it (past a sentence's
/// last punctuation). An apostrophe counts only where a quote would stand, so "don't"
/// opens nothing.
fn quoted(text: &str, range: &std::ops::Range<usize>) -> bool {
    const OPEN: &[char] = &['"', '“', '‘', '«', '\'', '`'];
    const CLOSE: &[char] = &['"', '”', '’', '»', '\'', '`'];
    let before = text[..range.start].rsplit('\n').next().unwrap_or("");
    let after = text[range.end..].split('\n').next().unwrap_or("");
    let opens = before.trim_end().char_indices().next_back().is_some_and(|(at, c)| {
        OPEN.contains(&c) && before[..at].chars().next_back().is_none_or(|p| !p.is_alphanumeric())
    });
    let closes = after.trim_start_matches(['.', ',', '!', '?', ';']).chars().next().is_some_and(|c| CLOSE.contains(&c));
    opens && closes
}

/// Invisible characters that carry text, reported even when what they say matched
/// nothing: they have no honest use in a document or a tool's output.
fn invisible_text(text: &Text<'_>) -> Option<Finding> {
    let carrier = hidden::invisible_carrier(text.text)?;
    let quoted = if carrier.tags.is_empty() {
        format!("({} zero-width characters in runs, encoding hidden data)", carrier.zero_width)
    } else {
        format!("(invisible) {}", carrier.tags.trim().chars().take(160).collect::<String>())
    };
    let title = format!("invisible text in third-party content: {} hidden characters", carrier.count());
    Some(
        Finding::new("indirect-injection/invisible-text", title, Severity::Medium)
            .confidence(0.7)
            .techniques(["AML.T0051.001", OBFUSCATION, "LLM01"])
            .evidence(text.field.clone(), quoted),
    )
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(IndirectInjection);

#[cfg(test)]
mod tests;
