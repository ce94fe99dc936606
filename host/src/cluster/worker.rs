//! `aiir worker`: own a fair share of a stream's partitions, run their events through the
//! detectors of their class, and publish the replies and the detectors' state.

use super::wire::{self, Done, Snapshot};
use super::{Bus, Layout, class_of, header_u64};
use crate::chain::Chain;
use crate::decode::decode_line;
use crate::output::diagnostic;
use crate::pipeline::bucket_of;
use crate::role::Partition;
use crate::runtime::KeyedState;
use anyhow::Context as _;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::kv;
use futures_util::StreamExt as _;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Events inspected between two saves of a partition's state.
const BATCH: usize = 256;

/// What `aiir worker` was asked to do.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The server, `nats://HOST:PORT`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// The config: the same as the publisher's and the ingest's.
    pub config: Option<PathBuf>,
    /// The precompiled-component cache.
    pub cache_dir: Option<PathBuf>,
    /// This worker's name among the stream's workers.
    pub name: String,
    /// How long its leases last unrenewed: after it, a dead worker's partitions move.
    pub lease: Duration,
}

/// Work until SIGINT or SIGTERM; then hand the partitions back at once.
pub async fn work(opts: &WorkerOptions) -> anyhow::Result<()> {
    let stopping = Arc::new(AtomicBool::new(false));
    let stop = crate::run::stop_signal();
    let flag = stopping.clone();
    tokio::spawn(async move {
        stop.await;
        flag.store(true, Ordering::Relaxed);
    });
    let config = crate::run::load_config(opts.config.as_deref(), opts.cache_dir.clone(), false).await?;
    let bus = Bus::connect(&opts.url, &opts.stream, opts.lease).await?;
    let layout = wait_for_layout(&bus, &stopping).await?;
    layout.check(config.detectors.iter().map(|d| d.role.partition))?;
    let chain = crate::run::start_config(&config, opts.config.as_deref(), opts.cache_dir.clone()).await?;
    let states = config.detectors.iter().map(|d| (d.name().to_owned(), d.setup.state.clone())).collect();
    let mut worker = Worker {
        leases: Leases::new(&bus, &opts.name, opts.lease, layout.all()).await?,
        state: bus.state().await?,
        bus,
        layout,
        chain,
        states,
        owned: BTreeMap::new(),
    };
    diagnostic(&format!("aiir: worker {} on stream {} at {}", opts.name, opts.stream, opts.url));
    let result = worker.run(&stopping).await;
    worker.leases.release_all().await;
    result
}

