//! The `aiir run` job: sources → decode → the detectors (over worker threads) →
//! findings → the store, where they become incidents that responders answer, with
//! each plugin's failure policy applied to the events it fails on.

use crate::chain::{Chain, Renewal, Reply};
use crate::cluster::publish::Publisher;
use crate::config::{self, Config, ConfigError};
use crate::correlate::{self, Family};
use crate::decode::{Format, decode};
use crate::hint::Blind;
use crate::ledger::{Hit, Inspection, Ledger};
use crate::oci::Reference;
use crate::output::{self, FindingRecord, Sink, Style, Summary};
use crate::pipeline::{Inspected, Pipeline, Renewals};
use crate::progress::{Counters, Progress};
use crate::respond::Responders;
use crate::runtime::Runtime;
use crate::serve::metrics::Metrics;
use crate::shadow::live::Shadows;
use crate::source::Position;
use crate::source::feed::{self, Fed, Mode};
use crate::store::PluginWrite;
use anyhow::Context as _;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What every job is asked, whichever its source: the chain, the store and the
/// findings' destination.
#[derive(Debug, Clone, Default)]
pub struct JobOptions {
    /// The config file; the standard pack when absent.
    pub config: Option<PathBuf>,
    /// Where findings go; stdout when absent.
    pub output: Option<PathBuf>,
    /// How findings are written.
    pub style: Style,
    /// The precompiled-component cache; none disables it.
    pub cache_dir: Option<PathBuf>,
    /// Keep findings, incidents and checkpoints in this store instead of the
    /// config's (`aiir.db` beside it, or the user's state directory without one).
    pub store: Option<PathBuf>,
    /// Keep nothing: write every finding, open no incident, run no responder.
    pub no_store: bool,
    /// Worker threads inspecting events; 1 runs the chain on the caller's task.
    pub workers: usize,
}

/// What `aiir run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The chain, the store and the output.
    pub job: JobOptions,
    /// Log files; `-` is stdin.
    pub inputs: Vec<PathBuf>,
    /// How the inputs are written.
    pub format: Format,
    /// Follow the inputs as they grow, looking for new lines this often.
    pub follow: Option<Duration>,
    /// How many lines may wait between the readers and the detectors.
    pub queue: usize,
    /// Show a progress line on a terminal for large inputs.
    pub progress: bool,
    /// When following with a config: reload it when it or a plugin file changes too,
    /// not only on SIGHUP.
    pub watch: bool,
}

/// How a run ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every line was an event and every plugin inspected every event it wanted.
    Clean,
    /// Some lines were rejected or some plugin calls failed; all else went through.
    Partial,
}

/// The config in `file`, or the standard pack's without one, with every problem at
/// once: when the file has some, the plugins of its sound entries (the responders'
/// too, unless `responders` is false) are started anyway, each loaded once, so that
/// the problems of their settings join the rest.
pub(crate) async fn load_config(
    file: Option<&Path>,
    cache_dir: Option<PathBuf>,
    responders: bool,
) -> anyhow::Result<Config> {
    let Some(file) = file else { return Ok(config::default_config()) };
    let config::Checked { config, mut problems } = read_config(file).await?;
    if problems.is_empty() {
        return Ok(config);
    }
    let runtime = runtime_for(&config, cache_dir)?;
    problems.extend(Chain::start(&runtime, &config).await.err().unwrap_or_default());
    if responders {
        problems.extend(Responders::start(&runtime, &config).await.err().unwrap_or_default());
    }
    Err(ConfigError::new(Some(file), problems).into())
}

/// [`config::load_checked`] off the async workers: reading a config may pull plugins
/// from a registry and wait on the network, which must not stall `serve`'s other work.
async fn read_config(file: &Path) -> anyhow::Result<config::Checked> {
    let file = file.to_owned();
    Ok(tokio::task::spawn_blocking(move || config::load_checked(&file)).await??)
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
    ConfigError::new(file, problems)
}

