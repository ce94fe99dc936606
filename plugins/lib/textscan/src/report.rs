//! From a verdict to a finding: rule, title, techniques and the quoted evidence.

use crate::decode::Encoding;
use crate::pattern::Verdict;
use aiir_sdk::{Finding, Severity, excerpt};

/// MITRE ATLAS "LLM prompt obfuscation": added when a signal was found only after
/// decoding (base64, rot13, leetspeak, look-alike letters, tag characters).
pub const OBFUSCATION: &str = "AML.T0068";

/// What a detector reports when a text scores high enough.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `<plugin>/<rule>`.
    pub id: &'static str,
    /// The start of the finding's title; the strongest signal's name follows.
    pub title: &'static str,
    /// How bad a match is.
    pub severity: Severity,
    /// ATLAS and OWASP ids every finding of the rule carries, first.
    pub techniques: &'static [&'static str],
}

impl Rule {
    /// The finding for `verdict` on the text `original` of `field`.
    pub fn finding(&self, field: impl Into<String>, original: &str, verdict: &Verdict<'_>) -> Finding {
        let mut title = format!("{}: {}", self.title, verdict.strongest.name);
        if verdict.encoding.is_obfuscated() {
            title.push_str(&format!(" (in {})", verdict.encoding));
        }
        let obfuscation: &[&str] = if verdict.obfuscated { &[OBFUSCATION] } else { &[] };
        let mut techniques: Vec<&str> = self.techniques.to_vec();
        for t in verdict.techniques.iter().chain(obfuscation) {
            if !techniques.contains(t) {
                techniques.push(t);
            }
        }
        Finding::new(self.id, title, self.severity)
            .confidence(verdict.confidence)
            .techniques(techniques)
            .evidence(field, quote(original, verdict))
    }
}

/// The excerpt of the strongest match; a decoded match also shows what it decodes
/// to, since the original alone reads as noise (or, for tag characters, as nothing).
pub fn quote(original: &str, verdict: &Verdict<'_>) -> String {
    match verdict.encoding {
        Encoding::Plain | Encoding::LookAlikes => excerpt(original, verdict.range.clone()),
        Encoding::TagCharacters => format!("(invisible) {}", verdict.decoded),
        encoding => {
            let quoted = excerpt(original, verdict.range.clone());
            format!("{quoted} ({encoding}: {})", verdict.decoded)
        }
    }
}
