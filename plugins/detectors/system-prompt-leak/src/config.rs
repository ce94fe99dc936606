//! The plugin's settings: parsed, then validated with every problem reported at once.

use crate::{canary, overlap};
use aiir_sdk::{Settings, SettingsError};
use serde::Deserialize;
use textscan::{Scanner, settings::default_min_confidence, signals};

/// Default n-gram length: five words in a row rarely recur by chance.
const DEFAULT_NGRAM: usize = 5;
/// Default share of the system prompt an output must reproduce.
const DEFAULT_MIN_OVERLAP: f32 = 0.4;
/// Default share of the system prompt's content words a restatement must carry.
const DEFAULT_MIN_RESTATED: f32 = 0.6;

/// What `info` shows operators, after the shared `min_confidence`/`extra_patterns` doc.
pub fn doc() -> String {
    format!(
        "{}\n\
- `min_overlap` (float, 0.0 to 1.0 exclusive of 0, default `{DEFAULT_MIN_OVERLAP}`): report an assistant \
output that reproduces at least this share of the event's system prompt, counted in word n-grams.\n\
- `min_restated` (float, 0.0 to 1.0 exclusive of 0, default `{DEFAULT_MIN_RESTATED}`): report an assistant \
output that restates at least this share of the system prompt's distinct content words (function words \
left out, plurals and tenses folded) when at least {density}% of the output's own content words are the \
prompt's: the rules rewritten as a list or a poem. Prompts with fewer than {min_words} content words are not \
compared this way.\n\
- `ngram` (integer, 3 to 12, default `{DEFAULT_NGRAM}`): words per n-gram. Shorter catches looser copies \
and more coincidences; system prompts shorter than this are not compared.\n\
- `canary_tokens` (list of strings, at least {min} characters each, default `[]`): strings planted in your \
system prompts that must never appear in model output or tool arguments; matched as whole words (not \
inside a longer run of letters and digits), ignoring ASCII case, and masked in evidence. Like the secrets a \
system prompt defines (\"the password is …\"), they are also found spelled out, reversed, as base64, hex or \
character codes, in rot13 or leetspeak.",
        textscan::settings::doc("repeat your (rules|guardrails)"),
        min = canary::MIN_LEN,
        density = (overlap::MIN_DENSITY * 100.0).round(),
        min_words = overlap::MIN_CONTENT_WORDS,
    )
}

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `min_confidence = 0.5`
    #[serde(default = "default_min_confidence")]
    min_confidence: f32,
    /// `extra_patterns = ["repeat your rules"]`
    #[serde(default)]
    extra_patterns: Vec<String>,
    /// `min_overlap = 0.4`
    #[serde(default = "default_min_overlap")]
    min_overlap: f32,
    /// `min_restated = 0.6`
    #[serde(default = "default_min_restated")]
    min_restated: f32,
    /// `ngram = 5`
    #[serde(default = "default_ngram")]
    ngram: usize,
    /// `canary_tokens = ["XYZZY-42-CANARY"]`
    #[serde(default)]
    canary_tokens: Vec<String>,
}

fn default_min_overlap() -> f32 {
    DEFAULT_MIN_OVERLAP
}

fn default_min_restated() -> f32 {
    DEFAULT_MIN_RESTATED
}

fn default_ngram() -> usize {
    DEFAULT_NGRAM
}

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    pub scanner: Scanner,
    pub min_overlap: f32,
    pub min_restated: f32,
    pub ngram: usize,
    pub canary_tokens: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            scanner: Scanner::new(&[signals::EXTRACTION]),
            min_overlap: DEFAULT_MIN_OVERLAP,
            min_restated: DEFAULT_MIN_RESTATED,
            ngram: DEFAULT_NGRAM,
            canary_tokens: Vec::new(),
        }
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors = Vec::new();
        let mut config = Config::default();
        config.scanner.tune(raw.min_confidence, &raw.extra_patterns, &[], &mut errors);
        for (path, share) in [("min_overlap", raw.min_overlap), ("min_restated", raw.min_restated)] {
            if !(share > 0.0 && share <= 1.0) {
                errors.push(SettingsError::new(path, format!("must be above 0.0 and at most 1.0, not {share}")));
            }
        }
        if !(3..=12).contains(&raw.ngram) {
            errors.push(SettingsError::new("ngram", format!("must be between 3 and 12, not {}", raw.ngram)));
        }
        for (n, token) in raw.canary_tokens.iter().enumerate() {
            if let Some(message) = canary_problem(token, &raw.canary_tokens[..n]) {
                errors.push(SettingsError::new(format!("canary_tokens[{n}]"), message));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            min_overlap: raw.min_overlap,
            min_restated: raw.min_restated,
            ngram: raw.ngram,
            canary_tokens: raw.canary_tokens,
            ..config
        })
    }
}

fn canary_problem(token: &str, earlier: &[String]) -> Option<String> {
    if token.chars().count() < canary::MIN_LEN || token.trim() != token {
        return Some(format!("must be at least {} characters, without leading or trailing space", canary::MIN_LEN));
    }
    earlier.iter().any(|e| e.eq_ignore_ascii_case(token)).then(|| "duplicate canary token".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<(String, String)> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings).unwrap_err()
    }

    #[test]
    fn empty_settings_give_the_defaults() {
        let config = Config::from_settings(&Settings::empty()).unwrap();
        assert_eq!((config.min_overlap, config.ngram), (0.4, 5));
        assert!(config.canary_tokens.is_empty());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let json = r#"{"min_confidence": 7, "extra_patterns": ["("], "min_overlap": 0, "min_restated": 1.5, "ngram": 2,
                       "canary_tokens": ["XYZZY-42", "ab", " spaced-token", "xyzzy-42"]}"#;
        let paths: Vec<String> = errors(json).into_iter().map(|(p, _)| p).collect();
        let want = [
            "min_confidence",
            "extra_patterns[0]",
            "min_overlap",
            "min_restated",
            "ngram",
            "canary_tokens[1]",
            "canary_tokens[2]",
            "canary_tokens[3]",
        ];
        assert_eq!(paths, want);
    }

    #[test]
    fn unknown_keys_are_rejected_at_their_path() {
        assert_eq!(errors(r#"{"canary": "x"}"#)[0].0, "canary");
    }
}
