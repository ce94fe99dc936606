//! The embedded model registry (models, versions, the serving alias and its history)
//! and the block list. Every change writes an audit row in its transaction.
//!
//! A registry version is an artifact: (model, version label, digest), the digest `''`
//! while unknown. A digest learned for a label that had only an unknown one fills it
//! in; a different digest under a known label is another artifact, a row of its own
//! (an artifact swapped in under an unchanged version).

use super::{
    AliasChange, AliasMove, Artifact, ModelRow, ModelVersionRow, Result, Store, StoreError, Tx, audit, int,
    now_unix_nano, uint,
};
use crate::runtime::{Event, Payload};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::json;

/// The lifecycle actions after which the logged version is the one serving.
const SERVING_ACTIONS: [&str; 4] = ["deployed", "promoted", "loaded", "rolled-back"];

/// A version row: its id and artifact.
type Row = (i64, Artifact);

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
        let digest = known(digest);
        c.prepare_cached("INSERT INTO models (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")?.execute([model])?;
        let rows = label_rows(c, model, version)?;
        let stored = digest.unwrap_or("");
        if rows.iter().any(|(_, a)| a.digest.as_deref().unwrap_or("") == stored) {
            return Ok(false);
        }
        if let ([(id, only)], Some(d)) = (rows.as_slice(), digest)
            && only.digest.is_none()
        {
            return fill_digest(c, *id, model, version, d, actor).map(|()| false);
        }
        if !rows.is_empty() && digest.is_none() {
            return Ok(false);
        }
        c.prepare_cached("INSERT INTO model_versions (model, version, digest, registered_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![model, version, stored, int(at)])?;
        let detail = json!({ "model": model, "version": version, "digest": digest });
        audit(c, now_unix_nano(), actor, None, "version-registered", detail)?;
        Ok(true)
    }

    /// See [`Store::observe_lifecycle`].
    pub fn observe_lifecycle(&self, event: &Event) -> Result<Option<AliasMove>> {
        let Payload::ModelLifecycle(l) = &event.payload else { return Ok(None) };
        let Some(version) = l.model.version.as_deref() else { return Ok(None) };
        if !SERVING_ACTIONS.contains(&l.action.as_str()) {
            return Ok(None);
        }
        let (model, actor) = (l.model.name.as_str(), format!("log:{}", event.id));
        let seen: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM alias_history WHERE model = ?1 AND actor = ?2)")?
            .query_row(params![model, actor], |r| r.get(0))?;
        if seen {
            return Ok(None);
        }
        let digest = l.model.digest.as_deref();
        self.register_version(model, version, digest, event.time_unix_nano, &actor)?;
        let Some((_, artifact)) = resolve(self.conn, model, version, digest)? else { return Ok(None) };
        if is_quarantined(self.conn, model, version, artifact.digest.as_deref())? {
            let detail = json!({ "model": model, "version": version, "digest": artifact.digest, "action": l.action });
            audit(self.conn, now_unix_nano(), &actor, None, "alias-refused", detail)?;
            return Ok(None);
        }
        let reason = format!("{} in the log", l.action);
        move_alias(self.conn, model, &artifact, event.time_unix_nano, &actor, &reason, None)
    }

    /// See [`Store::mark_known_good`].
    pub fn mark_known_good(&self, model: &str, version: &str, digest: Option<&str>, actor: &str) -> Result<()> {
        let (id, artifact) = one_row(self.conn, model, version, known(digest))?;
        self.conn.prepare_cached("UPDATE model_versions SET known_good = 1 WHERE id = ?1")?.execute([id])?;
        let detail = json!({ "model": model, "version": version, "digest": artifact.digest });
        audit(self.conn, now_unix_nano(), actor, None, "known-good", detail)
    }

    /// See [`Store::rollback`].
    pub fn rollback(
        &self,
        model: &str,
        before: u64,
        avoid: &[Artifact],
        actor: &str,
        incident: Option<&str>,
    ) -> Result<Option<AliasMove>> {
        let serving = serving(self.conn, model)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT version, digest FROM model_versions
             WHERE model = ?1 AND known_good = 1 AND quarantined = 0 AND registered_at < ?2
             ORDER BY registered_at DESC, id DESC",
        )?;
        let candidates = stmt.query_map(params![model, int(before)], |r| Ok(Artifact::stored(r.get(0)?, r.get(1)?)))?;
        let mut target = None;
        for candidate in candidates {
            let candidate = candidate?;
            // A move to where the alias points, or to the incident's own artifact,
            // would restore nothing.
            if serving.as_ref() != Some(&candidate) && !avoid.iter().any(|a| a.covers(&candidate)) {
                target = Some(candidate);
                break;
            }
        }
        let Some(target) = target else { return Ok(None) };
        let reason = format!("rollback to the newest known-good version before {}", crate::output::format_time(before));
        move_alias(self.conn, model, &target, now_unix_nano(), actor, &reason, incident)
    }

    /// See [`Store::quarantine`].
    pub fn quarantine(
        &self,
        model: &str,
        version: &str,
        digest: Option<&str>,
        incident: Option<&str>,
        actor: &str,
    ) -> Result<Vec<Artifact>> {
        let now = now_unix_nano();
        let digest = known(digest);
        self.register_version(model, version, digest, now, actor)?;
        let mut stmt = self.conn.prepare_cached(
            "UPDATE model_versions SET quarantined = 1, quarantined_by_incident = ?4
             WHERE model = ?1 AND version = ?2 AND (?3 IS NULL OR digest = ?3) AND quarantined = 0
             RETURNING version, digest",
        )?;
        let rows =
            stmt.query_map(params![model, version, digest, incident], |r| Ok(Artifact::stored(r.get(0)?, r.get(1)?)))?;
        let quarantined: Vec<Artifact> = rows.collect::<rusqlite::Result<_>>()?;
        if !quarantined.is_empty() {
            let detail = json!({ "model": model, "version": version, "digest": digest });
            audit(self.conn, now, actor, incident, "quarantined", detail)?;
        }
        Ok(quarantined)
    }

    /// See [`Store::block`].
    pub fn block(&self, principal: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        let now = now_unix_nano();
        let new = self
            .conn
            .prepare_cached(
                "INSERT INTO blocked_principals (principal, incident_id, at, actor) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (principal) DO NOTHING",
            )?
            .execute(params![principal, incident, int(now), actor])?
            == 1;
        if new {
            audit(self.conn, now, actor, incident, "blocked", json!({ "principal": principal }))?;
        }
        Ok(new)
    }
}

