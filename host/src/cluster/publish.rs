//! `aiir run --publish`: read the inputs as `run` does and send their lines and events
//! to a stream, for `aiir worker`s to inspect and `aiir ingest` to store.

use super::wire::{self, Line, Sent};
use super::{Bus, DEFAULT_LEASE, Layout};
use crate::decode::{Format, decode, encode_line};
use crate::output::{self, diagnostic};
use crate::run::source_name;
use crate::source::feed::{self, Fed, Mode};
use async_nats::HeaderMap;
use async_nats::jetstream::context::PublishAckFuture;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::path::PathBuf;

/// Acknowledgements awaited at most before the next publish waits for the oldest.
const IN_FLIGHT: usize = 4096;

/// What `aiir run --publish` was asked to do.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The server, `nats://HOST:PORT`.
    pub url: String,
    /// The stream's name.
    pub stream: String,
    /// Partitions per class, when this publisher is the stream's first.
    pub partitions: u16,
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
    let bus = Bus::connect(&opts.url, &opts.stream, DEFAULT_LEASE).await?;
    let used = config.detectors.iter().map(|d| d.role.partition);
    let layout = bus.settle_layout(Layout::new(used, opts.partitions)).await?;
    let mut publisher = Publisher { next: bus.last_line().await? + 1, bus, layout, acks: VecDeque::new() };
    let (mut queue, readers) = feed::spawn(&opts.inputs, Mode::Once, opts.queue);
    let mut sent = Published::default();
    while let Some(unit) = queue.recv().await {
        let unit = unit?;
        let input = source_name(&opts.inputs[unit.input]);
        match publisher.line(&input, unit, opts.format).await? {
            Some(events) => {
                sent.lines += 1;
                sent.events += events;
            }
            None => sent.rejected += 1,
        }
    }
    drop(readers);
    publisher.settle(0).await?;
    diagnostic(&format!(
        "aiir: published {} lines ({} events) to stream {} on {}{}",
        sent.lines,
        sent.events,
        opts.stream,
        opts.url,
        if sent.rejected > 0 { format!("; {} lines rejected", sent.rejected) } else { String::new() }
    ));
    Ok(sent)
}

struct Publisher {
    bus: Bus,
    layout: Layout,
    /// The next line's number on the stream.
    next: u64,
    acks: VecDeque<PublishAckFuture>,
}

impl Publisher {
    /// Send one line: its events to their partitions, then the line. The number of its
    /// events, or `None` when it could not be read (said on stderr, as `run` does).
    async fn line(&mut self, input: &str, unit: Fed, format: Format) -> anyhow::Result<Option<u64>> {
        let at = format!("{input}:{}", unit.line.number);
        let position = unit.line.at;
        let decoded = match unit.line.text.and_then(|t| decode(format, &t).map_err(|e| e.message)) {
            Ok(decoded) => decoded,
            Err(message) => {
                diagnostic(&format!("aiir: {at}: {}", output::terminal::line(&message)));
                return Ok(None);
            }
        };
        let id = self.next;
        let mut events = Vec::with_capacity(decoded.events.len());
        for (index, event) in decoded.events.iter().enumerate() {
            let json = encode_line(event);
            let parts = self.layout.parts(event);
            for part in &parts {
                let headers =
                    headers(&[("Aiir-Line", &id.to_string()), ("Aiir-Index", &index.to_string()), ("Aiir-At", &at)]);
                self.send(self.bus.work(part), headers, json.clone().into()).await?;
            }
            events.push(Sent { event: RawValue::from_string(json)?, parts });
        }
        let count = events.len() as u64;
        let line = Line { id, input: input.to_owned(), at: position, events };
        self.send(self.bus.lines(), headers(&[("Aiir-Line", &id.to_string())]), wire::write(&line)?).await?;
        self.next += 1;
        Ok(Some(count))
    }

    async fn send(&mut self, subject: String, headers: HeaderMap, body: bytes::Bytes) -> anyhow::Result<()> {
        let ack = self.bus.js.publish_with_headers(subject, headers, body).await?;
        self.acks.push_back(ack);
        self.settle(IN_FLIGHT).await
    }

    /// Wait for acknowledgements until at most `left` are outstanding.
    async fn settle(&mut self, left: usize) -> anyhow::Result<()> {
        while self.acks.len() > left {
            let ack = self.acks.pop_front().expect("an acknowledgement");
            ack.await.map_err(|e| anyhow::anyhow!("the stream did not take a message: {e}"))?;
        }
        Ok(())
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
