//! {{name}}: proposes to block each principal behind enough findings of an incident of
//! the configured families.
//!
//! A responder never acts: it proposes, and the host carries a proposal out only as the
//! operator's `mode` allows (`dry-run`, `approve`, `enforce`). Start here: change
//! `respond`, and run `cargo test`.

use aiir_sdk::blank_entries;
use aiir_sdk::prelude::*;

/// What the operator may set in the `[responder.settings]` table of `aiir.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    families: Vec<String>,
    min_findings: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            families: vec!["prompt-injection".into()],
            min_findings: 3,
        }
    }
}

/// The responder: the families it answers and how many findings make a principal blocked.
#[derive(Debug)]
struct Block {
    families: Vec<String>,
    min_findings: usize,
}

impl Default for Block {
    fn default() -> Self {
        check(Config::default(), Vec::new())
            .unwrap_or_else(|e| panic!("the defaults are invalid: {e:?}"))
    }
}

/// The responder these settings make, or every problem with them.
fn check(config: Config, mut errors: Vec<SettingsError>) -> Result<Block, Vec<SettingsError>> {
    errors.extend(blank_entries("families", &config.families));
    if config.min_findings == 0 {
        errors.push(SettingsError::new("min_findings", "must be at least 1"));
    }
    if errors.is_empty() {
        Ok(Block {
            families: config.families,
            min_findings: config.min_findings,
        })
    } else {
        Err(errors)
    }
}

impl Responder for Block {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "{{name}}",
            "0.1.0",
            "Proposes to block principals behind repeated findings",
        )
        .settings(
            "families: incident families to answer (default [\"prompt-injection\"]); \
             min_findings: findings by one principal before it is blocked (default 3)",
        )
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        let (config, errors) = settings.parse_each::<Config>();
        *self = check(config.unwrap_or_default(), errors)?;
        Ok(())
    }

    fn respond(
        &mut self,
        incident: &Incident,
        store: &dyn StoreView,
    ) -> Result<Vec<Proposal>, String> {
        if !self.families.contains(&incident.family) {
            return Ok(Vec::new());
        }
        let findings = store.findings(&incident.id);
        let by = |p: &String| {
            findings
                .iter()
                .filter(|f| f.principal.as_ref() == Some(p))
                .count()
        };
        let blocked = incident
            .principals
            .iter()
            .filter(|p| by(p) >= self.min_findings);
        Ok(blocked
            .map(|p| Proposal::block(p, format!("{} findings by {p} in {}", by(p), incident.id)))
            .collect())
    }
}

aiir_sdk::export_responder!(Block);

#[cfg(test)]
mod tests {
    use super::*;
    use aiir_sdk::testkit::{ResponderHarness, Store};

    fn hit(event: &str, principal: &str) -> IncidentFinding {
        let finding = Finding::new("prompt-injection/direct", "injection", Severity::High);
        IncidentFinding::new(event, 1, "prompt-injection", finding).principal(principal)
    }

    #[test]
    fn blocks_only_the_principal_behind_enough_findings() {
        let store = Store::new()
            .finding("INC-1", hit("e1", "mallory"))
            .finding("INC-1", hit("e2", "mallory"))
            .finding("INC-1", hit("e3", "mallory"))
            .finding("INC-1", hit("e4", "alice"));
        let mut h = ResponderHarness::<Block>::new().store(store);
        let incident = Incident::new("INC-1", "prompt-injection", Scope::Principal, "mallory")
            .principals(["mallory", "alice"]);
        assert_eq!(
            h.respond(&incident),
            [Proposal::block("mallory", "3 findings by mallory in INC-1")]
        );
    }

    #[test]
    fn every_settings_problem_is_reported_with_its_path() {
        let errors = ResponderHarness::<Block>::with_settings(
            r#"{"families": [""], "min_findings": 0, "mode": 1}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["mode", "families[0]", "min_findings"], "{errors:?}");
    }
}