/// A digest as given: an empty one is none.
fn known(digest: Option<&str>) -> Option<&str> {
    digest.filter(|d| !d.is_empty())
}

/// The rows of one version label, oldest first.
fn label_rows(conn: &Connection, model: &str, version: &str) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, version, digest FROM model_versions WHERE model = ?1 AND version = ?2
         ORDER BY registered_at, id",
    )?;
    let rows = stmt.query_map(params![model, version], |r| Ok((r.get(0)?, Artifact::stored(r.get(1)?, r.get(2)?))))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The row an event of this label and digest stands for: the digest's, or without
/// one the label's row of unknown digest, else its newest.
fn resolve(conn: &Connection, model: &str, version: &str, digest: Option<&str>) -> Result<Option<Row>> {
    let rows = label_rows(conn, model, version)?;
    let found = match known(digest) {
        Some(d) => rows.into_iter().find(|(_, a)| a.digest.as_deref() == Some(d)),
        None => {
            let mut rows = rows;
            match rows.iter().position(|(_, a)| a.digest.is_none()) {
                Some(i) => Some(rows.swap_remove(i)),
                None => rows.pop(),
            }
        }
    };
    Ok(found)
}

/// The one row a label (and digest, if given) names: an error when there is none, or
/// several and no digest to choose.
fn one_row(conn: &Connection, model: &str, version: &str, digest: Option<&str>) -> Result<Row> {
    let mut rows = label_rows(conn, model, version)?;
    let no_version = || StoreError::NoVersion {
        model: model.to_owned(),
        version: version.to_owned(),
        digest: digest.map(str::to_owned),
    };
    match digest {
        Some(d) => rows.into_iter().find(|(_, a)| a.digest.as_deref() == Some(d)).ok_or_else(no_version),
        None if rows.len() > 1 => Err(StoreError::Ambiguous {
            model: model.to_owned(),
            version: version.to_owned(),
            digests: rows.into_iter().map(|(_, a)| a.digest.unwrap_or_default()).collect(),
        }),
        None => rows.pop().ok_or_else(no_version),
    }
}

