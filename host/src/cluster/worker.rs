//! `aiir worker`: own a fair share of a stream's partitions, run their events through the
//! detectors of their class, and publish the replies and the detectors' state.

use super::checkpoint::{Checkpoints, Saved};
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

/// Events fetched and inspected together; their replies travel as one message.
const BATCH: usize = 256;
/// How often a partition's state is saved at most: a worker that takes a partition over
/// inspects again the events since its last save.
const SAVE_EVERY: Duration = Duration::from_secs(1);

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
    let states =
        config.detectors.iter().map(|d| (d.name().to_owned(), d.role.partition, d.setup.state.clone())).collect();
    let mut worker = Worker {
        leases: Leases::new(&bus, &opts.name, opts.lease, layout.all()).await?,
        checkpoints: Checkpoints::new(bus.state().await?),
        bus,
        layout,
        chain,
        states,
        owned: BTreeMap::new(),
        saves: 0,
        stale: false,
    };
    diagnostic(&format!("aiir: worker {} on stream {} at {}", opts.name, opts.stream, opts.url));
    let result = worker.run(&stopping).await;
    let parts: Vec<String> = worker.owned.keys().cloned().collect();
    for part in parts {
        worker.give_back(&part).await?;
    }
    worker.leases.quit().await;
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
    /// Each configured detector's name, class and keyed state.
    states: Vec<(String, Partition, KeyedState)>,
    leases: Leases,
    checkpoints: Checkpoints,
    owned: BTreeMap<String, Owned>,
    /// States saved so far, which names the next save's generation.
    saves: u64,
    /// Whether partitions came or went since the instances started: a detector may
    /// keep a cache of its keyed state in its instance, which is then stale.
    stale: bool,
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
    /// When it was last saved, and whether it changed since.
    saved: Instant,
    dirty: bool,
}

