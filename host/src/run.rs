//! The `aiir run` job: sources → decode → route → detectors → output.

use crate::config::{self, Config, ConfigError, Problem};
use crate::decode::decode_line;
use crate::output::{self, FindingRecord, Sink, Summary};
use crate::route::Routes;
use crate::runtime::{LoadError, Plugin, Runtime};
use crate::source::Input;
use anyhow::Context as _;
use std::path::{Path, PathBuf};

/// What `aiir run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The config file; the standard pack when absent.
    pub config: Option<PathBuf>,
    /// Log files; `-` is stdin.
    pub inputs: Vec<PathBuf>,
    /// Where findings go; stdout when absent.
    pub output: Option<PathBuf>,
    /// The precompiled-component cache; none disables it.
    pub cache_dir: Option<PathBuf>,
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every line was an event and every plugin inspected every event it wanted.
    Clean,
    /// Some lines were rejected or some plugin calls failed; all else went through.
    Partial,
}

/// Run the detectors over the inputs.
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    let config = match &opts.config {
        Some(path) => config::load(path)?,
        None => config::default_config(),
    };
    let runtime = Runtime::new(opts.cache_dir.clone())?;
    let mut plugins = start_plugins(&runtime, &config)
        .await
        .map_err(|problems| ConfigError {
            file: opts.config.clone(),
            problems,
        })?;
    let routes = Routes::new(&plugins);
    let mut sink = Sink::open(opts.output.as_deref())
        .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
    let mut summary = Summary::new(plugins.len());
    let stdin = [PathBuf::from("-")];
    let inputs = if opts.inputs.is_empty() {
        &stdin[..]
    } else {
        &opts.inputs[..]
    };
    for path in inputs {
        let mut input = Input::open(path)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        process(&mut input, &mut plugins, &routes, &mut sink, &mut summary).await?;
    }
    summary.print(&plugins);
    let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| p.errors > 0);
    Ok(if failed {
        Outcome::Partial
    } else {
        Outcome::Clean
    })
}

/// Load and start every configured plugin; report every one that fails.
async fn start_plugins(runtime: &Runtime, config: &Config) -> Result<Vec<Plugin>, Vec<Problem>> {
    let mut plugins = Vec::new();
    let mut problems = Vec::new();
    for d in &config.detectors {
        match start_one(runtime, d).await {
            Ok(p) => plugins.push(p),
            Err(e) => problems.extend(problems_of(d, e)),
        }
    }
    if problems.is_empty() {
        Ok(plugins)
    } else {
        Err(problems)
    }
}

async fn start_one(runtime: &Runtime, d: &config::DetectorConfig) -> Result<Plugin, LoadError> {
    let loaded = runtime.load(&d.wasm)?;
    let plugin = Plugin::start(&d.name, loaded, d.settings.clone()).await?;
    let stats = plugin.stats();
    tracing::info!(
        plugin = d.name,
        cached = stats.cached,
        load_ms = stats.load_time.as_secs_f64() * 1e3,
        "plugin loaded"
    );
    Ok(plugin)
}

/// A load error as config problems: settings errors at their own paths.
fn problems_of(d: &config::DetectorConfig, e: LoadError) -> Vec<Problem> {
    match e {
        LoadError::Settings(errors) => errors
            .into_iter()
            .map(|s| {
                Problem::new(
                    config::join(&format!("{}.settings", d.path), &s.path),
                    format!("plugin {:?}: {}", d.name, s.message),
                )
            })
            .collect(),
        other => vec![Problem::new(
            d.path.clone(),
            format!("plugin {:?} ({}): {other}", d.name, d.origin),
        )],
    }
}

async fn process(
    input: &mut Input,
    plugins: &mut [Plugin],
    routes: &Routes,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    while let Some(line) = input
        .next_line()
        .await
        .with_context(|| format!("cannot read {}", input.name()))?
    {
        let event = line
            .text
            .and_then(|t| decode_line(&t).map_err(|e| e.message));
        let event = match event {
            Ok(e) => e,
            Err(message) => {
                summary.rejected += 1;
                output::diagnostic(&format!(
                    "aiir: {}:{}: {message}",
                    input.name(),
                    line.number
                ));
                continue;
            }
        };
        summary.events += 1;
        for &i in routes.targets(&event) {
            let plugin = &mut plugins[i];
            let counts = &mut summary.plugins[i];
            match plugin.inspect(&event).await {
                Ok(findings) => {
                    counts.inspected += 1;
                    counts.findings += findings.len() as u64;
                    for f in &findings {
                        summary.by_severity[f.severity as usize] += 1;
                        sink.write(&FindingRecord::new(&event, plugin, f))
                            .context("cannot write findings")?;
                    }
                }
                Err(e) => {
                    counts.errors += 1;
                    output::diagnostic(&format!(
                        "aiir: plugin {:?} on event {:?} ({}:{}): {e}",
                        plugin.name(),
                        event.id,
                        input.name(),
                        line.number
                    ));
                }
            }
        }
    }
    Ok(())
}

fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}
