//! Actuators: the host carries out what responders propose, as far as each
//! responder's policy allows, and records everything in the store.
//!
//! A proposal becomes a stored action first. Under `dry-run` it stays a record of
//! what would have been done; under `approve` it waits for `aiir incidents approve`;
//! under `enforce` it is done at once. Registry changes (rollback, quarantine, block)
//! are made in the same transaction as the action's outcome and the incident's new
//! state, so a crash leaves either all of them or none.
//!
//! With an MLflow registry (`[registry] kind = "mlflow"`) a rollback or quarantine also
//! moves the alias or tags the version there. That call is made between two store
//! transactions, never inside one: the change is worked out in a transaction that is
//! rolled back, made in MLflow, and only then recorded with its outcome. MLflow
//! failing makes the action `failed` with the cause, and the incident keeps its state.
//!
//! Before any of that, a proposal is checked against what the operator granted its
//! responder ([`scope`]): one beyond it is recorded as `rejected` by `aiir`, with why,
//! and changes nothing.

pub mod guard;
pub mod notify;
pub mod report;
pub mod scope;

use crate::registry::{Effect, Registry};
use crate::runtime::{Action, ModelRef, Proposal};
use crate::store::{
    ActionKind, ActionRecord, ActionStatus, AliasMove, Artifact, Impact, IncidentRecord, Mode, NewAction, State, Store,
    Tx,
};
use guard::{Guard, Quarantined};
use notify::Notifier;
use scope::{Grants, Scope};
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
    /// Where models live: rollbacks and quarantines are made there too.
    pub registry: Registry,
}