/// Record the digest of a row that had none; the alias, if it points there, follows.
fn fill_digest(conn: &Connection, id: i64, model: &str, version: &str, digest: &str, actor: &str) -> Result<()> {
    conn.prepare_cached("UPDATE model_versions SET digest = ?2 WHERE id = ?1")?.execute(params![id, digest])?;
    conn.prepare_cached(
        "UPDATE models SET serving_digest = ?3 WHERE name = ?1 AND serving_version = ?2 AND serving_digest = ''",
    )?
    .execute(params![model, version, digest])?;
    let detail = json!({ "model": model, "version": version, "digest": digest });
    audit(conn, now_unix_nano(), actor, None, "digest-learned", detail)
}

/// Point the model's serving alias at `to`, recorded in its history and the audit log;
/// a move to where it already points records nothing.
pub(super) fn move_alias(
    conn: &Connection,
    model: &str,
    to: &Artifact,
    at: u64,
    actor: &str,
    reason: &str,
    incident: Option<&str>,
) -> Result<Option<AliasMove>> {
    let from = serving(conn, model)?;
    let moved = AliasMove { from: from.clone(), to: to.clone() };
    if from.as_ref() == Some(to) {
        return Ok(Some(moved));
    }
    let to_digest = to.digest.as_deref().unwrap_or("");
    conn.prepare_cached("UPDATE models SET serving_version = ?2, serving_digest = ?3 WHERE name = ?1")?
        .execute(params![model, to.version, to_digest])?;
    conn.prepare_cached(
        "INSERT INTO alias_history (model, from_version, from_digest, to_version, to_digest, at, actor, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        model,
        from.as_ref().map(|f| &f.version),
        from.as_ref().and_then(|f| f.digest.as_deref()).unwrap_or(""),
        to.version,
        to_digest,
        int(at),
        actor,
        reason
    ])?;
    let detail = json!({
        "model": model, "from": from.as_ref().map(Artifact::to_string), "to": to.to_string(), "reason": reason,
    });
    audit(conn, now_unix_nano(), actor, incident, "alias-moved", detail)?;
    Ok(Some(moved))
}

pub(super) fn serving(conn: &Connection, model: &str) -> Result<Option<Artifact>> {
    let row: Option<(Option<String>, String)> = conn
        .prepare_cached("SELECT serving_version, serving_digest FROM models WHERE name = ?1")?
        .query_row([model], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(version, digest)| Some(Artifact::stored(version?, digest))))
}

/// Whether events of this label and digest are served by a quarantined artifact: a
/// quarantined row of the digest, or of the label with its digest unknown.
fn is_quarantined(conn: &Connection, model: &str, version: &str, digest: Option<&str>) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM model_versions WHERE model = ?1 AND version = ?2 AND quarantined = 1
                        AND (digest = '' OR digest = ?3))",
        )?
        .query_row(params![model, version, known(digest)], |r| r.get(0))?)
}

impl Store {
    /// Add an artifact to the registry (and its model, when new), first seen at `at`;
    /// `false` when it was known. A digest fills in the label's unknown one when that
    /// is its only row; a different digest under a known label is a new row.
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
    /// `rolled-back` its artifact (version and digest) is registered and serving, the
    /// alias moved by actor `log:<event id>`. An event seen before (a re-read log)
    /// changes nothing, and no event moves the alias to a quarantined artifact (an
    /// `alias-refused` audit row says it tried). Other events are ignored. Returns the
    /// move, if any.
    pub fn observe_lifecycle(&mut self, event: &Event) -> Result<Option<AliasMove>> {
        self.atomically(|t| t.observe_lifecycle(event))
    }

    /// Mark a registered artifact known-good: the one of `digest`, or without one the
    /// label's only artifact ([`StoreError::Ambiguous`] when it has several).
    pub fn mark_known_good(&mut self, model: &str, version: &str, digest: Option<&str>, actor: &str) -> Result<()> {
        self.atomically(|t| t.mark_known_good(model, version, digest, actor))
    }

