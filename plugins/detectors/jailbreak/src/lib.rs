//! `jailbreak`: finds a user's attempt to talk the model out of its safety training —
//! a persona freed of its rules ("DAN", "developer mode"), refusal suppression ("never
//! say you can't"), "stay in character", dual-response formats — including payloads
//! hidden in base64, rot13, leetspeak, look-alike letters or tag characters, which are
//! decoded before matching.
//!
//! - `jailbreak/attempt` (medium): a user message scores as a jailbreak.
//! - `jailbreak/obfuscated` (high): it does so only once decoded: hiding the request
//!   from filters shows intent.
//!
//! Signals are weighted by kind (see `signals`); one finding per offending message.

mod signals;

use aiir_sdk::prelude::*;
use textscan::{Rule, Scanner};

pub use signals::JAILBREAK;

/// The detector: the jailbreak signals, the operator's, and the threshold.
#[derive(Debug)]
pub struct Jailbreak {
    scanner: Scanner,
}

impl Default for Jailbreak {
    fn default() -> Self {
        Self { scanner: Scanner::new(JAILBREAK) }
    }
}

const IDS: &[&str] = &["AML.T0054", "LLM01"];

const ATTEMPT: Rule =
    Rule { id: "jailbreak/attempt", title: "jailbreak attempt", severity: Severity::Medium, techniques: IDS };

const OBFUSCATED: Rule = Rule {
    id: "jailbreak/obfuscated",
    title: "obfuscated jailbreak attempt",
    severity: Severity::High,
    techniques: &["AML.T0054", "AML.T0068", "LLM01"],
};

impl Detector for Jailbreak {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "jailbreak",
            env!("CARGO_PKG_VERSION"),
            "user messages that try to lift the model's safety rules: personas, rule removal, refusal \
             suppression, dual responses, obfuscated payloads",
        )
        .kinds([EventKind::Inference])
        .settings(textscan::settings::doc("you are now (free|liberated)"))
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.scanner.retune(JAILBREAK, &settings, &[])?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let users = event.texts().into_iter().filter(|t| t.origin == Origin::User);
        Ok(users
            .filter_map(|t| {
                let verdict = self.scanner.check(t.text)?;
                let rule = if verdict.encoding.is_obfuscated() { &OBFUSCATED } else { &ATTEMPT };
                Some(rule.finding(t.field.clone(), t.text, &verdict))
            })
            .collect())
    }
}

// Exported only in the wasm build, so that the native evaluation can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(Jailbreak);

#[cfg(test)]
mod tests;
