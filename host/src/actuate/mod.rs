//! Actuators: the host carries out what responders propose, as far as each
//! responder's policy allows, and records everything in the store.
//!
//! A proposal becomes a stored action first. Under `dry-run` it stays a record of
//! what would have been done; under `approve` it waits for `aiir incidents approve`;
//! under `enforce` it is done at once. Registry changes (rollback, quarantine, block)
//! are made in the same transaction as the action's outcome and the incident's new
//! state, so a crash leaves either all of them or none.

pub mod guard;
pub mod notify;

use crate::runtime::{Action, Proposal};
use crate::store::{ActionKind, ActionRecord, ActionStatus, IncidentRecord, Mode, NewAction, State, Store, Tx};
use guard::{Guard, Quarantined};
use notify::Notifier;
use serde_json::{Value, json};
use std::path::PathBuf;

/// What the actuators may touch: the store, the guard that enforces quarantines and
/// blocks on later events, and the folder reports are filed in.
#[derive(Debug)]
pub struct Actuators<'a> {
    /// The incident store.
    pub store: &'a mut Store,
    /// The host's check of later events.
    pub guard: &'a mut Guard,
    /// Where `file-report` writes, `reports/` beside the store.
    pub reports: PathBuf,
}

/// One responder's policy: its mode and the webhook hosts it may reach.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The responder's name, the actor of its actions.
    pub responder: String,
    /// What becomes of its proposals.
    pub mode: Mode,
    /// Hosts its `notify` may POST to.
    pub allow_hosts: Vec<String>,
}

/// The stored form of a proposal for `incident`.
pub fn action_of(incident: &str, policy: &Policy, proposal: &Proposal) -> NewAction {
    let (kind, target, payload) = match &proposal.action {
        Action::RollbackModel(model) => (ActionKind::RollbackModel, model.clone(), json!({ "model": model })),
        Action::QuarantineModel(m) => {
            let target = [Some(m.name.as_str()), m.version.as_deref(), m.digest.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("@");
            let payload = json!({ "model": m.name, "version": m.version, "digest": m.digest });
            (ActionKind::QuarantineModel, target, payload)
        }
        Action::BlockPrincipal(p) => (ActionKind::BlockPrincipal, p.clone(), json!({ "principal": p })),
        Action::Notify(n) => (ActionKind::Notify, n.url.clone(), json!({ "url": n.url, "body": n.body })),
        Action::FileReport(r) => {
            (ActionKind::FileReport, r.kind.clone(), json!({ "kind": r.kind, "markdown": r.markdown, "json": r.json }))
        }
    };
    NewAction {
        incident_id: incident.to_owned(),
        responder: policy.responder.clone(),
        kind,
        target,
        payload,
        reason: proposal.reason.clone(),
        mode: policy.mode,
    }
}

impl Actuators<'_> {
    /// Record a responder's proposal as its policy says, and carry it out under
    /// `enforce`. `None` when the responder proposed the same before.
    pub async fn handle(
        &mut self,
        incident: &IncidentRecord,
        policy: &Policy,
        proposal: &Proposal,
    ) -> anyhow::Result<Option<ActionRecord>> {
        let action = action_of(&incident.id, policy, proposal);
        let status = match policy.mode {
            Mode::DryRun => ActionStatus::DryRun,
            Mode::Approve => ActionStatus::Pending,
            Mode::Enforce => ActionStatus::Proposed,
        };
        let Some(id) = self.store.propose(&action, status)? else { return Ok(None) };
        if policy.mode == Mode::Enforce {
            self.execute(id, incident, &policy.allow_hosts, &policy.responder).await?;
        }
        Ok(self.store.action(id)?)
    }

    /// Carry out a stored action (enforced now, or approved later by `actor`) and
    /// record its outcome; a failure is recorded as `failed` with its cause.
    pub async fn execute(
        &mut self,
        id: i64,
        incident: &IncidentRecord,
        allow_hosts: &[String],
        actor: &str,
    ) -> anyhow::Result<ActionStatus> {
        let action = self.store.action(id)?.ok_or_else(|| anyhow::anyhow!("no action {id}"))?.action;
        let p = &action.payload;
        let outcome = match action.kind {
            ActionKind::RollbackModel => self.registry(id, incident, actor, |t| rollback(t, p, incident, actor))?,
            ActionKind::QuarantineModel => self.registry(id, incident, actor, |t| quarantine(t, p, incident, actor))?,
            ActionKind::BlockPrincipal => self.registry(id, incident, actor, |t| block(t, p, incident, actor))?,
            ActionKind::Notify => self.record(id, actor, notify(p, allow_hosts).await)?,
            ActionKind::FileReport => {
                let filed = self.file_report(&incident.id, p);
                self.record(id, actor, filed)?
            }
        };
        Ok(outcome)
    }

    /// A registry change, its outcome and the incident's new state, in one transaction.
    fn registry(
        &mut self,
        id: i64,
        incident: &IncidentRecord,
        actor: &str,
        change: impl FnOnce(&Tx<'_>) -> crate::store::Result<Result<Change, String>>,
    ) -> anyhow::Result<ActionStatus> {
        let mut enforced = None;
        let status = self.store.atomically(|t| {
            let (status, result) = match change(t)? {
                Ok(change) => {
                    t.advance(&incident.id, change.state, actor, &change.summary)?;
                    let summary = change.summary.clone();
                    enforced = change.guard;
                    (ActionStatus::Executed, summary)
                }
                Err(why) => (ActionStatus::Failed, why),
            };
            t.set_action_status(id, status, actor, Some(&result))?;
            Ok(status)
        })?;
        match enforced {
            Some(Enforced::Quarantine(q)) => self.guard.quarantine(q),
            Some(Enforced::Block(p)) => self.guard.block(p),
            None => {}
        }
        Ok(status)
    }

    /// Record the outcome of an action that changed nothing in the store.
    fn record(&mut self, id: i64, actor: &str, outcome: Result<String, String>) -> anyhow::Result<ActionStatus> {
        let (status, result) = match outcome {
            Ok(done) => (ActionStatus::Executed, done),
            Err(why) => (ActionStatus::Failed, why),
        };
        self.store.set_action_status(id, status, actor, Some(&result))?;
        Ok(status)
    }

    /// Write a report as `reports/<incident>-<kind>.md` and `.json`.
    fn file_report(&self, incident: &str, payload: &Value) -> Result<String, String> {
        let kind = text(payload, "kind")?;
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("report kind {kind:?} is not a file name: use letters, digits and dashes"));
        }
        std::fs::create_dir_all(&self.reports).map_err(|e| format!("cannot create {}: {e}", self.reports.display()))?;
        let mut written = Vec::new();
        for (key, extension) in [("markdown", "md"), ("json", "json")] {
            let file = self.reports.join(format!("{incident}-{kind}.{extension}"));
            std::fs::write(&file, text(payload, key)?).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            written.push(file.display().to_string());
        }
        Ok(format!("filed {}", written.join(" and ")))
    }
}

