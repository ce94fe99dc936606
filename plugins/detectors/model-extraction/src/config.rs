//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Problems, Settings, SettingsError};
use serde::Deserialize;
use std::collections::HashSet;

/// What `info` shows operators.
pub const DOC: &str = "\
Every key is optional. The plugin looks at inference events that name a `principal` \
(events without one are skipped) and counts, per principal, over a sliding window.

- `window_secs` (integer, 60 to 86 400, default `600`): the window's length; it slides \
in steps of a sixth of it.
- `volume_factor` (float, at least 1, default `10`): how far above its baseline a \
principal must go. The baseline is the larger of the principal's own average per window \
(an exponential average over about six windows, zero for a new principal) and the median \
of the principals active in the window (when at least five are).
- `min_requests` (integer, at least 1, default `30`): requests in the window below which \
`model-extraction/query-volume` (medium) never fires; it fires at \
`max(min_requests, volume_factor × baseline)`.
- `min_tokens` (integer, at least 1, default `50000`): the same floor for \
`model-extraction/token-spend` (medium), which counts `input_tokens + output_tokens` \
(missing counts as 0).
- `enumeration_min_requests` (integer, at least 3, default `20`): \
`model-extraction/enumeration` (high) fires when this many of a principal's prompts in \
the window follow one template (the last user message; words compared as a set, digits \
as one slot, at least 60% alike, four words or more) and at least 80% of them differ \
from the one before: a sweep through slot values rather than a retry. The title says \
when the numbers in them step by ten or less, a counter.
- `exempt_principals` (list of strings, default `[]`): principals never flagged, such as \
a batch job's service account.

Each rule fires once when its measure crosses the threshold and again only after the \
measure fell below half of it. State and its bounds: at most 4 096 principals, \
forgetting the least recently seen first (a forgotten principal starts again with no \
baseline); per principal six buckets of counts and at most four templates (the least \
used in the window is replaced). Events are seen in log order by one warm instance, \
timed by their `time` (an event older than one already seen counts as of the latest); \
when the host discards an instance after a failure, all counts and baselines start again.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `window_secs = 600`
    #[serde(default = "defaults::window_secs")]
    window_secs: u64,
    /// `volume_factor = 10.0`
    #[serde(default = "defaults::volume_factor")]
    volume_factor: f64,
    /// `min_requests = 30`
    #[serde(default = "defaults::min_requests")]
    min_requests: u64,
    /// `min_tokens = 50_000`
    #[serde(default = "defaults::min_tokens")]
    min_tokens: u64,
    /// `enumeration_min_requests = 20`
    #[serde(default = "defaults::enumeration_min_requests")]
    enumeration_min_requests: u64,
    /// `exempt_principals = ["svc:nightly-eval"]`
    #[serde(default)]
    exempt_principals: Vec<String>,
}

mod defaults {
    pub fn window_secs() -> u64 {
        600
    }
    pub fn volume_factor() -> f64 {
        10.0
    }
    pub fn min_requests() -> u64 {
        30
    }
    pub fn min_tokens() -> u64 {
        50_000
    }
    pub fn enumeration_min_requests() -> u64 {
        20
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub window_secs: u64,
    pub volume_factor: f64,
    /// Floors of the volume rules: requests, tokens.
    pub floors: [u64; 2],
    pub enumeration_min_requests: u64,
    pub exempt: HashSet<String>,
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
        let w = raw.window_secs;
        problems.require((60..=86_400).contains(&w), "window_secs", "between 60 and 86400", w);
        let f = raw.volume_factor;
        problems.require(f >= 1.0 && f.is_finite(), "volume_factor", "at least 1", f);
        problems.require(raw.min_requests >= 1, "min_requests", "at least 1", raw.min_requests);
        problems.require(raw.min_tokens >= 1, "min_tokens", "at least 1", raw.min_tokens);
        let e = raw.enumeration_min_requests;
        problems.require(e >= 3, "enumeration_min_requests", "at least 3", e);
        for (n, p) in raw.exempt_principals.iter().enumerate() {
            problems.require(!p.trim().is_empty(), format!("exempt_principals[{n}]"), "a principal", format!("{p:?}"));
        }
        problems.finish(|| Self {
            window_secs: raw.window_secs,
            volume_factor: raw.volume_factor,
            floors: [raw.min_requests, raw.min_tokens],
            enumeration_min_requests: raw.enumeration_min_requests,
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
    fn empty_settings_give_the_defaults() {
        let c = parse("{}").unwrap();
        assert_eq!(
            (c.window_secs, c.volume_factor, c.floors, c.enumeration_min_requests),
            (600, 10.0, [30, 50_000], 20)
        );
        assert!(c.exempt.is_empty());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let json = r#"{"window_secs": 5, "volume_factor": 0.5, "min_requests": 0, "min_tokens": 0,
            "enumeration_min_requests": 2, "exempt_principals": ["svc:a", " "]}"#;
        let got = parse(json).unwrap_err();
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        let expected = [
            "window_secs",
            "volume_factor",
            "min_requests",
            "min_tokens",
            "enumeration_min_requests",
            "exempt_principals[1]",
        ];
        assert_eq!(paths, expected);
        assert_eq!(got[0].1, "must be between 60 and 86400, not 5");
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_their_key() {
        assert_eq!(parse(r#"{"window": 600}"#).unwrap_err()[0].0, "window");
        assert_eq!(parse(r#"{"min_tokens": -1}"#).unwrap_err()[0].0, "min_tokens");
    }
}
