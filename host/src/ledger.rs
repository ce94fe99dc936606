//! The ledger of a run: what `aiir run` keeps in the store as it goes. Findings are
//! stored in batches of lines, each with the end of its last line as its input's
//! checkpoint and the detectors' keyed state after it, in one transaction, and written
//! out just before it commits. So a run that is killed and started again resumes after
//! the last batch stored, with the state it had there: it finds what an uninterrupted
//! run would, stores no finding twice and loses none from the output (a kill between
//! writing and committing writes that batch again). A finding the store held before (a log read again) is
//! written too, marked as already stored: it joins no incident a second time, so no
//! responder acts on it again. Without a store every finding is written at once and
//! nothing resumes.

use crate::actuate::Actuators;
use crate::actuate::guard::Guard;
use crate::config::DetectorConfig;
use crate::correlate::{Correlation, Family};
use crate::output::FindingRecord;
use crate::registry::Registry;
use crate::respond::Responders;
use crate::runtime::{Event, Finding, Payload, PluginError};
use crate::source::{FileId, Position};
use crate::store::{
    ActionRecord, Batch, Checkpoint, Ingested, Observation, PluginFinding, PluginWrite, Served, Store, now_unix_nano,
};
use anyhow::Context as _;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Lines stored together at most. A batch also ends when a live input (followed
/// files, stdin, `serve`) pauses or has waited [`MAX_DELAY`], and at the end of the
/// input. The responders act on the incidents a batch opened or grew once it is
/// stored, before the next line is looked at. When one of them is enforced, and so
/// may quarantine or block, a batch also ends after each line with findings or a model
/// deployment: the guard then knows what they did before the next line. Files read
/// whole end batches only by what they hold, so what a log yields does not depend on
/// how fast it was read. Each batch is one transaction; the store syncs to disk once
/// per [`SYNC_EVERY`](crate::store::SYNC_EVERY), not once per batch.
const BATCH_LINES: usize = 1024;

/// How long the lines of a live input that does not pause wait to be stored at most.
pub const MAX_DELAY: Duration = Duration::from_millis(50);

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

/// An event, what was found in it, and what inspecting it changed in the detectors'
/// keyed state.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The event.
    pub event: Event,
    /// Its findings.
    pub hits: Vec<Hit>,
    /// Its changes to keyed state.
    pub state: Vec<PluginWrite>,
}

impl Inspection {
    /// Whether the store keeps it: it has findings, or it moves a model or says what
    /// trained one.
    fn kept(&self) -> bool {
        let lineage = matches!(
            self.event.payload,
            Payload::ModelLifecycle(_) | Payload::TrainingData(_) | Payload::TrainingRun(_)
        );
        !self.hits.is_empty() || lineage
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
    registry: Registry,
    pending: Pending,
    keeps_state: bool,
}

/// Lines read and inspected but not yet stored.
#[derive(Debug, Default)]
struct Pending {
    batch: Batch,
    /// Per observation of the batch, what its records need beside it.
    notes: Vec<Notes>,
    source: Option<PathBuf>,
    lines: usize,
    /// Whether it holds an inspection the store keeps.
    kept: bool,
    /// When its first line was taken.
    since: Option<Instant>,
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
    /// Keep findings, checkpoints and keyed state in the store at `path`; nothing is
    /// kept without a store. Incidents are answered once [`answer_with`](Self::answer_with)
    /// names the responders.
    pub fn open(path: Option<&Path>, correlation: Correlation) -> anyhow::Result<Self> {
        let Some(path) = path else { return Ok(Self::default()) };
        let mut store = Store::open(path)?;
        store.group_sync(crate::store::SYNC_EVERY).context("cannot set up the store")?;
        let quarantined = store
            .quarantined()?
            .into_iter()
            .map(|(model, version, digest)| crate::actuate::guard::Quarantined { model, version, digest });
        let guard = Guard::new(quarantined, store.blocked()?);
        let reports = path.parent().unwrap_or(Path::new(".")).join("reports");
        let (pending, responders) = (Pending::default(), Responders::default());
        Ok(Self {
            store: Some(Stored {
                store,
                correlation,
                responders,
                guard,
                reports,
                registry: Registry::Embedded,
                pending,
                keeps_state: false,
            }),
            tally: Tally::default(),
        })
    }

    /// Answer the incidents a batch opens or grows with `responders`.
    pub fn answer_with(&mut self, responders: Responders) {
        if let Some(stored) = &mut self.store {
            stored.responders = responders;
        }
    }

    /// Carry out rollbacks and quarantines in `registry` too (the store's own alone
    /// until this is called).
    pub fn act_on(&mut self, registry: Registry) {
        if let Some(stored) = &mut self.store {
            stored.registry = registry;
        }
    }

