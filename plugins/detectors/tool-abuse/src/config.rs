//! The plugin's settings: parsed, then validated with every problem reported at once.

use crate::capability::Capability;
use aiir_sdk::{Settings, SettingsError, blank_entries};
use datakit::link::HostList;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Largest `burst_calls`: each tracked session keeps that many timestamps.
const MAX_BURST_CALLS: usize = 10_000;

/// What `info` shows operators.
pub const DOC: &str = "\
- `allowed_tools` (list of strings, default `[]`): tools that may run commands or code \
in your deployment (a coding agent's `bash`), exempt from `tool-abuse/dangerous-tool`; \
their commands are still checked for destruction.
- `allowed_hosts` (list of strings, default `[]`): hosts (and their subdomains) that \
tools may reach. When empty, `tool-abuse/outbound` fires only for IP-address hosts, \
cloud metadata and loopback addresses, and known data-drop services (request bins, \
tunnels, paste sites); when set, for any URL or mail domain not on it.
- `burst_calls` (integer, 1 to 10 000, default `15`) and `burst_window_secs` (integer ≥ 1, \
default `60`): `tool-abuse/burst` fires when one session (or, without a session, one \
principal) makes more than `burst_calls` tool calls within `burst_window_secs` by the \
events' times; once per burst, again only after the rate has dropped back. The windows \
are kept in the host's keyed state (bounded by the host's `max_state_bytes`), so a count \
survives a restart and moves with its session to another worker.
- `capabilities` (table of tool name → capability, default none): what a tool does when its name and arguments do not say it, or say it wrongly: `transfer`, `credentials`, `share`, `delete`, `send`, `execute`, or `none` for a tool that does nothing sensitive. Without an entry, a tool's capability is read from its name's words (`send_money`, `updatePassword`, `share_doc`) and then its arguments' keys (`iban`, `role`, `to`).

Rules: `tool-abuse/dangerous-tool` (medium): a shell, exec or eval tool. \
`tool-abuse/destructive-command` (high; critical for wiping `/` or home, disks, fork \
bombs, piping a download into a shell): in a shell tool's arguments or a `command`, \
`script`, `code`, `query` or `sql` argument. `tool-abuse/injection` (high): shell \
metacharacters chaining a command, SQL injection, path traversal or local-file URLs in \
another tool's arguments. `tool-abuse/outbound` (medium; high for metadata and loopback \
addresses). `tool-abuse/burst` (medium).";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `allowed_tools = ["bash"]`
    #[serde(default)]
    allowed_tools: Vec<String>,
    /// `allowed_hosts = ["api.northwind.example"]`
    #[serde(default)]
    allowed_hosts: Vec<String>,
    /// `burst_calls = 15`
    burst_calls: Option<i64>,
    /// `burst_window_secs = 60`
    burst_window_secs: Option<i64>,
    /// `capabilities = { acme_payout = "transfer", send_digest = "none" }`
    #[serde(default)]
    capabilities: BTreeMap<String, String>,
}

/// Validated settings.
#[derive(Debug)]
pub struct Config {
    pub allowed_tools: Vec<String>,
    pub allowed_hosts: HostList,
    pub burst_calls: usize,
    pub burst_window_secs: u64,
    /// The operator's catalogue: tool → its capability (`None`: nothing sensitive).
    pub capabilities: Vec<(String, Option<Capability>)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allowed_tools: Vec::new(),
            allowed_hosts: HostList::default(),
            burst_calls: 15,
            burst_window_secs: 60,
            capabilities: Vec::new(),
        }
    }
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let mut errors = Vec::new();
        let mut config = Config::default();
        let mut bounded = |key: &str, value: Option<i64>, max: i64, into: &mut usize| match value {
            Some(v) if (1..=max).contains(&v) => *into = v as usize,
            Some(v) => errors.push(SettingsError::new(key, format!("must be between 1 and {max}, not {v}"))),
            None => {}
        };
        bounded("burst_calls", raw.burst_calls, MAX_BURST_CALLS as i64, &mut config.burst_calls);
        let mut window = config.burst_window_secs as usize;
        bounded("burst_window_secs", raw.burst_window_secs, i64::from(u32::MAX), &mut window);
        config.burst_window_secs = window as u64;
        errors.extend(blank_entries("allowed_tools", &raw.allowed_tools));
        config.allowed_tools = raw.allowed_tools;
        match HostList::parse(&raw.allowed_hosts) {
            Ok(hosts) => config.allowed_hosts = hosts,
            Err(bad) => {
                errors.extend(bad.into_iter().map(|(n, m)| SettingsError::new(format!("allowed_hosts[{n}]"), m)))
            }
        }
        config.capabilities = catalogue(raw.capabilities, &mut errors);
        if errors.is_empty() { Ok(config) } else { Err(errors) }
    }
}

/// The `capabilities` table, each unknown name an error at its path.
fn catalogue(raw: BTreeMap<String, String>, errors: &mut Vec<SettingsError>) -> Vec<(String, Option<Capability>)> {
    let mut out = Vec::new();
    for (tool, name) in raw {
        match (name.as_str(), Capability::named(&name)) {
            ("none", _) => out.push((tool, None)),
            (_, Some(c)) => out.push((tool, Some(c))),
            (_, None) => errors.push(SettingsError::new(
                format!("capabilities.{tool}"),
                format!("unknown capability {name:?}: use one of {}, or none", Capability::names().join(", ")),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, Vec<(String, String)>> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings)
    }

    #[test]
    fn empty_settings_give_the_defaults() {
        let config = parse("{}").unwrap();
        assert_eq!((config.burst_calls, config.burst_window_secs), (15, 60));
        assert!(config.allowed_tools.is_empty() && config.allowed_hosts.is_empty());
    }

    #[test]
    fn every_bad_value_is_reported_with_its_path() {
        let json = r#"{"allowed_tools": ["bash", " "], "allowed_hosts": ["http://x.example"],
                       "burst_calls": 0, "burst_window_secs": -5,
                       "capabilities": {"pay": "transfer", "x": "teleport"}}"#;
        let paths: Vec<String> = parse(json).unwrap_err().into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            ["burst_calls", "burst_window_secs", "allowed_tools[1]", "allowed_hosts[0]", "capabilities.x"]
        );
        assert!(parse(r#"{"burst": 3}"#).unwrap_err()[0].1.contains("unknown field"));
    }
}
