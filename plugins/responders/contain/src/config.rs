//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Problems, Settings, SettingsError, blank_entries};
use serde::Deserialize;
use std::collections::BTreeSet;

/// What `info` shows operators.
pub const DOC: &str = "\
Every key is optional.

- `min_findings` (integer, at least 1, default `3`): findings of one principal in an \
incident from which it is blocked.
- `families` (list of strings, default `[\"prompt-injection\", \"jailbreak\", \
\"model-extraction\"]`): the incident families it acts on.
- `exempt_principals` (list of strings, default `[]`): principals never blocked, such as \
a red team's account.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `min_findings = 3`
    #[serde(default = "default_min_findings")]
    min_findings: u32,
    /// `families = ["prompt-injection", "jailbreak", "model-extraction"]`
    #[serde(default = "default_families")]
    families: Vec<String>,
    /// `exempt_principals = ["red-team"]`
    #[serde(default)]
    exempt_principals: Vec<String>,
}

fn default_min_findings() -> u32 {
    3
}

fn default_families() -> Vec<String> {
    ["prompt-injection", "jailbreak", "model-extraction"].map(String::from).to_vec()
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub min_findings: u32,
    pub families: BTreeSet<String>,
    pub exempt: BTreeSet<String>,
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
        let mut problems = Problems::default();
        problems.require(raw.min_findings >= 1, "min_findings", "at least 1", raw.min_findings);
        problems.extend(blank_entries("families", &raw.families));
        problems.extend(blank_entries("exempt_principals", &raw.exempt_principals));
        problems.finish(|| Self {
            min_findings: raw.min_findings,
            families: raw.families.into_iter().collect(),
            exempt: raw.exempt_principals.into_iter().collect(),
        })
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
        assert_eq!(c.min_findings, 3);
        assert!(c.families.contains("model-extraction") && c.exempt.is_empty());
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let errors = parse(r#"{"min_findings": 0, "families": ["jailbreak", " "], "exempt_principals": [""]}"#);
        let paths: Vec<String> = errors.unwrap_err().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["min_findings", "families[1]", "exempt_principals[0]"]);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_rejected() {
        assert_eq!(parse(r#"{"min_finding": 2}"#).unwrap_err()[0].0, "min_finding");
        assert_eq!(parse(r#"{"min_findings": "3"}"#).unwrap_err()[0].0, "min_findings");
    }
}
