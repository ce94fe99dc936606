//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Settings, SettingsError};
use serde::Deserialize;
use std::collections::HashMap;

/// What `info` shows operators.
pub const DOC: &str = "\
- `allowed` (list of tables, default `[]`): the vetted model artifacts, each \
`{ name = \"support-assistant\", version = \"2.3.1\", digest = \"sha256:…\" }`. `name` \
(string) and `digest` (string, `sha256:` and 64 lowercase hex digits) are required; \
`version` (string) is optional and, when absent, the entry allows that digest for any \
version. A model named here fires `model-integrity/unknown-digest` when an event shows it \
with a digest that no entry allows for its version.
- `allow_unlisted_models` (bool, default `true` when `allowed` is empty, `false` \
otherwise): accept models whose name `allowed` does not mention. When `false`, they fire \
`model-integrity/unknown-digest` as well.

`model-integrity/digest-changed` needs no settings: the first digest seen for a model name \
and version is trusted, and another digest later under the same name and version fires \
(unless `allowed` vets it). Events without a version or a digest cannot be checked this \
way. The plugin remembers at most 10 000 (name, version) pairs, forgetting the least recently seen \
first, and reports each conflicting (name, version, digest) once.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `allowed = [{ name = "support-assistant", version = "2.3.1", digest = "sha256:…" }]`
    #[serde(default)]
    allowed: Vec<RawEntry>,
    /// `allow_unlisted_models = false`
    allow_unlisted_models: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: String,
    version: Option<String>,
    digest: String,
}

/// One vetted artifact: a digest, for one version or (`None`) for any.
#[derive(Debug, Clone, PartialEq)]
pub struct Vetted {
    pub version: Option<String>,
    pub digest: String,
}

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    /// Vetted artifacts by model name.
    pub allowed: HashMap<String, Vec<Vetted>>,
    pub allow_unlisted_models: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { allowed: HashMap::new(), allow_unlisted_models: true }
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors: Vec<SettingsError> = raw.allowed.iter().enumerate().flat_map(|(n, e)| check(n, e)).collect();
        let allow_unlisted_models = raw.allow_unlisted_models.unwrap_or(raw.allowed.is_empty());
        if !allow_unlisted_models && raw.allowed.is_empty() {
            let message = "is false but `allowed` is empty, so every model would be flagged";
            errors.push(SettingsError::new("allow_unlisted_models", message));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut allowed: HashMap<String, Vec<Vetted>> = HashMap::new();
        for e in raw.allowed {
            allowed.entry(e.name).or_default().push(Vetted { version: e.version, digest: e.digest });
        }
        Ok(Self { allowed, allow_unlisted_models })
    }
}

/// The problems of entry `n` of `allowed`.
fn check(n: usize, entry: &RawEntry) -> Vec<SettingsError> {
    let mut errors = Vec::new();
    let at = |key: &str| format!("allowed[{n}].{key}");
    if entry.name.trim().is_empty() {
        errors.push(SettingsError::new(at("name"), "must not be empty"));
    }
    if entry.version.as_deref().is_some_and(|v| v.trim().is_empty()) {
        errors.push(SettingsError::new(at("version"), "must not be empty; leave it out to allow any version"));
    }
    if !is_sha256_digest(&entry.digest) {
        let message = format!("must be `sha256:` followed by 64 lowercase hex digits, not {:?}", entry.digest);
        errors.push(SettingsError::new(at("digest"), message));
    }
    errors
}

fn is_sha256_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        let settings = Settings::from_json(json).unwrap();
        Config::from_settings(&settings).map_err(|es| es.into_iter().map(|e| (e.path, e.message)).collect())
    }

    #[test]
    fn empty_settings_allow_unlisted_models() {
        let config = parse("{}").unwrap();
        assert!(config.allowed.is_empty());
        assert!(config.allow_unlisted_models);
    }

    #[test]
    fn a_non_empty_allow_list_is_exhaustive_by_default() {
        let config = parse(&format!(r#"{{"allowed": [{{"name": "m", "digest": "{DIGEST}"}}]}}"#)).unwrap();
        assert!(!config.allow_unlisted_models);
        assert_eq!(config.allowed["m"], [Vetted { version: None, digest: DIGEST.into() }]);
    }

    #[test]
    fn every_bad_entry_is_reported_with_its_path() {
        let json = format!(
            r#"{{"allowed": [
                {{"name": "ok", "version": "1", "digest": "{DIGEST}"}},
                {{"name": "m", "digest": "sha256:ABC"}},
                {{"name": " ", "version": "", "digest": "{}"}}
            ]}}"#,
            DIGEST.to_uppercase()
        );
        let got = parse(&json).unwrap_err();
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["allowed[1].digest", "allowed[2].name", "allowed[2].version", "allowed[2].digest"]);
        assert!(got[0].1.contains("64 lowercase hex digits"), "{got:?}");
    }

    #[test]
    fn refusing_unlisted_models_needs_a_list() {
        let got = parse(r#"{"allow_unlisted_models": false}"#).unwrap_err();
        assert_eq!(got[0].0, "allow_unlisted_models");
    }

    #[test]
    fn unknown_keys_and_missing_digests_are_rejected() {
        assert!(parse(r#"{"allow_list": []}"#).unwrap_err()[0].1.contains("unknown field"));
        let got = parse(r#"{"allowed": [{"name": "m"}]}"#).unwrap_err();
        assert_eq!(got[0].0, "allowed[0]");
        assert!(got[0].1.contains("missing field `digest`"), "{got:?}");
    }
}