    /// Keep the detectors' keyed state in the store: what it kept for each detector is
    /// put back into its setup, and each batch stores what its events changed.
    /// Without it, the state lives and dies with the run.
    pub fn keep_state(&mut self, detectors: &[DetectorConfig]) -> anyhow::Result<()> {
        let Some(stored) = &mut self.store else { return Ok(()) };
        stored.keeps_state = true;
        for d in detectors {
            let kept = stored.store.plugin_state(d.name()).context("cannot read the detectors' state")?;
            d.setup.state.restore(kept);
        }
        Ok(())
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
    /// a store findings are written at once; with one they wait for their batch
    /// (see [`is_stored`](Self::is_stored)).
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
        stored.pending.add(path, inspections, at, stored.keeps_state)?;
        if stored.pending.due(stored.responders.may_contain()) {
            stored.flush(&mut self.tally, emit).await
        } else {
            Ok(())
        }
    }

    /// Whether every line taken so far is stored and its findings written out.
    pub fn is_stored(&self) -> bool {
        self.store.as_ref().is_none_or(|s| s.pending.lines == 0)
    }

    /// How long the oldest line not yet stored has waited.
    pub fn waited(&self) -> Duration {
        self.store.as_ref().and_then(|s| s.pending.since).map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Store the lines taken so far, write their new findings, and show the
    /// incidents they opened or grew to the responders. For when the input paused:
    /// everything stored is made durable too.
    pub async fn flush(&mut self, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        let Some(stored) = &mut self.store else { return Ok(()) };
        stored.flush(&mut self.tally, emit).await?;
        stored.store.sync().context("cannot sync the store")
    }
}

impl Stored {
    /// See [`Ledger::flush`]; what it did is counted in `tally`.
    async fn flush(&mut self, tally: &mut Tally, emit: &mut Emit<'_>) -> anyhow::Result<()> {
        let Pending { batch, notes, lines, .. } = std::mem::take(&mut self.pending);
        if lines == 0 {
            return Ok(());
        }
        let (correlation, now) = (&self.correlation, now_unix_nano());
        // Written out before the commit: a kill in between writes them again when the
        // run resumes, where after it they would be stored and never written.
        let ingested = self.store.atomically_or(|t| -> anyhow::Result<Ingested> {
            let ingested = t.ingest(&batch, correlation, now).context("cannot store findings")?;
            write_out(&batch, &notes, &ingested, emit)?;
            Ok(ingested)
        })?;
        tally.opened += ingested.opened.len() as u64;
        tally.grown += ingested.grown.len() as u64;
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
        let mut act = Actuators {
            store: &mut self.store,
            guard: &mut self.guard,
            reports: self.reports.clone(),
            registry: self.registry.clone(),
        };
        self.responders.respond(&mut act).await
    }
}

impl Pending {
    /// Add a line's inspections (those the store keeps: with findings, or moving a
    /// model) and make its end the checkpoint; with `state`, their changes to keyed
    /// state too.
    fn add(&mut self, path: &Path, mut inspections: Vec<Inspection>, at: Position, state: bool) -> anyhow::Result<()> {
        if state {
            inspections.iter_mut().for_each(|i| self.batch.state.append(&mut i.state));
        }
        self.batch.served.extend(inspections.iter().filter_map(|i| Served::of(&i.event)));
        for Inspection { event, hits, .. } in inspections.into_iter().filter(Inspection::kept) {
            self.kept = true;
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
        self.since.get_or_insert_with(Instant::now);
        self.lines += 1;
        Ok(())
    }

    /// Whether the batch must be stored now: it is full or, `line_by_line`, holds
    /// what the store keeps.
    fn due(&self, line_by_line: bool) -> bool {
        self.lines >= BATCH_LINES || (line_by_line && self.kept)
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

/// Write a stored batch's findings, each marked when the store held it before.
fn write_out(batch: &Batch, notes: &[Notes], ingested: &Ingested, emit: &mut Emit<'_>) -> anyhow::Result<()> {
    let new: HashSet<(usize, usize)> = ingested.new.iter().map(|n| (n.observation, n.finding)).collect();
    for (i, (obs, notes)) in batch.observations.iter().zip(notes).enumerate() {
        for (j, (pf, (version, error))) in obs.findings.iter().zip(&notes.findings).enumerate() {
            let record = record(&obs.event, &pf.plugin, version, &pf.finding, error.as_ref());
            emit(record.read_at(&notes.at).already_stored(!new.contains(&(i, j))))?;
        }
    }
    Ok(())
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
