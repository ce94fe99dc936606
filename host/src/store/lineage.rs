//! Lineage: data set batches → training runs → model versions → the traffic they
//! served, and what a poisoning incident's data reached through them.
//!
//! A run read a batch when one of its inputs is the batch's data set and names the
//! batch (or all batches) and, where both say a revision, the same revision; where
//! either does not, when the batch arrived before the run started (what the data set
//! held then). A model version is affected when a run that read a poisoned batch
//! produced it, or a fine-tune of an affected version did.

use super::registry::{move_alias, serving};
use super::{AliasMove, Artifact, Result, Store, Tx, int, now_unix_nano, uint};
use crate::runtime::{Event, Payload, TrainingRun};
use rusqlite::{Connection, params};
use std::collections::BTreeSet;

/// A model call, as counted against the version that served it.
#[derive(Debug, Clone)]
pub struct Served {
    event_id: String,
    model: String,
    version: Option<String>,
    digest: Option<String>,
    session: Option<String>,
    principal: Option<String>,
    at: u64,
}

impl Served {
    /// The call `event` is, when it is a model call that names its model.
    pub fn of(event: &Event) -> Option<Self> {
        if !matches!(event.payload, Payload::Inference(_) | Payload::ToolCall(_)) {
            return None;
        }
        let model = event.model.as_ref()?;
        Some(Self {
            event_id: event.id.clone(),
            model: model.name.clone(),
            version: model.version.clone(),
            digest: model.digest.clone(),
            session: event.session.clone(),
            principal: event.principal.clone(),
            at: event.time_unix_nano,
        })
    }
}

/// A batch of training data named by an incident's findings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PoisonedBatch {
    /// The data set.
    pub dataset: String,
    /// The batch.
    pub batch: String,
    /// The revision it went into, when known.
    pub revision: Option<String>,
    /// The event that brought it.
    pub event_id: String,
}

/// A training run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    /// Its id.
    pub run: String,
    /// Its job.
    pub job: String,
    /// Its latest state.
    pub state: String,
    /// When it started, nanoseconds since the epoch.
    pub started_at: u64,
    /// What it read: `(dataset, revision, batch)`, `''` for unknown or all.
    pub inputs: Vec<RunInput>,
    /// The version it fine-tuned.
    pub base: Option<Version>,
    /// The version it produced.
    pub output: Option<Version>,
}

/// Data a run read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunInput {
    /// The data set.
    pub dataset: String,
    /// The revision, when known.
    pub revision: Option<String>,
    /// The batch; `None` for all of them.
    pub batch: Option<String>,
}

/// A model version named by lineage.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Version {
    /// The model.
    pub model: String,
    /// The version label.
    pub version: String,
    /// The digest, when known.
    pub digest: Option<String>,
}

impl Version {
    fn artifact(&self) -> Artifact {
        Artifact { version: self.version.clone(), digest: self.digest.clone() }
    }

    /// `model version`.
    pub fn label(&self) -> String {
        format!("{} {}", self.model, self.artifact())
    }
}

/// A span of time a version served under the alias; `until` is `None` while it still does.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Serving {
    /// When the alias moved to it.
    pub from: u64,
    /// When the alias moved away.
    pub until: Option<u64>,
}

/// What some versions served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Traffic {
    /// Model calls.
    pub events: u64,
    /// Distinct sessions among them.
    pub sessions: u64,
    /// Distinct principals among them.
    pub principals: u64,
}

/// A version trained on poisoned data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Affected {
    /// The version.
    pub version: Version,
    /// The run that produced it.
    pub run: String,
    /// The affected version it was fine-tuned from, when that is how the data reached it.
    pub through: Option<Version>,
    /// When it served under the alias.
    pub serving: Vec<Serving>,
    /// What it served.
    pub traffic: Traffic,
}

/// What a poisoning incident's data reached.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Impact {
    /// The incident.
    pub incident: String,
    /// The batches its findings name.
    pub poisoned: Vec<PoisonedBatch>,
    /// The runs that read them, and the fine-tunes of what those produced.
    pub runs: Vec<Run>,
    /// Every version trained on them, in the order lineage reached them.
    pub affected: Vec<Affected>,
    /// What all affected versions served together (distinct sessions and principals
    /// counted once across versions).
    pub traffic: Traffic,
}

impl Store {
    /// What the training data of `incident` reached; `None` when its findings name no
    /// batch that a recorded run read.
    pub fn impact(&self, incident: &str) -> Result<Option<Impact>> {
        impact(&self.conn, incident)
    }

