//! Building incidents, their findings and model versions (for tests), and the
//! proposals a responder returns.

use crate::{
    Action, Finding, Incident, IncidentFinding, ModelRef, ModelVersion, Notice, Proposal, Report, Scope, Severity,
    State,
};

/// Lowercase names, as the WIT contract and aiir's JSON spell them.
macro_rules! names {
    ($ty:ident { $($case:ident = $name:literal),* $(,)? }) => {
        impl $ty {
            /// Its name, lowercase, as in the WIT contract.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$case => $name),*
                }
            }

            /// The value of this name (as [`name`](Self::name) spells it), if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($ty::$case),)*
                    _ => None,
                }
            }
        }
    };
}
names!(Severity { Info = "info", Low = "low", Medium = "medium", High = "high", Critical = "critical" });
names!(State { Open = "open", Contained = "contained", Recovered = "recovered", Closed = "closed" });
names!(Scope { Model = "model", Session = "session", Principal = "principal" });

impl Incident {
    /// An open incident of `family` grouped by `scope` = `key`, with one finding, of
    /// medium severity, titled after its family; everything else empty or zero.
    pub fn new(id: impl Into<String>, family: impl Into<String>, scope: Scope, key: impl Into<String>) -> Self {
        let family = family.into();
        Self {
            id: id.into(),
            title: family.clone(),
            severity: Severity::Medium,
            state: State::Open,
            family,
            scope,
            key: key.into(),
            model: None,
            principals: Vec::new(),
            sessions: Vec::new(),
            techniques: Vec::new(),
            rules: Vec::new(),
            finding_count: 1,
            first_seen_unix_nano: 0,
            last_seen_unix_nano: 0,
            opened_unix_nano: 0,
        }
    }

    /// Set the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Set the severity.
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Set the lifecycle state.
    pub fn state(mut self, state: State) -> Self {
        self.state = state;
        self
    }

    /// Set the model involved.
    pub fn model(mut self, model: ModelRef) -> Self {
        self.model = Some(model);
        self
    }

    /// Add principals seen in its findings.
    pub fn principals<'a>(mut self, principals: impl IntoIterator<Item = &'a str>) -> Self {
        self.principals.extend(principals.into_iter().map(String::from));
        self
    }

    /// Add sessions seen in its findings.
    pub fn sessions<'a>(mut self, sessions: impl IntoIterator<Item = &'a str>) -> Self {
        self.sessions.extend(sessions.into_iter().map(String::from));
        self
    }

    /// Add ATLAS / OWASP technique ids.
    pub fn techniques<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> Self {
        self.techniques.extend(ids.into_iter().map(String::from));
        self
    }

    /// Add rules that fired in it.
    pub fn rules<'a>(mut self, rules: impl IntoIterator<Item = &'a str>) -> Self {
        self.rules.extend(rules.into_iter().map(String::from));
        self
    }

    /// Set how many findings it has.
    pub fn finding_count(mut self, count: u32) -> Self {
        self.finding_count = count;
        self
    }

    /// Set the times of its first and latest events (nanoseconds since the Unix epoch).
    pub fn seen(mut self, first_unix_nano: u64, last_unix_nano: u64) -> Self {
        self.first_seen_unix_nano = first_unix_nano;
        self.last_seen_unix_nano = last_unix_nano;
        self
    }

    /// Set when aiir opened it, the moment of awareness (nanoseconds since the Unix epoch).
    pub fn opened(mut self, unix_nano: u64) -> Self {
        self.opened_unix_nano = unix_nano;
        self
    }
}

impl IncidentFinding {
    /// `finding`, by detector `plugin`, in event `event_id` at `time_unix_nano`.
    pub fn new(event_id: impl Into<String>, time_unix_nano: u64, plugin: impl Into<String>, finding: Finding) -> Self {
        Self {
            event_id: event_id.into(),
            time_unix_nano,
            plugin: plugin.into(),
            model: None,
            principal: None,
            session: None,
            finding,
        }
    }

