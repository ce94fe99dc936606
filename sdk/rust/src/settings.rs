//! The operator's settings for a plugin, as handed to `configure`.

use crate::{SettingsError, Severity};
use serde::de::DeserializeOwned;
use std::fmt::Display;

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

    /// An empty table: what a plugin gets when the operator sets nothing.
    pub fn empty() -> Self {
        Self { value: serde_json::Value::Object(serde_json::Map::new()) }
    }

    /// The settings as a JSON value.
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// Deserialize the settings into a struct of the plugin's. Use
    /// `#[serde(deny_unknown_fields)]` on it so that typos are reported. Every problem
    /// is reported, each with the path of its key (see [`parse_each`](Self::parse_each)).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Vec<SettingsError>> {
        match self.parse_each() {
            (Some(parsed), errors) if errors.is_empty() => Ok(parsed),
            (_, errors) => Err(errors),
        }
    }

    /// Read what can be read: the struct from the keys that have no problem (`None` when
    /// a required one is missing or in error), and every problem with its key's path, so
    /// a plugin can check the values it did read and report all at once.
    ///
    /// serde stops at the first problem, so the key it names is set aside and the rest
    /// read again until they pass; within one key only the first problem shows.
    pub fn parse_each<T: DeserializeOwned>(&self) -> (Option<T>, Vec<SettingsError>) {
        let mut value = self.value.clone();
        let mut errors = Vec::new();
        let mut set_aside = Vec::new();
        loop {
            let e = match serde_path_to_error::deserialize::<_, T>(&value) {
                Ok(parsed) => return (Some(parsed), errors),
                Err(e) => e,
            };
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            let message = e.inner().to_string();
            // A required key set aside is in error, not missing from what the operator wrote.
            let missing = set_aside.iter().any(|k: &String| message == format!("missing field `{k}`"));
            if !missing {
                errors.push(SettingsError::new(path.clone(), message));
            }
            let key = path.split(['.', '[']).next().unwrap_or_default().to_owned();
            match value.as_object_mut().and_then(|m| m.remove(&key)) {
                Some(_) => set_aside.push(key),
                None => return (None, errors),
            }
        }
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

/// What `parse` makes of an empty table: a plugin's defaults from the same code that
/// reads the operator's settings, so that the two cannot drift apart. Panics when the
/// defaults themselves are invalid, a bug of the plugin's that its first test shows.
pub fn defaults<T>(parse: impl FnOnce(&Settings) -> Result<T, Vec<SettingsError>>) -> T {
    parse(&Settings::empty()).unwrap_or_else(|errors| panic!("the default settings are invalid: {errors:?}"))
}

/// The problems found while checking the values of settings that parsed, so that a
/// plugin reports them all at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<SettingsError>);

impl Problems {
    /// Unless `ok`, note that `key` must be `rule`: "must be {rule}, not {value}".
    pub fn require(&mut self, ok: bool, key: impl Into<String>, rule: &str, value: impl Display) {
        if !ok {
            self.0.push(SettingsError::new(key, format!("must be {rule}, not {value}")));
        }
    }

    /// Note a problem of another form.
    pub fn push(&mut self, error: SettingsError) {
        self.0.push(error);
    }

    /// The settings `value` makes when no problem was noted, else every problem.
    pub fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T, Vec<SettingsError>> {
        if self.0.is_empty() { Ok(value()) } else { Err(self.0) }
    }
}

impl Extend<SettingsError> for Problems {
    fn extend<I: IntoIterator<Item = SettingsError>>(&mut self, errors: I) {
        self.0.extend(errors);
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

    fn limit(settings: &Settings) -> Result<u32, Vec<SettingsError>> {
        let three: Three = settings.parse_each().0.unwrap_or(Three { phrases: vec![], severity: None, limit: 5 });
        let mut problems = Problems::default();
        problems.require(three.limit <= 10, "limit", "at most 10", three.limit);
        problems.extend(blank_entries("phrases", &three.phrases));
        problems.finish(|| three.limit)
    }

    #[test]
    fn problems_are_all_reported_and_defaults_come_from_an_empty_table() {
        let s = Settings::from_json(r#"{"phrases": ["a", " "], "limit": 11}"#).unwrap();
        let errors = limit(&s).unwrap_err();
        assert_eq!(errors[0], SettingsError::new("limit", "must be at most 10, not 11"));
        assert_eq!(errors[1].path, "phrases[1]");
        assert_eq!(limit(&Settings::from_json(r#"{"phrases": [], "limit": 3}"#).unwrap()), Ok(3));
        assert_eq!(defaults(limit), 5);
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Three {
        phrases: Vec<String>,
        #[serde(default)]
        severity: Option<String>,
        #[serde(default)]
        limit: u32,
    }

    #[test]
    fn parse_reports_every_key_in_error_once() {
        let s = Settings::from_json(r#"{"phrases": [1], "severity": 2, "limit": -1, "colour": "red"}"#).unwrap();
        let paths: Vec<String> = s.parse::<Three>().unwrap_err().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["colour", "limit", "phrases[0]", "severity"]);
        let s = Settings::from_json(r#"{"limit": "x"}"#).unwrap();
        let errors = s.parse::<Three>().unwrap_err();
        let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.path.as_str(), e.message.as_str())).collect();
        assert_eq!(found[1], ("", "missing field `phrases`"), "{errors:?}");
        assert_eq!(found.len(), 2, "{errors:?}");
        let (rest, errors) = Settings::from_json(r#"{"phrases": ["a"], "limit": "x"}"#).unwrap().parse_each::<Three>();
        assert_eq!((rest.map(|t| t.phrases), errors.len()), (Some(vec!["a".to_owned()]), 1));
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
