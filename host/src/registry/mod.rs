//! Where models live. aiir's own registry in the store is the default: versions,
//! known-good marks, the serving alias and its history, moved by the log's lifecycle
//! events and by rollbacks. With `[registry] kind = "mlflow"` the serving alias lives
//! in an MLflow Model Registry ([`mlflow`]): a rollback moves that alias and a
//! quarantine tags the version there too, `aiir models` reads MLflow, and
//! `aiir watch-registry` ([`watch`]) turns MLflow's alias and version changes into
//! model-lifecycle events. The store still records every action and its audit.
//!
//! ```toml
//! [registry]
//! kind = "mlflow"                  # embedded (default) | mlflow
//! url = "http://127.0.0.1:5000"    # the MLflow tracking server
//! alias = "champion"               # the alias that says which version serves (default)
//! ```
//!
//! The registry is the operator's choice alone: a responder names a model and a
//! version, never a registry, a server or an alias.

pub mod mlflow;
pub mod watch;

use crate::config::{Problem, parse_lenient, unknown};
use crate::output::terminal::quoted;
use crate::store::Artifact;
use serde::Deserialize;

/// The alias aiir moves when the config names none.
pub const DEFAULT_ALIAS: &str = "champion";

/// The registry the actuators and `aiir models` work on.
#[derive(Debug, Clone, Default)]
pub enum Registry {
    /// The store's own registry: nothing beyond the store to change.
    #[default]
    Embedded,
    /// An MLflow Model Registry, with the store recording what aiir did to it.
    Mlflow(Mlflow),
}

/// An MLflow server and the alias that serves.
#[derive(Debug, Clone)]
pub struct Mlflow {
    /// The server.
    pub client: mlflow::Client,
    /// `champion`: the alias a rollback moves and the watch follows most closely.
    pub alias: String,
}

/// What a change to the store's registry means for a registry beyond it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing to do beyond the store (a block).
    None,
    /// The serving alias of `model` moves to `to`.
    Alias {
        /// The model.
        model: String,
        /// The artifact it moves to.
        to: Artifact,
    },
    /// The artifact is quarantined by `incident`.
    Quarantine {
        /// The model.
        model: String,
        /// The artifact; without a digest, every artifact of its label.
        artifact: Artifact,
        /// The incident that quarantines it, the tag's value.
        incident: String,
    },
}

impl Registry {
    /// Do `effect` in the registry: what to add to the action's summary, or why it
    /// could not be done (the action then fails and changes nothing in the store).
    pub async fn apply(&self, effect: &Effect) -> Result<String, String> {
        match (self, effect) {
            (Self::Embedded, _) | (_, Effect::None) => Ok(String::new()),
            (Self::Mlflow(m), Effect::Alias { model, to }) => m.move_alias(model, to).await,
            (Self::Mlflow(m), Effect::Quarantine { model, artifact, incident }) => {
                m.quarantine(model, artifact, incident).await
            }
        }
    }
}

impl Mlflow {
    /// Point the serving alias at the MLflow version that stands for `to`, refusing
    /// one aiir quarantined.
    async fn move_alias(&self, model: &str, to: &Artifact) -> Result<String, String> {
        let versions = self.client.versions(model).await.map_err(|e| e.to_string())?;
        let matching: Vec<_> = versions.iter().filter(|v| v.stands_for(&to.version, to.digest.as_deref())).collect();
        let Some(target) = matching.iter().rev().find(|v| v.quarantined().is_none()) else {
            let why = match matching.last() {
                Some(v) => format!(
                    "refusing to move {} of {} onto version {} in MLflow at {}: it is tagged {}={}",
                    quoted(&self.alias),
                    quoted(model),
                    quoted(&v.version),
                    self.client.url(),
                    mlflow::QUARANTINE_TAG,
                    quoted(v.quarantined().unwrap_or_default()),
                ),
                None => format!(
                    "MLflow at {} has no version of {} that stands for {to} (tag `{}` or `{}`)",
                    self.client.url(),
                    quoted(model),
                    mlflow::DIGEST_TAG,
                    mlflow::LABEL_TAG,
                ),
            };
            return Err(why);
        };
        self.client.set_alias(model, &self.alias, &target.version).await.map_err(|e| e.to_string())?;
        Ok(format!("; in MLflow {} → version {}", self.alias, target.version))
    }