/// Run the detectors over the inputs, until their end or, when following, until
/// SIGINT or SIGTERM (the line in hand is finished first).
pub async fn run(opts: &RunOptions) -> anyhow::Result<Outcome> {
    // Before anything slow (compiling the plugins): a SIGTERM while starting must still
    // end the run with its summary, not kill it.
    let stop = stop_signal();
    let inputs = if opts.inputs.is_empty() { vec![PathBuf::from("-")] } else { opts.inputs.clone() };
    if opts.follow.is_some() && inputs.iter().any(|p| p == Path::new("-")) {
        anyhow::bail!("--follow reads files, not stdin");
    }
    if opts.follow.is_none() {
        check_inputs(&inputs)?;
    }
    let config = load_config(opts.job.config.as_deref(), opts.job.cache_dir.clone(), !opts.job.no_store).await?;
    let progress = Progress::start(opts.progress && opts.follow.is_none(), total_size(&inputs));
    let keeps = if opts.follow.is_some() { State::Kept } else { State::Fresh };
    let mut job = Job::start(&opts.job, &config, keeps, progress.counters().clone()).await?;
    if opts.follow.is_some() && opts.job.config.is_some() {
        job.reload_on(opts.job.clone(), opts.watch);
    }
    let mode = match opts.follow {
        Some(poll) => {
            Mode::Follow { poll, resume: inputs.iter().map(|p| job.ledger.resume(p)).collect::<Result<_, _>>()? }
        }
        None => Mode::Once,
    };
    let live = opts.follow.is_some() || inputs.iter().any(|p| p == Path::new("-"));
    let (queue, readers) = feed::spawn(&inputs, mode, opts.queue);
    let result = job.drain(queue, &inputs, opts.format, live, stop).await;
    drop(readers);
    progress.finish();
    job.finish(result)
}

/// The stages every source feeds: the detectors (over worker threads), the store with
/// its correlation and responders, and the findings' destination.
#[derive(Debug)]
pub(crate) struct Job {
    pipeline: Pipeline,
    ledger: Ledger,
    out: Out,
    store: Option<PathBuf>,
    /// The detectors the running chain was built from, to tell what a reload changes.
    detectors: Vec<config::DetectorConfig>,
    /// What reloads the chain, when something may.
    reload: Option<Reload>,
    /// Where the events go instead of the detectors (`serve --publish`).
    publish: Option<Publisher>,
}

/// How the chain of a running job is reloaded: from the config of `opts`, when
/// `triggers` says.
#[derive(Debug)]
struct Reload {
    opts: JobOptions,
    triggers: mpsc::Receiver<()>,
    watched: Option<crate::reload::Watched>,
}

/// The detectors' keyed state in a job with a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Restored from the store, and kept there: a job that resumes where the last
    /// stopped (`run --follow`, `serve`).
    Kept,
    /// Empty, and not kept: a job that reads its inputs from their start, and so finds
    /// the same in them each time.
    Fresh,
}

/// A unit of input a source hands the job (a line of a log, an export request): which
/// input it is from, where it ends, and its events.
pub(crate) trait Unit {
    /// The index of its input.
    fn input(&self) -> usize;
    /// Where it ends in its input.
    fn at(&self) -> Position;
    /// Its 1-based number in its input, for messages: the line of `at` unless said.
    fn number(&self) -> u64 {
        self.at().line
    }
    /// The bytes it took.
    fn bytes(&self) -> u64;
    /// Its events, or why it has none.
    fn decode(self, format: Format) -> Result<crate::decode::Decoded, String>;
    /// Whom to tell once its findings are written and stored; it is dropped untold
    /// when they are not (the output or the store failed).
    fn receipt(&mut self) -> Option<oneshot::Sender<()>> {
        None
    }
}

impl Unit for Fed {
    fn input(&self) -> usize {
        self.input
    }

    fn at(&self) -> Position {
        self.line.at
    }