    /// The version [`Tx::rollback_clean`] would move `model`'s alias to.
    pub fn clean_version(&self, model: &str, impact: &Impact) -> Result<Option<Artifact>> {
        clean_version(&self.conn, model, impact)
    }

    /// Every recorded run that produced a version of `model`, oldest first.
    pub fn model_runs(&self, model: &str) -> Result<Vec<Run>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT run FROM training_runs WHERE output_model = ?1 ORDER BY started_at, run")?
            .query_map([model], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| run(&self.conn, id)).collect()
    }
}

impl Tx<'_> {
    /// Record what a training-data or training-run event says of lineage; a run that
    /// produced a version registers it. Returns the incidents whose data the run
    /// turns out to have read (directly or through the version it fine-tunes), each
    /// noted in the audit log: their responders have more to answer.
    pub fn observe_lineage(&self, event: &Event) -> Result<Vec<String>> {
        let Payload::TrainingRun(r) = &event.payload else {
            self.observe_batch(event)?;
            return Ok(Vec::new());
        };
        self.observe_run(event, r)?;
        let mut reached = Vec::new();
        for id in poisoning_incidents(self.conn)? {
            let Some(impact) = impact(self.conn, &id)? else { continue };
            if let Some(run) = impact.runs.iter().find(|known| known.run == r.run) {
                let output = run.output.as_ref().map(Version::label);
                let detail = serde_json::json!({ "run": r.run, "job": r.job, "state": r.state, "output": output });
                super::audit(
                    self.conn,
                    now_unix_nano(),
                    &format!("log:{}", event.id),
                    Some(&id),
                    "lineage-reached",
                    detail,
                )?;
                reached.push(id);
            }
        }
        Ok(reached)
    }

    fn observe_batch(&self, event: &Event) -> Result<()> {
        match &event.payload {
            Payload::TrainingData(d) => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO dataset_batches (dataset, batch, revision, event_id, seen_at)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                    )?
                    .execute(params![
                        d.dataset,
                        d.batch,
                        d.revision.as_deref().unwrap_or(""),
                        event.id,
                        int(event.time_unix_nano)
                    ])?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn observe_run(&self, event: &Event, r: &TrainingRun) -> Result<()> {
        let at = int(event.time_unix_nano);
        let (base, output) = (r.base.as_ref(), r.output.as_ref());
        let digest = |m: Option<&crate::runtime::ModelRef>| m.and_then(|m| m.digest.clone()).unwrap_or_default();
        self.conn
            .prepare_cached(
                "INSERT INTO training_runs (run, job, state, started_at, updated_at, base_model, base_version,
                     base_digest, output_model, output_version, output_digest)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (run) DO UPDATE SET
                     state = CASE WHEN excluded.updated_at >= updated_at THEN excluded.state ELSE state END,
                     started_at = MIN(started_at, excluded.started_at),
                     updated_at = MAX(updated_at, excluded.updated_at),
                     base_model = COALESCE(excluded.base_model, base_model),
                     base_version = COALESCE(excluded.base_version, base_version),
                     base_digest = CASE WHEN excluded.base_model IS NULL THEN base_digest ELSE excluded.base_digest END,
                     output_model = COALESCE(excluded.output_model, output_model),
                     output_version = COALESCE(excluded.output_version, output_version),
                     output_digest = CASE WHEN excluded.output_model IS NULL THEN output_digest ELSE excluded.output_digest END",
            )?
            .execute(params![
                r.run,
                r.job,
                r.state,
                at,
                base.map(|m| &m.name),
                base.and_then(|m| m.version.as_ref()),
                digest(base),
                output.map(|m| &m.name),
                output.and_then(|m| m.version.as_ref()),
                digest(output),
            ])?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO run_inputs (run, dataset, revision, batch) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        )?;
        for input in &r.inputs {
            let revision = input.revision.as_deref().unwrap_or("");
            let all = [String::new()];
            let batches = if input.batches.is_empty() { &all[..] } else { &input.batches[..] };
            for batch in batches {
                insert.execute(params![r.run, input.dataset, revision, batch])?;
            }
        }
        if let Some(m) = output
            && let Some(version) = &m.version
        {
            let actor = format!("log:{}", event.id);
            self.register_version(&m.name, version, m.digest.as_deref(), event.time_unix_nano, &actor)?;
        }
        Ok(())
    }

    /// Count model calls against the versions that served them: the version an event
    /// names, else the one the alias points at now. A call counted before is not again.
    pub fn record_served(&self, served: &[Served]) -> Result<()> {
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO served_events (event_id, model, version, digest, session, principal, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id) DO NOTHING",
        )?;
        for s in served {
            let alias = match &s.version {
                Some(_) => None,
                None => serving(self.conn, &s.model)?,
            };
            let (version, digest) = match (&s.version, &alias) {
                (Some(v), _) => (v.as_str(), s.digest.as_deref().unwrap_or("")),
                (None, Some(a)) => (a.version.as_str(), a.digest.as_deref().unwrap_or("")),
                (None, None) => ("", ""),
            };
            insert.execute(params![s.event_id, s.model, version, digest, s.session, s.principal, int(s.at)])?;
        }
        Ok(())
    }

    /// Move `model`'s alias to its newest version that none of `impact`'s data reached
    /// and that is either marked known-good or was produced by a completed recorded
    /// run (which may be the one serving); quarantined versions are skipped. `None` when
    /// there is none.
    pub fn rollback_clean(
        &self,
        model: &str,
        impact: &Impact,
        actor: &str,
        incident: Option<&str>,
    ) -> Result<Option<AliasMove>> {
        let Some(target) = clean_version(self.conn, model, impact)? else { return Ok(None) };
        let reason = format!("rollback to the newest version trained on none of the data of {}", impact.incident);
        move_alias(self.conn, model, &target, now_unix_nano(), actor, &reason, incident)
    }
}