    /// Tag every MLflow version that stands for the artifact; one MLflow does not have
    /// is quarantined in the store alone, and the summary says so.
    async fn quarantine(&self, model: &str, artifact: &Artifact, incident: &str) -> Result<String, String> {
        let versions = self.client.versions(model).await.map_err(|e| e.to_string())?;
        let mut tagged = Vec::new();
        for v in versions.iter().filter(|v| v.stands_for(&artifact.version, artifact.digest.as_deref())) {
            if v.quarantined().is_none() {
                self.client
                    .set_tag(model, &v.version, mlflow::QUARANTINE_TAG, incident)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            tagged.push(v.version.as_str());
        }
        Ok(match tagged.as_slice() {
            [] => "; MLflow has no version of it to tag".to_owned(),
            all => format!("; in MLflow version {} tagged {}", all.join(", "), mlflow::QUARANTINE_TAG),
        })
    }
}

/// The `[registry]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    /// `kind = "mlflow"`: `embedded` (the default) or `mlflow`.
    kind: Option<String>,
    /// `url = "http://127.0.0.1:5000"`: the MLflow server (mlflow only).
    url: Option<String>,
    /// `alias = "champion"`: the serving alias (mlflow only).
    alias: Option<String>,
}

/// The kinds of registry.
const KINDS: [&str; 2] = ["embedded", "mlflow"];

/// Read `[registry]`; the embedded one when the table is absent or has problems.
pub fn parse(value: Option<toml::Value>, problems: &mut Vec<Problem>) -> Registry {
    let Some(raw) = value.and_then(|v| parse_lenient::<RawRegistry>(v, "registry", problems)) else {
        return Registry::Embedded;
    };
    match raw.kind.as_deref().unwrap_or("embedded") {
        "embedded" => {
            for (key, set) in [("url", raw.url.is_some()), ("alias", raw.alias.is_some())] {
                if set {
                    problems.push(Problem::new(format!("registry.{key}"), "only kind = \"mlflow\" takes it"));
                }
            }
            Registry::Embedded
        }
        "mlflow" => mlflow_config(raw, problems).map_or(Registry::Embedded, Registry::Mlflow),
        other => {
            problems.push(unknown("registry", "kind", other, KINDS));
            Registry::Embedded
        }
    }
}

fn mlflow_config(raw: RawRegistry, problems: &mut Vec<Problem>) -> Option<Mlflow> {
    let alias = raw.alias.unwrap_or_else(|| DEFAULT_ALIAS.to_owned());
    let alias_ok = !alias.is_empty()
        && alias.len() <= 255
        && alias.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !alias_ok {
        problems.push(Problem::new(
            "registry.alias",
            format!("{} is not an MLflow alias: letters, digits, _ and -", quoted(&alias)),
        ));
    }
    let client = match raw.url.as_deref().map(mlflow::Client::new) {
        Some(Ok(client)) => Some(client),
        Some(Err(why)) => {
            problems.push(Problem::new("registry.url", why));
            None
        }
        None => {
            problems.push(Problem::new(
                "registry.url",
                "kind = \"mlflow\" needs the server's url, e.g. \"http://127.0.0.1:5000\"",
            ));
            None
        }
    };
    Some(Mlflow { client: client?, alias }).filter(|_| alias_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(toml: &str) -> Vec<String> {
        let mut problems = Vec::new();
        parse(Some(toml::from_str(toml).unwrap()), &mut problems);
        problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect()
    }

    #[test]
    fn a_registry_is_embedded_unless_the_config_names_mlflow_and_its_url() {
        assert!(matches!(parse(None, &mut Vec::new()), Registry::Embedded));
        let mut found = Vec::new();
        let value = toml::from_str("kind = \"mlflow\"\nurl = \"http://127.0.0.1:5000\"").unwrap();
        let Registry::Mlflow(m) = parse(Some(value), &mut found) else { panic!("not mlflow: {found:?}") };
        assert_eq!((m.client.url(), m.alias.as_str(), found.len()), ("http://127.0.0.1:5000", "champion", 0));
    }

    #[test]
    fn every_problem_of_the_registry_table_is_at_its_path() {
        assert_eq!(
            problems("kind = \"neptune\""),
            ["registry.kind: unknown kind \"neptune\": expected one of \"embedded\", \"mlflow\""]
        );
        assert_eq!(
            problems("kind = \"mlflow\""),
            ["registry.url: kind = \"mlflow\" needs the server's url, e.g. \"http://127.0.0.1:5000\""]
        );
        assert_eq!(
            problems("kind = \"mlflow\"\nurl = \"127.0.0.1:5000\"\nalias = \"a b\""),
            [
                "registry.alias: \"a b\" is not an MLflow alias: letters, digits, _ and -",
                "registry.url: \"127.0.0.1:5000\" is not an http:// or https:// URL",
            ]
        );
        assert_eq!(problems("url = \"http://h\""), ["registry.url: only kind = \"mlflow\" takes it"]);
        assert_eq!(
            problems("kind = \"mlflow\"\nuri = \"x\"")[0],
            "registry.uri: unknown field `uri`, expected one of `kind`, `url`, `alias`"
        );
    }
}
