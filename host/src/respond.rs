//! Responders: every incident that opened or grew is shown to each configured
//! responder plugin, with read-only views of its findings and of the model registry;
//! what they propose goes to the actuators under the responder's policy.

use crate::actuate::scope::Scope;
use crate::actuate::{Actuators, Policy};
use crate::chain::problems_of;
use crate::config::{Config, Problem};
use crate::correlate;
use crate::output;
use crate::runtime::{
    self, Incident, IncidentFinding, LineageImpact, ModelRef, ModelVersion, Responder, ResponseContext, Runtime,
};
use crate::store::{ActionRecord, Impact, IncidentDetail, ModelVersionRow, State, Store, StoredFinding, Traffic};
use std::collections::BTreeMap;

/// The most findings a responder is shown through the `findings` import.
const MAX_FINDINGS: usize = 1000;

/// The configured responders, started, each with its policy.
#[derive(Debug, Default)]
pub struct Responders {
    slots: Vec<(Responder, Policy)>,
}

impl Responders {
    /// Load and start every configured responder; report every one that fails, as
    /// config problems at the responder's TOML path.
    pub async fn start(runtime: &Runtime, config: &Config) -> Result<Self, Vec<Problem>> {
        let mut slots = Vec::new();
        let mut problems = Vec::new();
        for r in &config.responders {
            let started = async { runtime.load_responder(&r.wasm, &r.setup.sandbox)?.start(r.setup.clone()).await };
            match started.await {
                Ok(responder) => {
                    let policy = Policy {
                        responder: r.setup.name.clone(),
                        mode: r.mode,
                        allow_hosts: r.allow_hosts.clone(),
                        grants: r.grants,
                    };
                    slots.push((responder, policy));
                }
                Err(e) => problems.extend(problems_of(&r.path, &r.setup.name, &r.origin, e)),
            }
        }
        if problems.is_empty() { Ok(Self { slots }) } else { Err(problems) }
    }

    /// How many responders there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether one may contain (quarantine, block) during the run: one is enforced.
    pub fn may_contain(&self) -> bool {
        self.slots.iter().any(|(_, policy)| policy.mode == crate::store::Mode::Enforce)
    }

    /// Show each incident with findings no responder has seen to every responder,
    /// and hand their proposals to the actuators. Returns the actions recorded.
    /// Incidents are marked answered only after all responders saw them, so a crash
    /// in between asks again on the next run (the store drops repeated proposals).
    pub async fn respond(&mut self, act: &mut Actuators<'_>) -> anyhow::Result<Vec<ActionRecord>> {
        let mut recorded = Vec::new();
        let mut answered = Vec::new();
        for id in act.store.needs_response()? {
            let Some(count) = self.answer(act, &id, &mut recorded).await? else { continue };
            answered.push((id, count));
        }
        act.store.mark_responded(&answered)?;
        Ok(recorded)
    }

    /// Show one incident to every responder; the finding count they saw, `None` when
    /// the store no longer holds it.
    async fn answer(
        &mut self,
        act: &mut Actuators<'_>,
        id: &str,
        recorded: &mut Vec<ActionRecord>,
    ) -> anyhow::Result<Option<u32>> {
        // Findings and scope do not change while responders answer; the incident and
        // the registry change only by an action, so they are read again after one.
        let Some(mut detail) = act.store.incident_detail(id)? else { return Ok(None) };
        let findings: Vec<IncidentFinding> =
            act.store.incident_findings(id, MAX_FINDINGS)?.iter().map(finding_of).collect();
        let impact = act.store.impact(id)?;
        let scope = Scope::of(&detail).reaching(impact.as_ref());
        let impact = impact.map(|i| lineage_impact(act.store, &i)).transpose()?;
        let mut seen = versions(act.store, &detail, impact.as_ref())?;
        for (responder, policy) in &mut self.slots {
            let context =
                ResponseContext { findings: findings.clone(), versions: seen.clone(), impact: impact.clone() };
            let (result, _) = responder.respond(&incident_of(&detail), context).await;
            let proposals = match result {
                Ok(proposals) => proposals,
                Err(error) => {
                    let name = responder.name();
                    output::diagnostic(&format!("aiir: responder {name:?} did not answer incident {id}: {error}"));
                    continue;
                }
            };
            let before = recorded.len();
            for proposal in &proposals {
                recorded.extend(act.handle(&detail.incident, &scope, policy, proposal).await?);
            }
            if recorded.len() > before {
                let Some(now) = act.store.incident_detail(id)? else { return Ok(None) };
                (detail, seen) = (now, versions(act.store, &detail, impact.as_ref())?);
            }
        }
        Ok(Some(detail.incident.finding_count))
    }
}

