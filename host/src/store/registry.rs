//! The embedded model registry (models, versions, the serving alias and its history)
//! and the block list. Every change writes an audit row in its transaction.

use super::{
    AliasChange, AliasMove, ModelRow, ModelVersionRow, Result, Store, StoreError, Tx, audit, int, now_unix_nano, uint,
};
use crate::runtime::{Event, Payload};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::json;

/// The lifecycle actions after which the logged version is the one serving.
const SERVING_ACTIONS: [&str; 4] = ["deployed", "promoted", "loaded", "rolled-back"];

impl Tx<'_> {
    /// See [`Store::register_version`].
    pub fn register_version(
        &self,
        model: &str,
        version: &str,
        digest: Option<&str>,
        at: u64,
        actor: &str,
    ) -> Result<bool> {
        let c = self.conn;
        c.execute("INSERT INTO models (name) VALUES (?1) ON CONFLICT (name) DO NOTHING", [model])?;
        let new = c.execute(
            "INSERT INTO model_versions (model, version, digest, registered_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (model, version) DO NOTHING",
            params![model, version, digest, int(at)],
        )? == 1;
        if new {
            let detail = json!({ "model": model, "version": version, "digest": digest });
            audit(c, now_unix_nano(), actor, None, "version-registered", detail)?;
        } else if digest.is_some() {
            // A digest learned later fills the gap; a different one is the detectors' business.
            c.execute(
                "UPDATE model_versions SET digest = ?3 WHERE model = ?1 AND version = ?2 AND digest IS NULL",
                params![model, version, digest],
            )?;
        }
        Ok(new)
    }

    /// See [`Store::observe_lifecycle`].
    pub fn observe_lifecycle(&self, event: &Event) -> Result<Option<AliasMove>> {
        let Payload::ModelLifecycle(l) = &event.payload else { return Ok(None) };
        let Some(version) = l.model.version.as_deref() else { return Ok(None) };
        if !SERVING_ACTIONS.contains(&l.action.as_str()) {
            return Ok(None);
        }
        let (model, actor) = (l.model.name.as_str(), format!("log:{}", event.id));
        let seen: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM alias_history WHERE model = ?1 AND actor = ?2)",
            params![model, actor],
            |r| r.get(0),
        )?;
        if seen {
            return Ok(None);
        }
        self.register_version(model, version, l.model.digest.as_deref(), event.time_unix_nano, &actor)?;
        if self.is_quarantined(model, version)? {
            let detail = json!({ "model": model, "version": version, "action": l.action });
            audit(self.conn, now_unix_nano(), &actor, None, "alias-refused", detail)?;
            return Ok(None);
        }
        let reason = format!("{} in the log", l.action);
        move_alias(self.conn, model, version, event.time_unix_nano, &actor, &reason, None)
    }

    /// See [`Store::mark_known_good`].
    pub fn mark_known_good(&self, model: &str, version: &str, actor: &str) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE model_versions SET known_good = 1 WHERE model = ?1 AND version = ?2",
            params![model, version],
        )?;
        if changed == 0 {
            return Err(StoreError::NoVersion { model: model.to_owned(), version: version.to_owned() });
        }
        audit(self.conn, now_unix_nano(), actor, None, "known-good", json!({ "model": model, "version": version }))
    }

    /// See [`Store::rollback`].
    pub fn rollback(&self, model: &str, before: u64, actor: &str, incident: Option<&str>) -> Result<Option<AliasMove>> {
        let target: Option<String> = self
            .conn
            .query_row(
                "SELECT version FROM model_versions
                 WHERE model = ?1 AND known_good = 1 AND quarantined = 0 AND registered_at < ?2
                 ORDER BY registered_at DESC, rowid DESC LIMIT 1",
                params![model, int(before)],
                |r| r.get(0),
            )
            .optional()?;
        let Some(target) = target else { return Ok(None) };
        let reason = format!("rollback to the newest known-good version before {before}");
        move_alias(self.conn, model, &target, now_unix_nano(), actor, &reason, incident)
    }

    /// See [`Store::quarantine`].
    pub fn quarantine(&self, model: &str, version: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        let now = now_unix_nano();
        self.register_version(model, version, None, now, actor)?;
        let changed = self.conn.execute(
            "UPDATE model_versions SET quarantined = 1, quarantined_by_incident = ?3
             WHERE model = ?1 AND version = ?2 AND quarantined = 0",
            params![model, version, incident],
        )?;
        if changed == 1 {
            audit(self.conn, now, actor, incident, "quarantined", json!({ "model": model, "version": version }))?;
        }
        Ok(changed == 1)
    }

    /// See [`Store::block`].
    pub fn block(&self, principal: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        let now = now_unix_nano();
        let new = self.conn.execute(
            "INSERT INTO blocked_principals (principal, incident_id, at, actor) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (principal) DO NOTHING",
            params![principal, incident, int(now), actor],
        )? == 1;
        if new {
            audit(self.conn, now, actor, incident, "blocked", json!({ "principal": principal }))?;
        }
        Ok(new)
    }

    fn is_quarantined(&self, model: &str, version: &str) -> Result<bool> {
        is_quarantined(self.conn, model, version)
    }
}

