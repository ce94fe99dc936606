//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Origin, Settings, SettingsError};
use datakit::Kind;
use serde::Deserialize;

/// What `info` shows operators.
pub const DOC: &str = "\
- `scan` (list of strings, default `[\"assistant\", \"tool_arguments\"]`): which texts to \
look in: `assistant` (model output), `tool_arguments` (what the model hands a tool), and \
to widen it `user`, `tool_result`, `retrieved`, `system`.
- `types` (list of strings, default all): what to report: `email`, `phone`, \
`credit-card`, `iban`, `us-ssn`, `street-address`, `secret` (every kind of credential).
- `ignore_values` (list of strings, default `[]`): values never reported, such as your \
own published phone number or address; compared on letters and digits only, ignoring \
case and punctuation (`+49 40 555 0142` also ignores `+49-40-5550142`).
- `role_mailboxes` (list of strings, default `[]`): local parts of your organisation's \
role and service mailboxes (`frontdesk`, `ap`), not reported beside the built-in ones \
(`support`, `billing`, `accounts-payable`, `noreply` …).

Rules: `sensitive-data-leak/<type>` for personal data (`email`, `phone`, `credit-card`, \
`iban`, `us-ssn`, `street-address`) and `sensitive-data-leak/secret-<kind>` for \
credentials (`aws-access-key`, `aws-secret-key`, `gcp-api-key`, `azure-storage-key`, \
`github-token`, `gitlab-token`, `slack-token`, `stripe-key`, `llm-api-key`, `private-key`, \
`jwt`, `connection-string`). One finding per type per field, one evidence entry per \
occurrence (the first 50; the title counts them all), each masked, at most 50 \
findings per event. Addresses at documentation domains (`example.com/.net/.org`, \
`.example`, `.test`, `.invalid`), cloud service accounts and VCS remotes (`git@host:org/repo.git`) \
are not personal data. Values under keys, columns or labels that name them (`telefono`, \
`電話番号`, `tax_id`, `SecretAccessKey`) are found in the forms those hold; values under \
keys of references and public material (`sku`, `tracking`, `ean`, `public_key`) are not \
reported. Role mailboxes (`support@…`) and an organisation's own line \
(\"call us on …\", \"our hotline …\") are not personal data and are not reported; nor \
are the recipients (`to`, `cc`, `recipients` …) of a message tool: where a message goes \
is `exfiltration`'s concern.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `scan = ["assistant", "tool_arguments", "user"]`
    scan: Option<Vec<String>>,
    /// `types = ["credit-card", "secret"]`
    types: Option<Vec<String>>,
    /// `ignore_values = ["+49 40 555 0142"]`
    #[serde(default)]
    ignore_values: Vec<String>,
    /// `role_mailboxes = ["frontdesk", "ap"]`
    #[serde(default)]
    role_mailboxes: Vec<String>,
}

const ORIGINS: [(&str, Origin); 6] = [
    ("assistant", Origin::Assistant),
    ("tool_arguments", Origin::ToolArguments),
    ("user", Origin::User),
    ("tool_result", Origin::ToolResult),
    ("retrieved", Origin::Retrieved),
    ("system", Origin::System),
];

