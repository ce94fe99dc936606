//! [`ResponderHarness`]: a responder driven as the host drives it, over a [`Store`]
//! the test fills.

use crate::responder::adapter;
use crate::{
    Action, Incident, IncidentFinding, LineageImpact, ModelVersion, PluginInfo, Proposal, Responder, SettingsError,
    StoreView,
};
use crate::{log, testkit};

/// The host's store as a responder sees it, from data the test gives.
///
/// ```
/// use aiir_sdk::prelude::*;
/// use aiir_sdk::testkit::Store;
/// let store = Store::new().version(ModelVersion::new("m", "1").known_good());
/// assert_eq!(store.versions("m").len(), 1);
/// assert!(store.findings("INC-1").is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Store {
    findings: Vec<(String, IncidentFinding)>,
    versions: Vec<ModelVersion>,
    impacts: Vec<(String, LineageImpact)>,
}

/// The most findings the host serves per incident.
const MAX_FINDINGS: usize = 1000;

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a finding of `incident`; give them oldest first.
    pub fn finding(mut self, incident: impl Into<String>, finding: IncidentFinding) -> Self {
        self.findings.push((incident.into(), finding));
        self
    }

    /// Add a model version; give each model's oldest first.
    pub fn version(mut self, version: ModelVersion) -> Self {
        self.versions.push(version);
        self
    }

    /// Say what the data of `incident` reached.
    pub fn impact(mut self, incident: impl Into<String>, impact: LineageImpact) -> Self {
        self.impacts.push((incident.into(), impact));
        self
    }
}

impl StoreView for Store {
    fn findings(&self, incident: &str) -> Vec<IncidentFinding> {
        let mine: Vec<_> = self.findings.iter().filter(|(id, _)| id == incident).map(|(_, f)| f.clone()).collect();
        mine[mine.len().saturating_sub(MAX_FINDINGS)..].to_vec()
    }

    fn versions(&self, model: &str) -> Vec<ModelVersion> {
        self.versions.iter().filter(|v| v.model == model).cloned().collect()
    }

    fn impact(&self, incident: &str) -> Option<LineageImpact> {
        self.impacts.iter().find(|(id, _)| id == incident).map(|(_, i)| i.clone())
    }
}

/// Drives one responder instance as the host would.
#[derive(Debug)]
pub struct ResponderHarness<R> {
    responder: R,
    info: PluginInfo,
    store: Store,
}

impl<R: Responder> ResponderHarness<R> {
    /// A responder configured with empty settings over an empty store; panics if it
    /// rejects them.
    pub fn new() -> Self {
        Self::with_settings("{}").unwrap_or_else(|e| panic!("empty settings rejected: {e:?}"))
    }

    /// A responder configured with these settings (JSON text), over an empty store.
    pub fn with_settings(json: &str) -> Result<Self, Vec<SettingsError>> {
        let info = R::info();
        testkit::check_name(&info);
        let mut responder = R::default();
        adapter::configure(&mut responder, json)?;
        Ok(Self { responder, info, store: Store::new() })
    }

    /// Serve `store` to the responder from now on.
    pub fn store(mut self, store: Store) -> Self {
        self.store = store;
        self
    }

    /// Respond to one incident. Panics if the responder returns an error or a
    /// malformed proposal.
    pub fn respond(&mut self, incident: &Incident) -> Vec<Proposal> {
        let proposals = self.try_respond(incident).unwrap_or_else(|e| panic!("respond to {} failed: {e}", incident.id));
        for p in &proposals {
            check_proposal(&self.info, p);
        }
        proposals
    }

    /// Respond to one incident, the responder's error as it is.
    pub fn try_respond(&mut self, incident: &Incident) -> Result<Vec<Proposal>, String> {
        self.responder.respond(incident, &self.store)
    }

    /// The log lines written so far (by this thread), oldest first.
    pub fn logs(&self) -> Vec<(log::Level, String)> {
        testkit::logs()
    }

    /// The responder itself, to look at its state.
    pub fn responder(&self) -> &R {
        &self.responder
    }
}

impl<R: Responder> Default for ResponderHarness<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// The checks the host applies to every proposal (the host's own rules), and what a
/// good responder adds: a reason, a draft in every report, JSON where JSON goes.
fn check_proposal(info: &PluginInfo, p: &Proposal) {
    let name = &info.name;
    let checked = aiir_boundary::validate_proposal(raw(p));
    checked.unwrap_or_else(|v| panic!("{name}: the host would refuse proposal {p:?}: {v}"));
    assert!(!p.reason.trim().is_empty(), "{name}: a proposal without a reason: {p:?}");
    let json = |what: &str, text: &str| {
        let parsed = serde_json::from_str::<serde_json::Value>(text);
        assert!(parsed.is_ok(), "{name}: {what} is not JSON: {parsed:?}");
    };
    match &p.action {
        Action::Notify(notice) => json("the notice body", &notice.body),
        Action::FileReport(report) => {
            assert!(!report.markdown.is_empty(), "{name}: report {} has no markdown", report.kind);
            json("the report json", &report.json);
        }
        _ => {}
    }
}

/// A proposal as the host receives it, before its checks.
fn raw(p: &Proposal) -> aiir_boundary::Proposal {
    use aiir_boundary::{Action as A, ModelRef, Notice, Report};
    let action = match &p.action {
        Action::RollbackModel(model) => A::RollbackModel(model.clone()),
        Action::QuarantineModel(m) => {
            A::QuarantineModel(ModelRef { name: m.name.clone(), version: m.version.clone(), digest: m.digest.clone() })
        }
        Action::BlockPrincipal(who) => A::BlockPrincipal(who.clone()),
        Action::Notify(n) => A::Notify(Notice { url: n.url.clone(), body: n.body.clone() }),
        Action::FileReport(r) => {
            A::FileReport(Report { kind: r.kind.clone(), markdown: r.markdown.clone(), json: r.json.clone() })
        }
    };
    aiir_boundary::Proposal { action, reason: p.reason.clone() }
}