/// Point the model's serving alias at `to`, recorded in its history and the audit log;
/// a move to where it already points records nothing.
fn move_alias(
    conn: &Connection,
    model: &str,
    to: &str,
    at: u64,
    actor: &str,
    reason: &str,
    incident: Option<&str>,
) -> Result<Option<AliasMove>> {
    let from = serving(conn, model)?;
    let moved = AliasMove { from: from.clone(), to: to.to_owned() };
    if from.as_deref() == Some(to) {
        return Ok(Some(moved));
    }
    conn.execute("UPDATE models SET serving_version = ?2 WHERE name = ?1", params![model, to])?;
    conn.execute(
        "INSERT INTO alias_history (model, from_version, to_version, at, actor, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![model, from, to, int(at), actor, reason],
    )?;
    let detail = json!({ "model": model, "from": from, "to": to, "reason": reason });
    audit(conn, now_unix_nano(), actor, incident, "alias-moved", detail)?;
    Ok(Some(moved))
}

fn serving(conn: &Connection, model: &str) -> Result<Option<String>> {
    let row = conn.query_row("SELECT serving_version FROM models WHERE name = ?1", [model], |r| r.get(0)).optional()?;
    Ok(row.flatten())
}

fn is_quarantined(conn: &Connection, model: &str, version: &str) -> Result<bool> {
    let q = conn
        .query_row(
            "SELECT quarantined FROM model_versions WHERE model = ?1 AND version = ?2",
            params![model, version],
            |r| r.get(0),
        )
        .optional()?;
    Ok(q.unwrap_or(false))
}

impl Store {
    /// Add a version to the registry (and its model, when new), first seen at `at`;
    /// `false` when it was known. A digest fills in one that was unknown.
    pub fn register_version(
        &mut self,
        model: &str,
        version: &str,
        digest: Option<&str>,
        at: u64,
        actor: &str,
    ) -> Result<bool> {
        self.atomically(|t| t.register_version(model, version, digest, at, actor))
    }

    /// Follow a model-lifecycle event: after `deployed`, `promoted`, `loaded` or
    /// `rolled-back` its version is registered and serving, the alias moved by actor
    /// `log:<event id>`. An event seen before (a re-read log) changes nothing, and no
    /// event moves the alias to a quarantined version (an `alias-refused` audit row
    /// says it tried). Other events are ignored. Returns the move, if any.
    pub fn observe_lifecycle(&mut self, event: &Event) -> Result<Option<AliasMove>> {
        self.atomically(|t| t.observe_lifecycle(event))
    }

    /// Mark a registered version known-good.
    pub fn mark_known_good(&mut self, model: &str, version: &str, actor: &str) -> Result<()> {
        self.atomically(|t| t.mark_known_good(model, version, actor))
    }

    /// Move the model's serving alias to its newest known-good, non-quarantined
    /// version registered before `before` (the incident's first event); `None` when
    /// there is none, for the caller to report.
    pub fn rollback(
        &mut self,
        model: &str,
        before: u64,
        actor: &str,
        incident: Option<&str>,
    ) -> Result<Option<AliasMove>> {
        self.atomically(|t| t.rollback(model, before, actor, incident))
    }

    /// Quarantine a version (registering it if unknown); `false` when it already was.
    pub fn quarantine(&mut self, model: &str, version: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        self.atomically(|t| t.quarantine(model, version, incident, actor))
    }

    /// Block a principal; `false` when it already was.
    pub fn block(&mut self, principal: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        self.atomically(|t| t.block(principal, incident, actor))
    }

    /// Whether a version is quarantined (unknown ones are not).
    pub fn is_quarantined(&self, model: &str, version: &str) -> Result<bool> {
        is_quarantined(&self.conn, model, version)
    }

    /// Whether a principal is blocked.
    pub fn is_blocked(&self, principal: &str) -> Result<bool> {
        let q = "SELECT EXISTS (SELECT 1 FROM blocked_principals WHERE principal = ?1)";
        Ok(self.conn.query_row(q, [principal], |r| r.get(0))?)
    }

    /// The version the model's serving alias points at.
    pub fn serving(&self, model: &str) -> Result<Option<String>> {
        serving(&self.conn, model)
    }

    /// Every model, by name.
    pub fn models(&self) -> Result<Vec<ModelRow>> {
        let mut stmt = self.conn.prepare("SELECT name, serving_version FROM models ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok(ModelRow { name: r.get(0)?, serving: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every version of a model, oldest first.
    pub fn versions(&self, model: &str) -> Result<Vec<ModelVersionRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT v.model, v.version, v.digest, v.known_good, v.quarantined, v.quarantined_by_incident,
                    v.version IS m.serving_version, v.registered_at
             FROM model_versions v JOIN models m ON m.name = v.model
             WHERE v.model = ?1 ORDER BY v.registered_at, v.rowid",
        )?;
        let rows = stmt.query_map([model], |r| {
            Ok(ModelVersionRow {
                model: r.get(0)?,
                version: r.get(1)?,
                digest: r.get(2)?,
                known_good: r.get(3)?,
                quarantined: r.get(4)?,
                quarantined_by_incident: r.get(5)?,
                serving: r.get(6)?,
                registered_at: uint(r.get(7)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The moves of a model's serving alias, oldest first.
    pub fn alias_history(&self, model: &str) -> Result<Vec<AliasChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, model, from_version, to_version, at, actor, reason FROM alias_history
             WHERE model = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([model], |r| {
            Ok(AliasChange {
                seq: r.get(0)?,
                model: r.get(1)?,
                moved: AliasMove { from: r.get(2)?, to: r.get(3)? },
                at: uint(r.get(4)?),
                actor: r.get(5)?,
                reason: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
