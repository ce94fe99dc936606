//! What travels on the bus: lines, the replies of a batch, a partition's state.
//!
//! Nothing read here is trusted more than a plugin's own output: a reply names its
//! plugin, which must be one of the reader's configured detectors, and its findings
//! pass the boundary's checks again, bound to that plugin.

use crate::chain::{Chain, Reply};
use crate::runtime::{CallStats, Finding, PluginError, Reason, Severity, StateWrite};
use crate::source::Position;
use aiir_boundary::{Namespace, RawFinding, validate_finding};
use anyhow::{Context as _, bail};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::time::Duration;

/// A line of a publisher's input: where it was read and its events.
#[derive(Debug, Serialize, Deserialize)]
pub struct Line {
    /// Its number on the stream, from 1, in the order lines were read.
    pub id: u64,
    /// The input it was read from, as the publisher named it.
    pub input: String,
    /// Where it ends in that input.
    pub at: Position,
    /// Its events, in order.
    pub events: Vec<Sent>,
}

/// An event of a line, and the partitions it went to.
#[derive(Debug, Serialize, Deserialize)]
pub struct Sent {
    /// The event, in the aiir format.
    pub event: Box<RawValue>,
    /// The partitions (`class.n`) it was sent to.
    pub parts: Vec<String>,
}

/// What a worker made of a batch of one partition's events.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Done {
    /// The partition.
    pub part: String,
    /// The last line of the batch: the partition has replied for every event up to it.
    pub upto: u64,
    /// The plugins the replies name, by index.
    pub plugins: Vec<String>,
    /// The replies, by event.
    pub events: Vec<Replies>,
}

/// The replies for one event.
#[derive(Debug, Serialize, Deserialize)]
pub struct Replies {
    /// The event's line.
    pub line: u64,
    /// Its place in the line.
    pub index: u32,
    /// One per plugin that inspected it.
    pub replies: Vec<WireReply>,
}

/// A plugin's reply to one event.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireReply {
    /// Index into [`Done::plugins`].
    pub plugin: u16,
    /// Its findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<WireFinding>,
    /// Why it has none, when the call failed: the reason code and the detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<(String, String)>,
    /// The call's wall-clock time in nanoseconds, fuel and peak memory.
    pub cost: (u64, Option<u64>, usize),
}

/// A finding as sent; checked again when read.
#[derive(Debug, Serialize, Deserialize)]
pub struct WireFinding {
    rule: String,
    title: String,
    severity: String,
    confidence: f32,
    techniques: Vec<String>,
    evidence: Vec<(String, String)>,
}

impl Done {
    /// Add what the chain's plugins replied to the event at (`line`, `index`).
    pub fn add(&mut self, chain: &Chain, line: u64, index: u32, replies: &[Reply]) {
        let replies = replies.iter().map(|r| self.reply(chain, r)).collect();
        self.events.push(Replies { line, index, replies });
    }

    fn reply(&mut self, chain: &Chain, r: &Reply) -> WireReply {
        let name = chain.plugin(r.plugin).name();
        let plugin = match self.plugins.iter().position(|p| p == name) {
            Some(i) => i,
            None => {
                self.plugins.push(name.to_owned());
                self.plugins.len() - 1
            }
        };
        let (findings, error) = match &r.result {
            Ok(found) => (found.iter().map(WireFinding::from).collect(), None),
            Err(e) => (Vec::new(), Some((e.reason.code().to_owned(), e.detail.clone()))),
        };
        let nanos = u64::try_from(r.stats.wall.as_nanos()).unwrap_or(u64::MAX);
        let cost = (nanos, r.stats.fuel, r.stats.peak_memory);
        WireReply { plugin: u16::try_from(plugin).unwrap_or(u16::MAX), findings, error, cost }
    }