impl Worker {
    async fn run(&mut self, stopping: &AtomicBool) -> anyhow::Result<()> {
        let mut renewed: Option<Instant> = None;
        while !stopping.load(Ordering::Relaxed) {
            if renewed.is_none_or(|t| t.elapsed() >= self.leases.ttl / 4) {
                renewed = Some(Instant::now());
                let (gained, lost) = self.leases.renew().await?;
                lost.iter().for_each(|part| self.drop_part(part));
                // Taken before the surplus is handed over: a partition gained in this
                // renewal may be surplus already, and only a taken one can be saved.
                for part in gained {
                    self.take(&part).await.with_context(|| format!("cannot take partition {part}"))?;
                }
                for part in self.leases.surplus().await? {
                    self.give_back(&part).await?;
                }
            }
            if std::mem::take(&mut self.stale) {
                // Fresh instances, on the same keyed state, so that nothing an instance
                // remembers of partitions it no longer has, or had before, survives.
                self.chain =
                    self.chain.replica().await.map_err(|e| anyhow::anyhow!("cannot restart the detectors: {e}"))?;
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
        let (snapshot, revision) = self.checkpoints.load(part).await?;
        let within = self.within(part);
        for (name, state) in self.states_of(part) {
            state.drop_where(&within);
            state.adopt(snapshot.entries(name)?);
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
        let (sequence, upto) = (snapshot.sequence, snapshot.upto);
        let owned = Owned { consumer, sequence, upto, revision, saved: Instant::now(), dirty: false };
        self.owned.insert(part.to_owned(), owned);
        self.stale = true;
        Ok(())
    }

    /// Save `part` and hand its lease back, for another worker to take at once.
    async fn give_back(&mut self, part: &str) -> anyhow::Result<()> {
        if self.save(part).await? {
            self.leases.give_back(part).await;
            self.drop_part(part);
        }
        Ok(())
    }

    /// Forget `part`: another worker has it now.
    fn drop_part(&mut self, part: &str) {
        let within = self.within(part);
        self.states_of(part).for_each(|(_, s)| s.drop_where(&within));
        self.owned.remove(part);
        self.stale = true;
        tracing::info!(part, "handed a partition over");
    }

    /// The names and states of the detectors of `part`'s class: a partition key says
    /// which partition an entry is in only within its class.
    fn states_of(&self, part: &str) -> impl Iterator<Item = (&str, &KeyedState)> {
        let class = class_of(part);
        self.states.iter().filter(move |(_, c, _)| Some(*c) == class).map(|(n, _, s)| (n.as_str(), s))
    }

    /// Whether a state's partition key belongs to `part` (within its class).
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
            let at = wire::place(headers.and_then(|h| h.get("Aiir-At")).map_or("", |v| v.as_str()));
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
        owned.dirty = true;
        let due = owned.saved.elapsed() >= SAVE_EVERY;
        self.bus.js.publish(self.bus.done(part), wire::write(&done)?).await?.await?;
        if due {
            self.save(part).await?;
        }
        Ok(true)
    }

    /// Save `part`'s state and where it stands, if it changed; whether the partition is
    /// still this worker's (a partition whose state someone else saved meanwhile is not).
    async fn save(&mut self, part: &str) -> anyhow::Result<bool> {
        let owned = &self.owned[part];
        if !owned.dirty {
            return Ok(true);
        }
        let mut snapshot = Snapshot { sequence: owned.sequence, upto: owned.upto, ..Snapshot::default() };
        let revision = owned.revision;
        let within = self.within(part);
        for (name, state) in self.states_of(part) {
            let entries = state.export(&within);
            if !entries.is_empty() {
                snapshot.put(name, entries);
            }
        }
        self.saves += 1;
        let generation = format!("{}-{}", self.leases.me, self.saves);
        match self.checkpoints.save(part, &snapshot, revision, &generation).await? {
            Saved::At(revision) => {
                let owned = self.owned.get_mut(part).expect("an owned partition");
                (owned.revision, owned.saved, owned.dirty) = (revision, Instant::now(), false);
                Ok(true)
            }
            Saved::Lost => {
                tracing::warn!(part, "lost the partition: another worker saved its state since");
                self.leases.forget(part);
                self.drop_part(part);
                Ok(false)
            }
        }
    }
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
        // The bucket's own lease time rules when another process set the stream up.
        let ttl = ttl.min(bus.lease_time().await?);
        Ok(Self { kv: bus.leases().await?, me: me.to_owned(), ttl, all, held: BTreeMap::new() })
    }

    /// Beat, renew the held leases, and take free partitions up to this worker's share
    /// of them: the partitions gained, and those whose lease ran out.
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
        let share = self.share().await?;
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

    /// The partitions this worker holds beyond its share, to give back.
    async fn surplus(&self) -> anyhow::Result<Vec<String>> {
        let share = self.share().await?;
        Ok(self.held.keys().rev().take(self.held.len().saturating_sub(share)).cloned().collect())
    }

    /// Each live worker's share of the partitions.
    async fn share(&self) -> anyhow::Result<usize> {
        Ok(self.all.len().div_ceil(self.live().await?.max(1)))
    }

    /// Hand the lease on `part` back.
    async fn give_back(&mut self, part: &str) {
        if let Some(revision) = self.held.remove(part) {
            let _ = self.kv.delete_expect_revision(lease_key(part), Some(revision)).await;
        }
    }

    /// The workers whose heartbeat is younger than a lease.
    async fn live(&self) -> anyhow::Result<usize> {
        let keys: Vec<_> = self.kv.keys().await?.collect().await;
        Ok(keys.into_iter().filter_map(Result::ok).filter(|k| k.starts_with("worker.")).count())
    }

    fn forget(&mut self, part: &str) {
        self.held.remove(part);
    }

    /// Stop beating: the others count this worker out at once.
    async fn quit(&mut self) {
        let _ = self.kv.delete(format!("worker.{}", self.me)).await;
    }
}

fn lease_key(part: &str) -> String {
    format!("lease.{part}")
}
