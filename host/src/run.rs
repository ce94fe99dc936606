//! The `aiir run` job: sources → decode → route → detectors → output, with each
//! plugin's failure policy applied to the events it fails on.

use crate::config::{self, Config, ConfigError, DetectorConfig, Problem};
use crate::decode::decode_line;
use crate::output::{self, FindingRecord, Sink, Summary};
use crate::policy::{Breaker, OnError};
use crate::route::Routes;
use crate::runtime::{Event, LoadError, Plugin, PluginError, Reason, Runtime};
use crate::source::Input;
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

/// A started plugin with its failure policy.
#[derive(Debug)]
struct Slot {
    plugin: Plugin,
    on_error: OnError,
    breaker: Breaker,
}

/// Where an event came from, for messages.
struct Origin<'a> {
    input: &'a str,
    line: usize,
}

/// Run the detectors over the inputs.
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    let config = match &opts.config {
        Some(path) => config::load(path)?,
        None => config::default_config(),
    };
    let fuel = config.detectors.iter().any(|d| d.setup.limits.fuel.is_some());
    let runtime = Runtime::new(opts.cache_dir.clone(), fuel)?;
    let mut slots =
        start_all(&runtime, &config).await.map_err(|problems| ConfigError { file: opts.config.clone(), problems })?;
    let routes = Routes::new(&slots.iter().map(|s| s.plugin.info()).collect::<Vec<_>>());
    let mut sink = Sink::open(opts.output.as_deref())
        .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
    let mut summary = Summary::new(slots.len());
    let stdin = [PathBuf::from("-")];
    let inputs = if opts.inputs.is_empty() { &stdin[..] } else { &opts.inputs[..] };
    for path in inputs {
        let mut input = Input::open(path).await.with_context(|| format!("cannot open {}", path.display()))?;
        process(&mut input, &mut slots, &routes, &mut sink, &mut summary).await?;
    }
    let plugins: Vec<&Plugin> = slots.iter().map(|s| &s.plugin).collect();
    summary.print(&plugins);
    let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| !p.errors.is_empty());
    Ok(if failed { Outcome::Partial } else { Outcome::Clean })
}

/// Load and start every configured plugin; report every one that fails.
async fn start_all(runtime: &Runtime, config: &Config) -> Result<Vec<Slot>, Vec<Problem>> {
    let mut slots = Vec::new();
    let mut problems = Vec::new();
    for d in &config.detectors {
        match start_one(runtime, d).await {
            Ok(plugin) => slots.push(Slot { plugin, on_error: d.on_error, breaker: Breaker::new(d.breaker) }),
            Err(e) => problems.extend(problems_of(d, e)),
        }
    }
    if problems.is_empty() { Ok(slots) } else { Err(problems) }
}

async fn start_one(runtime: &Runtime, d: &DetectorConfig) -> Result<Plugin, LoadError> {
    let plugin = runtime.load(&d.wasm, &d.setup.sandbox)?.start(d.setup.clone()).await?;
    let stats = plugin.stats();
    tracing::info!(
        plugin = d.name(),
        cached = stats.cached,
        load_ms = stats.load_time.as_secs_f64() * 1e3,
        "plugin loaded"
    );
    Ok(plugin)
}

/// A load error as config problems: settings errors at their own paths.
fn problems_of(d: &DetectorConfig, e: LoadError) -> Vec<Problem> {
    match e {
        LoadError::Settings(errors) => errors
            .into_iter()
            .map(|s| {
                let path = config::join(&format!("{}.settings", d.path), &s.path);
                Problem::new(path, format!("plugin {:?}: {}", d.name(), s.message))
            })
            .collect(),
        other => vec![Problem::new(d.path.clone(), format!("plugin {:?} ({}): {other}", d.name(), d.origin))],
    }
}

async fn process(
    input: &mut Input,
    slots: &mut [Slot],
    routes: &Routes,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    while let Some(line) = input.next_line().await.with_context(|| format!("cannot read {}", input.name()))? {
        let origin = Origin { input: input.name(), line: line.number };
        match line.text.and_then(|t| decode_line(&t).map_err(|e| e.message)) {
            Ok(event) => {
                summary.events += 1;
                for &i in routes.targets(&event) {
                    inspect(&mut slots[i], i, &event, &origin, sink, summary).await?;
                }
            }
            Err(message) => {
                summary.rejected += 1;
                output::diagnostic(&format!("aiir: {}:{}: {message}", origin.input, origin.line));
            }
        }
    }
    Ok(())
}

/// Send one event to one plugin and write what comes back, or apply its failure
/// policy.
async fn inspect(
    slot: &mut Slot,
    index: usize,
    event: &Event,
    origin: &Origin<'_>,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let result = if slot.breaker.is_open() {
        Err(PluginError::new(Reason::Disabled, "disabled by its circuit breaker"))
    } else {
        slot.plugin.inspect(event).await.0
    };
    match result {
        Ok(findings) => {
            summary.plugins[index].inspected(findings.len());
            for f in &findings {
                emit(sink, summary, FindingRecord::new(event, &slot.plugin, f))?;
            }
        }
        Err(error) => {
            summary.plugins[index].failed(error.reason);
            fail(slot, event, origin, &error);
            if slot.on_error == OnError::FailClosed {
                let f = output::not_inspected(slot.plugin.name(), &error);
                emit(sink, summary, FindingRecord::new(event, &slot.plugin, &f).with_error(&error))?;
            }
        }
    }
    Ok(())
}

fn emit(sink: &mut Sink, summary: &mut Summary, record: FindingRecord<'_>) -> anyhow::Result<()> {
    summary.count(&record);
    sink.write(&record).context("cannot write findings")
}

/// Say what failed, and open the breaker when the plugin keeps failing.
fn fail(slot: &mut Slot, event: &Event, origin: &Origin<'_>, error: &PluginError) {
    let name = slot.plugin.name();
    if error.reason == Reason::Disabled {
        return;
    }
    output::diagnostic(&format!(
        "aiir: plugin {name:?} did not inspect event {:?} ({}:{}): {error}",
        event.id, origin.input, origin.line
    ));
    if slot.breaker.record_failure(Instant::now()) {
        let c = slot.breaker.config();
        output::diagnostic(&format!(
            "aiir: plugin {name:?} DISABLED for the rest of the run after {} failures within {} s; events it would have inspected are recorded as not inspected",
            c.failures, c.window_secs
        ));
    }
}

fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}
