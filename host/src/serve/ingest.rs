//! What both transports do with a decoded export request: take a slot, join its calls,
//! queue the events of those now whole, and say what was rejected or why it must wait.
//!
//! The queue for the detectors is bounded three ways ([`Bounds`]): in requests, in
//! events and in the bytes of the events' text. A request that would pass any bound is
//! turned away with [`Busy::Queue`] (unless the queue is empty: one request larger than
//! the bounds still gets through, alone). An accepted request is answered only once the
//! findings of its events are written and stored ([`Receipt`]): when the output fails,
//! its exporter hears [`Busy::Lost`] and sends it again, rather than a success for
//! findings that were never written.

use super::Batch;
use super::auth::Sender;
use super::http::Shared;
use crate::decode::Decoded;
use crate::decode::otel::{Export, Records};
use crate::runtime::{Event, Payload};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{SemaphorePermit, oneshot};

/// A place reserved on the queue for the detectors.
type Permit<'a> = tokio::sync::mpsc::Permit<'a, anyhow::Result<Batch>>;

/// Why an export request is turned away for now; the exporters retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Too many requests are being decoded at once.
    InFlight,
    /// The queue for the detectors is full.
    Queue,
    /// Its events were queued, but their findings could not be written or stored.
    Lost,
}

impl Busy {
    /// What the answer says.
    pub fn message(self) -> &'static str {
        match self {
            Self::InFlight => "too many export requests at once; retry later",
            Self::Queue => "the detectors are behind: the queue is full; retry later",
            Self::Lost => "the findings of this request could not be written; retry later",
        }
    }
}

/// The spans or log records of an accepted request that could not be mapped: a partial
/// success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// How many.
    pub count: i64,
    /// Why, the first three reasons.
    pub message: String,
}

/// An accepted request: what was rejected, and word of its findings being kept.
#[derive(Debug)]
pub struct Receipt {
    rejected: Rejected,
    stored: Option<oneshot::Receiver<()>>,
}

impl Receipt {
    /// What was rejected, once the request's findings are written and stored; or
    /// [`Busy::Lost`] when they could not be.
    pub async fn kept(self) -> Result<Rejected, Busy> {
        match self.stored {
            Some(stored) => stored.await.map(|()| self.rejected).map_err(|_| Busy::Lost),
            None => Ok(self.rejected),
        }
    }
}

/// How much the queue for the detectors holds before new requests get 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Export requests (and batches of calls let go after their wait).
    pub requests: usize,
    /// Events.
    pub events: usize,
    /// Bytes of the events' text: messages, documents, tool calls, attributes, ids.
    pub bytes: usize,
}

/// The events and bytes queued now, against their bounds.
#[derive(Debug)]
pub struct Budget {
    used: Mutex<(u64, u64)>,
    bounds: Bounds,
}

/// What one queued batch holds of the [`Budget`]; given back when it is dropped (when
/// the detectors take the batch off the queue).
#[derive(Debug)]
pub struct Charge {
    budget: Arc<Budget>,
    events: u64,
    bytes: u64,
}

impl Budget {
    /// An empty queue with these bounds.
    pub fn new(bounds: Bounds) -> Arc<Self> {
        Arc::new(Self { used: Mutex::new((0, 0)), bounds })
    }

    fn used(&self) -> std::sync::MutexGuard<'_, (u64, u64)> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `events` more events of `bytes` fit (always, into an empty queue).
    /// Requests being decoded at once may each pass this before any is charged, so the
    /// queue may overshoot its bounds by what the 16 requests decoded at once hold.
    fn admits(&self, events: u64, bytes: u64) -> bool {
        let (e, b) = *self.used();
        (e == 0 && b == 0) || (e + events <= self.bounds.events as u64 && b + bytes <= self.bounds.bytes as u64)
    }

    /// Hold the share of a batch's events, whether they fit or not.
    pub fn charge(self: &Arc<Self>, decoded: &Decoded) -> Charge {
        let events = decoded.events.len() as u64;
        let bytes = decoded.events.iter().map(weight).sum();
        let mut used = self.used();
        used.0 += events;
        used.1 += bytes;
        Charge { budget: self.clone(), events, bytes }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let mut used = self.budget.used();
        used.0 = used.0.saturating_sub(self.events);
        used.1 = used.1.saturating_sub(self.bytes);
    }
}

