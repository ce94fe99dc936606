//! The plugin's settings: parsed, then validated with every problem reported at once.

use crate::patterns::{EXTRA_WEIGHT, Pattern, Scope};
use aiir_sdk::{Settings, SettingsError};
use regex::RegexBuilder;
use serde::Deserialize;

/// Longest compiled form an operator's pattern may take, so that one careless
/// pattern cannot eat the plugin's memory budget.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// What `info` shows operators.
pub const DOC: &str = "\
- `min_confidence` (float, 0.0 to 1.0, default `0.5`): report a field only when its \
combined confidence reaches this. One strong built-in signal (\"ignore all previous \
instructions\", a fake `<|im_start|>system` delimiter) scores 0.7 to 0.9; weaker signals \
(\"note to the assistant\" in a web page) score 0.6 and add up.
- `extra_patterns` (list of regex strings, default `[]`): more phrases that signal \
injection in your deployment, e.g. `\"reveal the discount code\"`. Each counts as a \
strong signal (0.8) in user messages and third-party text alike. They are matched \
case-insensitively against normalised text: lowercase, invisible characters removed, \
each run of whitespace one space, or one newline when it held a line break (write `\\s` \
to match either).";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `min_confidence = 0.5`
    #[serde(default = "default_min_confidence")]
    min_confidence: f32,
    /// `extra_patterns = ["reveal the discount code"]`
    #[serde(default)]
    extra_patterns: Vec<String>,
}

fn default_min_confidence() -> f32 {
    0.5
}

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    pub min_confidence: f32,
    pub extra_patterns: Vec<Pattern>,
}

impl Default for Config {
    fn default() -> Self {
        Self { min_confidence: default_min_confidence(), extra_patterns: Vec::new() }
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors = Vec::new();
        if !(0.0..=1.0).contains(&raw.min_confidence) {
            let message = format!("must be between 0.0 and 1.0, not {}", raw.min_confidence);
            errors.push(SettingsError::new("min_confidence", message));
        }
        let mut extra_patterns = Vec::new();
        for (n, source) in raw.extra_patterns.iter().enumerate() {
            match compile(source) {
                Ok(pattern) => extra_patterns.push(pattern),
                Err(message) => errors.push(SettingsError::new(format!("extra_patterns[{n}]"), message)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self { min_confidence: raw.min_confidence, extra_patterns })
    }
}

fn compile(source: &str) -> Result<Pattern, String> {
    if source.trim().is_empty() {
        return Err("pattern is empty".into());
    }
    let regex = RegexBuilder::new(source)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex: {}", first_line(&e.to_string())))?;
    if regex.is_match("") {
        return Err("pattern matches empty text, so it would flag every field".into());
    }
    Ok(Pattern { name: "operator pattern", weight: EXTRA_WEIGHT, scope: Scope::Any, techniques: &[], regex })
}

/// The regex crate's errors draw the pattern over several lines; the settings error
/// is one line, so keep the line that says what is wrong.
fn first_line(message: &str) -> String {
    let lines: Vec<&str> = message.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let error = lines.iter().find_map(|l| l.strip_prefix("error: "));
    error.or(lines.first().copied()).unwrap_or("unknown error").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<(String, String)> {
        let settings = Settings::from_json(json).unwrap();
        let errors = Config::from_settings(&settings).unwrap_err();
        errors.into_iter().map(|e| (e.path, e.message)).collect()
    }

    #[test]
    fn empty_settings_give_the_defaults() {
        let config = Config::from_settings(&Settings::from_json("{}").unwrap()).unwrap();
        assert_eq!(config.min_confidence, 0.5);
        assert!(config.extra_patterns.is_empty());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let got = errors(r#"{"min_confidence": 1.5, "extra_patterns": ["ok", "(unclosed", "", "a*"]}"#);
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["min_confidence", "extra_patterns[1]", "extra_patterns[2]", "extra_patterns[3]"]);
        assert_eq!(got[1].1, "invalid regex: unclosed group");
        assert!(got[3].1.contains("empty text"), "{got:?}");
    }

    #[test]
    fn unknown_keys_are_rejected_at_their_path() {
        let got = errors(r#"{"min_confidense": 0.2}"#);
        assert_eq!(got[0].0, "min_confidense");
        assert!(got[0].1.contains("unknown field `min_confidense`"), "{got:?}");
    }

    #[test]
    fn a_wrong_type_names_its_key() {
        let got = errors(r#"{"extra_patterns": ["a", 3]}"#);
        assert_eq!(got[0].0, "extra_patterns[1]");
    }
}
