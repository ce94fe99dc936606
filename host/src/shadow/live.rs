//! Shadows in a running chain: a config's `shadow = "NAME"` entry runs in the chain of
//! `aiir run` and `aiir serve` like any detector (same events, its own limits, breaker
//! and keyed state), and its replies are counted here against those of the entry it
//! shadows, event by event, as `aiir shadow` counts two files. What it finds goes
//! nowhere else: [`Chain::counted`] leaves it out of the findings that act.
//!
//! The comparisons are shared ([`Board`]) with what shows them while the chain runs:
//! `GET /metrics` and `GET /api/v1/shadow` of `aiir serve`. A reload keeps a
//! comparison's counts only when neither of its sides changed.

use super::{ShadowReport, SideReport};
use crate::chain::{Chain, Reply};
use crate::config::DetectorConfig;
use crate::runtime::{Event, sha256_hex};
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

/// One shadow entry and its divergence so far: the report of `aiir shadow --json`,
/// named.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The shadow entry's name: the new side.
    pub detector: String,
    /// The entry it shadows, the old side; none for `shadow = true`.
    pub shadows: Option<String>,
    /// What the two did, and where they differ.
    #[serde(flatten)]
    pub report: ShadowReport,
}

/// The comparisons of the running chain, shared with what shows them.
#[derive(Debug, Clone, Default)]
pub struct Board(Arc<Mutex<Vec<Comparison>>>);

impl Board {
    fn lock(&self) -> MutexGuard<'_, Vec<Comparison>> {
        // A panic elsewhere must not take the counts down with it.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The comparisons as they stand, in config order.
    pub fn snapshot(&self) -> Vec<Comparison> {
        self.lock().clone()
    }
}

/// Where a shadow and the entry it shadows sit in the chain.
#[derive(Debug, Clone, Copy)]
struct Pair {
    new: usize,
    old: Option<usize>,
}

/// The shadows of the running chain, each bound by its config entry to its place in
/// the chain (never by what the plugin says of itself).
#[derive(Debug, Default)]
pub struct Shadows {
    /// One per comparison of the board, in the same order.
    pairs: Vec<Pair>,
    board: Board,
}

impl Shadows {
    /// The shadows of the chain started from `detectors` (in chain order), counting
    /// from nothing.
    pub fn new(detectors: &[DetectorConfig], chain: &Chain) -> Self {
        let mut shadows = Self::default();
        shadows.reload(detectors, chain, |_| false);
        shadows
    }

    /// The shadows of a chain started anew from `detectors`. A comparison keeps its
    /// counts when both its sides are `unchanged` (the same entries, components and
    /// settings as in the running chain) and it shadows the same entry: counts of
    /// another pair of versions would mislead.
    pub fn reload(&mut self, detectors: &[DetectorConfig], chain: &Chain, unchanged: impl Fn(&DetectorConfig) -> bool) {
        let mut before = std::mem::take(&mut *self.board.lock());
        let mut pairs = Vec::new();
        let mut comparisons = Vec::new();
        for (new, d) in detectors.iter().enumerate() {
            let Some(shadow) = &d.shadow else { continue };
            let old = shadow.entry().and_then(|name| detectors.iter().position(|o| o.name() == name));
            let same = unchanged(d) && old.is_none_or(|o| unchanged(&detectors[o]));
            let kept =
                before.iter().position(|c| same && c.detector == d.name() && c.shadows.as_deref() == shadow.entry());
            let comparison = match kept {
                Some(i) => before.swap_remove(i),
                None => Comparison {
                    detector: d.name().to_owned(),
                    shadows: shadow.entry().map(str::to_owned),
                    report: ShadowReport {
                        old: side(detectors, chain, old),
                        new: side(detectors, chain, Some(new)),
                        ..ShadowReport::default()
                    },
                },
            };
            pairs.push(Pair { new, old });
            comparisons.push(comparison);
        }
        self.pairs = pairs;
        *self.board.lock() = comparisons;
    }

    /// Show the comparisons on `board` from now on (the one `/metrics` reads).
    pub fn share(&mut self, board: Board) {
        *board.lock() = std::mem::take(&mut *self.board.lock());
        self.board = board;
    }

    /// Count one event: the replies of every plugin that wanted it, in chain order.
    pub fn count(&self, event: &Event, replies: &[Reply]) {
        if self.pairs.is_empty() {
            return;
        }
        let mut board = self.board.lock();
        for (pair, c) in self.pairs.iter().zip(board.iter_mut()) {
            let old = record(&mut c.report.old, replies, pair.old);
            let new = record(&mut c.report.new, replies, Some(pair.new));
            c.report.compare(&event.id, &old, &new);
        }
    }

    /// Count a line that was not an event.
    pub fn rejected(&self) {
        self.board.lock().iter_mut().for_each(|c| c.report.rejected += 1);
    }

    /// Each comparison as `aiir shadow` prints it, on stderr, after a header naming it.
    pub fn print(&self) {
        for c in self.board.lock().iter() {
            let of = c.shadows.as_deref().map_or("no entry".to_owned(), |name| format!("{name:?}"));
            crate::output::diagnostic(&format!("aiir: shadow {:?} of {of}:\n{}", c.detector, c.report));
        }
    }
}

/// A side of a comparison before its first event: which plugin, which component.
fn side(detectors: &[DetectorConfig], chain: &Chain, index: Option<usize>) -> SideReport {
    let Some(i) = index else { return SideReport::default() };
    let plugin = chain.plugin(i);
    SideReport {
        plugin: plugin.name().to_owned(),
        version: plugin.info().version.clone(),
        sha256: sha256_hex(&detectors[i].wasm),
        ..SideReport::default()
    }
}

/// Count the reply of the plugin at `index`, if it had one: the slugs it found.
fn record(side: &mut SideReport, replies: &[Reply], index: Option<usize>) -> BTreeSet<String> {
    match index.and_then(|i| replies.iter().find(|r| r.plugin == i)) {
        Some(reply) => side.record(&reply.result, reply.stats.wall),
        None => BTreeSet::new(),
    }
}
