//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Settings, SettingsError, Severity, blank_entries, severity_setting};
use serde::Deserialize;
use std::collections::BTreeSet;

/// What `info` shows operators.
pub const DOC: &str = "\
- `url` (string, `http://` or `https://`): the webhook to POST to. Without it the plugin \
proposes nothing. Its host must also be on the responder's `allow_hosts`.
- `min_severity` (`info`, `low`, `medium`, `high` or `critical`, default `high`): the \
least severe incident notified.
- `families` (list of strings, default `[]`, every family): the incident families notified.

Each incident is notified once it reaches `min_severity` and again each time its \
severity rises (remembered for the 4 096 latest incidents, per instance). The body is a \
JSON object: `incident`, `title`, `severity`, `state`, `family`, `scope`, `key`, `model` \
(`name`, `version`, `digest`, or null), `counts` (`findings`, `principals`, `sessions`), \
`techniques`, `principals`, `first_seen_unix_nano`, `last_seen_unix_nano`.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `url = "https://hooks.example/aiir"`
    url: Option<String>,
    /// `min_severity = "high"`
    #[serde(default = "default_min_severity")]
    min_severity: String,
    /// `families = ["model-integrity"]`
    #[serde(default)]
    families: Vec<String>,
}

fn default_min_severity() -> String {
    "high".into()
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub url: Option<String>,
    pub min_severity: Severity,
    pub families: BTreeSet<String>,
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
        let mut errors = Vec::new();
        let web = |u: &str| {
            let rest = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://"));
            rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'))
        };
        if let Some(url) = raw.url.as_deref().filter(|u| !web(u)) {
            errors.push(SettingsError::new("url", format!("must be an http:// or https:// URL, not {url:?}")));
        }
        let min_severity = severity_setting("min_severity", &raw.min_severity).map_err(|e| errors.push(e)).ok();
        errors.extend(blank_entries("families", &raw.families));
        match min_severity {
            Some(min_severity) if errors.is_empty() => {
                Ok(Self { url: raw.url, min_severity, families: raw.families.into_iter().collect() })
            }
            _ => Err(errors),
        }
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
        assert_eq!((c.url, c.min_severity, c.families.len()), (None, Severity::High, 0));
    }

    #[test]
    fn every_problem_is_named_by_its_path() {
        let errors = parse(r#"{"url": "ftp://x", "min_severity": "severe", "families": [""]}"#).unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["url", "min_severity", "families[0]"]);
        assert_eq!(errors[1].1, r#"must be info, low, medium, high or critical, not "severe""#);
        assert_eq!(parse(r#"{"url": "https://"}"#).unwrap_err()[0].0, "url");
        assert_eq!(parse(r#"{"url": 7}"#).unwrap_err()[0].0, "url");
    }
}
