//! The ledger of a run: what `aiir run` keeps in the store as it goes. The findings of
//! each line are stored with the line's end as its input's checkpoint, in one
//! transaction, and only the findings not stored before are written out; so a run that
//! is killed and started again resumes after the last line stored and reports no
//! finding twice. Without a store every finding is new and nothing resumes.

use crate::correlate::Correlation;
use crate::output::FindingRecord;
use crate::runtime::{Event, Finding, Plugin, PluginError};
use crate::source::{FileId, Position};
use crate::store::{Batch, Checkpoint, Observation, PluginFinding, Store, now_unix_nano};
use anyhow::Context as _;
use std::borrow::Cow;
use std::path::Path;

/// A finding on its way out: what the ledger stores and the sink writes.
#[derive(Debug)]
pub struct Hit<'a> {
    /// The event it is about.
    pub event: &'a Event,
    /// The plugin that found it.
    pub plugin: &'a Plugin,
    /// The finding; owned for the synthetic one of a fail-closed plugin.
    pub finding: Cow<'a, Finding>,
    /// Why the plugin did not inspect the event, for the synthetic finding.
    pub error: Option<&'a PluginError>,
}

impl Hit<'_> {
    /// The finding as written.
    pub fn record(&self) -> FindingRecord<'_> {
        let record = FindingRecord::new(self.event, self.plugin, &self.finding);
        match self.error {
            Some(error) => record.with_error(error),
            None => record,
        }
    }
}

/// The store of a run, if it has one, and how it groups findings into incidents.
#[derive(Debug, Default)]
pub struct Ledger {
    store: Option<(Store, Correlation)>,
}

impl Ledger {
    /// Keep findings and checkpoints in the store at `path`; nothing without one.
    pub fn open(path: Option<&Path>, correlation: Correlation) -> anyhow::Result<Self> {
        let store = path.map(|p| Store::open(p).map(|s| (s, correlation))).transpose()?;
        Ok(Self { store })
    }

    /// Where reading the input at `path` resumes: its checkpoint, if it has one.
    pub fn resume(&self, path: &Path) -> anyhow::Result<Option<Position>> {
        let Some((store, _)) = &self.store else { return Ok(None) };
        let source = source_key(path)?;
        let saved = store.checkpoint(&source).with_context(|| format!("cannot read the checkpoint of {source}"))?;
        Ok(saved.and_then(|c| position(&c)))
    }

    /// Store the findings of a line with the line's end `at` as the checkpoint of the
    /// input at `path`, as one; the findings not stored before, to write out.
    pub fn commit<'a>(&mut self, path: &Path, hits: Vec<Hit<'a>>, at: Position) -> anyhow::Result<Vec<Hit<'a>>> {
        let Some((store, correlation)) = &mut self.store else { return Ok(hits) };
        // Stdin has no identity to resume by: its findings are stored, with no checkpoint.
        let checkpoint = (at.file != FileId::default()).then(|| checkpoint(path, at)).transpose()?;
        let (batch, places) = batch(&hits, checkpoint);
        let ingested = store.ingest(&batch, correlation, now_unix_nano()).context("cannot store findings")?;
        let mut hits: Vec<Option<Hit<'a>>> = hits.into_iter().map(Some).collect();
        Ok(ingested.new.iter().filter_map(|n| hits[places[n.observation][n.finding]].take()).collect())
    }
}

/// The batch of a line's hits, grouped by event, and for each of its findings the
/// index of its hit.
fn batch(hits: &[Hit<'_>], checkpoint: Option<Checkpoint>) -> (Batch, Vec<Vec<usize>>) {
    let mut observations: Vec<Observation> = Vec::new();
    let mut places: Vec<Vec<usize>> = Vec::new();
    for (i, hit) in hits.iter().enumerate() {
        if observations.last().is_none_or(|o| o.event.id != hit.event.id) {
            observations.push(Observation { event: hit.event.clone(), findings: Vec::new() });
            places.push(Vec::new());
        }
        let finding = PluginFinding { plugin: hit.plugin.name().to_owned(), finding: hit.finding.clone().into_owned() };
        if let (Some(o), Some(p)) = (observations.last_mut(), places.last_mut()) {
            o.findings.push(finding);
            p.push(i);
        }
    }
    (Batch { observations, checkpoint }, places)
}

/// The checkpoint of the input at `path` after a line that ends at `at`.
fn checkpoint(path: &Path, at: Position) -> anyhow::Result<Checkpoint> {
    let file = format!("{}:{}", at.file.dev, at.file.ino);
    Ok(Checkpoint { source: source_key(path)?, file, byte_offset: at.offset, line_number: at.line })
}

/// The position a checkpoint saved; `None` when it is not one this aiir wrote.
fn position(c: &Checkpoint) -> Option<Position> {
    let (dev, ino) = c.file.split_once(':')?;
    let file = FileId { dev: dev.parse().ok()?, ino: ino.parse().ok()? };
    Some(Position { file, offset: c.byte_offset, line: c.line_number })
}

/// An input's name in the store: its absolute path, the same from any directory.
fn source_key(path: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    Ok(absolute.display().to_string())
}
