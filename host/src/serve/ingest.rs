//! What both transports do with a decoded export request: take a slot, join its calls,
//! queue the events of those now whole, and say what was rejected or why it must wait.

use super::Batch;
use super::auth::Sender;
use super::http::Shared;
use crate::decode::otel::{Export, Records};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio::sync::SemaphorePermit;

/// Why an export request is turned away for now; the exporters retry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// Too many requests are being read and decoded at once.
    InFlight,
    /// The queue for the detectors is full.
    Queue,
}

impl Busy {
    /// What the answer says.
    pub fn message(self) -> &'static str {
        match self {
            Self::InFlight => "too many export requests at once; retry later",
            Self::Queue => "the detectors are behind: the queue is full; retry later",
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

impl Shared {
    /// A slot to read and decode one export request in, or [`Busy::InFlight`].
    pub fn slot(&self) -> Result<SemaphorePermit<'_>, Busy> {
        self.in_flight.try_acquire().map_err(|_| Busy::InFlight)
    }

    /// Join a request's calls — those of the sources its `sender` may send as — and
    /// queue the events of those now whole for the detectors, counting them under
    /// `format`; what was rejected, or [`Busy::Queue`] when the queue is full (checked
    /// before joining: the exporter retries the lot).
    pub fn enqueue(
        &self,
        format: &'static str,
        mut records: Records,
        bytes: u64,
        sender: Option<&Sender>,
    ) -> Result<Rejected, Busy> {
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
        if !decoded.events.is_empty() || !decoded.blind.is_empty() {
            let number = self.batches.fetch_add(1, Ordering::Relaxed) + 1;
            permit.send(Ok(Batch { number, decoded, bytes }));
        }
        let reasons: Vec<&str> = rejected.iter().take(3).map(|e| e.message.as_str()).collect();
        Ok(Rejected { count: rejected.len() as i64, message: reasons.join("; ") })
    }
}
