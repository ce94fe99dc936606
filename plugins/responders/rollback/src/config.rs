//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Settings, SettingsError, blank_entries};
use serde::Deserialize;
use std::collections::BTreeSet;

/// What `info` shows operators.
pub const DOC: &str = "\
Every key is optional.

- `families` (list of strings, default `[\"model-integrity\", \"data-poisoning\"]`): the \
incident families it acts on.
- `quarantine` (boolean, default `true`): also propose quarantining the version behind \
the incident (the one its latest finding names, else the serving one when that is not \
known-good).

The rollback target is the newest known-good, unquarantined version in the registry \
that is not the offending one, preferring those registered before the incident's first \
event. With none, nothing is proposed and the reason is logged; when the target serves \
already, only the quarantine is proposed.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `families = ["model-integrity", "data-poisoning"]`
    #[serde(default = "default_families")]
    families: Vec<String>,
    /// `quarantine = true`
    #[serde(default = "default_quarantine")]
    quarantine: bool,
}

fn default_families() -> Vec<String> {
    ["model-integrity", "data-poisoning"].map(String::from).to_vec()
}

fn default_quarantine() -> bool {
    true
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub families: BTreeSet<String>,
    pub quarantine: bool,
}

impl Default for Config {
    fn default() -> Self {
        aiir_sdk::defaults(Self::from_settings)
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let errors = blank_entries("families", &raw.families);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self { families: raw.families.into_iter().collect(), quarantine: raw.quarantine })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
    }

    #[test]
    fn defaults() {
        let c = parse("{}").unwrap();
        assert!(c.quarantine && c.families.contains("data-poisoning") && c.families.contains("model-integrity"));
    }

    #[test]
    fn problems_are_named_by_their_path() {
        assert_eq!(parse(r#"{"families": ["model-integrity", ""]}"#).unwrap_err()[0].0, "families[1]");
        assert_eq!(parse(r#"{"quarantine": "yes"}"#).unwrap_err()[0].0, "quarantine");
        assert_eq!(parse(r#"{"rollback": true}"#).unwrap_err()[0].0, "rollback");
    }
}
