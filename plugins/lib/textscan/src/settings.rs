//! Settings every text-scanning detector shares: the confidence threshold and the
//! operator's own patterns, checked with every problem reported at its path.

use crate::pattern::{Catalog, Spec, Verdict};
use aiir_sdk::{Settings, SettingsError};
use serde::Deserialize;

/// The default `min_confidence`.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.5;

/// The settings doc of `min_confidence` and `extra_patterns`, for `PluginInfo::settings`.
pub fn doc(example_pattern: &str) -> String {
    format!(
        "- `min_confidence` (float, 0.0 to 1.0, default `{DEFAULT_MIN_CONFIDENCE}`): report a field only when \
its combined confidence reaches this. A strong built-in signal scores 0.7 to 0.9 and fires alone; \
medium ones (0.4 to 0.6) fire only together with a signal of another kind.\n\
- `extra_patterns` (list of regex strings, default `[]`): more phrases that signal the attack in your \
deployment, e.g. `{example_pattern:?}`. Each counts as a strong signal ({EXTRA}). {PATTERN_DOC}",
        EXTRA = crate::EXTRA_WEIGHT
    )
}

/// How `extra_patterns` are matched.
pub const PATTERN_DOC: &str = "They are matched case-insensitively against normalised text: \
look-alike letters folded to ASCII, lowercase, invisible characters removed, each run of \
whitespace one space, or one newline when it held a line break (write `\\s` to match either).";

/// The settings table of a detector that only scans text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tuning {
    /// `min_confidence = 0.5`
    #[serde(default = "default_min_confidence")]
    min_confidence: f32,
    /// `extra_patterns = ["reveal the discount code"]`
    #[serde(default)]
    extra_patterns: Vec<String>,
}

/// `serde(default)` for `min_confidence`.
pub fn default_min_confidence() -> f32 {
    DEFAULT_MIN_CONFIDENCE
}

/// Built-in patterns, the operator's, and the threshold a verdict must reach.
#[derive(Debug)]
pub struct Scanner {
    /// Every pattern.
    pub catalog: Catalog,
    /// The threshold.
    pub min_confidence: f32,
}

impl Scanner {
    /// The built-in `specs` with the default threshold.
    pub fn new(specs: &[&[Spec]]) -> Self {
        Self { catalog: Catalog::new(specs.iter().copied().flatten()), min_confidence: DEFAULT_MIN_CONFIDENCE }
    }

    /// The built-in `specs` tuned by `settings` (`min_confidence`, `extra_patterns`
    /// and nothing else); operator patterns add `techniques`.
    pub fn from_settings(
        specs: &[&[Spec]],
        settings: &Settings,
        techniques: &'static [&'static str],
    ) -> Result<Self, Vec<SettingsError>> {
        let mut scanner = Self::new(specs);
        scanner.retune(specs, settings, techniques)?;
        Ok(scanner)
    }

    /// What [`Scanner::from_settings`] gives, made from this scanner of the same `specs`:
    /// its compiled patterns are kept unless an earlier tuning added operator patterns.
    /// Compiling the catalogue is most of a detector's start-up, and `configure`
    /// follows its construction, so building it twice would double that.
    pub fn retune(
        &mut self,
        specs: &[&[Spec]],
        settings: &Settings,
        techniques: &'static [&'static str],
    ) -> Result<(), Vec<SettingsError>> {
        let tuning: Tuning = settings.parse()?;
        if self.catalog.has_operator_patterns() {
            self.catalog = Catalog::new(specs.iter().copied().flatten());
        }
        let mut errors = Vec::new();
        self.tune(tuning.min_confidence, &tuning.extra_patterns, techniques, &mut errors);
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Set the threshold and add the operator's patterns, reporting every bad value
    /// at its path (`min_confidence`, `extra_patterns[n]`).
    pub fn tune(
        &mut self,
        min_confidence: f32,
        extra_patterns: &[String],
        techniques: &'static [&'static str],
        errors: &mut Vec<SettingsError>,
    ) {
        if (0.0..=1.0).contains(&min_confidence) {
            self.min_confidence = min_confidence;
        } else {
            let message = format!("must be between 0.0 and 1.0, not {min_confidence}");
            errors.push(SettingsError::new("min_confidence", message));
        }
        for (n, source) in extra_patterns.iter().enumerate() {
            if let Err(message) = self.catalog.add_operator_pattern(source, techniques) {
                errors.push(SettingsError::new(format!("extra_patterns[{n}]"), message));
            }
        }
    }

    /// The verdict on `text` when it reaches the threshold.
    pub fn check(&self, text: &str) -> Option<Verdict<'_>> {
        self.catalog.score(text).filter(|v| v.confidence >= self.min_confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<(String, String)> {
        aiir_sdk::testkit::parse_settings(json, |s| Scanner::from_settings(&[], s, &[])).unwrap_err()
    }

    #[test]
    fn empty_settings_give_the_defaults() {
        let scanner = Scanner::from_settings(&[], &Settings::empty(), &[]).unwrap();
        assert_eq!(scanner.min_confidence, 0.5);
        assert!(scanner.catalog.is_empty());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let got = errors(r#"{"min_confidence": 1.5, "extra_patterns": ["ok", "(unclosed", "", "a*"]}"#);
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["min_confidence", "extra_patterns[1]", "extra_patterns[2]", "extra_patterns[3]"]);
        assert_eq!(got[0].1, "must be between 0.0 and 1.0, not 1.5");
        assert_eq!(got[1].1, "invalid regex: unclosed group");
    }

    #[test]
    fn retuning_drops_the_last_tunings_operator_patterns() {
        const SPECS: &[Spec] = &[Spec { group: "g", name: "n", weight: 0.9, techniques: &[], source: r"\bhello\b" }];
        let tuned = Settings::from_json(r#"{"extra_patterns": ["bye"], "min_confidence": 0.7}"#).unwrap();
        let mut scanner = Scanner::from_settings(&[SPECS], &tuned, &[]).unwrap();
        assert_eq!((scanner.catalog.len(), scanner.min_confidence), (2, 0.7));
        scanner.retune(&[SPECS], &Settings::empty(), &[]).unwrap();
        assert_eq!((scanner.catalog.len(), scanner.min_confidence), (1, 0.5));
        assert!(scanner.check("bye").is_none() && scanner.check("hello").is_some());
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_their_path() {
        assert_eq!(errors(r#"{"min_confidense": 0.2}"#)[0].0, "min_confidense");
        assert_eq!(errors(r#"{"extra_patterns": ["a", 3]}"#)[0].0, "extra_patterns[1]");
    }
}
