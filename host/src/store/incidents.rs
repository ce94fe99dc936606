//! Reading incidents and moving them through their lifecycle.

use super::types::parse_named;
use super::{
    Filter, IncidentDetail, IncidentRecord, Result, State, Store, StoreError, StoredFinding, TimelineEntry,
    TimelineItem, Tx, audit, int, now_unix_nano, uint,
};
use crate::correlate::{Family, Scope};
use crate::runtime::{Evidence, Finding, ModelRef, Severity};
use rusqlite::{OptionalExtension as _, Row, params};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

const INCIDENT_COLUMNS: &str = "id, title, family, scope, key, severity, state, model_name, model_version,
    model_digest, first_seen, last_seen, opened_at, finding_count, responded_count, updated_at";

impl Store {
    /// One incident.
    pub fn incident(&self, id: &str) -> Result<Option<IncidentRecord>> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1");
        let row = self.conn.prepare_cached(&sql)?.query_row([id], raw_incident).optional()?;
        row.map(RawIncident::parse).transpose()
    }

    /// The incidents a filter picks, oldest first.
    pub fn incidents(&self, filter: Filter) -> Result<Vec<IncidentRecord>> {
        let (clause, state) = match filter {
            Filter::All => ("1", None),
            Filter::Active => ("state != 'closed'", None),
            Filter::In(s) => ("state = ?1", Some(s.as_str())),
        };
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE {clause} ORDER BY seq");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = match state {
            Some(s) => stmt.query_map([s], raw_incident)?.collect::<rusqlite::Result<Vec<_>>>()?,
            None => stmt.query_map([], raw_incident)?.collect::<rusqlite::Result<Vec<_>>>()?,
        };
        rows.into_iter().map(RawIncident::parse).collect()
    }

    /// An incident with the principals, sessions, techniques, rules and model
    /// artifacts of its findings.
    pub fn incident_detail(&self, id: &str) -> Result<Option<IncidentDetail>> {
        let Some(incident) = self.incident(id)? else { return Ok(None) };
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT e.principal, e.session, f.rule, f.techniques,
                    e.model_name, NULLIF(e.model_version, ''), NULLIF(e.model_digest, '')
             FROM findings f JOIN events e ON e.id = f.event_id WHERE f.incident_id = ?1",
        )?;
        let mut rows = stmt.query([id])?;
        let mut sets: [BTreeSet<String>; 4] = Default::default();
        let mut artifacts = BTreeSet::new();
        while let Some(r) = rows.next()? {
            let techniques: String = r.get(3)?;
            let techniques: Vec<String> = serde_json::from_str(&techniques)
                .map_err(|e| StoreError::Corrupt(format!("incident {id}: techniques: {e}")))?;
            sets[0].extend(r.get::<_, Option<String>>(0)?);
            sets[1].extend(r.get::<_, Option<String>>(1)?);
            sets[2].extend(techniques);
            sets[3].insert(r.get(2)?);
            if let Some(name) = r.get::<_, Option<String>>(4)? {
                artifacts.insert((name, r.get::<_, Option<String>>(5)?, r.get::<_, Option<String>>(6)?));
            }
        }
        let [principals, sessions, techniques, rules] = sets.map(|s| s.into_iter().collect());
        let artifacts = artifacts.into_iter().map(|(name, version, digest)| ModelRef { name, version, digest });
        Ok(Some(IncidentDetail { incident, principals, sessions, techniques, rules, artifacts: artifacts.collect() }))
    }

    /// An incident's findings with their events and evidence, oldest first: the newest
    /// `limit` of them.
    pub fn incident_findings(&self, id: &str, limit: usize) -> Result<Vec<StoredFinding>> {
        let sql = format!(
            "SELECT * FROM (SELECT {FINDING_COLUMNS} {OF_INCIDENT} ORDER BY e.time_unix_nano DESC, f.id DESC LIMIT ?2)
             ORDER BY time_unix_nano, id"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.findings(&sql, params![id, limit], OF_INCIDENT, id)
    }

    /// The findings of other incidents on the sessions of a session's incident, oldest
    /// first: in an agent's session, the injected mail (an injection incident) beside
    /// the transfer it caused (a tool-abuse one). None for an incident of a model or a
    /// principal, whose sessions may be many and unrelated.
    pub fn related_findings(&self, id: &str) -> Result<Vec<StoredFinding>> {
        match self.incident(id)? {
            Some(incident) => self.related_to(&incident),
            None => Ok(Vec::new()),
        }
    }

    fn related_to(&self, incident: &IncidentRecord) -> Result<Vec<StoredFinding>> {
        if incident.scope != Scope::Session {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {FINDING_COLUMNS} {RELATED} ORDER BY e.time_unix_nano, f.id");
        self.findings(&sql, [&incident.id], RELATED, &incident.id)
    }

    /// The findings `sql` selects (the columns [`raw_finding`] reads), with the evidence
    /// of those `from` selects for `id` (see [`Store::evidence`]).
    fn findings(&self, sql: &str, params: impl rusqlite::Params, from: &str, id: &str) -> Result<Vec<StoredFinding>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, raw_finding)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut evidence = self.evidence(from, id)?;
        rows.into_iter().map(|raw| raw.parse(&mut evidence)).collect()
    }

    /// The evidence of the findings `from` selects (a `FROM … WHERE` clause whose `?1`
    /// is `id`), by finding, each in its order.
    fn evidence(&self, from: &str, id: &str) -> Result<HashMap<i64, Vec<Evidence>>> {
        let sql = format!(
            "SELECT v.finding_id, v.field, v.excerpt FROM evidence v WHERE v.finding_id IN (SELECT f.id {from})
             ORDER BY v.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([id])?;
        let mut by_finding: HashMap<i64, Vec<Evidence>> = HashMap::new();
        while let Some(r) = rows.next()? {
            by_finding.entry(r.get(0)?).or_default().push(Evidence { field: r.get(1)?, excerpt: r.get(2)? });
        }
        Ok(by_finding)
    }

    /// The incidents responders have not been asked about since they last grew (closed
    /// ones excepted), oldest first.
    pub fn needs_response(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM incidents WHERE finding_count > responded_count AND state != 'closed' ORDER BY seq",
        )?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    /// Record that responders were asked about each incident at its count of
    /// findings, in one transaction.
    pub fn mark_responded(&mut self, answered: &[(String, u32)]) -> Result<()> {
        if answered.is_empty() {
            return Ok(());
        }
        self.atomically(|t| {
            let mut stmt = t
                .conn
                .prepare_cached("UPDATE incidents SET responded_count = MAX(responded_count, ?2) WHERE id = ?1")?;
            for (id, count) in answered {
                if stmt.execute(params![id, count])? == 0 {
                    return Err(StoreError::NoIncident(id.clone()));
                }
            }
            Ok(())
        })
    }

    /// Move an incident forward in its lifecycle (open → contained → recovered →
    /// closed, steps may be skipped; `closed` from any state), with an audit row.
    pub fn transition(&mut self, id: &str, to: State, actor: &str, reason: &str) -> Result<()> {
        self.atomically(|t| t.transition(id, to, actor, reason))
    }

    /// An incident's audit rows and findings, and the findings of other incidents in
    /// its session ([`Store::related_findings`]), merged by time (the event's time for a
    /// finding); at equal times findings come first.
    pub fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>> {
        let incident = self.incident(id)?.ok_or_else(|| StoreError::NoIncident(id.to_owned()))?;
        let at = |f: &StoredFinding| f.time_unix_nano;
        let own =
            self.incident_findings(id, usize::MAX)?.into_iter().map(|f| (at(&f), TimelineItem::Finding(f.into())));
        let related = self.related_to(&incident)?.into_iter().map(|f| (at(&f), TimelineItem::Related(f.into())));
        let findings = own.chain(related).map(|(at_unix_nano, item)| TimelineEntry { at_unix_nano, item });
        let audit = self
            .audit(Some(id))?
            .into_iter()
            .map(|a| TimelineEntry { at_unix_nano: a.at_unix_nano, item: TimelineItem::Audit(a) });
        let mut entries: Vec<TimelineEntry> = findings.chain(audit).collect();
        // A stable sort keeps findings before audit rows, and each in its own order.
        entries.sort_by_key(|e| e.at_unix_nano);
        Ok(entries)
    }
}

