//! `aiir watch-registry`: MLflow's alias and version changes as model-lifecycle events,
//! through the same detectors, host guard, store and responders as a log's.
//!
//! Each poll reads every registered model's versions and aliases into a [`Snapshot`].
//! What changed since the last snapshot (kept in the store, so that `--once` from cron
//! picks up where the last poll ended) becomes events:
//! - a new version: `registered`;
//! - the serving alias (`champion`) set or moved: `promoted`, which moves the store's
//!   alias too, unless the version is quarantined: then the guard raises the critical
//!   `aiir/quarantined-model`;
//! - another alias set or moved: `aliased`; an alias removed: `unaliased`.
//!
//! Each event names the model by its label and digest (the version's `version` and
//! `digest` tags, as [`ModelVersion::stands_for`] reads them), the MLflow version and
//! alias in its attributes. The snapshot is saved once the events are stored: a poll
//! cut short is seen again.

use super::Mlflow;
use super::mlflow::{MlflowError, ModelVersion};
use crate::decode::Format;
use crate::output;
use crate::run::{JobOptions, Outcome};
use crate::source::feed::Fed;
use crate::source::{Line, Position};
use crate::store::{Store, now_unix_nano};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The action of a move of the serving alias: one the store's registry follows.
const SERVING: &str = "promoted";

/// What `aiir watch-registry` was asked to do.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The chain, the store (required) and the output.
    pub job: JobOptions,
    /// Time between polls.
    pub interval: Duration,
    /// Poll once and stop.
    pub once: bool,
}

/// What a registry holds at one moment: per model, its aliases and versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    models: BTreeMap<String, ModelState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ModelState {
    /// Alias → MLflow version number.
    aliases: BTreeMap<String, String>,
    /// MLflow version number → what it is.
    versions: BTreeMap<String, VersionState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct VersionState {
    label: String,
    digest: Option<String>,
    quarantined: Option<String>,
}

impl From<&ModelVersion> for VersionState {
    fn from(v: &ModelVersion) -> Self {
        Self {
            label: v.label().to_owned(),
            digest: v.digest().map(str::to_owned),
            quarantined: v.quarantined().map(str::to_owned),
        }
    }
}

impl Snapshot {
    /// Read every model of the registry.
    pub async fn read(mlflow: &Mlflow) -> Result<Self, MlflowError> {
        let mut models = BTreeMap::new();
        for m in mlflow.client.models().await? {
            let versions = mlflow.client.versions(&m.name).await?;
            let versions = versions.iter().map(|v| (v.version.clone(), VersionState::from(v))).collect();
            models.insert(m.name, ModelState { aliases: m.aliases, versions });
        }
        Ok(Self { models })
    }

    /// The events that take `before` to `self`, as aiir JSON Lines, at `at`.
    pub fn changes_since(&self, before: &Snapshot, mlflow: &Mlflow, at: u64) -> Vec<String> {
        let mut lines = Vec::new();
        let empty = ModelState::default();
        for (name, now) in &self.models {
            let was = before.models.get(name).unwrap_or(&empty);
            let event = |action: &str, version: &str, extra: Value| {
                let v = now.versions.get(version).cloned().unwrap_or_default();
                event(mlflow, at, name, version, &v, action, extra)
            };
            for version in now.versions.keys().filter(|v| !was.versions.contains_key(*v)) {
                lines.push(event("registered", version, json!({})));
            }
            for (alias, version) in &now.aliases {
                let from = was.aliases.get(alias);
                if from == Some(version) {
                    continue;
                }
                let action = if *alias == mlflow.alias { SERVING } else { "aliased" };
                lines.push(event(action, version, json!({ "mlflow.alias": alias, "mlflow.from_version": from })));
            }
            for (alias, version) in was.aliases.iter().filter(|(a, _)| !now.aliases.contains_key(*a)) {
                lines.push(event("unaliased", version, json!({ "mlflow.alias": alias })));
            }
        }
        lines
    }
}

/// One model-lifecycle event in aiir's JSON Lines format.
fn event(mlflow: &Mlflow, at: u64, model: &str, version: &str, v: &VersionState, action: &str, extra: Value) -> String {
    let reference = json!({ "name": model, "version": v.label, "digest": v.digest });
    let mut attributes = json!({ "mlflow.url": mlflow.client.url(), "mlflow.version": version });
    if let (Some(all), Value::Object(more)) = (attributes.as_object_mut(), extra) {
        all.extend(more.into_iter().filter(|(_, value)| !value.is_null()));
    }
    if let Some(by) = &v.quarantined {
        attributes["mlflow.tag.aiir.quarantined"] = json!(by);
    }
    let mut event = json!({
        "id": format!("mlflow:{model}:{action}:{version}:{}", at / 1_000_000),
        "time": output::format_time(at),
        "source": "mlflow-registry",
        "payload": { "model_lifecycle": { "action": action, "model": reference, "registry": mlflow.client.url() } },
        "attributes": attributes,
    });
    // Only the serving alias's version serves what comes next: the event's own model,
    // which the host's guard checks against the quarantine.
    if action == SERVING {
        event["model"] = reference;
    }
    event.to_string()
}

