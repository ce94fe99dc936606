//! `aiir run --publish`: read the inputs as `run` does and send their lines and events
//! to a stream, for `aiir worker`s to inspect and `aiir ingest` to store.

use super::wire::{self, Line, Sent};
use super::{Bus, DEFAULT_LEASE, Layout};
use crate::config::Config;
use crate::decode::{Format, decode, encode_line};
use crate::output::{self, diagnostic};
use crate::run::source_name;
use crate::runtime::Event;
use crate::source::Position;
use crate::source::feed::{self, Fed, Mode};
use anyhow::bail;
use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::jetstream::kv;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::path::PathBuf;

/// Acknowledgements awaited at most before the next publish waits for the oldest.
const IN_FLIGHT: usize = 4096;

/// Where to publish: the server, the stream, and its partitions per class when this
/// publisher is the stream's first.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server, `nats://HOST:PORT`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// Partitions per class.
    pub partitions: u16,
}

/// What `aiir run --publish` was asked to do.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// Where to.
    pub target: Target,
    /// The config, whose detectors' partitions the stream is split by.
    pub config: Option<PathBuf>,
    /// The precompiled-component cache.
    pub cache_dir: Option<PathBuf>,
    /// The inputs (`-` for stdin).
    pub inputs: Vec<PathBuf>,
    /// How they are written.
    pub format: Format,
    /// Lines read ahead.
    pub queue: usize,
}

/// What a publisher sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Lines sent.
    pub lines: u64,
    /// Events sent.
    pub events: u64,
    /// Lines that could not be read (reported, not sent).
    pub rejected: u64,
}

/// Send every line of the inputs, and each event to its partitions.
pub async fn publish(opts: &PublishOptions) -> anyhow::Result<Published> {
    let config = crate::run::load_config(opts.config.as_deref(), opts.cache_dir.clone(), false).await?;
    let mut publisher = Publisher::connect(&opts.target, &config).await?;
    let (mut queue, readers) = feed::spawn(&opts.inputs, Mode::Once, opts.queue);
    while let Some(unit) = queue.recv().await {
        let unit: Fed = unit?;
        let input = source_name(&opts.inputs[unit.input]);
        let place = format!("{input}:{}", unit.line.number);
        match unit.line.text.and_then(|t| decode(opts.format, &t).map_err(|e| e.message)) {
            Ok(decoded) => publisher.line(&input, unit.line.at, &place, &decoded.events).await?,
            Err(message) => {
                diagnostic(&format!("aiir: {place}: {}", output::terminal::line(&message)));
                publisher.sent.rejected += 1;
            }
        }
    }
    drop(readers);
    publisher.close().await?;
    diagnostic(&publisher.summary());
    Ok(publisher.sent)
}

/// A publisher's hold on its stream: lines are numbered by their publisher, so a
/// second at once would interleave its numbers with the first's. A lease in the
/// stream's lease bucket, renewed in the background, given back at the end (or lost a
/// lease time after the process dies).
#[derive(Debug)]
struct Sole {
    renewing: tokio::task::JoinHandle<()>,
    kv: kv::Store,
}

impl Sole {
    async fn claim(bus: &Bus, stream: &str) -> anyhow::Result<Self> {
        let kv = bus.leases().await?;
        let me = format!("{}-{}", super::host_name(), std::process::id());
        let mut revision = match kv.create(PUBLISHER, me.clone().into()).await {
            Ok(revision) => revision,
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                let other = kv.get(PUBLISHER).await?.map(|b| String::from_utf8_lossy(&b).into_owned());
                let other = output::terminal::quoted(other.as_deref().unwrap_or("?"));
                bail!(
                    "stream {stream} has a publisher already ({other}): one publisher per stream; give this one its own --stream"
                );
            }
            Err(e) => return Err(e.into()),
        };
        let every = bus.lease_time().await? / 4;
        let renewer = kv.clone();
        let renewing = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match renewer.update(PUBLISHER, me.clone().into(), revision).await {
                    Ok(r) => revision = r,
                    Err(e) => {
                        tracing::error!("lost the stream's publisher lease: {e}");
                        return;
                    }
                }
            }
        });
        Ok(Self { renewing, kv })
    }

    /// Give the stream back to the next publisher.
    async fn release(&self) {
        self.renewing.abort();
        let _ = self.kv.delete(PUBLISHER).await;
    }
}