async fn wait_for_layout(bus: &Bus, stopping: &AtomicBool) -> anyhow::Result<Layout> {
    let mut said = false;
    loop {
        if let Some(layout) = bus.layout().await? {
            return Ok(layout);
        }
        anyhow::ensure!(!stopping.load(Ordering::Relaxed), "stopped before anything was published");
        if !said {
            diagnostic("aiir: waiting for a publisher to lay the stream out (aiir run --publish)");
            said = true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

struct Worker {
    bus: Bus,
    layout: Layout,
    chain: Chain,
    /// Each configured detector's keyed state, by name.
    states: Vec<(String, KeyedState)>,
    leases: Leases,
    state: kv::Store,
    owned: BTreeMap<String, Owned>,
}

/// A partition this worker holds.
struct Owned {
    consumer: PullConsumer,
    /// The stream sequence of the last event inspected.
    sequence: u64,
    /// The line of the last event inspected.
    upto: u64,
    /// The revision of its saved state, 0 before any.
    revision: u64,
}

impl Worker {
    async fn run(&mut self, stopping: &AtomicBool) -> anyhow::Result<()> {
        let mut renewed: Option<Instant> = None;
        while !stopping.load(Ordering::Relaxed) {
            if renewed.is_none_or(|t| t.elapsed() >= self.leases.ttl / 4) {
                renewed = Some(Instant::now());
                let (gained, lost) = self.leases.renew().await?;
                lost.iter().for_each(|part| self.drop_part(part));
                for part in gained {
                    self.take(&part).await.with_context(|| format!("cannot take partition {part}"))?;
                }
            }
            let mut idle = true;
            let parts: Vec<String> = self.owned.keys().cloned().collect();
            for part in parts {
                idle &= !self.step(&part).await?;
            }
            if idle {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Ok(())
    }

    /// Start on `part` where its saved state stands.
    async fn take(&mut self, part: &str) -> anyhow::Result<()> {
        let entry = self.state.entry(state_key(part)).await?;
        let (snapshot, revision) = match entry {
            Some(e) if e.operation == kv::Operation::Put => (wire::read::<Snapshot>("state", &e.value)?, e.revision),
            _ => (Snapshot::default(), 0),
        };
        let within = self.within(part);
        for (name, state) in &self.states {
            state.drop_where(&within);
            state.restore(snapshot.entries(name)?);
        }
        let deliver_policy = match snapshot.sequence {
            0 => DeliverPolicy::All,
            n => DeliverPolicy::ByStartSequence { start_sequence: n + 1 },
        };
        let config = pull::Config {
            filter_subject: self.bus.work(part),
            deliver_policy,
            ack_policy: AckPolicy::None,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        };
        let consumer = self.bus.events().await?.create_consumer(config).await?;
        tracing::info!(part, from = snapshot.sequence, "took a partition");
        self.owned
            .insert(part.to_owned(), Owned { consumer, sequence: snapshot.sequence, upto: snapshot.upto, revision });
        Ok(())
    }

    /// Forget `part`: another worker has it now.
    fn drop_part(&mut self, part: &str) {
        let within = self.within(part);
        self.states.iter().for_each(|(_, s)| s.drop_where(&within));
        self.owned.remove(part);
        tracing::info!(part, "handed a partition over");
    }

    /// Whether a state's partition key belongs to `part`.
    fn within(&self, part: &str) -> impl Fn(&str) -> bool + use<> {
        let global = class_of(part) == Some(Partition::Global);
        let n = part.rsplit_once('.').and_then(|(_, n)| n.parse::<u16>().ok()).unwrap_or(0);
        let count = self.layout.partitions;
        move |key| global || bucket_of(key, count) == n
    }

    /// Inspect the next batch of `part`, if any; whether there was one.
    async fn step(&mut self, part: &str) -> anyhow::Result<bool> {
        let owned = self.owned.get_mut(part).expect("an owned partition");
        let mut batch = owned.consumer.fetch().max_messages(BATCH).messages().await?;
        let class = class_of(part).context("a partition of no class")?;
        let mut done = Done { part: part.to_owned(), ..Done::default() };
        let mut any = false;
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| anyhow::anyhow!("cannot read partition {part}: {e}"))?;
            let sequence = message.info().map_err(|e| anyhow::anyhow!("{e}"))?.stream_sequence;
            if sequence <= owned.sequence {
                continue;
            }
            any = true;
            owned.sequence = sequence;
            let headers = message.headers.as_ref();
            let (Some(line), Some(index)) = (header_u64(headers, "Aiir-Line"), header_u64(headers, "Aiir-Index"))
            else {
                tracing::warn!(part, sequence, "a message with no line: not aiir's, passed over");
                continue;
            };
            owned.upto = line;
            let at = headers.and_then(|h| h.get("Aiir-At")).map_or("", |v| v.as_str()).to_owned();
            let event = match std::str::from_utf8(&message.payload)
                .map_err(|e| e.to_string())
                .and_then(|t| decode_line(t).map_err(|e| e.message))
            {
                Ok(event) => event,
                Err(why) => {
                    tracing::warn!(part, sequence, "an event that cannot be read, passed over: {why}");
                    continue;
                }
            };
            let targets: Vec<usize> =
                self.chain.targets(&event).iter().copied().filter(|&i| self.chain.role(i).partition == class).collect();
            let replies = self.chain.inspect_only(&targets, &event, &at).await;
            done.add(&self.chain, line, u32::try_from(index).unwrap_or(u32::MAX), &replies);
        }
        if !any {
            return Ok(false);
        }
        done.upto = owned.upto;
        self.bus.js.publish(self.bus.done(part), wire::write(&done)?).await?.await?;
        self.save(part).await?;
        Ok(true)
    }

    /// Save `part`'s state and where it stands; a partition whose state someone else
    /// saved meanwhile is lost to this worker.
    async fn save(&mut self, part: &str) -> anyhow::Result<()> {
        let within = self.within(part);
        let owned = self.owned.get_mut(part).expect("an owned partition");
        let mut snapshot = Snapshot { sequence: owned.sequence, upto: owned.upto, ..Snapshot::default() };
        for (name, state) in &self.states {
            let entries = state.export(&within);
            if !entries.is_empty() {
                snapshot.put(name, entries);
            }
        }
        let body = wire::write(&snapshot)?;
        let saved = match owned.revision {
            0 => self.state.create(state_key(part), body).await.map_err(anyhow::Error::from),
            revision => self.state.update(state_key(part), body, revision).await.map_err(anyhow::Error::from),
        };
        match saved {
            Ok(revision) => owned.revision = revision,
            Err(e) => {
                tracing::warn!(part, "lost the partition: its state moved on without this worker: {e}");
                self.leases.forget(part);
                self.drop_part(part);
            }
        }
        Ok(())
    }
}

fn state_key(part: &str) -> String {
    format!("state.{part}")
}

/// This worker's leases on partitions, and its heartbeat.
struct Leases {
    kv: kv::Store,
    me: String,
    ttl: Duration,
    all: Vec<String>,
    /// Held partitions and their lease's revision.
    held: BTreeMap<String, u64>,
}

impl Leases {
    async fn new(bus: &Bus, me: &str, ttl: Duration, all: Vec<String>) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !me.is_empty() && me.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)),
            "worker name {me:?}: use letters, digits, - or _"
        );
        // Start the search for free partitions at a place of this worker's own, so that
        // workers starting together do not all reach for the same ones.
        let mut all = all;
        let turn = crate::pipeline::bucket_of(me, u16::try_from(all.len().max(1)).unwrap_or(u16::MAX));
        all.rotate_left(usize::from(turn));
        Ok(Self { kv: bus.leases().await?, me: me.to_owned(), ttl, all, held: BTreeMap::new() })
    }

    /// Beat, renew the held leases, and take or give back partitions so that each live
    /// worker holds its share: the partitions gained and lost.
    async fn renew(&mut self) -> anyhow::Result<(Vec<String>, Vec<String>)> {
        self.kv.put(format!("worker.{}", self.me), self.me.clone().into()).await?;
        let mut lost = Vec::new();
        for (part, revision) in &mut self.held {
            match self.kv.update(lease_key(part), self.me.clone().into(), *revision).await {
                Ok(r) => *revision = r,
                Err(_) => lost.push(part.clone()),
            }
        }
        lost.iter().for_each(|p| self.forget(p));
        let share = self.all.len().div_ceil(self.live().await?.max(1));
        while self.held.len() > share {
            let (part, revision) = self.held.pop_last().expect("a held lease");
            let _ = self.kv.delete_expect_revision(lease_key(&part), Some(revision)).await;
            lost.push(part);
        }
        let mut gained = Vec::new();
        for part in &self.all {
            if self.held.len() >= share {
                break;
            }
            if self.held.contains_key(part) {
                continue;
            }
            if let Ok(revision) = self.kv.create(lease_key(part), self.me.clone().into()).await {
                self.held.insert(part.clone(), revision);
                gained.push(part.clone());
            }
        }
        Ok((gained, lost))
    }

    /// The workers whose heartbeat is younger than a lease.
    async fn live(&self) -> anyhow::Result<usize> {
        let keys: Vec<_> = self.kv.keys().await?.collect().await;
        Ok(keys.into_iter().filter_map(Result::ok).filter(|k| k.starts_with("worker.")).count())
    }

    fn forget(&mut self, part: &str) {
        self.held.remove(part);
    }

    /// Give every lease back, so that the partitions move now rather than after a lease.
    async fn release_all(&mut self) {
        for (part, revision) in std::mem::take(&mut self.held) {
            let _ = self.kv.delete_expect_revision(lease_key(&part), Some(revision)).await;
        }
        let _ = self.kv.delete(format!("worker.{}", self.me)).await;
    }
}

fn lease_key(part: &str) -> String {
    format!("lease.{part}")
}
