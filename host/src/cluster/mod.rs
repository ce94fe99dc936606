//! Detection spread over machines on NATS JetStream: publishers, workers, one ingest.
//!
//! ```text
//!  aiir run --publish ─┐                        ┌─ aiir worker ─┐
//!  (a file, or serve)  ├─ S.lines ──────────────┼───────────────┼─▶ aiir ingest ─▶ store,
//!                      └─ S.work.<class>.<n> ──▶├─ aiir worker ─┼─▶ S.done.…       incidents,
//!                                               └─ aiir worker ─┘                  responders
//! ```
//!
//! A publisher sends each line of its input on `S.lines` (where it was read, its
//! events), and each event once per *partition class* the config uses (the
//! [`Partition`]s of its detectors: event key, model, data set, global) on
//! `S.work.<class>.<n>`, `n` the hash of the event's key in that class modulo the
//! stream's partition count. So every event of one session, principal, model or data
//! set reaches the same work subject, in input order, and the partition is the unit a
//! worker owns: one at a time, through a lease in the key-value bucket `S_leases`.
//!
//! A worker runs a partition's events through the detectors of its class and, per
//! batch, publishes their replies on `S.done.<class>.<n>` and then the detectors'
//! keyed state of the partition, with the stream sequence it reached, to `S_state`.
//! A worker that stops renewing its leases (it died) loses them after the lease
//! time; another takes the partition over from that state and sequence: the events
//! after it are inspected again, giving the same replies, which the ingest already has
//! or takes once. Workers share the partitions evenly among those alive.
//!
//! The ingest reads `S.lines` in order and, for each event, waits until every partition
//! it went to has replied past it; then the line goes through the same ledger as in
//! `aiir run` (store, correlation, responders, the host's guard), in the same order.
//! Every process must run the same config: the partitions' classes are fixed by the
//! first publisher, and a worker or ingest whose detectors need another refuses to start.

pub mod checkpoint;
pub mod ingest;
pub mod publish;
pub mod wire;
pub mod worker;

use crate::role::Partition;
use anyhow::{Context as _, bail};
use async_nats::jetstream::{self, kv, stream};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The default stream name.
pub const DEFAULT_STREAM: &str = "aiir";
/// Partitions per class unless the first publisher says otherwise.
pub const DEFAULT_PARTITIONS: u16 = 16;
/// How long a worker's lease lasts without renewal: its ack timeout.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);
/// The largest message the bus is asked to carry (a partition's state, a batch's replies).
const MAX_MESSAGE: i32 = 8 << 20;

/// What a stream is split into: the classes of partition the config's detectors use,
/// and the partitions of each. Fixed by the first publisher, kept in `S_state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// Partitions per class (the global class has one).
    pub partitions: u16,
    /// The classes, by name (`event`, `model`, `dataset`, `global`).
    pub classes: Vec<String>,
}

impl Layout {
    /// The layout for the detectors whose partitions are `used`.
    pub fn new(used: impl IntoIterator<Item = Partition>, partitions: u16) -> Self {
        let used: Vec<Partition> = used.into_iter().collect();
        let classes = Partition::ALL.into_iter().filter(|p| used.contains(p)).map(|p| p.as_str().to_owned()).collect();
        Self { partitions, classes }
    }

    /// Every partition, as `class.n`.
    pub fn all(&self) -> Vec<String> {
        self.classes().flat_map(|c| (0..self.count(c)).map(move |n| part_name(c, n))).collect()
    }

    /// The partitions `event` goes to, one per class.
    pub fn parts(&self, event: &crate::runtime::Event) -> Vec<String> {
        self.classes().map(|c| part_name(c, c.bucket(event, self.count(c)))).collect()
    }

    fn classes(&self) -> impl Iterator<Item = Partition> + '_ {
        self.classes.iter().filter_map(|c| Partition::parse(c))
    }

    fn count(&self, class: Partition) -> u16 {
        if class == Partition::Global { 1 } else { self.partitions.max(1) }
    }

    /// Refuse a config whose detectors are partitioned by a class this stream lacks.
    pub fn check(&self, used: impl IntoIterator<Item = Partition>) -> anyhow::Result<()> {
        for p in used {
            if !self.classes.iter().any(|c| c == p.as_str()) {
                bail!(
                    "the config has detectors partitioned by {}, but the stream's layout (set by its first publisher) has only {}: run every process with the same config",
                    p.as_str(),
                    self.classes.join(", ")
                );
            }
        }
        Ok(())
    }
}

fn part_name(class: Partition, n: u16) -> String {
    format!("{}.{n}", class.as_str())
}

/// The class of a partition named `class.n`.
pub fn class_of(part: &str) -> Option<Partition> {
    part.split_once('.').and_then(|(c, _)| Partition::parse(c))
}

/// A connection to one stream's subjects and buckets.
#[derive(Debug, Clone)]
pub struct Bus {
    js: jetstream::Context,
    name: String,
}

impl Bus {
    /// Connect to the server at `url` (`nats://HOST:PORT`) and make sure the streams and
    /// buckets of the stream `name` exist.
    pub async fn connect(url: &str, name: &str, lease: Duration) -> anyhow::Result<Self> {
        check_name(name)?;
        let Some(address) = url.strip_prefix("nats://") else {
            bail!("{url:?} is not a NATS URL: expected nats://HOST:PORT");
        };
        let client = async_nats::ConnectOptions::new()
            .name("aiir")
            .connection_timeout(Duration::from_secs(5))
            .connect(address)
            .await
            .with_context(|| format!("cannot connect to {url}"))?;
        let bus = Self { js: jetstream::new(client), name: name.to_owned() };
        bus.create(lease).await.with_context(|| format!("cannot set up stream {name} on {url}"))?;
        Ok(bus)
    }