/// Roughly the bytes an event holds: its texts.
fn weight(event: &Event) -> u64 {
    let texts = [Some(&event.id), Some(&event.source), event.principal.as_ref(), event.session.as_ref()];
    let mut n: usize = texts.into_iter().flatten().map(String::len).sum();
    n += event.attributes.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    n += match &event.payload {
        Payload::Inference(i) => {
            let messages: usize = i.input.iter().chain(&i.output).map(|m| m.content.len()).sum();
            messages + i.retrieved.iter().map(|d| d.id.len() + d.source.len() + d.content.len()).sum::<usize>()
        }
        Payload::ToolCall(t) => t.tool.len() + t.arguments.len() + t.result.as_ref().map_or(0, String::len),
        Payload::TrainingRun(r) => {
            let read = r.inputs.iter().map(|i| i.dataset.len() + i.batches.iter().map(String::len).sum::<usize>());
            r.run.len() + r.job.len() + read.sum::<usize>()
        }
        _ => 0,
    };
    n as u64
}

impl Shared {
    /// A slot to decode one export request in, or [`Busy::InFlight`].
    pub fn slot(&self) -> Result<SemaphorePermit<'_>, Busy> {
        self.in_flight.try_acquire().map_err(|_| Busy::InFlight)
    }

    /// Join a request's calls — those of the sources its `sender` may send as — and
    /// queue the events of those now whole for the detectors, counting them under
    /// `format`; the receipt, or [`Busy::Queue`] when the queue is full (checked before
    /// joining: the exporter retries the lot).
    pub fn enqueue(
        &self,
        format: &'static str,
        mut records: Records,
        bytes: u64,
        sender: Option<&Sender>,
    ) -> Result<Receipt, Busy> {
        let (calls, size) = records.size();
        if !self.budget.admits(calls as u64, size as u64) {
            return Err(Busy::Queue);
        }
        let permit = self.queue.try_reserve().map_err(|_| Busy::Queue)?;
        if let Some(sender) = sender {
            records.keep_sources(|source| sender.may_send_as(source), &sender.name);
        }
        let (Export { decoded, rejected }, duplicates) = {
            let mut joiner = self.joiner();
            let before = joiner.duplicates;
            let export = joiner.take(records, Instant::now());
            (export, joiner.duplicates - before)
        };
        self.metrics.duplicates(duplicates);
        self.metrics.accepted(format, &decoded.events, decoded.skipped, rejected.len() as u64);
        let reasons: Vec<&str> = rejected.iter().take(3).map(|e| e.message.as_str()).collect();
        let rejected = Rejected { count: rejected.len() as i64, message: reasons.join("; ") };
        if decoded.events.is_empty() && decoded.blind.is_empty() {
            return Ok(Receipt { rejected, stored: None });
        }
        Ok(self.queue_batch(permit, decoded, bytes, rejected))
    }

    /// Queue one event that needs no joining (an OpenLineage run event) for the
    /// detectors, counting it under `format`; the receipt, or [`Busy::Queue`].
    pub fn enqueue_event(&self, format: &'static str, event: Event, bytes: u64) -> Result<Receipt, Busy> {
        if !self.budget.admits(1, weight(&event)) {
            return Err(Busy::Queue);
        }
        let permit = self.queue.try_reserve().map_err(|_| Busy::Queue)?;
        self.metrics.accepted(format, std::slice::from_ref(&event), 0, 0);
        let decoded = Decoded { events: vec![event], ..Decoded::default() };
        Ok(self.queue_batch(permit, decoded, bytes, Rejected { count: 0, message: String::new() }))
    }

    /// Send a batch into its reserved place on the queue; its receipt.
    fn queue_batch(&self, permit: Permit<'_>, decoded: Decoded, bytes: u64, rejected: Rejected) -> Receipt {
        let (stored, told) = oneshot::channel();
        permit.send(Ok(self.batch(decoded, bytes, Some(stored))));
        Receipt { rejected, stored: Some(told) }
    }

    /// The next batch of these events, holding their share of the queue.
    pub(super) fn batch(&self, decoded: Decoded, bytes: u64, stored: Option<oneshot::Sender<()>>) -> Batch {
        let number = self.batches.fetch_add(1, Ordering::Relaxed) + 1;
        let charge = self.budget.charge(&decoded);
        Batch { number, decoded, bytes, charge: Some(charge), stored }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_admits_into_an_empty_queue_and_up_to_its_bounds() {
        let budget = Budget::new(Bounds { requests: 8, events: 4, bytes: 100 });
        assert!(budget.admits(1_000, 1 << 20), "an empty queue takes anything, alone");
        let line = r#"{"id":"e","time":"2026-11-27T13:00:00Z","source":"s","payload":{"inference":{}}}"#;
        let decoded = Decoded { events: vec![crate::decode::decode_line(line).unwrap()], ..Decoded::default() };
        let charge = budget.charge(&decoded);
        assert!(budget.admits(3, 90) && !budget.admits(4, 1) && !budget.admits(1, 99));
        drop(charge);
        assert!(budget.admits(1_000, 1 << 20));
    }
}
