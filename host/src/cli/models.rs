//! `aiir models`: the model registry of the store — its artifacts, the known-good
//! marks and the serving alias's history — or, when the config's `[registry]` is
//! MLflow's, `list` shows MLflow's models, versions, aliases and tags.

use super::store::{Missing, StoreArgs, operator, table};
use crate::output::{format_time, print_json, print_text, terminal};
use crate::registry::Registry;
use crate::store::{Artifact, ModelVersionRow, Store, now_unix_nano};
use anyhow::bail;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub(super) struct ModelsArgs {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// List the models: the artifact serving, and every version (label and digest)
    /// marked known-good, quarantined or serving. With a config whose `[registry]`
    /// is MLflow: its registered models, versions, aliases and tags.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark a version known-good, so a rollback can return to it. With --digest the
    /// artifact is registered first when the registry does not know it.
    MarkGood {
        /// The model's name.
        model: String,
        /// The version label.
        version: String,
        /// The artifact's digest, e.g. sha256:…; needed when the label names several.
        #[arg(long, value_name = "D")]
        digest: Option<String>,
    },
    /// What trained each version: the recorded training runs that produced it, what
    /// they read and the version they fine-tuned.
    Lineage {
        /// The model's name.
        model: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The serving alias's moves: when, from, to, by whom and why.
    History {
        /// The model's name.
        model: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Run an `aiir models` command.
pub(super) async fn execute(args: ModelsArgs) -> anyhow::Result<()> {
    match args.command {
        ModelsCommand::List { json } => match args.store.registry()? {
            Registry::Mlflow(mlflow) => super::mlflow::list(&mlflow, args.store.open_existing()?.as_ref(), json).await,
            Registry::Embedded => list(&args.store.open(Missing::Refuse)?, json),
        },
        ModelsCommand::MarkGood { model, version, digest } => {
            // Naming an artifact by its digest is enough to record it, even in a new store.
            let missing = if digest.is_some() { Missing::Create } else { Missing::Refuse };
            mark_good(&mut args.store.open(missing)?, &model, &version, digest.as_deref())
        }
        ModelsCommand::History { model, json } => history(&args.store.open(Missing::Refuse)?, &model, json),
        ModelsCommand::Lineage { model, json } => {
            super::lineage::model_lineage(&args.store.open(Missing::Refuse)?, &model, json)
        }
    }
}

fn list(store: &Store, json: bool) -> anyhow::Result<()> {
    let models = store.models()?;
    if json {
        let mut all = Vec::new();
        for m in &models {
            let versions: Vec<Value> = store.versions(&m.name)?.iter().map(version_json).collect();
            all.push(
                json!({ "model": m.name, "serving": m.serving.as_ref().map(artifact_json), "versions": versions }),
            );
        }
        print_json(&serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    if models.is_empty() {
        print_text(&format!("no models in {}", store.path().display()));
        return Ok(());
    }
    let mut rows = Vec::new();
    for m in &models {
        for v in store.versions(&m.name)? {
            rows.push(vec![
                m.name.clone(),
                v.version.clone(),
                v.digest.clone().unwrap_or_else(|| "(unknown)".into()),
                format_time(v.registered_at),
                marks(&v),
            ]);
        }
    }
    let serving: Vec<String> = models
        .iter()
        .map(|m| {
            let serving = m.serving.as_ref().map_or("nothing".into(), Artifact::to_string);
            terminal::line(&format!("{} serves {serving}", m.name)).into_owned()
        })
        .collect();
    print_text(&format!(
        "{}\n\n{}",
        serving.join("\n"),
        table(&["model", "version", "digest", "registered", "marks"], &rows)
    ));
    Ok(())
}

/// `serving, known-good, quarantined (INC-0003)`, or `-`.
fn marks(v: &ModelVersionRow) -> String {
    let mut marks = Vec::new();
    if v.serving {
        marks.push("serving".to_owned());
    }
    if v.known_good {
        marks.push("known-good".to_owned());
    }
    if v.quarantined {
        marks.push(match &v.quarantined_by_incident {
            Some(id) => format!("quarantined ({id})"),
            None => "quarantined".to_owned(),
        });
    }
    if marks.is_empty() { "-".into() } else { marks.join(", ") }
}

fn mark_good(store: &mut Store, model: &str, version: &str, digest: Option<&str>) -> anyhow::Result<()> {
    let actor = operator();
    store.atomically(|t| {
        if let Some(d) = digest {
            t.register_version(model, version, Some(d), now_unix_nano(), &actor)?;
        }
        t.mark_known_good(model, version, digest, &actor)
    })?;
    let artifact = Artifact { version: version.to_owned(), digest: digest.map(str::to_owned) };
    print_text(&format!("{model} {artifact} marked known-good"));
    Ok(())
}

fn history(store: &Store, model: &str, json: bool) -> anyhow::Result<()> {
    if !store.models()?.iter().any(|m| m.name == model) {
        bail!("no model {model:?} in the registry of {} (`aiir models list` lists them)", store.path().display());
    }
    let changes = store.alias_history(model)?;
    if json {
        let all: Vec<Value> = changes
            .iter()
            .map(|c| {
                json!({
                    "at": format_time(c.at),
                    "from": c.moved.from.as_ref().map(artifact_json),
                    "to": artifact_json(&c.moved.to),
                    "actor": c.actor,
                    "reason": c.reason,
                })
            })
            .collect();
        print_json(&serde_json::to_string_pretty(&all)?);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            vec![
                format_time(c.at),
                c.moved.from.as_ref().map_or("-".into(), Artifact::to_string),
                c.moved.to.to_string(),
                c.actor.clone(),
                c.reason.clone(),
            ]
        })
        .collect();
    print_text(&table(&["when", "from", "to", "actor", "reason"], &rows));
    Ok(())
}

fn artifact_json(a: &Artifact) -> Value {
    json!({ "version": a.version, "digest": a.digest })
}

fn version_json(v: &ModelVersionRow) -> Value {
    json!({
        "version": v.version,
        "digest": v.digest,
        "registered_at": format_time(v.registered_at),
        "serving": v.serving,
        "known_good": v.known_good,
        "quarantined": v.quarantined,
        "quarantined_by_incident": v.quarantined_by_incident,
    })
}
