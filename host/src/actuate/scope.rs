//! What a responder may touch: by default only its incident's scope — the models and
//! artifacts its findings' events name, its principals — and no reports. More is the
//! operator's to grant, per responder (`scope = "any"`, `reports = true`). A proposal
//! beyond what is granted is recorded as refused and changes nothing.

use crate::correlate;
use crate::runtime::Action;
use crate::store::{Impact, IncidentDetail};
use aiir_boundary::ModelRef;
use serde::Deserialize;
use std::collections::BTreeSet;

/// How far a responder's registry and block-list actions may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// Only its incident's models, artifacts and principals.
    #[default]
    Incident,
    /// Any model, artifact or principal.
    Any,
}

/// What the operator granted a responder beyond its incident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Grants {
    /// `scope = "any"`: act beyond the incident.
    pub reach: Reach,
    /// `reports = true`: file reports (the one `incidents export` shows).
    pub reports: bool,
}

/// An incident's scope: what its responders may act on without a grant.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    models: BTreeSet<String>,
    artifacts: Vec<ModelRef>,
    principals: Vec<String>,
}

impl Scope {
    /// The scope of an incident: the models and artifacts of its findings' events
    /// (and its key, when grouped by model), its principals. It does not change while
    /// responders answer, so it is read once an incident.
    pub fn of(detail: &IncidentDetail) -> Self {
        let i = &detail.incident;
        let artifacts: Vec<ModelRef> = (detail.artifacts.iter())
            .map(|a| ModelRef { name: a.name.clone(), version: a.version.clone(), digest: a.digest.clone() })
            .collect();
        let key = (i.scope == correlate::Scope::Model).then(|| i.key.clone());
        let models = artifacts.iter().map(|a| a.name.clone()).chain(i.model.iter().map(|m| m.name.clone()));
        let models = models.chain(key).collect();
        Self { models, artifacts, principals: detail.principals.clone() }
    }

    /// With what the incident's data reached by lineage (the host's, not a plugin's
    /// word): the versions trained on it are the incident's too.
    pub fn reaching(mut self, impact: Option<&Impact>) -> Self {
        for a in impact.into_iter().flat_map(|i| &i.affected) {
            let v = &a.version;
            self.models.insert(v.model.clone());
            let artifact =
                ModelRef { name: v.model.clone(), version: Some(v.version.clone()), digest: v.digest.clone() };
            self.artifacts.push(artifact);
        }
        self
    }

    /// Why `action` is refused under `grants`; `None` when it may go ahead.
    pub fn refusal(&self, action: &Action, grants: Grants) -> Option<String> {
        if let Action::FileReport(r) = action {
            return (!grants.reports).then(|| {
                format!(
                    "not granted: only a responder with `reports = true` files reports \
                     (the built-in regulator-report has it); this {:?} report is not filed",
                    r.kind
                )
            });
        }
        if grants.reach == Reach::Any {
            return None;
        }
        match action {
            Action::RollbackModel(model) => self.model(model),
            Action::QuarantineModel(m) => self.model(&m.name).or_else(|| self.artifact(m)),
            Action::BlockPrincipal(p) => (!self.principals.contains(p)).then(|| {
                format!("out of the incident's scope: {p:?} is not one of its principals ({})", list(&self.principals))
            }),
            Action::Notify(_) | Action::FileReport(_) => None,
        }
    }

    fn model(&self, model: &str) -> Option<String> {
        (!self.models.contains(model)).then(|| {
            let models: Vec<String> = self.models.iter().cloned().collect();
            format!("out of the incident's scope: {model:?} is not its model ({})", list(&models))
        })
    }

    /// A quarantine may take only an artifact (label and digest, as given) that one
    /// of the incident's findings' events names.
    fn artifact(&self, m: &ModelRef) -> Option<String> {
        if self.artifacts.iter().any(|a| a.name == m.name && a.version == m.version && a.digest == m.digest) {
            return None;
        }
        let named: Vec<String> = self.artifacts.iter().filter(|a| a.name == m.name).map(label).collect();
        let hint = if m.digest.is_none() { "; without a digest it would take every artifact of the label" } else { "" };
        Some(format!(
            "out of the incident's scope: {} is not an artifact its findings name ({}){hint}",
            label(m),
            list(&named)
        ))
    }
}

/// `name version@digest`, as much as is known, quoted.
fn label(m: &ModelRef) -> String {
    let mut s = m.name.clone();
    s.extend(m.version.as_ref().map(|v| format!(" {v}")));
    s.extend(m.digest.as_ref().map(|d| format!("@{d}")));
    format!("{s:?}")
}

fn list(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Report;

    fn artifact(version: &str, digest: Option<&str>) -> ModelRef {
        ModelRef { name: "m".into(), version: Some(version.into()), digest: digest.map(Into::into) }
    }

    fn scope() -> Scope {
        Scope {
            models: ["m".to_owned()].into(),
            artifacts: vec![artifact("1", Some("sha256:bad"))],
            principals: vec!["user:mallory".into()],
        }
    }

    #[test]
    fn by_default_only_the_incidents_model_artifact_and_principals() {
        let (s, g) = (scope(), Grants::default());
        assert_eq!(s.refusal(&Action::RollbackModel("m".into()), g), None);
        assert_eq!(s.refusal(&Action::QuarantineModel(artifact("1", Some("sha256:bad"))), g), None);
        assert_eq!(s.refusal(&Action::BlockPrincipal("user:mallory".into()), g), None);
        assert_eq!(
            s.refusal(&Action::RollbackModel("other".into()), g).unwrap(),
            "out of the incident's scope: \"other\" is not its model (m)"
        );
        assert_eq!(
            s.refusal(&Action::QuarantineModel(artifact("1", Some("sha256:good"))), g).unwrap(),
            "out of the incident's scope: \"m 1@sha256:good\" is not an artifact its findings name (\"m 1@sha256:bad\")"
        );
        assert!(s.refusal(&Action::QuarantineModel(artifact("1", None)), g).unwrap().ends_with("of the label"));
        assert_eq!(
            s.refusal(&Action::BlockPrincipal("user:alice".into()), g).unwrap(),
            "out of the incident's scope: \"user:alice\" is not one of its principals (user:mallory)"
        );
    }

    #[test]
    fn grants_widen_the_reach_and_allow_reports() {
        let s = scope();
        let report = Action::FileReport(Report { kind: "art73".into(), markdown: String::new(), json: "{}".into() });
        let any = Grants { reach: Reach::Any, reports: false };
        assert_eq!(s.refusal(&Action::BlockPrincipal("user:alice".into()), any), None);
        assert_eq!(s.refusal(&Action::QuarantineModel(artifact("1", None)), any), None);
        assert!(s.refusal(&report, any).unwrap().starts_with("not granted: only a responder with `reports = true`"));
        assert_eq!(s.refusal(&report, Grants { reach: Reach::Incident, reports: true }), None);
    }
}