/// The registry's versions of the incident's model and of every model its data
/// trained, by model name.
fn versions(
    store: &Store,
    detail: &IncidentDetail,
    impact: Option<&LineageImpact>,
) -> crate::store::Result<BTreeMap<String, Vec<ModelVersion>>> {
    let trained = impact.into_iter().flat_map(|i| &i.affected).map(|m| &m.name);
    let mut versions = BTreeMap::new();
    for name in detail.incident.model.iter().map(|m| &m.name).chain(trained) {
        if !versions.contains_key(name) {
            versions.insert(name.clone(), store.versions(name)?.iter().map(version_of).collect());
        }
    }
    Ok(versions)
}

/// An incident as the WIT contract shows it.
pub fn incident_of(d: &IncidentDetail) -> Incident {
    let i = &d.incident;
    Incident {
        id: i.id.clone(),
        title: i.title.clone(),
        severity: i.severity.into(),
        state: match i.state {
            State::Open => runtime::State::Open,
            State::Contained => runtime::State::Contained,
            State::Recovered => runtime::State::Recovered,
            State::Closed => runtime::State::Closed,
        },
        family: i.family.as_str().to_owned(),
        scope: match i.scope {
            correlate::Scope::Model => runtime::Scope::Model,
            correlate::Scope::Session => runtime::Scope::Session,
            correlate::Scope::Principal => runtime::Scope::Principal,
        },
        key: i.key.clone(),
        model: i.model.clone(),
        principals: d.principals.clone(),
        sessions: d.sessions.clone(),
        techniques: d.techniques.clone(),
        rules: d.rules.clone(),
        finding_count: i.finding_count,
        first_seen_unix_nano: i.first_seen,
        last_seen_unix_nano: i.last_seen,
        opened_unix_nano: i.opened_at,
    }
}

fn finding_of(f: &StoredFinding) -> IncidentFinding {
    IncidentFinding {
        event_id: f.event_id.clone(),
        time_unix_nano: f.time_unix_nano,
        plugin: f.plugin.clone(),
        model: f.model.clone(),
        principal: f.principal.clone(),
        session: f.session.clone(),
        finding: (&f.finding).into(),
    }
}

fn version_of(v: &ModelVersionRow) -> ModelVersion {
    ModelVersion {
        model: v.model.clone(),
        version: v.version.clone(),
        digest: v.digest.clone(),
        known_good: v.known_good,
        quarantined: v.quarantined,
        serving: v.serving,
        registered_unix_nano: v.registered_at,
    }
}

/// The store's impact as responders see it, with the version a rollback of each
/// affected model would go back to.
fn lineage_impact(store: &Store, impact: &Impact) -> anyhow::Result<LineageImpact> {
    let model_ref = |name: &str, version: &str, digest: Option<&String>| ModelRef {
        name: name.to_owned(),
        version: Some(version.to_owned()),
        digest: digest.cloned(),
    };
    let affected: Vec<ModelRef> = impact
        .affected
        .iter()
        .map(|a| model_ref(&a.version.model, &a.version.version, a.version.digest.as_ref()))
        .collect();
    let mut clean = Vec::new();
    for a in &affected {
        if clean.iter().any(|c: &ModelRef| c.name == a.name) {
            continue;
        }
        if let Some(to) = store.clean_version(&a.name, impact)? {
            clean.push(model_ref(&a.name, &to.version, to.digest.as_ref()));
        }
    }
    let Traffic { events, sessions, principals } = impact.traffic;
    Ok(LineageImpact { affected, clean, events, sessions, principals })
}
