//! The ledger of a run: what `aiir run` keeps in the store as it goes. Findings are
//! stored in batches of lines, each with the end of its last line as its input's
//! checkpoint, in one transaction; only the findings not stored before are written
//! out, after the batch is stored. So a run that is killed and started again resumes
//! after the last batch stored and reports no finding twice. Without a store every
//! finding is written at once and nothing resumes.

use crate::chain::Chain;
use crate::correlate::Correlation;
use crate::output::FindingRecord;
use crate::runtime::{Event, Finding, PluginError};
use crate::source::{FileId, Position};
use crate::store::{Batch, Checkpoint, Observation, PluginFinding, Store, now_unix_nano};
use anyhow::Context as _;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Lines stored together at most; a batch is also stored whenever the input pauses.
const BATCH_LINES: usize = 512;

/// Where findings go once they are known to be new.
pub type Emit<'e> = dyn FnMut(FindingRecord<'_>) -> anyhow::Result<()> + 'e;

/// A finding on its way out.
#[derive(Debug)]
pub struct Hit<'a> {
    /// The event it is about.
    pub event: &'a Event,
    /// The index of the plugin in the chain.
    pub plugin: usize,
    /// The finding; owned for the synthetic one of a fail-closed plugin.
    pub finding: Cow<'a, Finding>,
    /// Why the plugin did not inspect the event, for the synthetic finding.
    pub error: Option<&'a PluginError>,
}

/// The store of a run, if it has one, with the batch not yet stored.
#[derive(Debug, Default)]
pub struct Ledger {
    store: Option<Stored>,
}

#[derive(Debug)]
struct Stored {
    store: Store,
    correlation: Correlation,
    pending: Pending,
}

/// Lines read and inspected but not yet stored.
#[derive(Debug, Default)]
struct Pending {
    batch: Batch,
    /// Per finding of the batch: its plugin and, for a synthetic finding, the error.
    notes: Vec<Vec<(usize, Option<PluginError>)>>,
    source: Option<PathBuf>,
    lines: usize,
}

impl Ledger {
    /// Keep findings and checkpoints in the store at `path`; nothing without one.
    pub fn open(path: Option<&Path>, correlation: Correlation) -> anyhow::Result<Self> {
        let store = match path {
            Some(p) => Some(Stored { store: Store::open(p)?, correlation, pending: Pending::default() }),
            None => None,
        };
        Ok(Self { store })
    }

    /// Where reading the input at `path` resumes: its checkpoint, if it has one.
    pub fn resume(&self, path: &Path) -> anyhow::Result<Option<Position>> {
        let Some(stored) = &self.store else { return Ok(None) };
        let source = source_key(path)?;
        let saved =
            stored.store.checkpoint(&source).with_context(|| format!("cannot read the checkpoint of {source}"))?;
        Ok(saved.and_then(|c| position(&c)))
    }

    /// Take the findings of a line of the input at `path` that ends `at`. Without a
    /// store they are written at once; with one they wait for the batch to be stored.
    pub fn add(
        &mut self,
        path: &Path,
        hits: Vec<Hit<'_>>,
        at: Position,
        chain: &Chain,
        emit: &mut Emit<'_>,
    ) -> anyhow::Result<()> {
        let Some(stored) = &mut self.store else {
            return hits.iter().try_for_each(|h| emit(record(h.event, chain, h.plugin, &h.finding, h.error)));
        };
        if stored.pending.source.as_deref().is_some_and(|s| s != path) {
            stored.flush(chain, emit)?;
        }
        stored.pending.add(path, hits, at, chain)?;
        if stored.pending.lines >= BATCH_LINES { stored.flush(chain, emit) } else { Ok(()) }
    }

    /// Store the lines taken so far and write their new findings.
    pub fn flush(&mut self, chain: &Chain, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        match &mut self.store {
            Some(stored) => stored.flush(chain, emit),
            None => Ok(()),
        }
    }
}

impl Stored {
    fn flush(&mut self, chain: &Chain, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        let Pending { batch, notes, lines, .. } = std::mem::take(&mut self.pending);
        if lines == 0 {
            return Ok(());
        }
        let ingested =
            self.store.ingest(&batch, &self.correlation, now_unix_nano()).context("cannot store findings")?;
        for new in &ingested.new {
            let obs = &batch.observations[new.observation];
            let (plugin, error) = &notes[new.observation][new.finding];
            emit(record(&obs.event, chain, *plugin, &obs.findings[new.finding].finding, error.as_ref()))?;
        }
        Ok(())
    }
}

impl Pending {
    /// Add a line's hits, grouped by event, and make its end the checkpoint.
    fn add(&mut self, path: &Path, hits: Vec<Hit<'_>>, at: Position, chain: &Chain) -> anyhow::Result<()> {
        let mut last: Option<&Event> = None;
        for hit in hits {
            if !last.is_some_and(|e| std::ptr::eq(e, hit.event)) {
                self.batch.observations.push(Observation { event: hit.event.clone(), findings: Vec::new() });
                self.notes.push(Vec::new());
                last = Some(hit.event);
            }
            let plugin = chain.plugin(hit.plugin).name().to_owned();
            let finding = PluginFinding { plugin, finding: hit.finding.into_owned() };
            if let (Some(o), Some(n)) = (self.batch.observations.last_mut(), self.notes.last_mut()) {
                o.findings.push(finding);
                n.push((hit.plugin, hit.error.cloned()));
            }
        }
        // Stdin has no identity to resume by: its findings are stored, with no checkpoint.
        if at.file != FileId::default() {
            self.batch.checkpoint = Some(checkpoint(path, at)?);
        }
        self.source = Some(path.to_owned());
        self.lines += 1;
        Ok(())
    }
}

fn record<'a>(
    event: &'a Event,
    chain: &'a Chain,
    plugin: usize,
    finding: &'a Finding,
    error: Option<&'a PluginError>,
) -> FindingRecord<'a> {
    let record = FindingRecord::new(event, chain.plugin(plugin), finding);
    match error {
        Some(error) => record.with_error(error),
        None => record,
    }
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
