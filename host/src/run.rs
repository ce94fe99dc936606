//! The `aiir run` job: sources → decode → the chain of detectors → output, with each
//! plugin's failure policy applied to the events it fails on.

use crate::chain::{Chain, Reply};
use crate::config::{self, Config, ConfigError};
use crate::decode::{Format, decode};
use crate::output::{self, FindingRecord, Sink, Style, Summary};
use crate::pipeline::{Inspected, Pipeline};
use crate::runtime::{Event, Runtime};
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
    /// How the inputs are written.
    pub format: Format,
    /// How findings are written.
    pub style: Style,
    /// Worker threads inspecting events; 1 runs the chain on the caller's task.
    pub workers: usize,
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every line was an event and every plugin inspected every event it wanted.
    Clean,
    /// Some lines were rejected or some plugin calls failed; all else went through.
    Partial,
}

/// Read the config (the standard pack without one) and start its chain.
pub async fn start_chain(config_file: Option<&Path>, cache_dir: Option<PathBuf>) -> anyhow::Result<Chain> {
    let config = match config_file {
        Some(path) => config::load(path)?,
        None => config::default_config(),
    };
    start_config(&config, config_file, cache_dir).await
}

/// Start the chain of a configuration that is already read.
pub async fn start_config(config: &Config, file: Option<&Path>, cache_dir: Option<PathBuf>) -> anyhow::Result<Chain> {
    let fuel = config.detectors.iter().any(|d| d.setup.limits.fuel.is_some());
    let runtime = Runtime::new(cache_dir, fuel)?;
    let chain = Chain::start(&runtime, config).await;
    Ok(chain.map_err(|problems| ConfigError { file: file.map(Path::to_owned), problems })?)
}

/// Run the detectors over the inputs.
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    let chain = start_chain(opts.config.as_deref(), opts.cache_dir.clone()).await?;
    let mut pipeline = Pipeline::start(chain, opts.workers).await?;
    let mut sink = Sink::open(opts.output.as_deref(), opts.style)
        .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
    let mut summary = Summary::new(pipeline.chain().plugins().len());
    let stdin = [PathBuf::from("-")];
    let inputs = if opts.inputs.is_empty() { &stdin[..] } else { &opts.inputs[..] };
    for path in inputs {
        let mut input = Input::open(path).await.with_context(|| format!("cannot open {}", path.display()))?;
        process(&mut input, opts.format, &mut pipeline, &mut sink, &mut summary).await?;
    }
    for done in pipeline.flush().await {
        write_all(done, pipeline.chain(), &mut sink, &mut summary)?;
    }
    summary.print(&pipeline.chain().plugins());
    let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| !p.errors.is_empty());
    Ok(if failed { Outcome::Partial } else { Outcome::Clean })
}

async fn process(
    input: &mut Input,
    format: Format,
    pipeline: &mut Pipeline,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    while let Some(line) = input.next_line().await.with_context(|| format!("cannot read {}", input.name()))? {
        let at = format!("{}:{}", input.name(), line.number);
        match line.text.and_then(|t| decode(format, &t).map_err(|e| e.message)) {
            Ok(decoded) => {
                summary.skipped += decoded.skipped;
                for event in decoded.events {
                    summary.events += 1;
                    for done in pipeline.push(event, &at).await {
                        write_all(done, pipeline.chain(), sink, summary)?;
                    }
                }
            }
            Err(message) => {
                summary.rejected += 1;
                output::diagnostic(&format!("aiir: {at}: {message}"));
            }
        }
    }
    Ok(())
}

fn write_all((event, replies): Inspected, chain: &Chain, sink: &mut Sink, summary: &mut Summary) -> anyhow::Result<()> {
    replies.into_iter().try_for_each(|outcome| write(outcome, &event, chain, sink, summary))
}

/// Write what a plugin found, or, for a fail-closed plugin that failed, the
/// synthetic finding that says the event was not inspected.
pub(crate) fn write(
    outcome: Reply,
    event: &Event,
    chain: &Chain,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let plugin = chain.plugin(outcome.plugin);
    let counts = &mut summary.plugins[outcome.plugin];
    match outcome.result {
        Ok(findings) => {
            counts.inspected(findings.len());
            for f in &findings {
                emit(sink, summary, FindingRecord::new(event, plugin, f))?;
            }
        }
        Err(error) => {
            counts.failed(error.reason);
            if chain.fails_closed(outcome.plugin) {
                let f = output::not_inspected(plugin.name(), &error);
                emit(sink, summary, FindingRecord::new(event, plugin, &f).with_error(&error))?;
            }
        }
    }
    Ok(())
}

fn emit(sink: &mut Sink, summary: &mut Summary, record: FindingRecord<'_>) -> anyhow::Result<()> {
    summary.count(&record);
    sink.write(&record).context("cannot write findings")
}

/// A findings destination for messages: the file, or `stdout`.
pub(crate) fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}