impl Drop for Sole {
    fn drop(&mut self) {
        self.renewing.abort();
    }
}

/// The key of the stream's publisher lease.
const PUBLISHER: &str = "publisher";

/// A connection that sends lines to a stream.
#[derive(Debug)]
pub struct Publisher {
    bus: Bus,
    layout: Layout,
    target: Target,
    /// The next line's number on the stream.
    next: u64,
    acks: VecDeque<PublishAckFuture>,
    /// Its hold on the stream, as its one publisher.
    sole: Sole,
    /// What it sent so far.
    pub sent: Published,
}

impl Publisher {
    /// Connect to `target`, laying the stream out for `config`'s detectors if it is new.
    pub async fn connect(target: &Target, config: &Config) -> anyhow::Result<Self> {
        let bus = Bus::connect(&target.url, &target.stream, DEFAULT_LEASE).await?;
        let sole = Sole::claim(&bus, &target.stream).await?;
        let used = config.detectors.iter().map(|d| d.role.partition);
        let layout = bus.settle_layout(Layout::new(used, target.partitions)).await?;
        let next = bus.last_line().await? + 1;
        let acks = VecDeque::new();
        Ok(Self { bus, layout, target: target.clone(), next, acks, sole, sent: Published::default() })
    }

    /// Send one line read from `input`, ending at `at` (`place` names it in messages):
    /// its events to their partitions, then the line.
    pub async fn line(&mut self, input: &str, at: Position, place: &str, events: &[Event]) -> anyhow::Result<()> {
        let id = self.next;
        let mut sent = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            let json = encode_line(event);
            let parts = self.layout.parts(event);
            for part in &parts {
                let headers =
                    headers(&[("Aiir-Line", &id.to_string()), ("Aiir-Index", &index.to_string()), ("Aiir-At", place)]);
                self.send(self.bus.work(part), headers, json.clone().into()).await?;
            }
            sent.push(Sent { event: RawValue::from_string(json)?, parts });
        }
        let line = Line { id, input: input.to_owned(), at, events: sent };
        self.send(self.bus.lines(), headers(&[("Aiir-Line", &id.to_string())]), wire::write(&line)?).await?;
        self.next += 1;
        self.sent.lines += 1;
        self.sent.events += events.len() as u64;
        Ok(())
    }

    async fn send(&mut self, subject: String, headers: HeaderMap, body: bytes::Bytes) -> anyhow::Result<()> {
        let ack = self.bus.js.publish_with_headers(subject, headers, body).await?;
        self.acks.push_back(ack);
        self.settle(IN_FLIGHT).await
    }

    /// Wait for acknowledgements until at most `left` are outstanding: with 0, every
    /// line sent so far is on the stream.
    pub async fn settle(&mut self, left: usize) -> anyhow::Result<()> {
        while self.acks.len() > left {
            let ack = self.acks.pop_front().expect("an acknowledgement");
            ack.await.map_err(|e| anyhow::anyhow!("the stream did not take a message: {e}"))?;
        }
        Ok(())
    }

    /// Wait until the stream has every line sent, and give it back to the next publisher.
    pub async fn close(&mut self) -> anyhow::Result<()> {
        self.settle(0).await?;
        self.sole.release().await;
        Ok(())
    }

    /// What it sent, for stderr.
    pub fn summary(&self) -> String {
        let Published { lines, events, rejected } = self.sent;
        let rejected = if rejected > 0 { format!("; {rejected} lines rejected") } else { String::new() };
        format!(
            "aiir: published {lines} lines ({events} events) to stream {} on {}{rejected}",
            self.target.stream, self.target.url
        )
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    pairs.iter().for_each(|(k, v)| h.insert(*k, *v));
    h
}

impl Bus {
    /// The number of the last line on the stream; 0 when it has none.
    pub(super) async fn last_line(&self) -> anyhow::Result<u64> {
        match self.events().await?.get_last_raw_message_by_subject(&self.lines()).await {
            Ok(m) => Ok(super::header_u64(Some(&m.headers), "Aiir-Line").unwrap_or(0)),
            Err(e) if e.kind() == async_nats::jetstream::stream::LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}
