//! The operator's settings for a plugin, as handed to `configure`.

use crate::{SettingsError, Severity};
use serde::de::DeserializeOwned;

/// The `settings` table of a detector's entry in `aiir.toml`, as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    value: serde_json::Value,
}

impl Settings {
    /// Read the JSON text the host passes to `configure`.
    pub fn from_json(json: &str) -> Result<Self, Vec<SettingsError>> {
        serde_json::from_str(json)
            .map(|value| Self { value })
            .map_err(|e| vec![SettingsError::new("", format!("settings are not valid JSON: {e}"))])
    }

    /// The settings as a JSON value.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// Deserialize the settings into a struct of the plugin's. Use
    /// `#[serde(deny_unknown_fields)]` on it so that typos are reported.
    /// An error names the path of the offending key.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Vec<SettingsError>> {
        serde_path_to_error::deserialize(&self.value).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            vec![SettingsError::new(path, e.inner().to_string())]
        })
    }

    /// Accept only an empty table: for detectors without settings.
    pub fn expect_empty(&self) -> Result<(), Vec<SettingsError>> {
        match &self.value {
            serde_json::Value::Object(map) => {
                let errors: Vec<_> =
                    map.keys().map(|key| SettingsError::new(key.clone(), "this plugin takes no settings")).collect();
                if errors.is_empty() { Ok(()) } else { Err(errors) }
            }
            _ => Err(vec![SettingsError::new("", "settings must be a table")]),
        }
    }
}

/// An error at `key[n]` for every blank entry of a list of strings in the settings.
pub fn blank_entries(key: &str, list: &[String]) -> Vec<SettingsError> {
    let blank = list.iter().enumerate().filter(|(_, s)| s.trim().is_empty());
    blank.map(|(n, _)| SettingsError::new(format!("{key}[{n}]"), "must not be empty")).collect()
}

/// The severity a setting names (`info` … `critical`), or the error at `key`.
pub fn severity_setting(key: &str, name: &str) -> Result<Severity, SettingsError> {
    Severity::from_name(name)
        .ok_or_else(|| SettingsError::new(key, format!("must be info, low, medium, high or critical, not {name:?}")))
}

impl SettingsError {
    /// A problem with the key at `path` (empty for the whole table).
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { path: path.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Config {
        allowed: Vec<Entry>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Entry {
        digest: String,
    }

    #[test]
    fn parse_errors_name_the_key_path() {
        let s = Settings::from_json(r#"{"allowed": [{"digest": "a"}, {"digest": 7}]}"#).unwrap();
        let errors = s.parse::<Config>().unwrap_err();
        assert_eq!(errors[0].path, "allowed[1].digest");
        assert!(errors[0].message.contains("invalid type"), "{errors:?}");
    }

    #[test]
    fn empty_settings_reject_every_key() {
        let s = Settings::from_json(r#"{"a": 1, "b": 2}"#).unwrap();
        let paths: Vec<_> = s.expect_empty().unwrap_err().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["a", "b"]);
    }

    #[test]
    fn invalid_json_is_one_error_on_the_whole_table() {
        let errors = Settings::from_json("{").unwrap_err();
        assert_eq!(errors[0].path, "");
    }

    #[test]
    fn blank_entries_and_severity_names_are_reported_at_their_keys() {
        let list = ["a".to_owned(), " ".to_owned(), String::new()];
        let paths: Vec<String> = blank_entries("families", &list).into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["families[1]", "families[2]"]);
        assert_eq!(severity_setting("min_severity", "high"), Ok(Severity::High));
        let e = severity_setting("min_severity", "urgent").unwrap_err();
        assert_eq!(
            (e.path.as_str(), e.message.as_str()),
            ("min_severity", "must be info, low, medium, high or critical, not \"urgent\"")
        );
    }
}