const TYPES: [&str; 7] = ["email", "phone", "credit-card", "iban", "us-ssn", "street-address", "secret"];

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    pub scan: Vec<Origin>,
    types: Vec<String>,
    ignore_values: Vec<String>,
    role_mailboxes: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            scan: vec![Origin::Assistant, Origin::ToolArguments],
            types: TYPES.map(String::from).to_vec(),
            ignore_values: Vec::new(),
            role_mailboxes: Vec::new(),
        }
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors = Vec::new();
        let mut config = Config::default();
        if let Some(scan) = raw.scan {
            config.scan = names(&scan, "scan", &ORIGINS.map(|(n, _)| n), &mut errors)
                .into_iter()
                .filter_map(|name| ORIGINS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o))
                .collect();
        }
        if let Some(types) = raw.types {
            config.types = names(&types, "types", &TYPES, &mut errors);
        }
        for (n, value) in raw.ignore_values.iter().enumerate() {
            match normalize(value) {
                v if v.is_empty() => {
                    errors.push(SettingsError::new(format!("ignore_values[{n}]"), "has no letters or digits"))
                }
                v => config.ignore_values.push(v),
            }
        }
        for (n, local) in raw.role_mailboxes.iter().enumerate() {
            if local.is_empty() || local.contains('@') {
                errors.push(SettingsError::new(format!("role_mailboxes[{n}]"), "must be a local part, without `@`"));
            } else {
                config.role_mailboxes.push(local.to_lowercase());
            }
        }
        if errors.is_empty() { Ok(config) } else { Err(errors) }
    }

    /// Whether a found value of `kind` is to be reported.
    pub fn reports(&self, kind: Kind, value: &str) -> bool {
        let type_name = if kind.is_secret() { "secret" } else { kind.id() };
        let not_personal = kind == Kind::Email && (datakit::documentation_address(value) || self.role_mailbox(value))
            || kind.is_secret() && datakit::known_non_secret(value);
        self.types.iter().any(|t| t == type_name) && !self.ignore_values.contains(&normalize(value)) && !not_personal
    }

    /// Whether an address's local part is one of the configured role mailboxes.
    fn role_mailbox(&self, email: &str) -> bool {
        let local = email.split('@').next().unwrap_or_default().to_lowercase();
        self.role_mailboxes.contains(&local)
    }
}

/// The entries of a list of names, each checked against `known`; an empty list is an
/// error too, since it would switch the plugin off.
fn names(list: &[String], key: &str, known: &[&str], errors: &mut Vec<SettingsError>) -> Vec<String> {
    if list.is_empty() {
        errors.push(SettingsError::new(key, format!("must name at least one of {}", known.join(", "))));
    }
    let mut out = Vec::new();
    for (n, name) in list.iter().enumerate() {
        if known.contains(&name.as_str()) {
            out.push(name.clone());
        } else {
            let message = format!("unknown {key} entry {name:?}; expected one of {}", known.join(", "));
            errors.push(SettingsError::new(format!("{key}[{n}]"), message));
        }
    }
    out
}

/// Letters and digits only, lowercased: how values are compared.
fn normalize(value: &str) -> String {
    value.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
    }

    #[test]
    fn empty_settings_scan_model_output_and_tool_arguments_for_everything() {
        let config = parse("{}").unwrap();
        assert_eq!(config.scan, [Origin::Assistant, Origin::ToolArguments]);
        assert!(config.reports(Kind::Phone, "+49 40 555 0142"));
        assert!(config.reports(Kind::Secret(datakit::SecretKind::Jwt), "eyJ…"));
    }

    #[test]
    fn types_and_ignored_values_narrow_what_is_reported() {
        let config = parse(r#"{"types": ["secret", "phone"], "ignore_values": ["+49 40 555 0142"]}"#).unwrap();
        assert!(!config.reports(Kind::Email, "a@b.example"));
        assert!(!config.reports(Kind::Phone, "+49-40-5550142"));
        assert!(config.reports(Kind::Phone, "+49 40 555 0143"));
    }

    #[test]
    fn documentation_domains_and_configured_role_mailboxes_are_not_people() {
        let config = parse(r#"{"role_mailboxes": ["FrontDesk"]}"#).unwrap();
        assert!(!config.reports(Kind::Email, "jane.doe@example.com"));
        assert!(!config.reports(Kind::Email, "frontdesk@hotel.de"));
        assert!(config.reports(Kind::Email, "jane.doe@hotel.de"));
        assert_eq!(parse(r#"{"role_mailboxes": ["a@b"]}"#).unwrap_err()[0].0, "role_mailboxes[0]");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let got = parse(r#"{"scan": ["assistant", "tools"], "types": ["ssn"], "ignore_values": ["ok", "--"]}"#);
        let paths: Vec<String> = got.unwrap_err().into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["scan[1]", "types[0]", "ignore_values[1]"]);
        assert_eq!(parse(r#"{"scan": []}"#).unwrap_err()[0].0, "scan");
        assert!(parse(r#"{"scna": []}"#).unwrap_err()[0].1.contains("unknown field"));
    }
}
