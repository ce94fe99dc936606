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
- `registries` (list of strings, default `[]`): the registries model artifacts may come \
from, e.g. `[\"registry.internal/models\"]`. When set, a lifecycle event whose `registry` \
is absent or not one of them (or below one of them: `registry.internal/models/nlp` is \
below `registry.internal/models`; case, a `https://` or `oci://` scheme and a trailing `/` \
do not matter) fires `model-integrity/outside-registry` (high), naming the version move if \
there is one. Empty: the registry is not checked, since many logs do not record it.
- `require_digest` (bool, default `true`): a lifecycle event must name its model's \
digest; one that does not fires `model-integrity/unsigned` (low): the artifact cannot be \
verified.

`model-integrity/digest-changed` needs no settings: the first digest seen for a model name \
and version is trusted, and another digest later under the same name and version fires \
(unless `allowed` vets it). Events without a version or a digest cannot be checked this \
way.

`model-integrity/version-rollback` (high) needs none either: a lifecycle event that puts in \
service (action `deployed`, `loaded`, `promoted`, `activated`, `released`, `restored`, \
`started` or `served`) a version older than the one in service before, without declaring \
a rollback (action `rolled-back`, `rollback` or `reverted`), fires. Versions compare as \
dotted numbers (`v2.10.0-rc1` is below `2.10.0`); labels that are not cannot be ordered \
and never fire. Other actions neither fire nor move the version.

`model-integrity/unsafe-format` (high) needs none: a lifecycle event whose artifact is \
pickle-based, which runs code when loaded, fires. It reads the event's `attributes`: \
`format`, `artifact_format` and `serialization` for a format name (`pickle`, `joblib`, \
`dill`, `cloudpickle`, `torch`, `pytorch`, `pt`, `pth`, `ckpt`), and `artifact`, \
`file`, `filename`, `path`, `uri` and `url` for a file name (`.pkl`, `.pickle`, \
`.joblib`, `.dill`, `.pt`, `.pth`, `.ckpt`, and `.bin` when the name says torch, as \
`pytorch_model.bin`). `safetensors`, `gguf` and `onnx` artifacts are safe.

The lifecycle rules skip events that take a model out of service (`unloaded`, `retired`, \
`deleted`, `archived`, `deprecated`, `removed`, `stopped`, `undeployed`, `deactivated`, \
`quarantined`). The plugin reports each finding once per (rule, name, version, digest \
or detail). What it has seen (first digests, versions in service, findings reported) is \
kept in the host's keyed state by model: it survives a new instance and a restart of the \
host, and is bounded by the `max_state_bytes` limit, the entries written longest ago \
forgotten first.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `allowed = [{ name = "support-assistant", version = "2.3.1", digest = "sha256:…" }]`
    #[serde(default)]
    allowed: Vec<RawEntry>,
    /// `allow_unlisted_models = false`
    allow_unlisted_models: Option<bool>,
    /// `registries = ["registry.internal/models"]`
    #[serde(default)]
    registries: Vec<String>,
    /// `require_digest = false`
    #[serde(default = "yes")]
    require_digest: bool,
}

fn yes() -> bool {
    true
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
    /// Trusted registries, normalised by [`registry_key`]; empty when not checked.
    pub registries: Vec<String>,
    pub require_digest: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { allowed: HashMap::new(), allow_unlisted_models: true, registries: Vec::new(), require_digest: true }
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
        let registries: Vec<String> = raw.registries.iter().map(|r| registry_key(r)).collect();
        for (n, _) in registries.iter().enumerate().filter(|(_, r)| r.is_empty()) {
            errors.push(SettingsError::new(format!("registries[{n}]"), "must name a registry"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut allowed: HashMap<String, Vec<Vetted>> = HashMap::new();
        for e in raw.allowed {
            allowed.entry(e.name).or_default().push(Vetted { version: e.version, digest: e.digest });
        }
        Ok(Self { allowed, allow_unlisted_models, registries, require_digest: raw.require_digest })
    }

    /// Whether `registry` is one of the trusted registries or below one of them.
    pub fn trusts_registry(&self, registry: Option<&str>) -> bool {
        let Some(key) = registry.map(registry_key) else {
            return false;
        };
        self.registries.iter().any(|r| key == *r || key.strip_prefix(r.as_str()).is_some_and(|s| s.starts_with('/')))
    }
}

/// A registry as compared: lowercase, without scheme or trailing `/`.
pub fn registry_key(registry: &str) -> String {
    let registry = registry.trim().to_ascii_lowercase();
    let bare = registry.split_once("://").map_or(registry.as_str(), |(_, rest)| rest);
    bare.trim_end_matches('/').to_owned()
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
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
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
    fn registries_match_themselves_and_what_lies_below() {
        let config = parse(r#"{"registries": ["https://Registry.internal/models/"]}"#).unwrap();
        assert!(config.require_digest);
        for ok in ["registry.internal/models", "oci://registry.internal/models/nlp"] {
            assert!(config.trusts_registry(Some(ok)), "{ok}");
        }
        for bad in [Some("registry.internal/models-mirror"), Some("huggingface.co/models"), None] {
            assert!(!config.trusts_registry(bad), "{bad:?}");
        }
        let got = parse(r#"{"registries": ["a", " ", "https://"], "require_digest": false}"#).unwrap_err();
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["registries[1]", "registries[2]"]);
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
