//! The `aiir run` job: sources → decode → the detectors (over worker threads) →
//! findings → the store, where they become incidents that responders answer, with
//! each plugin's failure policy applied to the events it fails on.

use crate::chain::{Chain, Reply};
use crate::config::{self, Config, ConfigError};
use crate::correlate::{self, Family};
use crate::decode::{Format, decode};
use crate::ledger::{Hit, Inspection, Ledger};
use crate::output::{self, FindingRecord, Sink, Style, Summary};
use crate::pipeline::{Inspected, Pipeline};
use crate::progress::{Counters, Progress};
use crate::respond::Responders;
use crate::runtime::{Event, Runtime};
use crate::source::Position;
use crate::source::feed::{self, Fed, Mode, Queue};
use anyhow::Context as _;
use std::collections::VecDeque;
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
    /// Keep findings, incidents and checkpoints in this store instead of the
    /// config's (`aiir.db` beside it, or the user's state directory without one).
    pub store: Option<PathBuf>,
    /// Keep nothing: write every finding, open no incident, run no responder.
    pub no_store: bool,
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
    start_config(&read_config(config_file)?, config_file, cache_dir).await
}

/// The config in `file`, or the standard pack's without one.
fn read_config(file: Option<&Path>) -> Result<Config, ConfigError> {
    file.map_or_else(|| Ok(config::default_config()), config::load)
}

/// Start the chain of a configuration that is already read.
pub async fn start_config(config: &Config, file: Option<&Path>, cache_dir: Option<PathBuf>) -> anyhow::Result<Chain> {
    let runtime = runtime_for(config, cache_dir)?;
    Ok(Chain::start(&runtime, config).await.map_err(|problems| config_error(file, problems))?)
}

/// The runtime for a configuration's plugins: fuel metering only when one has a budget.
fn runtime_for(config: &Config, cache_dir: Option<PathBuf>) -> anyhow::Result<Runtime> {
    let fuel = config.detectors.iter().any(|d| d.setup.limits.fuel.is_some())
        || config.responders.iter().any(|r| r.setup.limits.fuel.is_some());
    Runtime::new(cache_dir, fuel)
}

fn config_error(file: Option<&Path>, problems: Vec<config::Problem>) -> ConfigError {
    ConfigError { file: file.map(Path::to_owned), problems }
}

/// Run the detectors over the inputs, until their end or, when following, until
/// SIGINT or SIGTERM (the line in hand is finished first).
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    let inputs = if opts.inputs.is_empty() { vec![PathBuf::from("-")] } else { opts.inputs.clone() };
    if opts.follow.is_some() && inputs.iter().any(|p| p == Path::new("-")) {
        anyhow::bail!("--follow reads files, not stdin");
    }
    let config = read_config(opts.config.as_deref())?;
    let file = opts.config.as_deref();
    let runtime = runtime_for(&config, opts.cache_dir.clone())?;
    let chain = Chain::start(&runtime, &config).await.map_err(|p| config_error(file, p))?;
    let store = (!opts.no_store).then(|| opts.store.clone().unwrap_or_else(|| config.store.clone()));
    // Responders answer incidents, and only a store keeps incidents.
    let responders = match store {
        Some(_) => Responders::start(&runtime, &config).await.map_err(|p| config_error(file, p))?,
        None => Responders::default(),
    };
    let mut pipeline = Pipeline::start(chain, opts.workers).await?;
    let sink = Sink::open(opts.output.as_deref(), opts.style)
        .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
    let mut ledger = Ledger::open(store.as_deref(), config.correlate.clone(), responders)?;
    let progress = Progress::start(opts.progress && opts.follow.is_none(), total_size(&inputs));
    let mode = match opts.follow {
        Some(poll) => Mode::Follow { poll, resume: inputs.iter().map(|p| ledger.resume(p)).collect::<Result<_, _>>()? },
        None => Mode::Once,
    };
    let (queue, readers) = feed::spawn(&inputs, mode, opts.queue);
    let summary = Summary::new(pipeline.chain().plugins().len());
    let mut out = Out { sink, summary, counters: progress.counters().clone(), lines: VecDeque::new() };
    let result = drain(queue, &inputs, opts.format, &mut pipeline, &mut ledger, &mut out).await;
    drop(readers);
    progress.finish();
    out.summary.print(&pipeline.chain().plugins());
    if let Some(path) = &store {
        print_tally(path, &ledger);
    }
    result?;
    let summary = &out.summary;
    let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| !p.errors.is_empty());
    Ok(if failed { Outcome::Partial } else { Outcome::Clean })
}

/// What the run kept in the store, on stderr after the summary.
fn print_tally(store: &Path, ledger: &Ledger) {
    let t = &ledger.tally;
    let actions: Vec<String> = t.actions.iter().map(|(status, n)| format!("{n} {status}")).collect();
    let actions = if actions.is_empty() { "none".into() } else { actions.join(", ") };
    output::diagnostic(&format!(
        "aiir: store {}: {} incidents opened, {} grown; actions: {actions}",
        store.display(),
        t.opened,
        t.grown
    ));
}

/// Where the findings of a run go, what it counts, and the lines whose events are
/// still being inspected, oldest first.
#[derive(Debug)]
struct Out {
    sink: Sink,
    summary: Summary,
    counters: Arc<Counters>,
    lines: VecDeque<Line>,
}