impl Tx<'_> {
    /// Move an incident forward to `to` unless it is there or past it already (a
    /// quarantine after a rollback leaves it `recovered`); whether it moved.
    pub fn advance(&self, id: &str, to: State, actor: &str, reason: &str) -> Result<bool> {
        match self.transition(id, to, actor, reason) {
            Ok(()) => Ok(true),
            Err(StoreError::Transition { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// See [`Store::transition`].
    pub fn transition(&self, id: &str, to: State, actor: &str, reason: &str) -> Result<()> {
        let conn = self.conn;
        let from: Option<String> = conn
            .prepare_cached("SELECT state FROM incidents WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let from = parse_named(&from.ok_or_else(|| StoreError::NoIncident(id.to_owned()))?, "state", State::parse)?;
        if from == State::Closed || to <= from {
            return Err(StoreError::Transition { id: id.to_owned(), from, to });
        }
        let now = now_unix_nano();
        conn.prepare_cached("UPDATE incidents SET state = ?2, updated_at = ?3 WHERE id = ?1")?.execute(params![
            id,
            to.as_str(),
            int(now)
        ])?;
        let detail = json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason });
        audit(conn, now, actor, Some(id), "state", detail)
    }
}

/// The columns [`raw_finding`] reads, from `findings f JOIN events e`.
const FINDING_COLUMNS: &str = "f.id, f.event_id, e.time_unix_nano, e.source, f.plugin, e.model_name, e.model_version,
    e.model_digest, e.principal, e.session, f.incident_id, f.rule, f.title, f.severity, f.confidence, f.techniques";

/// An incident's findings (`?1` the incident).
const OF_INCIDENT: &str = "FROM findings f JOIN events e ON e.id = f.event_id WHERE f.incident_id = ?1";

/// The findings of other incidents (or of none) on the sessions of incident `?1`'s events.
const RELATED: &str = "FROM findings f JOIN events e ON e.id = f.event_id
    WHERE f.incident_id IS NOT ?1 AND e.session IN (
        SELECT e2.session FROM findings f2 JOIN events e2 ON e2.id = f2.event_id
        WHERE f2.incident_id = ?1 AND e2.session IS NOT NULL)";

struct RawIncident {
    id: String,
    title: String,
    family: String,
    scope: String,
    key: String,
    severity: String,
    state: String,
    model: (Option<String>, Option<String>, Option<String>),
    times: [i64; 3],
    counts: [u32; 2],
    updated_at: i64,
}

fn raw_incident(r: &Row<'_>) -> rusqlite::Result<RawIncident> {
    Ok(RawIncident {
        id: r.get(0)?,
        title: r.get(1)?,
        family: r.get(2)?,
        scope: r.get(3)?,
        key: r.get(4)?,
        severity: r.get(5)?,
        state: r.get(6)?,
        model: (r.get(7)?, r.get(8)?, r.get(9)?),
        times: [r.get(10)?, r.get(11)?, r.get(12)?],
        counts: [r.get(13)?, r.get(14)?],
        updated_at: r.get(15)?,
    })
}

impl RawIncident {
    fn parse(self) -> Result<IncidentRecord> {
        Ok(IncidentRecord {
            family: parse_named(&self.family, "family", Family::parse)?,
            scope: parse_named(&self.scope, "scope", Scope::parse)?,
            severity: parse_named(&self.severity, "severity", Severity::parse)?,
            state: parse_named(&self.state, "state", State::parse)?,
            model: model_ref(self.model),
            id: self.id,
            title: self.title,
            key: self.key,
            first_seen: uint(self.times[0]),
            last_seen: uint(self.times[1]),
            opened_at: uint(self.times[2]),
            finding_count: self.counts[0],
            responded_count: self.counts[1],
            updated_at: uint(self.updated_at),
        })
    }
}

fn model_ref((name, version, digest): (Option<String>, Option<String>, Option<String>)) -> Option<ModelRef> {
    name.map(|name| ModelRef { name, version, digest })
}

struct RawFinding {
    id: i64,
    event_id: String,
    time: i64,
    source: String,
    plugin: String,
    model: (Option<String>, Option<String>, Option<String>),
    principal: Option<String>,
    session: Option<String>,
    incident_id: Option<String>,
    rule: String,
    title: String,
    severity: String,
    confidence: f64,
    techniques: String,
}

fn raw_finding(r: &Row<'_>) -> rusqlite::Result<RawFinding> {
    Ok(RawFinding {
        id: r.get(0)?,
        event_id: r.get(1)?,
        time: r.get(2)?,
        source: r.get(3)?,
        plugin: r.get(4)?,
        model: (r.get(5)?, r.get(6)?, r.get(7)?),
        principal: r.get(8)?,
        session: r.get(9)?,
        incident_id: r.get(10)?,
        rule: r.get(11)?,
        title: r.get(12)?,
        severity: r.get(13)?,
        confidence: r.get(14)?,
        techniques: r.get(15)?,
    })
}

impl RawFinding {
    fn parse(self, evidence: &mut HashMap<i64, Vec<Evidence>>) -> Result<StoredFinding> {
        let techniques = serde_json::from_str(&self.techniques)
            .map_err(|e| StoreError::Corrupt(format!("finding {}: techniques: {e}", self.id)))?;
        #[allow(clippy::cast_possible_truncation, reason = "stored from an f32")]
        let confidence = self.confidence as f32;
        Ok(StoredFinding {
            finding: Finding {
                severity: parse_named(&self.severity, "severity", Severity::parse)?,
                evidence: evidence.remove(&self.id).unwrap_or_default(),
                rule: self.rule,
                title: self.title,
                confidence,
                techniques,
            },
            id: self.id,
            event_id: self.event_id,
            time_unix_nano: uint(self.time),
            source: self.source,
            plugin: self.plugin,
            model: model_ref(self.model),
            principal: self.principal,
            session: self.session,
            incident_id: self.incident_id,
        })
    }
}
