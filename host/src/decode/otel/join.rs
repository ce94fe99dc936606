//! Joining a call's span and its log records. Instrumentations that put the messages
//! in log records (`gen_ai.user.message`, `gen_ai.choice`, the operation-details
//! record) export them apart from the span, on their own schedule (the Python SDK's
//! defaults: logs every second, spans every five), so either may arrive first.
//!
//! Records of one call meet by trace and span id. A call is let go when it is known
//! whole: a span that carries its own messages (or is a tool's), or a span joined to
//! records that hold the model's answer. Otherwise it is held for at most the wait
//! (`aiir serve --join-wait`, 10 s by default) from its first record, then let go with
//! what has arrived; when more is held than the bounds allow (calls, bytes), the oldest
//! is let go early. A log record arriving for a call already let go is a duplicate
//! (a span and records that both carry the messages) and is dropped.

use super::call::{Call, Key};
use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

/// The default wait for a call's other records.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// Calls held at most; past it the oldest is let go early, so memory stays bounded.
const MAX_HELD: usize = 16_384;
/// The bytes of text held at most, likewise: records with no span to wait for cannot
/// pin more than this.
const MAX_HELD_BYTES: usize = 64 << 20;
/// Calls let go that are remembered, to drop their late duplicates.
const MAX_DONE: usize = 65_536;

/// Calls waiting for their other records.
#[derive(Debug)]
pub struct Joiner {
    wait: Duration,
    held: HashMap<Key, Held>,
    /// Held keys by arrival, oldest first (some may be gone from `held`).
    order: VecDeque<(Instant, Key)>,
    done: HashSet<Key>,
    done_order: VecDeque<Key>,
    /// The bytes of the calls held.
    bytes: usize,
    /// Records dropped as duplicates of a call already let go.
    pub duplicates: u64,
}

#[derive(Debug)]
struct Held {
    span: Option<Call>,
    logs: Option<Call>,
    bytes: usize,
}

impl Held {
    /// The call as far as it is known: the span joined to its records.
    fn into_call(self) -> Call {
        match (self.span, self.logs) {
            (Some(mut span), Some(logs)) => {
                span.join(logs);
                span
            }
            (Some(call), None) | (None, Some(call)) => call,
            (None, None) => unreachable!("a held call has a record"),
        }
    }

    fn whole(&self) -> bool {
        let answered = |c: &Option<Call>| c.as_ref().and_then(Call::content).is_some_and(|c| c.answered());
        self.span.is_some() && answered(&self.logs)
    }
}

impl Joiner {
    /// A joiner that holds calls for at most `wait`.
    pub fn new(wait: Duration) -> Self {
        Self {
            wait,
            held: HashMap::new(),
            order: VecDeque::new(),
            done: HashSet::new(),
            done_order: VecDeque::new(),
            bytes: 0,
            duplicates: 0,
        }
    }

    /// Take one record's call; return the calls now whole.
    pub(super) fn add(&mut self, call: Call, now: Instant) -> Vec<Call> {
        let Some(key) = call.key.clone() else { return vec![call] };
        if self.done.contains(&key) {
            // A span again is an exporter's retry, which the store knows by its id; a
            // record again says what the call let go already said.
            if call.from_span {
                return vec![call];
            }
            self.duplicates += 1;
            return Vec::new();
        }
        if call.from_span && call.content().is_none_or(|c| !c.is_empty()) {
            // A span with its own messages: records held for it say the same.
            let held = self.unhold(&key);
            self.duplicates += u64::from(held.is_some_and(|h| h.logs.is_some()));
            self.remember(key);
            return vec![call];
        }
        let bytes = call.size();
        self.bytes += bytes;
        let held = self.held.entry(key.clone()).or_insert_with(|| {
            self.order.push_back((now, key.clone()));
            Held { span: None, logs: None, bytes: 0 }
        });
        held.bytes += bytes;
        if call.from_span {
            held.span = Some(call);
        } else {
            match &mut held.logs {
                Some(logs) => logs.absorb(call),
                None => held.logs = Some(call),
            }
        }
        let mut out = Vec::new();
        if held.whole() {
            out.extend(self.release(&key));
        }
        while self.over() {
            let Some(call) = self.oldest() else { break };
            out.push(call);
        }
        out
    }

    /// Whether more is held than the bounds allow.
    fn over(&self) -> bool {
        self.held.len() > MAX_HELD || self.bytes > MAX_HELD_BYTES
    }

    /// Calls whose wait is over at `now`.
    pub(super) fn expire(&mut self, now: Instant) -> Vec<Call> {
        let mut out = Vec::new();
        while let Some((since, key)) = self.order.front() {
            if now.duration_since(*since) < self.wait && !self.over() {
                break;
            }
            let key = key.clone();
            self.order.pop_front();
            out.extend(self.release(&key));
        }
        out
    }

    /// Every call held, at the end of input.
    pub(super) fn drain(&mut self) -> Vec<Call> {
        self.order.clear();
        self.bytes = 0;
        let mut out: Vec<Call> = self.held.drain().map(|(_, held)| held.into_call()).collect();
        out.sort_by_key(|c| c.time_unix_nano);
        out
    }

    /// When the next held call's wait is over.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.order.front().map(|(since, _)| *since + self.wait)
    }

    /// How many calls are held.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.held.len()
    }

    /// Let a held call go.
    fn release(&mut self, key: &Key) -> Option<Call> {
        let held = self.unhold(key)?;
        self.remember(key.clone());
        Some(held.into_call())
    }

    /// Stop holding a call.
    fn unhold(&mut self, key: &Key) -> Option<Held> {
        let held = self.held.remove(key)?;
        self.bytes -= held.bytes;
        Some(held)
    }

    /// Remember a call let go, to drop its late records.
    fn remember(&mut self, key: Key) {
        self.done.insert(key.clone());
        self.done_order.push_back(key);
        if self.done_order.len() > MAX_DONE
            && let Some(old) = self.done_order.pop_front()
        {
            self.done.remove(&old);
        }
    }

    fn oldest(&mut self) -> Option<Call> {
        while let Some((_, key)) = self.order.pop_front() {
            if let Some(call) = self.release(&key) {
                return Some(call);
            }
        }
        None
    }
}