    /// The replies of `event` as the reader's `chain` knows them: each bound to the
    /// configured plugin it names, its findings checked at the boundary.
    pub fn replies_of(&self, event: &Replies, chain: &Chain) -> anyhow::Result<Vec<Reply>> {
        let mut out = Vec::with_capacity(event.replies.len());
        for r in &event.replies {
            let name = self.plugins.get(usize::from(r.plugin)).context("a reply names no plugin")?;
            let index = (0..chain.plugins().len())
                .find(|&i| chain.plugin(i).name() == name)
                .with_context(|| format!("a reply from {name:?}, which this config does not run"))?;
            let plugin = chain.plugin(index);
            let result = match &r.error {
                Some((code, detail)) => {
                    let reason = Reason::parse(code).with_context(|| format!("unknown failure {code:?}"))?;
                    Err(PluginError::new(reason, detail.clone()))
                }
                None => r.findings.iter().map(|f| f.check(plugin.name(), &plugin.info().name)).collect(),
            };
            let (nanos, fuel, peak_memory) = r.cost;
            let stats = CallStats { fuel, peak_memory, wall: Duration::from_nanos(nanos) };
            out.push(Reply { plugin: index, result, stats, state: Vec::new() });
        }
        out.sort_by_key(|r| r.plugin);
        Ok(out)
    }
}

impl From<&Finding> for WireFinding {
    fn from(f: &Finding) -> Self {
        Self {
            rule: f.rule.clone(),
            title: f.title.clone(),
            severity: f.severity.name().to_owned(),
            confidence: f.confidence,
            techniques: f.techniques.clone(),
            evidence: f.evidence.iter().map(|e| (e.field.clone(), e.excerpt.clone())).collect(),
        }
    }
}

impl WireFinding {
    /// The finding, if it passes the boundary as `configured`'s (which declares itself
    /// `declared`); else the plugin's `invalid-output` error.
    fn check(&self, configured: &str, declared: &str) -> Result<Finding, PluginError> {
        let invalid = |why: String| PluginError::new(Reason::InvalidOutput, format!("from the bus: {why}"));
        let severity = Severity::parse(&self.severity).ok_or_else(|| invalid("an unknown severity".into()))?;
        let raw = RawFinding {
            rule: self.rule.clone(),
            title: self.title.clone(),
            severity,
            confidence: self.confidence,
            techniques: self.techniques.clone(),
            evidence: self.evidence.clone(),
        };
        validate_finding(&Namespace { configured, declared }, raw).map_err(|v| invalid(v.to_string()))
    }
}

/// A partition's detector state, and the last event of its stream inspected with it.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// The stream sequence of the last work message inspected.
    pub sequence: u64,
    /// The last line of the events inspected.
    pub upto: u64,
    /// Each plugin's entries in the partition: partition key, key, value (base64), order.
    pub plugins: BTreeMap<String, Vec<(String, String, String, u64)>>,
}

impl Snapshot {
    /// Keep `plugin`'s entries.
    pub fn put(&mut self, plugin: &str, entries: Vec<StateWrite>) {
        let b64 = base64::engine::general_purpose::STANDARD;
        let rows = entries.into_iter().filter_map(|w| Some((w.partition, w.key, b64.encode(w.value?), w.written)));
        self.plugins.insert(plugin.to_owned(), rows.collect());
    }

    /// `plugin`'s entries.
    pub fn entries(&self, plugin: &str) -> anyhow::Result<Vec<StateWrite>> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let Some(rows) = self.plugins.get(plugin) else { return Ok(Vec::new()) };
        rows.iter()
            .map(|(partition, key, value, written)| {
                let value = b64.decode(value).context("a state value is not base64")?;
                Ok(StateWrite { partition: partition.clone(), key: key.clone(), value: Some(value), written: *written })
            })
            .collect()
    }
}

/// The most bytes of a place (an input's name, `file:line`) taken from the bus.
const PLACE_BYTES: usize = 1024;

/// A place named by a message (an input's name, `file:line`), as it may be shown and
/// stored: anyone with access to the bus wrote it, so it is cut short and its control
/// characters shown, never acted on.
pub fn place(text: &str) -> String {
    crate::output::terminal::line(&aiir_boundary::cap(text, PLACE_BYTES)).into_owned()
}

/// Decode a message body, naming what it should have been.
pub fn read<T: for<'de> Deserialize<'de>>(what: &str, bytes: &[u8]) -> anyhow::Result<T> {
    serde_json::from_slice(bytes).with_context(|| format!("a {what} message that is not aiir's"))
}

/// Refuse what cannot be sent.
pub fn write<T: Serialize>(value: &T) -> anyhow::Result<bytes::Bytes> {
    let json = serde_json::to_vec(value)?;
    if json.len() > super::MAX_MESSAGE as usize {
        bail!("a message of {} bytes, over the bus's cap of {} bytes", json.len(), super::MAX_MESSAGE);
    }
    Ok(json.into())
}