    fn number(&self) -> u64 {
        self.line.number
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn decode(self, format: Format) -> Result<crate::decode::Decoded, String> {
        self.line.text.and_then(|t| decode(format, &t).map_err(|e| e.message))
    }
}

impl Job {
    /// Open the store, start the chain of `config` (read from `opts.config`) with the
    /// keyed state `state` says, the responders, and open the output.
    pub(crate) async fn start(
        opts: &JobOptions,
        config: &Config,
        state: State,
        counters: Arc<Counters>,
    ) -> anyhow::Result<Self> {
        let file = opts.config.as_deref();
        let store = (!opts.no_store).then(|| opts.store.clone().unwrap_or_else(|| config.store.clone()));
        // The store is opened and checked before any plugin is compiled.
        let mut ledger = Ledger::open(store.as_deref(), config.correlate.clone())?;
        if state == State::Kept {
            ledger.keep_state(&config.detectors)?;
        }
        ledger.act_on(config.registry.clone());
        pass_cases(config, opts.cache_dir.clone()).await.map_err(|p| config_error(file, p))?;
        let runtime = runtime_for(config, opts.cache_dir.clone())?;
        let chain = Chain::start(&runtime, config).await.map_err(|p| config_error(file, p))?;
        // Responders answer incidents, and only a store keeps incidents.
        if store.is_some() {
            ledger.answer_with(Responders::start(&runtime, config).await.map_err(|p| config_error(file, p))?);
        }
        let pipeline = Pipeline::start(chain, opts.workers).await?;
        let sink = Sink::open(opts.output.as_deref(), opts.style)
            .with_context(|| format!("cannot write {}", display(opts.output.as_deref())))?;
        let summary = Summary::new(pipeline.chain().plugins().len());
        let out = Out {
            sink,
            summary,
            shadows: Shadows::new(&config.detectors, pipeline.chain()),
            counters,
            metrics: None,
            blind: Blind::default(),
            lines: VecDeque::new(),
            receipts: Vec::new(),
        };
        Ok(Self { pipeline, ledger, out, store, detectors: config.detectors.clone(), reload: None, publish: None })
    }

    /// Send every event to a stream for `aiir worker`s instead of the detectors; a unit's
    /// sender is told once the stream has its events.
    pub(crate) fn publish_to(&mut self, publisher: Publisher) {
        self.publish = Some(publisher);
    }

    /// Hand the stream back, if publishing, once every event is on it.
    pub(crate) async fn unpublish(&mut self) -> anyhow::Result<()> {
        match &mut self.publish {
            Some(publisher) => publisher.close().await,
            None => Ok(()),
        }
    }

    /// Reload the chain from `opts.config` on SIGHUP and, with `watch`, when the config
    /// or a plugin file changes.
    pub(crate) fn reload_on(&mut self, opts: JobOptions, watch: bool) {
        let watched = watch.then(|| Arc::new(std::sync::Mutex::new(self.watched_files(&opts))));
        let triggers = crate::reload::triggers(watched.clone());
        self.reload = Some(Reload { opts, triggers, watched });
    }

    /// The config file and the plugin files of the running chain.
    fn watched_files(&self, opts: &JobOptions) -> Vec<PathBuf> {
        // A plugin from a registry has no file to watch: SIGHUP resolves its tag again.
        let files = self.detectors.iter().filter(|d| d.origin != config::BUILT_IN && !Reference::is_oci(&d.origin));
        let plugins = files.map(|d| PathBuf::from(&d.origin));
        opts.config.iter().cloned().chain(plugins).collect()
    }

    /// Finish what is in flight with the running chain, then start what the config as
    /// it is now changes and, only if all of it starts, renew the running chain with it.
    /// A config with any problem is refused whole, and the running chain goes on.
    async fn reload(&mut self, inputs: &[PathBuf]) -> anyhow::Result<()> {
        self.catch_up(inputs).await?;
        let Some(reload) = self.reload.as_ref() else { return Ok(()) };
        let file = reload.opts.config.clone().unwrap_or_default();
        let opts = reload.opts.clone();
        match self.next_chain(&opts).await {
            Ok((config, renewals, responders)) => {
                let kept = self.swap(config, renewals, responders).await?;
                if let Some(watched) = self.reload.as_ref().and_then(|r| r.watched.clone()) {
                    *watched.lock().unwrap_or_else(|e| e.into_inner()) = self.watched_files(&opts);
                }
                let names = self.plugin_names();
                if let Some(metrics) = &self.out.metrics {
                    metrics.reloaded(names.clone());
                }
                output::diagnostic(&format!(
                    "aiir: reloaded {}: {} detectors ({}); unchanged, keeping their state: {}",
                    file.display(),
                    names.len(),
                    names.join(", "),
                    if kept.is_empty() { "none".to_owned() } else { kept.join(", ") },
                ));
            }
            Err(e) => {
                if let Some(metrics) = &self.out.metrics {
                    metrics.reload_refused();
                }
                output::diagnostic(&format!(
                    "aiir: reload of {} refused, the running chain goes on: {e:#}",
                    file.display()
                ));
            }
        }
        Ok(())
    }

