//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Settings, SettingsError, Severity, severity_setting};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What `info` shows operators.
pub const DOC: &str = "\
- `provider` (table, required): `name`, `address`, `contact` of the provider of the AI \
system, as the report names them.
- `system` (table, required): `name` of the AI system; optional `version`, \
`eu_database_id` (its id in the EU database of Art. 71) and `developer` (when it is not \
the provider; for the AI Incident Database record).
- `critical_infrastructure` (boolean, default `false`): the system is a safety component \
of critical infrastructure; integrity incidents (`model-integrity`, `data-poisoning`, \
`tool-abuse`) then count as disrupting it.
- `harm` (table, family → category): the harm an incident family causes, one of \
`death`, `health`, `critical-infrastructure`, `fundamental-rights`, `property`, \
`environment`, `none`. Defaults: `data-leakage` and `exfiltration` → \
`fundamental-rights`; every other family → `none` (or `critical-infrastructure` as \
above). Entries given replace the defaults for their family.
- `widespread_threshold` (integer, at least 1, default `1000`): affected persons (the \
larger of the incident's principals and sessions) from which an infringement of \
fundamental rights is widespread.
- `min_severity` (`info` … `critical`, default `high`): less severe incidents are not \
serious.

An incident is serious (Art. 3(49)) when it is at least `min_severity` and its family's \
harm is not `none`. Its Art. 73 deadline counts from when aiir opened it: 2 days for \
critical infrastructure or a widespread infringement (Art. 73(3)), 10 days for a death \
(Art. 73(4)), else 15 days (Art. 73(2)). It then proposes two `file-report` actions: \
`art73`, the draft report, and `aiid`, a record in the AI Incident Database's shape. \
Otherwise it proposes nothing and logs why.";

/// The harm an incident causes, as Art. 3(49) sorts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Harm {
    /// Art. 3(49)(a): the death of a person.
    Death,
    /// Art. 3(49)(a): serious harm to a person's health.
    Health,
    /// Art. 3(49)(b): serious and irreversible disruption of critical infrastructure.
    CriticalInfrastructure,
    /// Art. 3(49)(c): infringement of obligations under Union law protecting fundamental rights.
    FundamentalRights,
    /// Art. 3(49)(d): serious harm to property.
    Property,
    /// Art. 3(49)(d): serious harm to the environment.
    Environment,
    /// Not a serious incident.
    None,
}

/// `provider = { name = "…", address = "…", contact = "…" }`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub name: String,
    pub address: String,
    pub contact: String,
}

/// `system = { name = "support-assistant", version = "2.3", eu_database_id = "…" }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    pub name: String,
    pub version: Option<String>,
    pub eu_database_id: Option<String>,
    pub developer: Option<String>,
}

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    provider: Option<Provider>,
    system: Option<System>,
    /// `critical_infrastructure = false`
    #[serde(default)]
    critical_infrastructure: bool,
    /// `harm = { data-leakage = "fundamental-rights" }`
    #[serde(default)]
    harm: BTreeMap<String, Harm>,
    /// `widespread_threshold = 1000`
    #[serde(default = "default_widespread")]
    widespread_threshold: u64,
    /// `min_severity = "high"`
    #[serde(default = "default_min_severity")]
    min_severity: String,
}

fn default_widespread() -> u64 {
    1_000
}

