//! The ledger of a run: what `aiir run` keeps in the store as it goes. Findings are
//! stored in batches of lines, each with the end of its last line as its input's
//! checkpoint, in one transaction, and written out after their batch is stored. So a
//! run that is killed and started again resumes after the last batch stored and
//! reports no finding twice. A finding the store held before (a log read again) is
//! written too, marked as already stored: it joins no incident a second time, so no
//! responder acts on it again. Without a store every finding is written at once and
//! nothing resumes.

use crate::actuate::Actuators;
use crate::actuate::guard::Guard;
use crate::correlate::{Correlation, Family};
use crate::output::FindingRecord;
use crate::respond::Responders;
use crate::runtime::{Event, Finding, Payload, PluginError};
use crate::source::{FileId, Position};
use crate::store::{ActionRecord, Batch, Checkpoint, Observation, PluginFinding, Store, now_unix_nano};
use anyhow::Context as _;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Lines stored together at most; a batch is also stored whenever the input pauses,
/// and after any line with findings or a model deployment, so that responders act
/// (and the guard knows) before the next line is looked at.
const BATCH_LINES: usize = 512;

/// Where findings go once stored (at once without a store).
pub type Emit<'e> = dyn FnMut(FindingRecord<'_>) -> anyhow::Result<()> + 'e;

/// A finding on its way out, with the plugin that made it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The plugin's name (`aiir` for the host's own findings).
    pub plugin: String,
    /// The incident family it joins: the plugin's configured role, not its words.
    pub family: Family,
    /// The plugin's version.
    pub version: String,
    /// The finding.
    pub finding: Finding,
    /// Why the plugin did not inspect the event, for a fail-closed plugin's synthetic finding.
    pub error: Option<PluginError>,
}

/// An event and what was found in it.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The event.
    pub event: Event,
    /// Its findings.
    pub hits: Vec<Hit>,
}

impl Inspection {
    /// Whether the store must see it at once: it has findings, or it moves a model.
    fn urgent(&self) -> bool {
        !self.hits.is_empty() || matches!(self.event.payload, Payload::ModelLifecycle(_))
    }
}

/// What a run's ledger did, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Incidents opened.
    pub opened: u64,
    /// Incidents that gained findings.
    pub grown: u64,
    /// Actions recorded, by status.
    pub actions: std::collections::BTreeMap<&'static str, u64>,
}

/// The store of a run, if it has one, with the batch not yet stored.
#[derive(Debug, Default)]
pub struct Ledger {
    store: Option<Stored>,
    /// What it did so far.
    pub tally: Tally,
}

#[derive(Debug)]
struct Stored {
    store: Store,
    correlation: Correlation,
    responders: Responders,
    guard: Guard,
    reports: PathBuf,
    pending: Pending,
}

/// Lines read and inspected but not yet stored.
#[derive(Debug, Default)]
struct Pending {
    batch: Batch,
    /// Per observation of the batch, what its records need beside it.
    notes: Vec<Notes>,
    source: Option<PathBuf>,
    lines: usize,
}

/// What the store does not keep but an observation's records show: where its event
/// was read and, per finding, its plugin's version and, for a synthetic finding, the
/// error.
#[derive(Debug)]
struct Notes {
    at: String,
    findings: Vec<(String, Option<PluginError>)>,
}

