//! The `aiir run` job: sources → decode → the chain of detectors → output, with each
//! plugin's failure policy applied to the events it fails on.

use crate::chain::{Chain, Reply};
use crate::config::{self, Config, ConfigError};
use crate::decode::{Format, decode};
use crate::ledger::{Hit, Ledger};
use crate::output::{self, FindingRecord, Sink, Style, Summary};
use crate::progress::{Counters, Progress};
use crate::runtime::{Event, Runtime};
use crate::source::feed::{self, Fed, Mode, Queue};
use anyhow::Context as _;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

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
    /// Follow the inputs as they grow, looking for new lines this often.
    pub follow: Option<Duration>,
    /// How many lines may wait between the readers and the detectors.
    pub queue: usize,
    /// Show a progress line on a terminal for large inputs.
    pub progress: bool,
    /// Keep findings and checkpoints in this store: each finding is written once,
    /// and a followed file resumes after its checkpoint.
    pub store: Option<PathBuf>,
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
    start_config(&read_config(config_file)?, config_file, cache_dir).await
}

/// The config in `file`, or the standard pack's without one.
fn read_config(file: Option<&Path>) -> Result<Config, ConfigError> {
    file.map_or_else(|| Ok(config::default_config()), config::load)
}

/// Start the chain of a configuration that is already read.
pub async fn start_config(config: &Config, file: Option<&Path>, cache_dir: Option<PathBuf>) -> anyhow::Result<Chain> {
    let fuel = config.detectors.iter().any(|d| d.setup.limits.fuel.is_some());
    let runtime = Runtime::new(cache_dir, fuel)?;
    let chain = Chain::start(&runtime, config).await;
    Ok(chain.map_err(|problems| ConfigError { file: file.map(Path::to_owned), problems })?)
}

/// Run the detectors over the inputs, until their end or, when following, until
/// SIGINT or SIGTERM (the line in hand is finished first).
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    let inputs = if opts.inputs.is_empty() { vec![PathBuf::from("-")] } else { opts.inputs.clone() };
    if opts.follow.is_some() && inputs.iter().any(|p| p == Path::new("-")) {
        anyhow::bail!("--follow reads files, not stdin");
    }
    let config = read_config(opts.config.as_deref())?;
    let mut chain = start_config(&config, opts.config.as_deref(), opts.cache_dir.clone()).await?;
    let sink = Sink::open(opts.output.as_deref(), opts.style)
        .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
    let ledger = Ledger::open(opts.store.as_deref(), config.correlate.clone())?;
    let progress = Progress::start(opts.progress && opts.follow.is_none(), total_size(&inputs));
    let mode = match opts.follow {
        Some(poll) => Mode::Follow { poll, resume: inputs.iter().map(|p| ledger.resume(p)).collect::<Result<_, _>>()? },
        None => Mode::Once,
    };
    let (queue, readers) = feed::spawn(&inputs, mode, opts.queue);
    let mut out = Out { sink, summary: Summary::new(chain.plugins().len()), counters: progress.counters().clone() };
    let mut ledger = ledger;
    let result = drain(queue, &inputs, opts.format, &mut chain, &mut ledger, &mut out).await;
    drop(readers);
    progress.finish();
    out.summary.print(&chain.plugins());
    result?;
    let summary = &out.summary;
    let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| !p.errors.is_empty());
    Ok(if failed { Outcome::Partial } else { Outcome::Clean })
}

/// Where the findings of a run go, and what it counts.
#[derive(Debug)]
struct Out {
    sink: Sink,
    summary: Summary,
    counters: Arc<Counters>,
}

impl Out {
    fn emit(&mut self, record: FindingRecord<'_>) -> anyhow::Result<()> {
        self.summary.count(&record);
        self.counters.findings.fetch_add(1, Ordering::Relaxed);
        self.sink.write(&record).context("cannot write findings")
    }
}

/// Take lines off the queue until it ends or a stop signal comes; store what is
/// pending whenever the queue runs dry, and at the end.
async fn drain(
    mut queue: Queue,
    inputs: &[PathBuf],
    format: Format,
    chain: &mut Chain,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        if queue.is_empty() {
            ledger.flush(chain, &mut |r| out.emit(r))?;
        }
        let fed = tokio::select! {
            biased;
            () = &mut stop => break,
            fed = queue.recv() => fed,
        };
        let Some(fed) = fed else { break };
        process(fed?, inputs, format, chain, ledger, out).await?;
    }
    ledger.flush(chain, &mut |r| out.emit(r))
}

/// Decode one line, inspect its events, and write their findings with the line's
/// checkpoint.
async fn process(
    fed: Fed,
    inputs: &[PathBuf],
    format: Format,
    chain: &mut Chain,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    let path = &inputs[fed.input];
    out.counters.bytes.fetch_add(fed.bytes, Ordering::Relaxed);
    let at = format!("{}:{}", source_name(path), fed.line.at.line);
    let decoded = match fed.line.text.and_then(|t| decode(format, &t).map_err(|e| e.message)) {
        Ok(decoded) => decoded,
        Err(message) => {
            out.summary.rejected += 1;
            output::diagnostic(&format!("aiir: {at}: {message}"));
            return ledger.add(path, Vec::new(), fed.line.at, chain, &mut |r| out.emit(r));
        }
    };
    out.summary.skipped += decoded.skipped;
    out.counters.events.fetch_add(decoded.events.len() as u64, Ordering::Relaxed);
    let mut replies = Vec::new();
    for event in &decoded.events {
        out.summary.events += 1;
        replies.push((event, chain.inspect(event, &at).await));
    }
    let mut hits = Vec::new();
    for (event, outcomes) in &replies {
        for outcome in outcomes {
            hits.extend(found(outcome, event, chain, &mut out.summary));
        }
    }
    ledger.add(path, hits, fed.line.at, chain, &mut |r| out.emit(r))
}

/// What a plugin found, or, for a fail-closed plugin that failed, the synthetic
/// finding that says the event was not inspected.
fn found<'a>(outcome: &'a Reply, event: &'a Event, chain: &'a Chain, summary: &mut Summary) -> Vec<Hit<'a>> {
    let counts = &mut summary.plugins[outcome.plugin];
    let hit = |finding, error| Hit { event, plugin: outcome.plugin, finding, error };
    match &outcome.result {
        Ok(findings) => {
            counts.inspected(findings.len());
            findings.iter().map(|f| hit(Cow::Borrowed(f), None)).collect()
        }
        Err(error) => {
            counts.failed(error.reason);
            if chain.fails_closed(outcome.plugin) {
                let f = output::not_inspected(chain.plugin(outcome.plugin).name(), error);
                vec![hit(Cow::Owned(f), Some(error))]
            } else {
                Vec::new()
            }
        }
    }
}

/// The size of the inputs, when all are files.
fn total_size(inputs: &[PathBuf]) -> Option<u64> {
    inputs.iter().map(|p| std::fs::metadata(p).ok().filter(|m| m.is_file()).map(|m| m.len())).sum()
}

/// The name of an input in messages.
fn source_name(path: &Path) -> String {
    if path == Path::new("-") { "<stdin>".into() } else { path.display().to_string() }
}

/// Resolves on the first SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => drop(term.recv().await),
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}