fn default_min_severity() -> String {
    "high".into()
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub provider: Provider,
    pub system: System,
    pub critical_infrastructure: bool,
    pub harm: BTreeMap<String, Harm>,
    pub widespread_threshold: u64,
    pub min_severity: Severity,
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors = Vec::new();
        let mut need = |path: &str, value: Option<&str>| {
            if value.is_none_or(|v| v.trim().is_empty()) {
                errors.push(SettingsError::new(path, "is required"));
            }
        };
        need("provider", raw.provider.as_ref().map(|_| "given"));
        if let Some(p) = &raw.provider {
            need("provider.name", Some(&p.name));
            need("provider.address", Some(&p.address));
            need("provider.contact", Some(&p.contact));
        }
        need("system", raw.system.as_ref().map(|_| "given"));
        if let Some(s) = &raw.system {
            need("system.name", Some(&s.name));
        }
        if raw.widespread_threshold == 0 {
            errors.push(SettingsError::new("widespread_threshold", "must be at least 1, not 0"));
        }
        let min_severity = severity_setting("min_severity", &raw.min_severity).map_err(|e| errors.push(e)).ok();
        match (raw.provider, raw.system, min_severity) {
            (Some(provider), Some(system), Some(min_severity)) if errors.is_empty() => Ok(Self {
                provider,
                system,
                critical_infrastructure: raw.critical_infrastructure,
                harm: raw.harm,
                widespread_threshold: raw.widespread_threshold,
                min_severity,
            }),
            _ => Err(errors),
        }
    }

    /// The harm incidents of `family` cause: the operator's entry, else the default.
    pub fn harm(&self, family: &str) -> Harm {
        if let Some(harm) = self.harm.get(family) {
            return *harm;
        }
        match family {
            "data-leakage" | "exfiltration" => Harm::FundamentalRights,
            "model-integrity" | "data-poisoning" | "tool-abuse" if self.critical_infrastructure => {
                Harm::CriticalInfrastructure
            }
            _ => Harm::None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Settings with every required key, plus `extra` (JSON members, may be empty).
    pub fn settings(extra: &str) -> String {
        let sep = if extra.is_empty() { "" } else { ", " };
        format!(
            r#"{{"provider": {{"name": "Acme AI GmbH", "address": "Hauptstr. 1, 10115 Berlin", "contact": "incidents@acme.example"}},
                "system": {{"name": "Acme Support Assistant", "version": "2.3"}}{sep}{extra}}}"#
        )
    }

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
    }

    #[test]
    fn defaults() {
        let c = parse(&settings("")).unwrap();
        assert_eq!((c.widespread_threshold, c.min_severity, c.critical_infrastructure), (1_000, Severity::High, false));
        assert_eq!(c.harm("data-leakage"), Harm::FundamentalRights);
        assert_eq!(c.harm("model-integrity"), Harm::None);
        assert_eq!(c.harm("prompt-injection"), Harm::None);
    }

    #[test]
    fn critical_infrastructure_turns_integrity_incidents_into_disruption() {
        let c = parse(&settings(r#""critical_infrastructure": true"#)).unwrap();
        assert_eq!(c.harm("model-integrity"), Harm::CriticalInfrastructure);
        assert_eq!(c.harm("data-poisoning"), Harm::CriticalInfrastructure);
        assert_eq!(c.harm("jailbreak"), Harm::None);
    }

    #[test]
    fn harm_entries_replace_the_defaults() {
        let c = parse(&settings(r#""harm": {"data-leakage": "none", "jailbreak": "health"}"#)).unwrap();
        assert_eq!((c.harm("data-leakage"), c.harm("jailbreak")), (Harm::None, Harm::Health));
    }

    #[test]
    fn required_keys_are_named_by_their_path() {
        let paths = |json: &str| -> Vec<String> { parse(json).unwrap_err().into_iter().map(|(p, _)| p).collect() };
        assert_eq!(paths("{}"), ["provider", "system"]);
        let blank = r#"{"provider": {"name": "", "address": "a", "contact": " "}, "system": {"name": ""},
                        "widespread_threshold": 0, "min_severity": "grave"}"#;
        assert_eq!(
            paths(blank),
            ["provider.name", "provider.contact", "system.name", "widespread_threshold", "min_severity"]
        );
    }

    #[test]
    fn wrong_values_are_named_by_their_path() {
        let bad = parse(&settings(r#""harm": {"data-leakage": "reputation"}"#)).unwrap_err();
        assert_eq!(bad[0].0, "harm.data-leakage");
        assert!(bad[0].1.contains("unknown variant `reputation`"), "{bad:?}");
        assert_eq!(parse(r#"{"provider": {"name": "x"}}"#).unwrap_err()[0].0, "provider");
        assert_eq!(parse(&settings(r#""system_name": "x""#)).unwrap_err()[0].0, "system_name");
    }
}