/// A line read: where it ends, and its events as they come back from the detectors.
#[derive(Debug)]
struct Line {
    input: usize,
    at: Position,
    /// Events of the line not back yet.
    waiting: usize,
    inspections: Vec<Inspection>,
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
    pipeline: &mut Pipeline,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        if queue.is_empty() {
            catch_up(inputs, pipeline, ledger, out).await?;
        }
        let fed = tokio::select! {
            biased;
            () = &mut stop => break,
            fed = queue.recv() => fed,
        };
        let Some(fed) = fed else { break };
        process(fed?, inputs, format, pipeline, ledger, out).await?;
    }
    catch_up(inputs, pipeline, ledger, out).await
}

/// Wait for every event in flight, then store (and answer) what is pending.
async fn catch_up(
    inputs: &[PathBuf],
    pipeline: &mut Pipeline,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    settle(pipeline.flush().await, inputs, pipeline, ledger, out).await?;
    ledger.flush(&mut |r| out.emit(r)).await
}

/// Decode one line and hand its events to the detectors; whatever they have
/// finished, of this line or earlier ones, goes on to the ledger.
async fn process(
    fed: Fed,
    inputs: &[PathBuf],
    format: Format,
    pipeline: &mut Pipeline,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    let path = &inputs[fed.input];
    out.counters.bytes.fetch_add(fed.bytes, Ordering::Relaxed);
    let at = format!("{}:{}", source_name(path), fed.line.at.line);
    let events = match fed.line.text.and_then(|t| decode(format, &t).map_err(|e| e.message)) {
        Ok(decoded) => {
            out.summary.skipped += decoded.skipped;
            decoded.events
        }
        Err(message) => {
            out.summary.rejected += 1;
            // A decode error may quote the line, which is anyone's text.
            output::diagnostic(&format!("aiir: {at}: {}", output::terminal::line(&message)));
            Vec::new()
        }
    };
    out.summary.events += events.len() as u64;
    out.counters.events.fetch_add(events.len() as u64, Ordering::Relaxed);
    let line = Line { input: fed.input, at: fed.line.at, waiting: events.len(), inspections: Vec::new() };
    out.lines.push_back(line);
    let mut done = Vec::new();
    for event in events {
        done.extend(pipeline.push(event, &at).await);
    }
    settle(done, inputs, pipeline, ledger, out).await
}

/// Give each inspected event (in input order) to its line, with the findings of the
/// host's guard, checked now so that it knows every action taken on earlier lines;
/// hand each line whose events are all back to the ledger.
async fn settle(
    done: Vec<Inspected>,
    inputs: &[PathBuf],
    pipeline: &Pipeline,
    ledger: &mut Ledger,
    out: &mut Out,
) -> anyhow::Result<()> {
    let mut done = done.into_iter();
    loop {
        while out.lines.front().is_some_and(|l| l.waiting == 0) {
            let line = out.lines.pop_front().expect("a front line");
            ledger.add(&inputs[line.input], line.inspections, line.at, &mut |r| out.emit(r)).await?;
        }
        let Some((event, replies)) = done.next() else { return Ok(()) };
        let mut hits: Vec<Hit> = replies.iter().flat_map(|r| found(r, pipeline.chain(), &mut out.summary)).collect();
        hits.extend(ledger.guard(&event).into_iter().map(|finding| Hit {
            plugin: crate::actuate::guard::HOST_PLUGIN.into(),
            family: correlate::host_family(&finding.rule),
            version: env!("CARGO_PKG_VERSION").into(),
            finding,
            error: None,
        }));
        let line = out.lines.iter_mut().find(|l| l.waiting > 0).context("an inspected event with no line")?;
        line.waiting -= 1;
        line.inspections.push(Inspection { event, hits });
    }
}

/// What a plugin found, or, for a fail-closed plugin that failed, the synthetic
/// finding that says the event was not inspected; counted in the summary.
fn found(outcome: &Reply, chain: &Chain, summary: &mut Summary) -> Vec<Hit> {
    let counts = &mut summary.plugins[outcome.plugin];
    let plugin = chain.plugin(outcome.plugin);
    let hit = |family, finding, error| Hit {
        plugin: plugin.name().into(),
        family,
        version: plugin.info().version.clone(),
        finding,
        error,
    };
    match &outcome.result {
        Ok(findings) => {
            counts.inspected(findings.len());
            let family = chain.role(outcome.plugin).family;
            findings.iter().map(|f| hit(family, f.clone(), None)).collect()
        }
        Err(error) => {
            counts.failed(error.reason);
            if chain.fails_closed(outcome.plugin) {
                vec![hit(Family::NotInspected, output::not_inspected(plugin.name(), error), Some(error.clone()))]
            } else {
                Vec::new()
            }
        }
    }
}

/// Write what a plugin made of an event straight to `sink`, for `aiir serve`, which
/// keeps no store.
pub(crate) fn write(
    outcome: Reply,
    event: &Event,
    chain: &Chain,
    sink: &mut Sink,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    for hit in found(&outcome, chain, summary) {
        let record = hit.record(event);
        summary.count(&record);
        sink.write(&record).context("cannot write findings")?;
    }
    Ok(())
}

/// The size of the inputs, when all are files.
fn total_size(inputs: &[PathBuf]) -> Option<u64> {
    inputs.iter().map(|p| std::fs::metadata(p).ok().filter(|m| m.is_file()).map(|m| m.len())).sum()
}

/// The name of an input in messages and records.
pub(crate) fn source_name(path: &Path) -> String {
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

/// A findings destination for messages: the file, or `stdout`.
pub(crate) fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}