/// See [`Tx::rollback_clean`].
pub(super) fn clean_version(conn: &Connection, model: &str, impact: &Impact) -> Result<Option<Artifact>> {
    let mut stmt = conn.prepare_cached(
        "SELECT v.version, v.digest FROM model_versions v
         WHERE v.model = ?1 AND v.quarantined = 0
           AND (v.known_good = 1 OR EXISTS (
               SELECT 1 FROM training_runs r WHERE r.output_model = v.model AND r.output_version = v.version
                   AND (r.output_digest = '' OR v.digest = '' OR r.output_digest = v.digest) AND r.state = 'complete'))
         ORDER BY v.registered_at DESC, v.id DESC",
    )?;
    let rows = stmt.query_map([model], |r| Ok(Artifact::stored(r.get(0)?, r.get(1)?)))?;
    let tainted: Vec<Artifact> =
        impact.affected.iter().filter(|a| a.version.model == model).map(|a| a.version.artifact()).collect();
    for row in rows {
        let candidate = row?;
        let reached = tainted
            .iter()
            .any(|t| t.version == candidate.version && (t.covers(&candidate) || candidate.digest.is_none()));
        if !reached {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// See [`Store::impact`].
pub(super) fn impact(conn: &Connection, incident: &str) -> Result<Option<Impact>> {
    let poisoned = poisoned(conn, incident)?;
    let mut runs: Vec<String> = Vec::new();
    for batch in &poisoned {
        for id in readers(conn, batch)? {
            if !runs.contains(&id) {
                runs.push(id);
            }
        }
    }
    if runs.is_empty() {
        return Ok(None);
    }
    let mut runs: Vec<Run> = runs.iter().map(|id| run(conn, id)).collect::<Result<_>>()?;
    let mut affected: Vec<Affected> = Vec::new();
    let mut next = 0;
    // Breadth first: the runs that read the data, then fine-tunes of what they produced.
    while next < runs.len() {
        let r = runs[next].clone();
        next += 1;
        let Some(output) = r.output.clone() else { continue };
        if affected.iter().any(|a| a.version == output) {
            continue;
        }
        let through = r.base.clone().filter(|b| affected.iter().any(|a| &a.version == b));
        for id in fine_tunes(conn, &output)? {
            if !runs.iter().any(|known| known.run == id) {
                runs.push(run(conn, &id)?);
            }
        }
        let serving = serving_spans(conn, &output)?;
        let traffic = traffic(conn, std::slice::from_ref(&output))?;
        affected.push(Affected { version: output, run: r.run, through, serving, traffic });
    }
    let versions: Vec<Version> = affected.iter().map(|a| a.version.clone()).collect();
    let traffic = traffic(conn, &versions)?;
    Ok(Some(Impact { incident: incident.to_owned(), poisoned, runs, affected, traffic }))
}

/// The incidents not closed whose findings name a batch of training data.
fn poisoning_incidents(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT i.id FROM incidents i JOIN findings f ON f.incident_id = i.id
         JOIN dataset_batches b ON b.event_id = f.event_id WHERE i.state != 'closed' ORDER BY i.seq",
    )?;
    Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

/// The batches the incident's findings were found in.
fn poisoned(conn: &Connection, incident: &str) -> Result<Vec<PoisonedBatch>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT b.dataset, b.batch, b.revision, b.event_id FROM findings f
         JOIN dataset_batches b ON b.event_id = f.event_id
         WHERE f.incident_id = ?1 ORDER BY b.seen_at, b.dataset, b.batch",
    )?;
    let rows = stmt.query_map([incident], |r| {
        let revision: String = r.get(2)?;
        Ok(PoisonedBatch {
            dataset: r.get(0)?,
            batch: r.get(1)?,
            revision: Some(revision).filter(|v| !v.is_empty()),
            event_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The runs that read `batch` (see the module's rule).
fn readers(conn: &Connection, batch: &PoisonedBatch) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT r.run FROM run_inputs i JOIN training_runs r ON r.run = i.run
         JOIN dataset_batches b ON b.dataset = i.dataset AND b.batch = ?2 AND b.revision = ?3
         WHERE i.dataset = ?1 AND (i.batch = '' OR i.batch = ?2)
           AND CASE WHEN i.revision <> '' AND b.revision <> '' THEN i.revision = b.revision
                    ELSE b.seen_at <= r.started_at END
         ORDER BY r.started_at, r.run",
    )?;
    let revision = batch.revision.as_deref().unwrap_or("");
    let rows = stmt.query_map(params![batch.dataset, batch.batch, revision], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The runs that fine-tuned `version`.
fn fine_tunes(conn: &Connection, version: &Version) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT run FROM training_runs WHERE base_model = ?1 AND base_version = ?2
           AND (base_digest = '' OR ?3 = '' OR base_digest = ?3)
         ORDER BY started_at, run",
    )?;
    let digest = version.digest.as_deref().unwrap_or("");
    let rows = stmt.query_map(params![version.model, version.version, digest], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One run, with its inputs.
fn run(conn: &Connection, id: &str) -> Result<Run> {
    let version = |model: Option<String>, version: Option<String>, digest: String| {
        Some(Version { model: model?, version: version?, digest: Some(digest).filter(|d| !d.is_empty()) })
    };
    let mut r = conn
        .prepare_cached(
            "SELECT run, job, state, started_at, base_model, base_version, base_digest,
                    output_model, output_version, output_digest FROM training_runs WHERE run = ?1",
        )?
        .query_row([id], |r| {
            Ok(Run {
                run: r.get(0)?,
                job: r.get(1)?,
                state: r.get(2)?,
                started_at: uint(r.get(3)?),
                inputs: Vec::new(),
                base: version(r.get(4)?, r.get(5)?, r.get(6)?),
                output: version(r.get(7)?, r.get(8)?, r.get(9)?),
            })
        })?;
    let mut stmt =
        conn.prepare_cached("SELECT dataset, revision, batch FROM run_inputs WHERE run = ?1 ORDER BY rowid")?;
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    let inputs = stmt.query_map([id], |row| {
        Ok(RunInput { dataset: row.get(0)?, revision: some(row.get(1)?), batch: some(row.get(2)?) })
    })?;
    r.inputs = inputs.collect::<rusqlite::Result<_>>()?;
    Ok(r)
}

/// When `version` served under its model's alias.
fn serving_spans(conn: &Connection, version: &Version) -> Result<Vec<Serving>> {
    let mut stmt =
        conn.prepare_cached("SELECT to_version, to_digest, at FROM alias_history WHERE model = ?1 ORDER BY at, seq")?;
    let moves = stmt.query_map([&version.model], |r| Ok((Artifact::stored(r.get(0)?, r.get(1)?), uint(r.get(2)?))))?;
    let target = version.artifact();
    let mut spans: Vec<Serving> = Vec::new();
    for m in moves {
        let (to, at) = m?;
        if let Some(open) = spans.last_mut().filter(|s| s.until.is_none()) {
            if target.covers(&to) {
                continue;
            }
            open.until = Some(at);
        } else if target.covers(&to) {
            spans.push(Serving { from: at, until: None });
        }
    }
    Ok(spans)
}

/// What these versions served, distinct sessions and principals counted once.
fn traffic(conn: &Connection, versions: &[Version]) -> Result<Traffic> {
    let mut stmt = conn.prepare_cached(
        "SELECT session, principal FROM served_events WHERE model = ?1 AND version = ?2
           AND (?3 = '' OR digest = '' OR digest = ?3)",
    )?;
    let (mut events, mut sessions, mut principals) = (0, BTreeSet::new(), BTreeSet::new());
    for v in versions {
        let digest = v.digest.as_deref().unwrap_or("");
        let rows = stmt.query_map(params![v.model, v.version, digest], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        for row in rows {
            let (session, principal) = row?;
            events += 1;
            sessions.extend(session);
            principals.extend(principal);
        }
    }
    Ok(Traffic { events, sessions: sessions.len() as u64, principals: principals.len() as u64 })
}
