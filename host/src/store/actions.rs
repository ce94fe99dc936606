//! Actions responders proposed, and what became of them.

use super::types::parse_named;
use super::{
    AIIR, ActionKind, ActionRecord, ActionStatus, Mode, NewAction, Result, Store, StoreError, Tx, audit, int,
    now_unix_nano, uint,
};
use rusqlite::{OptionalExtension as _, Row, params};
use serde_json::json;

const ACTION_COLUMNS: &str = "id, incident_id, responder, kind, target, payload, reason, mode, status, created_at,
    decided_at, decided_by, result";

impl Store {
    /// Record a proposed action in its first status (`proposed`, `dry-run` or
    /// `pending`) with an audit row; `None` when the same responder already proposed
    /// the same kind of action on the same target for the incident.
    pub fn propose(&mut self, action: &NewAction, status: ActionStatus) -> Result<Option<i64>> {
        if self.proposed(action)? {
            return Ok(None);
        }
        self.atomically(|t| t.propose(action, status))
    }

    /// Record a proposed action as refused by the operator's policy (`rejected` by
    /// `aiir`, `why` its result) in one transaction: it is kept for the audit and
    /// never carried out. `None` as for [`propose`](Self::propose).
    pub fn refuse(&mut self, action: &NewAction, why: &str) -> Result<Option<i64>> {
        if self.proposed(action)? {
            return Ok(None);
        }
        self.atomically(|t| {
            let id = t.propose(action, ActionStatus::Rejected)?;
            if let Some(id) = id {
                t.set_action_status(id, ActionStatus::Rejected, AIIR, Some(why))?;
            }
            Ok(id)
        })
    }

    /// Whether the same responder proposed the same before: most proposals repeat one
    /// made when the incident was smaller, and a read costs less than a write
    /// transaction. (Another writer in between is caught by the insert's conflict.)
    fn proposed(&self, a: &NewAction) -> Result<bool> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT 1 FROM actions WHERE incident_id = ?1 AND responder = ?2 AND kind = ?3 AND target = ?4",
        )?;
        Ok(stmt.exists(params![a.incident_id, a.responder, a.kind.as_str(), a.target])?)
    }

    /// Record what became of an action, with an audit row by `actor`.
    pub fn set_action_status(
        &mut self,
        id: i64,
        status: ActionStatus,
        actor: &str,
        result: Option<&str>,
    ) -> Result<()> {
        self.atomically(|t| t.set_action_status(id, status, actor, result))
    }

    /// An incident's actions, in the order they were proposed.
    pub fn actions(&self, incident: &str) -> Result<Vec<ActionRecord>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE incident_id = ?1 ORDER BY id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([incident], raw_action)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(RawAction::parse).collect()
    }

    /// One action.
    pub fn action(&self, id: i64) -> Result<Option<ActionRecord>> {
        let sql = format!("SELECT {ACTION_COLUMNS} FROM actions WHERE id = ?1");
        self.conn.prepare_cached(&sql)?.query_row([id], raw_action).optional()?.map(RawAction::parse).transpose()
    }
}

impl Tx<'_> {
    /// See [`Store::propose`].
    pub fn propose(&self, action: &NewAction, status: ActionStatus) -> Result<Option<i64>> {
        let now = now_unix_nano();
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO actions (incident_id, responder, kind, target, payload, reason, mode, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (incident_id, responder, kind, target) DO NOTHING",
            )?
            .execute(params![
                action.incident_id,
                action.responder,
                action.kind.as_str(),
                action.target,
                action.payload.to_string(),
                action.reason,
                action.mode.as_str(),
                status.as_str(),
                int(now),
            ])?;
        if inserted == 0 {
            return Ok(None);
        }
        let id = self.conn.last_insert_rowid();
        let detail = json!({
            "action": id, "kind": action.kind.as_str(), "target": action.target, "mode": action.mode.as_str(),
            "status": status.as_str(), "reason": action.reason,
        });
        audit(self.conn, now, &action.responder, Some(&action.incident_id), "action-proposed", detail)?;
        Ok(Some(id))
    }

    /// See [`Store::set_action_status`].
    pub fn set_action_status(&self, id: i64, status: ActionStatus, actor: &str, result: Option<&str>) -> Result<()> {
        let conn = self.conn;
        let now = now_unix_nano();
        let incident: Option<String> = conn
            .prepare_cached("SELECT incident_id FROM actions WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let incident = incident.ok_or(StoreError::NoAction(id))?;
        conn.prepare_cached(
            "UPDATE actions SET status = ?2, decided_at = ?3, decided_by = ?4, result = ?5 WHERE id = ?1",
        )?
        .execute(params![id, status.as_str(), int(now), actor, result])?;
        let detail = json!({ "action": id, "status": status.as_str(), "result": result });
        audit(conn, now, actor, Some(&incident), "action-status", detail)
    }
}

struct RawAction {
    id: i64,
    texts: [String; 8],
    created_at: i64,
    decided_at: Option<i64>,
    decided_by: Option<String>,
    result: Option<String>,
}

fn raw_action(r: &Row<'_>) -> rusqlite::Result<RawAction> {
    Ok(RawAction {
        id: r.get(0)?,
        texts: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
        created_at: r.get(9)?,
        decided_at: r.get(10)?,
        decided_by: r.get(11)?,
        result: r.get(12)?,
    })
}

impl RawAction {
    fn parse(self) -> Result<ActionRecord> {
        let [incident_id, responder, kind, target, payload, reason, mode, status] = self.texts;
        let payload = serde_json::from_str(&payload)
            .map_err(|e| StoreError::Corrupt(format!("action {}: payload: {e}", self.id)))?;
        let status = parse_named(&status, "action status", ActionStatus::parse)?;
        Ok(ActionRecord {
            id: self.id,
            action: NewAction {
                incident_id,
                responder,
                kind: parse_named(&kind, "action kind", ActionKind::parse)?,
                target,
                payload,
                reason,
                mode: parse_named(&mode, "mode", Mode::parse)?,
            },
            status,
            created_at: uint(self.created_at),
            decided_at: self.decided_at.map(uint),
            decided_by: self.decided_by,
            result: self.result,
        })
    }
}