/// One responder's policy: its mode, the webhook hosts it may reach and what it may
/// do beyond its incident.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The responder's name, the actor of its actions.
    pub responder: String,
    /// What becomes of its proposals.
    pub mode: Mode,
    /// Hosts its `notify` may POST to.
    pub allow_hosts: Vec<String>,
    /// What the operator granted it beyond its incident's scope.
    pub grants: Grants,
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
            // A report whose text changed (the incident grew, lineage reached it) is a
            // revision of its own; the same text proposed again is the same action.
            let revision = &crate::runtime::sha256_hex(format!("{}\n{}", r.markdown, r.json).as_bytes())[..12];
            let payload = json!({ "kind": r.kind, "markdown": r.markdown, "json": r.json });
            (ActionKind::FileReport, format!("{}#{revision}", r.kind), payload)
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
    /// `enforce`; one its grants do not cover in the incident's `scope` is recorded
    /// as refused. `None` when the
    /// responder proposed the same before.
    pub async fn handle(
        &mut self,
        incident: &IncidentRecord,
        scope: &Scope,
        policy: &Policy,
        proposal: &Proposal,
    ) -> anyhow::Result<Option<ActionRecord>> {
        let action = action_of(&incident.id, policy, proposal);
        if let Some(why) = scope.refusal(&proposal.action, policy.grants) {
            let refused = self.store.refuse(&action, &why)?;
            return Ok(refused.map(|id| self.store.action(id)).transpose()?.flatten());
        }
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
            ActionKind::RollbackModel => {
                let own = self.store.incident_detail(&incident.id)?.map(|d| d.artifacts).unwrap_or_default();
                let impact = self.store.impact(&incident.id)?;
                let change = |t: &Tx<'_>| rollback(t, p, incident, (&own, impact.as_ref()), actor);
                self.registry(id, incident, actor, change).await?
            }
            ActionKind::QuarantineModel => {
                self.registry(id, incident, actor, |t| quarantine(t, p, incident, actor)).await?
            }
            ActionKind::BlockPrincipal => self.registry(id, incident, actor, |t| block(t, p, incident, actor)).await?,
            ActionKind::Notify => self.record(id, actor, notify(p, allow_hosts).await)?,
            ActionKind::FileReport => {
                let filed = report::file(&self.reports, &incident.id, &action.responder, p);
                self.record(id, actor, filed)?
            }
        };
        Ok(outcome)
    }

    /// A registry change, its outcome and the incident's new state, in one
    /// transaction; first, with a registry beyond the store, the change made there.
    async fn registry(
        &mut self,
        id: i64,
        incident: &IncidentRecord,
        actor: &str,
        change: impl Fn(&Tx<'_>) -> crate::store::Result<Result<Change, String>>,
    ) -> anyhow::Result<ActionStatus> {
        let (mut note, mut planned) = (String::new(), None);
        if !matches!(self.registry, Registry::Embedded)
            && let Ok(plan) = self.store.preview(&change)?
        {
            match self.registry.apply(&plan.effect).await {
                Ok(said) => (note, planned) = (said, Some(plan.effect)),
                Err(why) => return self.record(id, actor, Err(why)),
            }
        }
        let mut enforced = None;
        let status = self.store.atomically(|t| {
            let (status, result) = match change(t)? {
                // Another writer changed the store while the registry was called: say
                // so rather than record a change the registry did not get.
                Ok(change) if planned.as_ref().is_some_and(|p| *p != change.effect) => {
                    (ActionStatus::Failed, format!("the store changed while the registry was changed{note}"))
                }
                Ok(mut change) => {
                    change.summary.push_str(&note);
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
            Some(Enforced::Quarantine(all)) => all.into_iter().for_each(|q| self.guard.quarantine(q)),
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
}

/// A registry change made: the state it brings the incident to, what to say, and
/// what the guard must enforce from now on.
struct Change {
    state: State,
    summary: String,
    guard: Option<Enforced>,
    /// The same change, for a registry beyond the store.
    effect: Effect,
}

enum Enforced {
    /// Exactly the artifacts the store quarantined, so that the guard and the store
    /// agree on what is flagged.
    Quarantine(Vec<Quarantined>),
    Block(String),
}

/// Move the alias back: for an incident whose data lineage reached models, to the
/// newest version none of it reached; else to the newest known-good one from before.
fn rollback(
    t: &Tx<'_>,
    p: &Value,
    incident: &IncidentRecord,
    (own, impact): (&[ModelRef], Option<&Impact>),
    actor: &str,
) -> crate::store::Result<Result<Change, String>> {
    let Ok(model) = text(p, "model") else { return Ok(Err("the action names no model".into())) };
    if let Some(impact) = impact {
        return Ok(match t.rollback_clean(model, impact, actor, Some(&incident.id))? {
            Some(moved) => Ok(recovered(model, moved)),
            None => Err(format!(
                "nothing would move: {model} has no unquarantined version, known-good or trained by a completed run, \
                 that none of the incident's data reached"
            )),
        });
    }
    // The incident's own artifacts are what it is about: never a place to go back to.
    let avoid: Vec<Artifact> = own
        .iter()
        .filter(|a| a.name == model)
        .filter_map(|a| Some(Artifact { version: a.version.clone()?, digest: a.digest.clone() }))
        .collect();
    // Versions registered before aiir became aware of the incident: the log's own
    // deployments and the operator's known-good marks alike.
    Ok(match t.rollback(model, incident.opened_at, &avoid, actor, Some(&incident.id))? {
        Some(moved) => Ok(recovered(model, moved)),
        None => Err(format!(
            "nothing would move: {model} has no known-good, unquarantined version registered before the incident \
             other than the one serving and the incident's own"
        )),
    })
}

/// The change a rollback made.
fn recovered(model: &str, moved: AliasMove) -> Change {
    let from = moved.from.map_or("nothing".into(), |a| a.to_string());
    let summary = format!("serving alias of {model}: {from} → {}", moved.to);
    let effect = Effect::Alias { model: model.to_owned(), to: moved.to };
    Change { state: State::Recovered, summary, guard: None, effect }
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
    let quarantined = t.quarantine(model, version, digest, Some(&incident.id), actor)?;
    let summary = match quarantined.iter().map(Artifact::to_string).collect::<Vec<_>>().join(", ") {
        none if none.is_empty() => format!("{model} {version}{} was quarantined already", at(digest)),
        all => format!("quarantined {model} {all}"),
    };
    let guard = quarantined.into_iter().map(|a| Quarantined::of(model, a)).collect();
    let effect = Effect::Quarantine {
        model: model.to_owned(),
        artifact: Artifact { version: version.to_owned(), digest: digest.filter(|d| !d.is_empty()).map(str::to_owned) },
        incident: incident.id.clone(),
    };
    Ok(Ok(Change { state: State::Contained, summary, guard: Some(Enforced::Quarantine(guard)), effect }))
}

/// ` (digest)` when there is a digest.
fn at(digest: Option<&str>) -> String {
    digest.filter(|d| !d.is_empty()).map_or(String::new(), |d| format!(" ({d})"))
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
    let guard = Some(Enforced::Block(principal.into()));
    Ok(Ok(Change { state: State::Contained, summary, guard, effect: Effect::None }))
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