/// A registry change made: the state it brings the incident to, what to say, and
/// what the guard must enforce from now on.
struct Change {
    state: State,
    summary: String,
    guard: Option<Enforced>,
}

enum Enforced {
    Quarantine(Quarantined),
    Block(String),
}

fn rollback(
    t: &Tx<'_>,
    p: &Value,
    incident: &IncidentRecord,
    actor: &str,
) -> crate::store::Result<Result<Change, String>> {
    let Ok(model) = text(p, "model") else { return Ok(Err("the action names no model".into())) };
    // Versions registered before aiir became aware of the incident: the log's own
    // deployments and the operator's known-good marks alike.
    Ok(match t.rollback(model, incident.opened_at, actor, Some(&incident.id))? {
        Some(moved) => {
            let from = moved.from.map_or("nothing".into(), |a| a.to_string());
            let summary = format!("serving alias of {model}: {from} → {}", moved.to);
            Ok(Change { state: State::Recovered, summary, guard: None })
        }
        None => Err(format!("no known-good, unquarantined version of {model} registered before the incident")),
    })
}

fn quarantine(
    t: &Tx<'_>,
    p: &Value,
    incident: &IncidentRecord,
    actor: &str,
) -> crate::store::Result<Result<Change, String>> {
    let (Ok(model), Ok(version)) = (text(p, "model"), text(p, "version")) else {
        return Ok(Err("a quarantine needs the model's name and version".into()));
    };
    let digest = text(p, "digest").ok();
    t.quarantine(model, version, digest, Some(&incident.id), actor)?;
    let q = Quarantined { model: model.into(), version: version.into(), digest: digest.map(String::from) };
    let summary = format!("quarantined {model} {version}{}", digest.map_or(String::new(), |d| format!(" ({d})")));
    Ok(Ok(Change { state: State::Contained, summary, guard: Some(Enforced::Quarantine(q)) }))
}

fn block(
    t: &Tx<'_>,
    p: &Value,
    incident: &IncidentRecord,
    actor: &str,
) -> crate::store::Result<Result<Change, String>> {
    let Ok(principal) = text(p, "principal") else { return Ok(Err("the action names no principal".into())) };
    t.block(principal, Some(&incident.id), actor)?;
    let summary = format!("blocked {principal}");
    Ok(Ok(Change { state: State::Contained, summary, guard: Some(Enforced::Block(principal.into())) }))
}

async fn notify(p: &Value, allow_hosts: &[String]) -> Result<String, String> {
    let url = text(p, "url")?;
    let notifier = Notifier::new(allow_hosts.to_vec());
    match notifier.post(url, text(p, "body")?).await {
        Ok(d) => Ok(format!("POST {url}: HTTP {} after {} attempt(s)", d.status, d.attempts)),
        Err(e) => Err(e.to_string()),
    }
}

/// A string field of an action's payload.
fn text<'a>(payload: &'a Value, key: &str) -> Result<&'a str, String> {
    payload.get(key).and_then(Value::as_str).ok_or_else(|| format!("the action has no {key}"))
}
