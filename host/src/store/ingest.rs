//! Ingest: events and their findings in, incidents opened or grown, in one transaction.

use super::{AIIR, Checkpoint, PluginWrite, Result, Served, Store, Tx, audit, int, save_checkpoint, uint};
use crate::correlate::{self, Correlation, Family, Group};
use crate::runtime::{Event, Finding, Severity};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::json;

/// What one step of a run read and found, to store as one. Model lifecycle events
/// given here also update the registry (see [`Store::observe_lifecycle`]).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// The events, each with what the detectors found in it. Only events with findings
    /// need to be here; any given are stored.
    pub observations: Vec<Observation>,
    /// Where the source stands once this batch is stored; saved in the same
    /// transaction, so a restart resumes exactly after the last stored batch.
    pub checkpoint: Option<Checkpoint>,
    /// What the batch's events changed in the detectors' keyed state, in order; saved
    /// in the same transaction, so a restart resumes with the state of the checkpoint.
    pub state: Vec<PluginWrite>,
    /// Every model call of the batch, findings or not: what each version served.
    pub served: Vec<Served>,
}

/// An event and its findings.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The event.
    pub event: Event,
    /// What the detectors found in it.
    pub findings: Vec<PluginFinding>,
}

/// A finding and the plugin that found it.
#[derive(Debug, Clone)]
pub struct PluginFinding {
    /// The detector's name.
    pub plugin: String,
    /// The incident family it joins, from the detector's configured role.
    pub family: Family,
    /// The finding.
    pub finding: Finding,
}

/// What an ingest changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    /// The findings not stored before, in batch order: emit these, and only these, so
    /// a finding is reported once across re-runs and restarts.
    pub new: Vec<NewFinding>,
    /// Incidents this batch opened, in order.
    pub opened: Vec<String>,
    /// Incidents that existed before and gained findings, in order of first growth.
    pub grown: Vec<String>,
}

/// A finding stored for the first time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFinding {
    /// Its observation's index in [`Batch::observations`].
    pub observation: usize,
    /// Its index in that observation's findings.
    pub finding: usize,
    /// The incident it joined or opened.
    pub incident: String,
}

impl Store {
    /// Store a batch: its events, its findings not stored before (with their evidence),
    /// each new finding correlated into an incident, and the checkpoint — all in one
    /// transaction. `now` is the moment of awareness for incidents it opens.
    pub fn ingest(&mut self, batch: &Batch, correlation: &Correlation, now: u64) -> Result<Ingested> {
        self.atomically(|t| t.ingest(batch, correlation, now))
    }
}

impl Tx<'_> {
    /// See [`Store::ingest`]; with [`Tx::observe_lifecycle`] beside it, a batch's
    /// lifecycle events move the alias in the same transaction as its checkpoint.
    pub fn ingest(&self, batch: &Batch, correlation: &Correlation, now: u64) -> Result<Ingested> {
        ingest_in(self.conn, batch, correlation, now)
    }
}

/// The body of [`Store::ingest`], in the caller's transaction.
pub(super) fn ingest_in(conn: &Connection, batch: &Batch, c: &Correlation, now: u64) -> Result<Ingested> {
    let mut out = Ingested::default();
    for (i, obs) in batch.observations.iter().enumerate() {
        insert_event(conn, &obs.event)?;
        // A deployment moves the serving alias in the same transaction as its findings,
        // and a run's lineage lands with them.
        Tx { conn }.observe_lifecycle(&obs.event)?;
        let reached = Tx { conn }.observe_lineage(&obs.event)?;
        for id in reached {
            // Its responders are asked again, as when it gains a finding.
            conn.prepare_cached("UPDATE incidents SET responded_count = 0 WHERE id = ?1")?.execute([&id])?;
            if !out.opened.contains(&id) && !out.grown.contains(&id) {
                out.grown.push(id);
            }
        }
        for (j, pf) in obs.findings.iter().enumerate() {
            let Some(finding_id) = insert_finding(conn, &obs.event.id, pf)? else { continue };
            let incident = correlate_finding(conn, &obs.event, pf, c, now, &mut out)?;
            conn.prepare_cached("UPDATE findings SET incident_id = ?1 WHERE id = ?2")?
                .execute(params![incident, finding_id])?;
            out.new.push(NewFinding { observation: i, finding: j, incident });
        }
    }
    Tx { conn }.record_served(&batch.served)?;
    super::state::save(conn, &batch.state)?;
    if let Some(checkpoint) = &batch.checkpoint {
        save_checkpoint(conn, checkpoint, now)?;
    }
    Ok(out)
}

/// Store an event unless one of its id is stored: the first record of an id stands.
fn insert_event(conn: &Connection, e: &Event) -> Result<()> {
    let m = correlate::event_model(e);
    conn.prepare_cached(
        "INSERT INTO events (id, time_unix_nano, source, model_name, model_version, model_digest, principal, session)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        e.id,
        int(e.time_unix_nano),
        e.source,
        m.map(|m| &m.name),
        m.and_then(|m| m.version.as_ref()),
        m.and_then(|m| m.digest.as_ref()),
        e.principal,
        e.session,
    ])?;
    Ok(())
}