/// Poll the MLflow registry of the config until SIGINT or SIGTERM (or once), each
/// change an event through the job's detectors and into its store.
pub async fn watch(opts: &WatchOptions) -> anyhow::Result<Outcome> {
    let stop = crate::run::stop_signal();
    tokio::pin!(stop);
    let config = crate::run::load_config(opts.job.config.as_deref(), opts.job.cache_dir.clone(), true).await?;
    let super::Registry::Mlflow(mlflow) = &config.registry else {
        anyhow::bail!(
            "watch-registry follows an MLflow registry: give --config with [registry] kind = \"mlflow\" and its url"
        )
    };
    let store = opts.job.store.clone().unwrap_or_else(|| config.store.clone());
    let counters = std::sync::Arc::default();
    let mut job = crate::run::Job::start(&opts.job, &config, crate::run::State::Kept, counters).await?;
    let mut snapshots = Store::open(&store)?;
    let inputs = [PathBuf::from(mlflow.client.url())];
    let result = async {
        loop {
            match poll(mlflow, &mut snapshots, &mut job, &inputs).await {
                Ok(()) => {}
                Err(e) if opts.once => return Err(e),
                Err(e) => output::diagnostic(&format!("aiir: {e:#}; trying again in {:?}", opts.interval)),
            }
            if opts.once {
                return Ok(());
            }
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(opts.interval) => {}
            }
        }
    }
    .await;
    job.finish(result)
}

/// One poll: read MLflow, hand what changed to the job, then keep the snapshot.
async fn poll(
    mlflow: &Mlflow,
    snapshots: &mut Store,
    job: &mut crate::run::Job,
    inputs: &[PathBuf],
) -> anyhow::Result<()> {
    let url = mlflow.client.url();
    let before: Snapshot = match snapshots.registry_snapshot(url)? {
        Some(text) => serde_json::from_str(&text).unwrap_or_default(),
        None => Snapshot::default(),
    };
    let now = Snapshot::read(mlflow).await?;
    let at = now_unix_nano();
    let lines = now.changes_since(&before, mlflow, at);
    if !lines.is_empty() {
        job.drain(queue_of(lines), inputs, Format::Aiir, true, std::future::pending()).await?;
    }
    snapshots.save_registry_snapshot(url, &serde_json::to_string(&now)?, at)?;
    Ok(())
}

/// A queue that holds `lines` and then ends.
fn queue_of(lines: Vec<String>) -> tokio::sync::mpsc::Receiver<anyhow::Result<Fed>> {
    let (tx, rx) = tokio::sync::mpsc::channel(lines.len().max(1));
    for (i, text) in lines.into_iter().enumerate() {
        let number = i as u64 + 1;
        let bytes = text.len() as u64;
        // No file position: nothing to resume by but the snapshot.
        let line = Line { at: Position { line: number, ..Position::default() }, number, text: Ok(text) };
        let _ = tx.try_send(Ok(Fed { input: 0, line, bytes }));
    }
    rx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::mlflow::Client;

    fn mlflow() -> Mlflow {
        Mlflow { client: Client::new("http://127.0.0.1:5000").unwrap(), alias: "champion".into() }
    }

    fn snapshot(aliases: &[(&str, &str)], versions: &[(&str, &str, Option<&str>)]) -> Snapshot {
        let aliases = aliases.iter().map(|(a, v)| ((*a).into(), (*v).into())).collect();
        let versions = versions
            .iter()
            .map(|(n, digest, by)| {
                let state = VersionState {
                    label: "2.3.1".into(),
                    digest: Some((*digest).into()),
                    quarantined: by.map(Into::into),
                };
                ((*n).into(), state)
            })
            .collect();
        Snapshot { models: BTreeMap::from([("m".into(), ModelState { aliases, versions })]) }
    }

    fn actions(lines: &[String]) -> Vec<(String, String, String)> {
        lines
            .iter()
            .map(|l| {
                let e: Value = serde_json::from_str(l).unwrap();
                let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
                (
                    s(&e["payload"]["model_lifecycle"]["action"]),
                    s(&e["attributes"]["mlflow.version"]),
                    s(&e["payload"]["model_lifecycle"]["model"]["digest"]),
                )
            })
            .collect()
    }

    #[test]
    fn a_first_poll_registers_every_version_and_promotes_the_serving_alias() {
        let now =
            snapshot(&[("champion", "2"), ("challenger", "1")], &[("1", "sha256:a", None), ("2", "sha256:b", None)]);
        let lines = now.changes_since(&Snapshot::default(), &mlflow(), 1_000_000_000);
        let expected = [
            ("registered", "1", "sha256:a"),
            ("registered", "2", "sha256:b"),
            ("aliased", "1", "sha256:a"),
            ("promoted", "2", "sha256:b"),
        ];
        assert_eq!(actions(&lines), expected.map(|(a, v, d)| (a.into(), v.into(), d.into())));
        assert!(now.changes_since(&now, &mlflow(), 2).is_empty(), "nothing changed, nothing to say");
    }

    #[test]
    fn a_move_onto_a_quarantined_version_says_so_and_a_removed_alias_is_unaliased() {
        let before = snapshot(
            &[("champion", "1"), ("old", "1")],
            &[("1", "sha256:a", None), ("2", "sha256:b", Some("INC-0015"))],
        );
        let now = snapshot(&[("champion", "2")], &[("1", "sha256:a", None), ("2", "sha256:b", Some("INC-0015"))]);
        let lines = now.changes_since(&before, &mlflow(), 1_000_000_000);
        assert_eq!(
            actions(&lines),
            [("promoted".into(), "2".into(), "sha256:b".into()), ("unaliased".into(), "1".into(), "sha256:a".into())]
        );
        let promoted: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(promoted["attributes"]["mlflow.tag.aiir.quarantined"], "INC-0015");
        assert_eq!(promoted["attributes"]["mlflow.from_version"], "1");
        let decoded = crate::decode::decode(Format::Aiir, &lines[0]).unwrap();
        assert_eq!(decoded.events[0].model.as_ref().unwrap().digest.as_deref(), Some("sha256:b"), "served from now on");
        let unaliased = crate::decode::decode(Format::Aiir, &lines[1]).unwrap();
        assert!(unaliased.events[0].model.is_none(), "an alias removed serves nothing");
    }
}
