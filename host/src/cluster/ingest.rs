//! `aiir ingest`: put the workers' replies back together with the stream's lines, in
//! order, and hand each line to the ledger as `aiir run` would: one store, global
//! incidents, the responders.

use super::wire::{self, Done, Line};
use super::{Bus, DEFAULT_LEASE};
use crate::chain::Reply;
use crate::decode::decode_line;
use crate::output::diagnostic;
use crate::pipeline::Inspected;
use crate::progress::Counters;
use crate::run::{Job, JobOptions, Outcome, State};
use anyhow::Context as _;
use async_nats::jetstream::consumer::{AckPolicy, pull};
use futures_util::StreamExt as _;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What `aiir ingest` was asked to do.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The server, `nats://HOST:PORT`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// The store, the output and the config (the workers' config).
    pub job: JobOptions,
    /// Stop once the lines published before the start are stored.
    pub once: bool,
}

/// Store the stream's lines as their replies complete, until SIGINT or SIGTERM (or,
/// with `once`, until the lines published before the start are stored).
pub async fn ingest(opts: &IngestOptions) -> anyhow::Result<Outcome> {
    let stop = crate::run::stop_signal();
    let config = crate::run::load_config(opts.job.config.as_deref(), opts.job.cache_dir.clone(), true).await?;
    let bus = Bus::connect(&opts.url, &opts.stream, DEFAULT_LEASE).await?;
    if let Some(layout) = bus.layout().await? {
        layout.check(config.detectors.iter().map(|d| d.role.partition))?;
    }
    let last = if opts.once { Some(bus.last_line().await?) } else { None };
    let mut job = Job::start(
        &JobOptions { workers: 1, ..opts.job.clone() },
        &config,
        State::Fresh,
        Arc::new(Counters::default()),
    )
    .await?;
    let mut assembly = Assembly::start(&bus).await?;
    let result = tokio::select! {
        r = assembly.run(&mut job, last) => r,
        () = stop => Ok(()),
    };
    let result = match result {
        Ok(()) => job.catch_up(&assembly.inputs).await,
        Err(e) => Err(e),
    };
    job.finish(result)
}

/// The lines read, the replies waiting for their line, and how far each partition is.
struct Assembly {
    lines: pull::Stream,
    replies: pull::Stream,
    /// Per partition, the last line it has replied for.
    marks: HashMap<String, u64>,
    /// Replies by (line, event), for lines not stored yet.
    waiting: HashMap<(u64, u32), Vec<Reply>>,
    /// The next line to store.
    next: u64,
    /// The inputs named by the lines, for the ledger.
    inputs: Vec<PathBuf>,
}

impl Assembly {
    async fn start(bus: &Bus) -> anyhow::Result<Self> {
        let consumer = |subject: String| pull::Config {
            filter_subject: subject,
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        };
        let lines = bus.events().await?.create_consumer(consumer(bus.lines())).await?.messages().await?;
        let replies = bus.replies().await?.create_consumer(consumer(bus.done(">"))).await?.messages().await?;
        Ok(Self { lines, replies, marks: HashMap::new(), waiting: HashMap::new(), next: 1, inputs: Vec::new() })
    }

    async fn run(&mut self, job: &mut Job, last: Option<u64>) -> anyhow::Result<()> {
        if last == Some(0) {
            return Ok(());
        }
        loop {
            let next = tokio::time::timeout(crate::ledger::MAX_DELAY, self.lines.next()).await;
            let Ok(message) = next else {
                // The stream paused: store what is pending, as a followed log does.
                job.catch_up(&self.inputs).await?;
                continue;
            };
            let message = message.context("the lines stream ended")?.map_err(|e| anyhow::anyhow!("{e}"))?;
            let line: Line = wire::read("line", &message.payload)?;
            if line.id < self.next {
                continue;
            }
            self.next = line.id + 1;
            self.take(job, line).await?;
            if last.is_some_and(|l| self.next > l) {
                return Ok(());
            }
        }
    }

    /// Wait for every reply of `line`'s events, then hand it to the job.
    async fn take(&mut self, job: &mut Job, line: Line) -> anyhow::Result<()> {
        let mut inspected: Vec<Inspected> = Vec::with_capacity(line.events.len());
        for (index, sent) in line.events.iter().enumerate() {
            for part in &sent.parts {
                self.wait(job, part, line.id).await?;
            }
            let event = decode_line(sent.event.get()).map_err(|e| anyhow::anyhow!("line {}: {e}", line.id))?;
            let key = (line.id, u32::try_from(index).unwrap_or(u32::MAX));
            inspected.push((event, self.waiting.remove(&key).unwrap_or_default()));
        }
        let name = wire::place(&line.input);
        let input = match self.inputs.iter().position(|p| p.as_os_str() == name.as_str()) {
            Some(i) => i,
            None => {
                self.inputs.push(PathBuf::from(name));
                self.inputs.len() - 1
            }
        };
        job.take(input, line.at, inspected, &self.inputs).await
    }

    /// Read replies until `part` has replied for `line`.
    async fn wait(&mut self, job: &Job, part: &str, line: u64) -> anyhow::Result<()> {
        let mut said = false;
        while self.marks.get(part).copied().unwrap_or(0) < line {
            let Ok(message) = tokio::time::timeout(Duration::from_secs(10), self.replies.next()).await else {
                if !said {
                    diagnostic(&format!("aiir: waiting for partition {part} (line {line}): is a worker running?"));
                    said = true;
                }
                continue;
            };
            let message = message.context("the replies stream ended")?.map_err(|e| anyhow::anyhow!("{e}"))?;
            let done: Done = wire::read("replies", &message.payload)?;
            self.add(job, &done)?;
        }
        Ok(())
    }

    /// Keep a batch's replies for lines not stored yet; a batch inspected again after
    /// a worker died adds only what is not here already.
    fn add(&mut self, job: &Job, done: &Done) -> anyhow::Result<()> {
        let mark = self.marks.entry(done.part.clone()).or_default();
        *mark = (*mark).max(done.upto);
        for event in done.events.iter().filter(|e| e.line >= self.next.saturating_sub(1)) {
            let replies = done.replies_of(event, job.chain())?;
            let held = self.waiting.entry((event.line, event.index)).or_default();
            for reply in replies {
                if !held.iter().any(|r| r.plugin == reply.plugin) {
                    held.push(reply);
                }
            }
            held.sort_by_key(|r| r.plugin);
        }
        Ok(())
    }
}
