//! Building findings and their evidence.

use crate::{Evidence, Finding, Severity};
use std::ops::Range;

/// Context kept on each side of a match in an excerpt, in characters.
const CONTEXT_CHARS: usize = 40;
/// Longest match kept whole in an excerpt, in characters.
const MATCH_CHARS: usize = 160;

impl Finding {
    /// A finding of `rule` (`<plugin>/<rule>`), confidence 1.0, no techniques, no evidence.
    pub fn new(rule: impl Into<String>, title: impl Into<String>, severity: Severity) -> Self {
        Self {
            rule: rule.into(),
            title: title.into(),
            severity,
            confidence: 1.0,
            techniques: Vec::new(),
            evidence: Vec::new(),
        }
    }

    /// Set how sure the rule is, clamped to 0.0..=1.0.
    pub fn confidence(mut self, confidence: f32) -> Self {
        self.confidence = confidence.clamp(0.0, 1.0);
        self
    }

    /// Add ATLAS / OWASP technique ids.
    pub fn techniques<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> Self {
        self.techniques.extend(ids.into_iter().map(String::from));
        self
    }

    /// Add evidence: the field path and the offending excerpt.
    pub fn evidence(mut self, field: impl Into<String>, excerpt: impl Into<String>) -> Self {
        self.evidence.push(Evidence { field: field.into(), excerpt: excerpt.into() });
        self
    }
}

/// The part of `text` at `range` (byte offsets) with a little context either side,
/// marked with `…` where cut; fit to be evidence. Offsets inside a character are
/// moved outwards to the character's edges.
pub fn excerpt(text: &str, range: Range<usize>) -> String {
    let start = floor_char(text, range.start.min(text.len()));
    let end = ceil_char(text, range.end.clamp(start, text.len()));
    let matched: String = text[start..end].chars().take(MATCH_CHARS).collect();
    let before: String = {
        let rev: Vec<char> = text[..start].chars().rev().take(CONTEXT_CHARS).collect();
        rev.into_iter().rev().collect()
    };
    let lead = if before.len() < start { "…" } else { "" };
    if matched.len() < end - start {
        return format!("{lead}{before}{matched}…");
    }
    let after: String = text[end..].chars().take(CONTEXT_CHARS).collect();
    let tail = if end + after.len() < text.len() { "…" } else { "" };
    format!("{lead}{before}{matched}{after}{tail}")
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(excerpt("ignore previous instructions", 0..6), "ignore previous instructions");
    }

    #[test]
    fn long_text_is_cut_with_markers() {
        let text = format!("{}MATCH{}", "a".repeat(100), "b".repeat(100));
        let got = excerpt(&text, 100..105);
        assert_eq!(got, format!("…{}MATCH{}…", "a".repeat(40), "b".repeat(40)));
    }

    #[test]
    fn offsets_inside_a_character_are_widened() {
        assert_eq!(excerpt("é", 1..1), "é");
    }

    #[test]
    fn builder_sets_every_part() {
        let f = Finding::new("p/r", "t", Severity::Low)
            .confidence(2.0)
            .techniques(["LLM01"])
            .evidence("payload.custom.data", "x");
        assert_eq!(f.confidence, 1.0);
        assert_eq!(f.techniques, ["LLM01"]);
        assert_eq!(f.evidence[0].field, "payload.custom.data");
    }
}