    /// Move the model's serving alias to its newest known-good, non-quarantined
    /// artifact registered before `before` (the incident's first event) — possibly the
    /// same label with another digest — that is neither the one serving nor one of
    /// `avoid` (the incident's own; one without a digest stands for its whole label);
    /// `None` when nothing would move, for the caller to report.
    pub fn rollback(
        &mut self,
        model: &str,
        before: u64,
        avoid: &[Artifact],
        actor: &str,
        incident: Option<&str>,
    ) -> Result<Option<AliasMove>> {
        self.atomically(|t| t.rollback(model, before, avoid, actor, incident))
    }

    /// Quarantine the artifact of `digest` (registering it if unknown), or without a
    /// digest (an empty one is none) every artifact of the label. Returns the
    /// artifacts quarantined now: exactly what [`Store::quarantined`] gains, and what
    /// the guard must flag from now on.
    pub fn quarantine(
        &mut self,
        model: &str,
        version: &str,
        digest: Option<&str>,
        incident: Option<&str>,
        actor: &str,
    ) -> Result<Vec<Artifact>> {
        self.atomically(|t| t.quarantine(model, version, digest, incident, actor))
    }

    /// Block a principal; `false` when it already was.
    pub fn block(&mut self, principal: &str, incident: Option<&str>, actor: &str) -> Result<bool> {
        self.atomically(|t| t.block(principal, incident, actor))
    }

    /// Whether an event of this label and digest is served by a quarantined artifact:
    /// a quarantined row of the digest, or of the label with no digest known (unknown
    /// versions are not). The host's guard applies the same rule to [`Store::quarantined`].
    pub fn is_quarantined(&self, model: &str, version: &str, digest: Option<&str>) -> Result<bool> {
        is_quarantined(&self.conn, model, version, digest)
    }

    /// Every quarantined artifact: (model, version, digest when known), by model and age.
    pub fn quarantined(&self) -> Result<Vec<(String, String, Option<String>)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT model, version, digest FROM model_versions WHERE quarantined = 1 ORDER BY model, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let a = Artifact::stored(r.get(1)?, r.get(2)?);
            Ok((r.get(0)?, a.version, a.digest))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whether a principal is blocked.
    pub fn is_blocked(&self, principal: &str) -> Result<bool> {
        let q = "SELECT EXISTS (SELECT 1 FROM blocked_principals WHERE principal = ?1)";
        Ok(self.conn.prepare_cached(q)?.query_row([principal], |r| r.get(0))?)
    }

    /// Every blocked principal, sorted.
    pub fn blocked(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT principal FROM blocked_principals ORDER BY principal")?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    /// The artifact the model's serving alias points at.
    pub fn serving(&self, model: &str) -> Result<Option<Artifact>> {
        serving(&self.conn, model)
    }

    /// Every model, by name.
    pub fn models(&self) -> Result<Vec<ModelRow>> {
        let mut stmt = self.conn.prepare_cached("SELECT name FROM models ORDER BY name")?;
        let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        names.into_iter().map(|name| Ok(ModelRow { serving: serving(&self.conn, &name)?, name })).collect()
    }

    /// Every artifact of a model, oldest first.
    pub fn versions(&self, model: &str) -> Result<Vec<ModelVersionRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.model, v.version, v.digest, v.known_good, v.quarantined, v.quarantined_by_incident,
                    v.version IS m.serving_version AND v.digest = m.serving_digest, v.registered_at
             FROM model_versions v JOIN models m ON m.name = v.model
             WHERE v.model = ?1 ORDER BY v.registered_at, v.id",
        )?;
        let rows = stmt.query_map([model], |r| {
            let a = Artifact::stored(r.get(1)?, r.get(2)?);
            Ok(ModelVersionRow {
                model: r.get(0)?,
                version: a.version,
                digest: a.digest,
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
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, model, from_version, from_digest, to_version, to_digest, at, actor, reason
             FROM alias_history WHERE model = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([model], |r| {
            let from: Option<String> = r.get(2)?;
            let from_digest: String = r.get(3)?;
            Ok(AliasChange {
                seq: r.get(0)?,
                model: r.get(1)?,
                moved: AliasMove {
                    from: from.map(|v| Artifact::stored(v, from_digest)),
                    to: Artifact::stored(r.get(4)?, r.get(5)?),
                },
                at: uint(r.get(6)?),
                actor: r.get(7)?,
                reason: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