    async fn create(&self, lease: Duration) -> anyhow::Result<()> {
        let stream = |name: String, subjects: Vec<String>| stream::Config {
            name,
            subjects,
            max_message_size: MAX_MESSAGE,
            ..Default::default()
        };
        self.js.get_or_create_stream(stream(self.name.clone(), vec![self.lines(), self.work("*.*")])).await?;
        self.js.get_or_create_stream(stream(format!("{}_DONE", self.name), vec![self.done("*.*")])).await?;
        self.bucket(&format!("{}_leases", self.name), lease).await?;
        self.bucket(&format!("{}_state", self.name), Duration::ZERO).await?;
        Ok(())
    }

    /// The stream of a key-value bucket, laid out as the client's buckets are. Made
    /// here because the client's own bucket creation first asks for account details
    /// that nats-server 2.9 (Debian 12's) does not give.
    async fn bucket(&self, bucket: &str, max_age: Duration) -> anyhow::Result<()> {
        let config = stream::Config {
            name: format!("KV_{bucket}"),
            subjects: vec![format!("$KV.{bucket}.>")],
            max_messages_per_subject: 1,
            max_age,
            max_message_size: MAX_MESSAGE,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            num_replicas: 1,
            ..Default::default()
        };
        self.js.get_or_create_stream(config).await?;
        Ok(())
    }

    /// The leases and workers' heartbeats.
    async fn leases(&self) -> anyhow::Result<kv::Store> {
        Ok(self.js.get_key_value(format!("{}_leases", self.name)).await?)
    }

    /// How long a lease lasts unrenewed on this stream: the lease time of the process
    /// that set the stream up, which may not be this one's.
    pub(crate) async fn lease_time(&self) -> anyhow::Result<Duration> {
        let mut leases = self.js.get_stream(format!("KV_{}_leases", self.name)).await?;
        Ok(leases.info().await?.config.max_age)
    }

    /// The layout and each partition's detector state.
    async fn state(&self) -> anyhow::Result<kv::Store> {
        Ok(self.js.get_key_value(format!("{}_state", self.name)).await?)
    }

    /// The events stream (lines and work).
    async fn events(&self) -> anyhow::Result<stream::Stream> {
        Ok(self.js.get_stream(&self.name).await?)
    }

    /// The replies stream.
    async fn replies(&self) -> anyhow::Result<stream::Stream> {
        Ok(self.js.get_stream(format!("{}_DONE", self.name)).await?)
    }

    fn lines(&self) -> String {
        format!("{}.lines", self.name)
    }

    fn work(&self, part: &str) -> String {
        format!("{}.work.{part}", self.name)
    }

    fn done(&self, part: &str) -> String {
        format!("{}.done.{part}", self.name)
    }

    /// The stream's layout, once a publisher set it; `None` before.
    pub async fn layout(&self) -> anyhow::Result<Option<Layout>> {
        let Some(bytes) = self.state().await?.get("layout").await? else { return Ok(None) };
        Ok(Some(serde_json::from_slice(&bytes).context("the stream's layout is not aiir's")?))
    }

    /// The layout of the stream: the one set before, which `mine` must fit, or `mine`.
    async fn settle_layout(&self, mine: Layout) -> anyhow::Result<Layout> {
        let state = self.state().await?;
        let json = serde_json::to_vec(&mine)?;
        match state.create("layout", json.into()).await {
            Ok(_) => Ok(mine),
            Err(_) => {
                let set = self.layout().await?.context("the stream's layout vanished")?;
                set.check(mine.classes.iter().filter_map(|c| Partition::parse(c)))?;
                Ok(set)
            }
        }
    }
}

/// Stream names become subjects and bucket names: letters, digits, `-` and `_`.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { bail!("stream name {name:?}: use 1 to 64 letters, digits, - or _") }
}

/// This machine's name, as a worker name may spell it.
pub fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let name: String = name.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if name.is_empty() { "worker".into() } else { name }
}

/// A header's value as a number.
fn header_u64(headers: Option<&async_nats::HeaderMap>, name: &str) -> Option<u64> {
    headers?.get(name)?.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layout_names_one_partition_per_class_for_each_event() {
        let layout = Layout::new([Partition::Global, Partition::Event, Partition::Model], 4);
        assert_eq!(layout.classes, ["event", "model", "global"]);
        assert_eq!(layout.all().len(), 4 + 4 + 1);
        assert!(layout.check([Partition::Event]).is_ok());
        let err = layout.check([Partition::Dataset]).unwrap_err().to_string();
        assert!(err.contains("partitioned by dataset"), "{err}");
        assert!(check_name("aiir_prod-1").is_ok() && check_name("a.b").is_err() && check_name("").is_err());
    }

    #[test]
    fn a_place_from_the_bus_is_cut_short_and_shows_its_controls() {
        assert_eq!(wire::place("logs/app.jsonl:12"), "logs/app.jsonl:12");
        let hostile = format!("\u{1b}]0;pwned\u{7}{}", "x".repeat(5000));
        let shown = wire::place(&hostile);
        assert!(!shown.contains('\u{1b}') && !shown.contains('\u{7}') && shown.len() < 1200, "{shown:?}");
    }
}