    /// The config as it is now, what renews the running chain into its chain, and its
    /// responders: unchanged detectors (same name, component and settings) share their
    /// keyed state with the running ones, and those whose limits, sandbox and role are
    /// the same too go on in their running instances; the rest are started here.
    async fn next_chain(&self, opts: &JobOptions) -> anyhow::Result<(Config, Renewals, Option<Responders>)> {
        let file = opts.config.as_deref().context("no config to reload")?;
        let config::Checked { mut config, problems } = read_config(file).await?;
        if !problems.is_empty() {
            return Err(config_error(Some(file), problems).into());
        }
        for d in &mut config.detectors {
            if let Some(old) = self.detectors.iter().find(|old| unchanged(old, d)) {
                d.setup.state = old.setup.state.clone();
            }
        }
        pass_cases(&config, opts.cache_dir.clone()).await.map_err(|p| config_error(Some(file), p))?;
        let runtime = runtime_for(&config, opts.cache_dir.clone())?;
        let keep: Vec<Option<usize>> =
            config.detectors.iter().map(|d| self.detectors.iter().position(|old| warm(old, d))).collect();
        let renewal = Renewal::start(&runtime, &config, &keep).await.map_err(|p| config_error(Some(file), p))?;
        let responders = match self.store {
            Some(_) => Some(Responders::start(&runtime, &config).await.map_err(|p| config_error(Some(file), p))?),
            None => None,
        };
        let renewals = self.pipeline.prepare(renewal).await?;
        Ok((config, renewals, responders))
    }

    /// Renew the running chain; the counts of the summary follow each plugin by name.
    /// The names of the detectors that kept their state.
    async fn swap(
        &mut self,
        config: Config,
        renewals: Renewals,
        responders: Option<Responders>,
    ) -> anyhow::Result<Vec<String>> {
        let before = self.plugin_names();
        let kept = config.detectors.iter().filter(|d| self.detectors.iter().any(|old| unchanged(old, d)));
        let kept = kept.map(|d| d.name().to_owned()).collect();
        self.pipeline.renew(renewals).await?;
        if let Some(responders) = responders {
            self.ledger.answer_with(responders);
        }
        self.ledger.act_on(config.registry.clone());
        let mut counts = std::mem::take(&mut self.out.summary.plugins);
        let mut by_name = |name: &String| before.iter().position(|b| b == name).map(|i| std::mem::take(&mut counts[i]));
        self.out.summary.plugins = self.plugin_names().iter().map(|n| by_name(n).unwrap_or_default()).collect();
        let running = &self.detectors;
        let unchanged = |d: &config::DetectorConfig| running.iter().any(|old| unchanged(old, d));
        self.out.shadows.reload(&config.detectors, self.pipeline.chain(), unchanged);
        self.detectors = config.detectors;
        Ok(kept)
    }

    /// Count every plugin reply, event and blind call in `metrics` too, and show the
    /// shadows' comparisons there.
    pub(crate) fn count_with(&mut self, metrics: Arc<Metrics>) {
        self.out.shadows.share(metrics.shadows());
        self.out.metrics = Some(metrics);
    }

    /// The chain's plugins, for naming them.
    pub(crate) fn plugin_names(&self) -> Vec<String> {
        self.pipeline.chain().plugins().iter().map(|p| p.name().to_owned()).collect()
    }

