//! `aiir eval`: run a detector chain over a labeled data set and measure it —
//! confusion matrix, precision, recall and false-positive rate with their intervals,
//! per source and kind of example (a prompt, or an agent session of several events),
//! each beside a length-only baseline; with folds, leave-one-source-out; for PII, per
//! type, locale and generator.

mod data;
mod groups;
mod metrics;
mod prompts;
mod report;

pub use data::Dataset;
use data::PromptRow;
pub use metrics::{Confusion, LengthBaseline, Rate};
pub use prompts::{Folds, PromptReport};
pub use report::PiiReport;

use crate::chain::Chain;
use crate::config::{self, Config};
use crate::run::{load_config, start_config};
use std::path::{Path, PathBuf};

/// What `aiir eval` was asked to do.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The labeled data set.
    pub data: PathBuf,
    /// A config whose detectors form the chain; else built-in plugins.
    pub config: Option<PathBuf>,
    /// Built-in plugins forming the chain; else the data set's defaults.
    pub plugins: Vec<String>,
    /// The precompiled-component cache.
    pub cache_dir: Option<PathBuf>,
    /// Hold out each source (or kind) of a prompt data set in turn.
    pub folds: Option<Folds>,
    /// List the rows the chain got wrong.
    pub errors: bool,
}

/// What a finding of a row counts for.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its rule.
    pub rule: String,
    /// How many pieces of evidence it gave (at least one).
    pub evidence: usize,
    /// Its confidence.
    pub confidence: f32,
}

/// Measure the chain on the data set; the report to print.
pub async fn eval(opts: &EvalOptions) -> anyhow::Result<report::Report> {
    let dataset = Dataset::load(&opts.data)?;
    let config = match &opts.config {
        Some(path) => load_config(Some(path), opts.cache_dir.clone(), false).await?,
        None => builtin_chain(&opts.plugins, dataset.default_plugins())?,
    };
    let mut chain = start_config(&config, opts.config.as_deref(), opts.cache_dir.clone()).await?;
    let found = inspect_all(&mut chain, &dataset, &opts.data).await;
    let plugins: Vec<String> = chain.plugins().iter().map(|p| p.name().to_owned()).collect();
    let name = opts.data.display().to_string();
    let prompts = |rows: &[PromptRow]| {
        let report = PromptReport::new(name.clone(), plugins.clone(), rows, &found, opts.folds);
        let report = if opts.errors { report.with_errors(rows, &found) } else { report };
        report::Report::Prompts(Box::new(report))
    };
    Ok(match &dataset {
        Dataset::Prompts(rows) => prompts(rows),
        Dataset::Sessions(sessions) => prompts(&sessions.iter().map(|s| s.row.clone()).collect::<Vec<_>>()),
        Dataset::Pii(_) if opts.errors => {
            anyhow::bail!("--errors needs a prompt or session data set; {name} is a PII one")
        }
        Dataset::Pii(rows) if opts.folds.is_none() => report::Report::Pii(PiiReport::new(name, plugins, rows, &found)),
        Dataset::Pii(_) => anyhow::bail!("--folds needs a prompt data set; {name} is a PII one"),
    })
}

/// The standard pack cut down to `named` plugins (or `defaults` when none are named).
fn builtin_chain(named: &[String], defaults: &[&str]) -> anyhow::Result<Config> {
    let wanted: Vec<&str> =
        if named.is_empty() { defaults.to_vec() } else { named.iter().map(String::as_str).collect() };
    let config = config::pack_config(|name| wanted.contains(&name));
    let missing: Vec<&&str> = wanted.iter().filter(|w| !config.detectors.iter().any(|d| d.name() == **w)).collect();
    if !missing.is_empty() {
        anyhow::bail!("no built-in plugin named {missing:?} (built-ins: {})", crate::pack::names().join(", "));
    }
    Ok(config)
}

/// Every row's findings (a session's from all its events), in row order. A plugin
/// failing on an event counts as no finding from it (and is reported on stderr).
async fn inspect_all(chain: &mut Chain, dataset: &Dataset, file: &Path) -> Vec<Vec<Found>> {
    let mut all = Vec::new();
    for (n, events) in dataset.events().iter().enumerate() {
        let at = format!("{} row {}", file.display(), n + 1);
        let mut found = Vec::new();
        for event in events {
            let replies = chain.inspect(event, &at).await;
            let findings = chain.counted(&replies).filter_map(|r| r.result.as_ref().ok()).flatten();
            found.extend(findings.map(|f| Found {
                evidence: f.evidence.len().max(1),
                confidence: f.confidence,
                rule: f.rule.clone(),
            }));
        }
        all.push(found);
    }
    all
}
