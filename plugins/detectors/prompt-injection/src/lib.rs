//! `prompt-injection`: finds a user's attempt to override the application's
//! instructions — "ignore all previous instructions", fake `<|im_start|>system`
//! delimiters, fake system prompts, "new instructions:", hiding things from the user —
//! also when base64, rot13, leetspeak or look-alike letters disguise it.
//!
//! - `prompt-injection/direct` (medium): a user message carries such instructions.
//!
//! Only user turns: the same instructions in retrieved documents and tool results are
//! `indirect-injection`'s, personas and rule removal `jailbreak`'s, and requests for
//! the system prompt `system-prompt-leak`'s. Each offending message yields one
//! finding, with the excerpt of its strongest match.

use aiir_sdk::prelude::*;
use textscan::{Rule, Scanner, signals};

/// The detector: the shared injection signals, the operator's, and the threshold.
#[derive(Debug)]
pub struct PromptInjection {
    scanner: Scanner,
}

impl Default for PromptInjection {
    fn default() -> Self {
        Self { scanner: Scanner::new(&[signals::INJECTION]) }
    }
}

const DIRECT: Rule = Rule {
    id: "prompt-injection/direct",
    title: "prompt injection in a user message",
    severity: Severity::Medium,
    techniques: &["AML.T0051.000", "LLM01"],
};

impl Detector for PromptInjection {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "prompt-injection",
            env!("CARGO_PKG_VERSION"),
            "user messages that try to override the application's instructions (direct prompt injection)",
        )
        .kinds([EventKind::Inference])
        .settings(textscan::settings::doc("reveal the discount code"))
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.scanner.retune(&[signals::INJECTION], &settings, &[])?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let users = event.texts().into_iter().filter(|t| t.origin == Origin::User);
        Ok(users.filter_map(|t| Some(DIRECT.finding(t.field.clone(), t.text, &self.scanner.check(t.text)?))).collect())
    }
}

// Exported only in the wasm build, so that the native evaluation can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(PromptInjection);

#[cfg(test)]
mod tests;