/// Store a finding and its evidence; `None` when it was stored before.
fn insert_finding(conn: &Connection, event_id: &str, pf: &PluginFinding) -> Result<Option<i64>> {
    let f = &pf.finding;
    let techniques = serde_json::to_string(&f.techniques).expect("strings are JSON");
    let inserted = conn
        .prepare_cached(
            "INSERT INTO findings (event_id, plugin, rule, title, severity, confidence, techniques)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (event_id, plugin, rule) DO NOTHING",
        )?
        .execute(params![event_id, pf.plugin, f.rule, f.title, f.severity.name(), f.confidence, techniques])?;
    if inserted == 0 {
        return Ok(None);
    }
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached("INSERT INTO evidence (finding_id, field, excerpt) VALUES (?1, ?2, ?3)")?;
    for e in &f.evidence {
        stmt.execute(params![id, e.field, e.excerpt])?;
    }
    Ok(Some(id))
}

/// The live incident of a group near a time.
struct Live {
    id: String,
    severity: Severity,
    highest: Severity,
    count: u32,
    last_seen: u64,
}

/// Add a new finding to the live incident of its group within the window, or open one.
fn correlate_finding(
    conn: &Connection,
    event: &Event,
    pf: &PluginFinding,
    c: &Correlation,
    now: u64,
    out: &mut Ingested,
) -> Result<String> {
    let (group, finding) = (correlate::group(pf.family, event), &pf.finding);
    match live(conn, &group, event.time_unix_nano, c.window_nanos())? {
        Some(incident) => {
            grow(conn, &incident, event, finding, c, now)?;
            if !out.opened.contains(&incident.id) && !out.grown.contains(&incident.id) {
                out.grown.push(incident.id.clone());
            }
            Ok(incident.id)
        }
        None => {
            let id = open(conn, &group, event, finding, c, now)?;
            out.opened.push(id.clone());
            Ok(id)
        }
    }
}

/// The incident of the group, not closed, whose span is within the window of `time`;
/// the latest such when there are several.
fn live(conn: &Connection, g: &Group, time: u64, window: u64) -> Result<Option<Live>> {
    let row = conn
        .prepare_cached(
            "SELECT id, severity, highest, finding_count, last_seen FROM incidents
             WHERE family = ?1 AND scope = ?2 AND key = ?3 AND state != 'closed'
               AND ?4 - last_seen <= ?5 AND first_seen - ?4 <= ?5
             ORDER BY last_seen DESC LIMIT 1",
        )?
        .query_row(params![g.family.as_str(), g.scope.as_str(), g.key, int(time), int(window)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((id, severity, highest, count, last_seen)) = row else { return Ok(None) };
    Ok(Some(Live {
        id,
        severity: stored_severity(&severity)?,
        highest: stored_severity(&highest)?,
        count,
        last_seen: uint(last_seen),
    }))
}

fn stored_severity(name: &str) -> Result<Severity> {
    super::types::parse_named(name, "severity", Severity::parse)
}

fn open(conn: &Connection, g: &Group, event: &Event, f: &Finding, c: &Correlation, now: u64) -> Result<String> {
    let seq: i64 =
        conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM incidents")?.query_row([], |r| r.get(0))?;
    let id = format!("INC-{seq:04}");
    let severity = c.severity(f.severity, 1);
    let m = correlate::event_model(event);
    let t = int(event.time_unix_nano);
    conn.prepare_cached(
        "INSERT INTO incidents (seq, id, title, family, scope, key, severity, highest, state,
             model_name, model_version, model_digest, first_seen, last_seen, opened_at, finding_count, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9, ?10, ?11, ?12, ?12, ?13, 1, ?13)",
    )?
    .execute(params![
        seq,
        id,
        g.title(),
        g.family.as_str(),
        g.scope.as_str(),
        g.key,
        severity.name(),
        f.severity.name(),
        m.map(|m| &m.name),
        m.and_then(|m| m.version.as_ref()),
        m.and_then(|m| m.digest.as_ref()),
        t,
        int(now),
    ])?;
    let detail = json!({
        "family": g.family.as_str(), "scope": g.scope.as_str(), "key": g.key,
        "severity": severity.name(), "event": event.id, "rule": f.rule,
    });
    audit(conn, now, AIIR, Some(&id), "opened", detail)?;
    Ok(id)
}

fn grow(conn: &Connection, i: &Live, event: &Event, f: &Finding, c: &Correlation, now: u64) -> Result<()> {
    let count = i.count.saturating_add(1);
    let highest = correlate::from_rank(correlate::rank(i.highest).max(correlate::rank(f.severity)));
    let severity = c.severity(highest, count);
    let t = event.time_unix_nano;
    // The incident's model is its latest finding's.
    let model = correlate::event_model(event).filter(|_| t >= i.last_seen);
    conn.prepare_cached(
        "UPDATE incidents SET finding_count = ?2, severity = ?3, highest = ?4,
             first_seen = MIN(first_seen, ?5), last_seen = MAX(last_seen, ?5),
             model_name = COALESCE(?6, model_name),
             model_version = CASE WHEN ?6 IS NULL THEN model_version ELSE ?7 END,
             model_digest = CASE WHEN ?6 IS NULL THEN model_digest ELSE ?8 END,
             updated_at = ?9
         WHERE id = ?1",
    )?
    .execute(params![
        i.id,
        count,
        severity.name(),
        highest.name(),
        int(t),
        model.map(|m| &m.name),
        model.and_then(|m| m.version.as_ref()),
        model.and_then(|m| m.digest.as_ref()),
        int(now),
    ])?;
    if severity != i.severity {
        let detail = json!({
            "from": i.severity.name(), "to": severity.name(),
            "finding_count": count, "event": event.id, "rule": f.rule,
        });
        audit(conn, now, AIIR, Some(&i.id), "escalated", detail)?;
    }
    Ok(())
}
