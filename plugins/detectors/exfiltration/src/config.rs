//! The plugin's settings: parsed, then validated with every problem reported at once.

use aiir_sdk::{Settings, SettingsError};
use datakit::link::HostList;
use serde::Deserialize;

/// What `info` shows operators.
pub const DOC: &str = "\
- `allowed_hosts` (list of strings, default `[]`): hosts that may receive data, e.g. \
`[\"northwind.example\", \"cdn.northwind.example\"]`; each entry covers its subdomains \
(`*.` may be written but is implied). Links, images and tool calls to these hosts never \
fire. With the default empty list, a link or tool call to any host fires only when it \
carries data: personal data or a credential (`sensitive-data-leak`'s recognizers, \
applied to the decoded URL and arguments), four or more words in a row from the \
conversation (user messages, tool results, system prompt), or a long encoded blob \
(base64 or hex). With a list, an image from a host not on it fires even without data \
(low), since rendering it already tells that host the answer was shown.

Rules: `exfiltration/markdown-image` (high when it carries personal data, credentials or \
conversation, medium for an encoded blob alone): an image in model output (markdown, \
reference-style or HTML `img`), fetched by the client with no click. \
`exfiltration/link` (medium, low for an encoded blob alone): a link or bare URL in model \
output. `exfiltration/tool-call` (high): a tool call whose URL or mail recipient is \
outside the list and whose URL or arguments carry data (a credential, a payment card, \
SSN or IBAN, three or more personal data, or an encoded blob). Evidence shows the URL \
with its data masked.";

/// The settings table, as the operator writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    /// `allowed_hosts = ["northwind.example"]`
    #[serde(default)]
    allowed_hosts: Vec<String>,
}

/// Validated settings.
#[derive(Debug, Default)]
pub struct Config {
    pub allowed_hosts: HostList,
}

impl Config {
    /// Parse and validate `settings`, reporting every invalid value.
    pub fn from_settings(settings: &Settings) -> Result<Self, Vec<SettingsError>> {
        let raw: Raw = settings.parse()?;
        let allowed_hosts = HostList::parse(&raw.allowed_hosts).map_err(|errors| {
            errors
                .into_iter()
                .map(|(n, message)| SettingsError::new(format!("allowed_hosts[{n}]"), message))
                .collect::<Vec<_>>()
        })?;
        Ok(Self { allowed_hosts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<(String, String)> {
        aiir_sdk::testkit::parse_settings(json, Config::from_settings).unwrap_err()
    }

    #[test]
    fn empty_settings_allow_no_host() {
        assert!(Config::from_settings(&Settings::empty()).unwrap().allowed_hosts.is_empty());
    }

    #[test]
    fn every_bad_host_is_reported_with_its_path() {
        let got = errors(r#"{"allowed_hosts": ["northwind.example", "https://cdn.example/", "", "a b"]}"#);
        let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["allowed_hosts[1]", "allowed_hosts[2]", "allowed_hosts[3]"]);
        assert!(got[0].1.contains("not a URL"), "{got:?}");
        assert!(errors(r#"{"allowed_host": []}"#)[0].1.contains("unknown field"));
    }
}