impl Ledger {
    /// Keep findings and checkpoints in the store at `path`, and answer incidents
    /// with `responders`; nothing is kept without a store.
    pub fn open(path: Option<&Path>, correlation: Correlation, responders: Responders) -> anyhow::Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let store = Store::open(path)?;
        let quarantined = store
            .quarantined()?
            .into_iter()
            .map(|(model, version, digest)| crate::actuate::guard::Quarantined { model, version, digest });
        let guard = Guard::new(quarantined, store.blocked()?);
        let reports = path.parent().unwrap_or(Path::new(".")).join("reports");
        let pending = Pending::default();
        Ok(Self {
            store: Some(Stored { store, correlation, responders, guard, reports, pending }),
            tally: Tally::default(),
        })
    }

    /// The host's own findings on `event`: a quarantined model serving it, or a
    /// blocked principal sending it.
    pub fn guard(&self, event: &Event) -> Vec<Finding> {
        self.store.as_ref().map(|s| s.guard.check(event)).unwrap_or_default()
    }

    /// Where reading the input at `path` resumes: its checkpoint, if it has one.
    pub fn resume(&self, path: &Path) -> anyhow::Result<Option<Position>> {
        let Some(stored) = &self.store else { return Ok(None) };
        let source = source_key(path)?;
        let saved =
            stored.store.checkpoint(&source).with_context(|| format!("cannot read the checkpoint of {source}"))?;
        Ok(saved.and_then(|c| position(&c)))
    }

    /// Take what was found in a line of the input at `path` that ends `at`. Without
    /// a store findings are written at once; with one they wait for their batch.
    pub async fn add(
        &mut self,
        path: &Path,
        inspections: Vec<Inspection>,
        at: Position,
        emit: &mut Emit<'_>,
    ) -> anyhow::Result<()> {
        let Some(stored) = &mut self.store else {
            let read_at = location(path, at);
            for i in &inspections {
                i.hits.iter().try_for_each(|h| emit(h.record(&i.event).read_at(&read_at)))?;
            }
            return Ok(());
        };
        if stored.pending.source.as_deref().is_some_and(|s| s != path) {
            stored.flush(&mut self.tally, emit).await?;
        }
        let urgent = inspections.iter().any(Inspection::urgent);
        stored.pending.add(path, inspections, at)?;
        if urgent || stored.pending.lines >= BATCH_LINES { stored.flush(&mut self.tally, emit).await } else { Ok(()) }
    }

    /// Store the lines taken so far, write their new findings, and show the
    /// incidents they opened or grew to the responders.
    pub async fn flush(&mut self, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        match &mut self.store {
            Some(stored) => stored.flush(&mut self.tally, emit).await,
            None => Ok(()),
        }
    }
}

impl Stored {
    /// See [`Ledger::flush`]; what it did is counted in `tally`.
    async fn flush(&mut self, tally: &mut Tally, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        let Pending { batch, notes, lines, .. } = std::mem::take(&mut self.pending);
        if lines == 0 {
            return Ok(());
        }
        let ingested =
            self.store.ingest(&batch, &self.correlation, now_unix_nano()).context("cannot store findings")?;
        tally.opened += ingested.opened.len() as u64;
        tally.grown += ingested.grown.len() as u64;
        let new: HashSet<(usize, usize)> = ingested.new.iter().map(|n| (n.observation, n.finding)).collect();
        for (i, (obs, notes)) in batch.observations.iter().zip(&notes).enumerate() {
            for (j, (pf, (version, error))) in obs.findings.iter().zip(&notes.findings).enumerate() {
                let record = record(&obs.event, &pf.plugin, version, &pf.finding, error.as_ref());
                emit(record.read_at(&notes.at).already_stored(!new.contains(&(i, j))))?;
            }
        }
        let changed = !ingested.opened.is_empty() || !ingested.grown.is_empty();
        if changed && !self.responders.is_empty() {
            let recorded = self.respond().await.context("cannot record the responders' actions")?;
            for action in recorded {
                *tally.actions.entry(action.status.as_str()).or_default() += 1;
            }
        }
        Ok(())
    }

    async fn respond(&mut self) -> anyhow::Result<Vec<ActionRecord>> {
        let mut act = Actuators { store: &mut self.store, guard: &mut self.guard, reports: self.reports.clone() };
        self.responders.respond(&mut act).await
    }
}

impl Pending {
    /// Add a line's inspections (those the store must see: with findings, or moving
    /// a model) and make its end the checkpoint.
    fn add(&mut self, path: &Path, inspections: Vec<Inspection>, at: Position) -> anyhow::Result<()> {
        for Inspection { event, hits } in inspections.into_iter().filter(Inspection::urgent) {
            let mut findings = Vec::with_capacity(hits.len());
            let mut notes = Notes { at: location(path, at), findings: Vec::with_capacity(hits.len()) };
            for h in hits {
                findings.push(PluginFinding { plugin: h.plugin, family: h.family, finding: h.finding });
                notes.findings.push((h.version, h.error));
            }
            self.batch.observations.push(Observation { event, findings });
            self.notes.push(notes);
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

impl Hit {
    /// The record written for this finding of `event`.
    pub fn record<'a>(&'a self, event: &'a Event) -> FindingRecord<'a> {
        record(event, &self.plugin, &self.version, &self.finding, self.error.as_ref())
    }
}

/// The record written for a finding of `event` by the plugin of this name and version.
fn record<'a>(
    event: &'a Event,
    plugin: &'a str,
    version: &'a str,
    finding: &'a Finding,
    error: Option<&'a PluginError>,
) -> FindingRecord<'a> {
    let record = FindingRecord::by(event, plugin, version, finding);
    match error {
        Some(error) => record.with_error(error),
        None => record,
    }
}

/// Where a line was read, as a record shows it: `FILE:LINE`.
fn location(path: &Path, at: Position) -> String {
    format!("{}:{}", crate::run::source_name(path), at.line)
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