    /// Set the event's model.
    pub fn model(mut self, model: ModelRef) -> Self {
        self.model = Some(model);
        self
    }

    /// Set the event's principal.
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = Some(principal.into());
        self
    }

    /// Set the event's session.
    pub fn session(mut self, session: impl Into<String>) -> Self {
        self.session = Some(session.into());
        self
    }
}

impl ModelVersion {
    /// Version `version` of `model`: no digest, not known-good, not quarantined, not serving.
    pub fn new(model: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            version: version.into(),
            digest: None,
            known_good: false,
            quarantined: false,
            serving: false,
            registered_unix_nano: 0,
        }
    }

    /// Set the artifact's digest.
    pub fn digest(mut self, digest: impl Into<String>) -> Self {
        self.digest = Some(digest.into());
        self
    }

    /// Mark it known-good.
    pub fn known_good(mut self) -> Self {
        self.known_good = true;
        self
    }

    /// Mark it quarantined.
    pub fn quarantined(mut self) -> Self {
        self.quarantined = true;
        self
    }

    /// Mark it as the one the serving alias points at.
    pub fn serving(mut self) -> Self {
        self.serving = true;
        self
    }

    /// Set when the registry first saw it (nanoseconds since the Unix epoch).
    pub fn registered(mut self, unix_nano: u64) -> Self {
        self.registered_unix_nano = unix_nano;
        self
    }

    /// The version as a [`ModelRef`], to quarantine it for instance.
    pub fn model_ref(&self) -> ModelRef {
        ModelRef { name: self.model.clone(), version: Some(self.version.clone()), digest: self.digest.clone() }
    }
}

impl Proposal {
    /// Propose `action` because of `reason` (one line for the audit log).
    pub fn new(action: Action, reason: impl Into<String>) -> Self {
        Self { action, reason: reason.into() }
    }

    /// Move `model`'s serving alias back to its newest known-good version.
    pub fn rollback(model: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(Action::RollbackModel(model.into()), reason)
    }

    /// Quarantine a model version.
    pub fn quarantine(model: ModelRef, reason: impl Into<String>) -> Self {
        Self::new(Action::QuarantineModel(model), reason)
    }

    /// Block a principal.
    pub fn block(principal: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(Action::BlockPrincipal(principal.into()), reason)
    }

    /// POST the JSON `body` to the webhook at `url`.
    pub fn notify(url: impl Into<String>, body: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(Action::Notify(Notice { url: url.into(), body: body.into() }), reason)
    }

    /// File a report.
    pub fn file_report(report: Report, reason: impl Into<String>) -> Self {
        Self::new(Action::FileReport(report), reason)
    }
}

impl Report {
    /// A report of `kind` (used in its file names), as Markdown and as JSON text.
    pub fn new(kind: impl Into<String>, markdown: impl Into<String>, json: impl Into<String>) -> Self {
        Self { kind: kind.into(), markdown: markdown.into(), json: json.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_every_part() {
        let i = Incident::new("INC-1", "prompt-injection", Scope::Principal, "mallory")
            .principals(["mallory"])
            .finding_count(3)
            .opened(7);
        assert_eq!(
            (i.title.as_str(), i.state, i.finding_count, i.opened_unix_nano),
            ("prompt-injection", State::Open, 3, 7)
        );
        let v = ModelVersion::new("m", "2").digest("sha256:ab").known_good();
        assert_eq!(v.model_ref(), ModelRef::new("m").version("2").digest("sha256:ab"));
        assert_eq!(Severity::from_name(Severity::High.name()), Some(Severity::High));
        assert_eq!((State::Contained.name(), Scope::from_name("x")), ("contained", None));
        let p = Proposal::rollback("m", "tampered");
        assert_eq!(p.action, Action::RollbackModel("m".into()));
    }
}