    /// Take units off the queue until it ends or `stop` resolves; store what is
    /// pending at the end and, for a `live` input (one that pauses: followed files,
    /// stdin, `serve`), whenever the queue runs dry or a line has waited
    /// [`MAX_DELAY`](crate::ledger::MAX_DELAY).
    pub(crate) async fn drain<U: Unit>(
        &mut self,
        mut queue: mpsc::Receiver<anyhow::Result<U>>,
        inputs: &[PathBuf],
        format: Format,
        live: bool,
        stop: impl Future<Output = ()>,
    ) -> anyhow::Result<()> {
        tokio::pin!(stop);
        loop {
            if live && (queue.is_empty() || self.ledger.waited() >= crate::ledger::MAX_DELAY) {
                self.catch_up(inputs).await?;
            }
            let unit = tokio::select! {
                biased;
                () = &mut stop => break,
                Some(()) = next_reload(&mut self.reload) => {
                    self.reload(inputs).await?;
                    continue;
                }
                unit = queue.recv() => unit,
            };
            let Some(unit) = unit else { break };
            self.process(unit?, inputs, format).await?;
        }
        self.catch_up(inputs).await
    }

    /// Print the summary and what was kept in the store; how the run ended.
    pub(crate) fn finish(self, result: anyhow::Result<()>) -> anyhow::Result<Outcome> {
        let chain = self.pipeline.chain();
        let counted = (0..chain.plugins().len()).filter(|&i| !chain.is_shadow(i));
        self.out.summary.print(counted.map(|i| (i, chain.plugin(i))));
        print_pulled(&self.detectors);
        if let Some(publisher) = &self.publish {
            output::diagnostic(&publisher.summary());
        }
        if let Some(path) = &self.store {
            print_tally(path, &self.ledger);
        }
        self.out.shadows.print();
        result?;
        let summary = &self.out.summary;
        let failed = summary.rejected > 0 || summary.plugins.iter().any(|p| !p.errors.is_empty());
        Ok(if failed { Outcome::Partial } else { Outcome::Clean })
    }

    /// Take a line whose events were inspected elsewhere (by `aiir worker`s), with their
    /// replies in config order: it goes on to the ledger as a line inspected here would.
    pub(crate) async fn take(
        &mut self,
        input: usize,
        at: Position,
        done: Vec<Inspected>,
        inputs: &[PathBuf],
    ) -> anyhow::Result<()> {
        let out = &mut self.out;
        out.summary.events += done.len() as u64;
        out.counters.events.fetch_add(done.len() as u64, Ordering::Relaxed);
        out.lines.push_back(Line { input, at, waiting: done.len(), inspections: Vec::new(), receipt: None });
        settle(done, inputs, &self.pipeline, &mut self.ledger, &mut self.out).await
    }

    /// The chain the replies are read against.
    pub(crate) fn chain(&self) -> &Chain {
        self.pipeline.chain()
    }

    /// Wait for every event in flight, then store (and answer) what is pending.
    pub(crate) async fn catch_up(&mut self, inputs: &[PathBuf]) -> anyhow::Result<()> {
        let done = self.pipeline.flush().await;
        settle(done, inputs, &self.pipeline, &mut self.ledger, &mut self.out).await?;
        let out = &mut self.out;
        self.ledger.flush(&mut |r| out.emit(r)).await?;
        out.release();
        Ok(())
    }

