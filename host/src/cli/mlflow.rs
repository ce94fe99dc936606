//! `aiir models list` over an MLflow Model Registry: every registered model with its
//! aliases, and every version with its label, digest, tags, aiir's quarantine and the
//! store's known-good mark.
//! MLflow's strings are someone else's: each is cut short and escaped.

use super::store::table;
use crate::output::{format_time, print_json, print_text, terminal};
use crate::registry::Mlflow;
use crate::registry::mlflow::{ModelVersion, RegisteredModel};
use crate::store::{ModelVersionRow, Store};
use serde_json::{Value, json};

/// The longest MLflow string shown in a table cell.
const MAX_CELL: usize = 100;

/// A registered model, its versions, and which of them the store marks known-good.
type Listed = (RegisteredModel, Vec<ModelVersion>, Vec<bool>);

/// Print every model of the MLflow registry, as a table or JSON; `store`, when there
/// is one, says which versions are known-good.
pub(super) async fn list(mlflow: &Mlflow, store: Option<&Store>, as_json: bool) -> anyhow::Result<()> {
    let mut models = Vec::new();
    for model in mlflow.client.models().await? {
        let versions = mlflow.client.versions(&model.name).await?;
        let good = known_good(store, &model.name)?;
        let marked =
            versions.iter().map(|v| good.iter().any(|g| v.stands_for(&g.version, g.digest.as_deref()))).collect();
        models.push((model, versions, marked));
    }
    if as_json {
        let all: Vec<Value> = models.iter().map(|listed| model_json(mlflow, listed)).collect();
        print_json(&serde_json::to_string_pretty(&all)?);
    } else if models.is_empty() {
        print_text(&format!("no registered models in MLflow at {}", mlflow.client.url()));
    } else {
        print_text(&text(mlflow, &models));
    }
    Ok(())
}

/// The artifacts of `model` the store marks known-good; none without a store.
fn known_good(store: Option<&Store>, model: &str) -> anyhow::Result<Vec<ModelVersionRow>> {
    let rows = store.map(|s| s.versions(model)).transpose()?.unwrap_or_default();
    Ok(rows.into_iter().filter(|r| r.known_good).collect())
}

fn text(mlflow: &Mlflow, models: &[Listed]) -> String {
    let mut heads = vec![format!("MLflow at {}", mlflow.client.url())];
    let mut rows = Vec::new();
    for (m, versions, good) in models {
        let serving = match m.aliases.get(&mlflow.alias) {
            Some(v) => format!("version {}", short(v)),
            None => "nothing".into(),
        };
        heads.push(terminal::line(&format!("{} serves {serving} ({})", short(&m.name), mlflow.alias)).into_owned());
        for (v, good) in versions.iter().zip(good) {
            rows.push(vec![
                short(&m.name),
                short(&v.version),
                short(v.label()),
                short(v.digest().unwrap_or("(unknown)")),
                format_time(v.created_ms.saturating_mul(1_000_000)),
                aliases(m, v).join(", "),
                marks(v, *good),
            ]);
        }
    }
    let header = ["model", "version", "label", "digest", "registered", "aliases", "marks"];
    format!("{}\n\n{}", heads.join("\n"), table(&header, &rows))
}

/// `known-good, quarantined (INC-0015)`, or `-`.
fn marks(v: &ModelVersion, good: bool) -> String {
    let quarantined = v.quarantined().map(|by| format!("quarantined ({})", short(by)));
    let marks: Vec<String> = good.then(|| "known-good".to_owned()).into_iter().chain(quarantined).collect();
    if marks.is_empty() { "-".into() } else { marks.join(", ") }
}

fn model_json(mlflow: &Mlflow, (m, versions, good): &Listed) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .zip(good)
        .map(|(v, good)| {
            json!({
                "version": v.version,
                "label": v.label(),
                "digest": v.digest(),
                "source": v.source,
                "registered_at": format_time(v.created_ms.saturating_mul(1_000_000)),
                "aliases": aliases(m, v),
                "serving": m.aliases.get(&mlflow.alias) == Some(&v.version),
                "known_good": good,
                "quarantined": v.quarantined().is_some(),
                "quarantined_by_incident": v.quarantined(),
                "tags": v.tags,
            })
        })
        .collect();
    json!({
        "model": m.name,
        "registry": { "kind": "mlflow", "url": mlflow.client.url(), "alias": mlflow.alias },
        "serving": m.aliases.get(&mlflow.alias).map(|v| json!({ "version": v })),
        "aliases": m.aliases,
        "versions": versions,
    })
}

/// The aliases that point at `v`, shortened.
fn aliases(m: &RegisteredModel, v: &ModelVersion) -> Vec<String> {
    m.aliases.iter().filter(|(_, to)| **to == v.version).map(|(alias, _)| short(alias)).collect()
}

/// At most [`MAX_CELL`] characters; the table escapes what is left.
fn short(text: &str) -> String {
    match text.char_indices().nth(MAX_CELL) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