    /// Decode one unit and hand its events to the detectors; whatever they have
    /// finished, of this unit or earlier ones, goes on to the ledger.
    async fn process<U: Unit>(&mut self, mut unit: U, inputs: &[PathBuf], format: Format) -> anyhow::Result<()> {
        let out = &mut self.out;
        let (input, end, bytes, receipt) = (unit.input(), unit.at(), unit.bytes(), unit.receipt());
        out.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        let at = format!("{}:{}", source_name(&inputs[input]), unit.number());
        let events = match unit.decode(format) {
            Ok(decoded) => {
                out.summary.skipped += decoded.skipped;
                decoded.blind.iter().for_each(|source| out.blind.saw(source, out.metrics.as_deref()));
                decoded.events
            }
            Err(message) => {
                out.summary.rejected += 1;
                out.shadows.rejected();
                // A decode error may quote the line, which is anyone's text.
                output::diagnostic(&format!("aiir: {at}: {}", output::terminal::line(&message)));
                Vec::new()
            }
        };
        out.summary.events += events.len() as u64;
        out.counters.events.fetch_add(events.len() as u64, Ordering::Relaxed);
        if let Some(publisher) = &mut self.publish {
            publisher.line(&source_name(&inputs[input]), end, &at, &events).await?;
            publisher.settle(0).await?;
            receipt.map(|r| r.send(()));
            return Ok(());
        }
        out.lines.push_back(Line { input, at: end, waiting: events.len(), inspections: Vec::new(), receipt });
        let mut done = Vec::new();
        for event in events {
            done.extend(self.pipeline.push(event, &at).await);
        }
        settle(done, inputs, &self.pipeline, &mut self.ledger, &mut self.out).await
    }
}

/// The digests the registry plugins ran at, on stderr after the summary: a tag may
/// move, the digest says what ran.
fn print_pulled(detectors: &[config::DetectorConfig]) {
    for d in detectors.iter().filter(|d| Reference::is_oci(&d.origin)) {
        output::diagnostic(&format!("  {} ran {}", d.name(), d.origin));
    }
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
    /// The shadow entries' comparisons: where their findings go instead.
    shadows: Shadows,
    counters: Arc<Counters>,
    metrics: Option<Arc<Metrics>>,
    blind: Blind,
    lines: VecDeque<Line>,
    /// Whom to tell once the lines handed to the ledger are stored.
    receipts: Vec<oneshot::Sender<()>>,
}

/// A line read: where it ends, and its events as they come back from the detectors.
#[derive(Debug)]
struct Line {
    input: usize,
    at: Position,
    /// Events of the line not back yet.
    waiting: usize,
    inspections: Vec<Inspection>,
    receipt: Option<oneshot::Sender<()>>,
}

impl Out {
    fn emit(&mut self, record: FindingRecord<'_>) -> anyhow::Result<()> {
        self.summary.count(&record);
        self.counters.findings.fetch_add(1, Ordering::Relaxed);
        self.sink.write(&record).context("cannot write findings")
    }

    /// Tell everyone waiting that their lines are stored.
    fn release(&mut self) {
        self.receipts.drain(..).for_each(|r| {
            let _ = r.send(());
        });
    }
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
            // Told only once its findings are written and stored; tests/all/serve_faults.rs
            // holds it to that.
            out.receipts.extend(line.receipt);
            if ledger.is_stored() {
                out.release();
            }
        }
        let Some((event, replies)) = done.next() else { return Ok(()) };
        let chain = pipeline.chain();
        out.shadows.count(&event, &replies);
        if let Some(metrics) = &out.metrics {
            replies.iter().for_each(|r| metrics.reply(r, chain.fails_closed(r.plugin), chain.is_shadow(r.plugin)));
            metrics.dequeued();
        }
        let mut hits: Vec<Hit> = chain.counted(&replies).flat_map(|r| found(r, chain, &mut out.summary)).collect();
        hits.extend(ledger.guard(&event).into_iter().map(|finding| Hit {
            plugin: crate::actuate::guard::HOST_PLUGIN.into(),
            family: correlate::host_family(&finding.rule),
            version: env!("CARGO_PKG_VERSION").into(),
            finding,
            error: None,
        }));
        let state = kept_state(replies, pipeline.chain());
        let line = out.lines.iter_mut().find(|l| l.waiting > 0).context("an inspected event with no line")?;
        line.waiting -= 1;
        line.inspections.push(Inspection { event, hits, state });
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

/// What the replies changed in their plugins' keyed state, for the store.
fn kept_state(replies: Vec<Reply>, chain: &Chain) -> Vec<PluginWrite> {
    let mut out = Vec::new();
    for r in replies {
        let plugin = chain.plugin(r.plugin).name();
        out.extend(r.state.into_iter().map(|write| PluginWrite { plugin: plugin.to_owned(), write }));
    }
    out
}

/// Refuse the inputs when one cannot be read, before any is: a usage error.
fn check_inputs(inputs: &[PathBuf]) -> anyhow::Result<()> {
    let problems: Vec<String> = inputs
        .iter()
        .filter(|p| *p != Path::new("-"))
        .filter_map(|p| unreadable(p).map(|why| format!("cannot open {}: {why}", p.display())))
        .collect();
    if problems.is_empty() { Ok(()) } else { anyhow::bail!("{}", problems.join("; ")) }
}

/// Why the input at `path` cannot be read, found without reading it.
fn unreadable(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Some("a directory".into()),
        // A FIFO is not opened here: that would wait for its writer.
        Ok(meta) if meta.is_file() => std::fs::File::open(path).err().map(|e| e.to_string()),
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
}

/// The size of the inputs, when all are files.
fn total_size(inputs: &[PathBuf]) -> Option<u64> {
    inputs.iter().map(|p| std::fs::metadata(p).ok().filter(|m| m.is_file()).map(|m| m.len())).sum()
}

/// The name of an input in messages and records.
pub(crate) fn source_name(path: &Path) -> String {
    if path == Path::new("-") { "<stdin>".into() } else { path.display().to_string() }
}

/// Resolves on the first SIGINT or SIGTERM. The handlers are installed now, not when
/// the future is first polled: a drain busy with a long input polls it only between
/// events, and a signal before that would kill the process with no summary.
/// The cases gate: every detector the config gives a `cases` file passes it, as `aiir
/// test` runs it; else a problem at its `cases` key naming the cases it fails.
async fn pass_cases(config: &Config, cache_dir: Option<PathBuf>) -> Result<(), Vec<config::Problem>> {
    let mut problems = Vec::new();
    for d in &config.detectors {
        let Some(cases) = &d.cases else { continue };
        let at = format!("{}.cases", d.path);
        match crate::review::gate(&d.wasm, cases, &d.setup.sandbox.grants, cache_dir.clone()).await {
            Ok(failed) if failed.is_empty() => {}
            Ok(failed) => problems.push(config::Problem::new(
                at,
                format!("fails {} of the cases of {}: {}", failed.len(), cases.display(), failed.join("; ")),
            )),
            Err(e) => problems.push(config::Problem::new(at, format!("{e:#}"))),
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// The next reload request; never, for a job that does not reload.
async fn next_reload(reload: &mut Option<Reload>) -> Option<()> {
    match reload {
        Some(r) => r.triggers.recv().await,
        None => std::future::pending().await,
    }
}

/// Whether a detector of a new config is the running one: same name, component and
/// settings.
fn unchanged(old: &config::DetectorConfig, new: &config::DetectorConfig) -> bool {
    old.name() == new.name() && old.wasm == new.wasm && old.setup.settings == new.setup.settings
}

/// Whether a detector of a new config may go on in the running one's instances: it is
/// unchanged, and so are its limits, sandbox and role (a new partition moves its state).
fn warm(old: &config::DetectorConfig, new: &config::DetectorConfig) -> bool {
    unchanged(old, new)
        && old.setup.limits == new.setup.limits
        && old.setup.sandbox == new.setup.sandbox
        && old.role == new.role
}

pub(crate) fn stop_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (term, int) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => drop(s.recv().await),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
        #[cfg(not(unix))]
        drop(tokio::signal::ctrl_c().await);
    }
}

/// A findings destination for messages: the file, or `stdout`.
pub(crate) fn display(path: Option<&Path>) -> String {
    path.map_or("stdout".into(), |p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::role::Partition;

    #[test]
    fn a_detector_stays_warm_only_when_its_instance_would_be_the_same() {
        let old = config::default_config().detectors.remove(0);
        assert!(warm(&old, &old.clone()));
        // The host's policy around its calls is not the instance's.
        let mut breaker = old.clone();
        breaker.breaker.failures += 1;
        assert!(warm(&old, &breaker));
        let mut settings = old.clone();
        settings.setup.settings = r#"{"extra_patterns":["x"]}"#.into();
        let mut limits = old.clone();
        limits.setup.limits.memory_mib += 1;
        let mut partition = old.clone();
        partition.role.partition = Partition::Global;
        for changed in [settings, limits, partition] {
            assert!(!warm(&old, &changed), "{changed:?}");
        }
        // Limits alone do not touch the keyed state.
        let mut limits = old.clone();
        limits.setup.limits.timeout_ms += 1;
        assert!(unchanged(&old, &limits));
    }
}
