//! The lasting half of containment: once a model version is quarantined or a
//! principal blocked, every later event that it serves or sends is a finding of the
//! host's own (`aiir/quarantined-model`, `aiir/blocked-principal`), checked before the
//! detectors see the event.

use crate::runtime::{Event, Evidence, Finding, Payload, Severity};
use crate::store::Artifact;
use std::collections::HashSet;

/// The plugin name the host's own findings carry.
pub const HOST_PLUGIN: &str = "aiir";

/// A quarantined model version: by digest when the registry knows it (a swapped
/// artifact can keep its version label), else by version label.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Quarantined {
    /// The model's name.
    pub model: String,
    /// The version label.
    pub version: String,
    /// The artifact's digest, when known.
    pub digest: Option<String>,
}

impl Quarantined {
    /// An artifact the store quarantined: the guard flags what the store's
    /// [`is_quarantined`](crate::store::Store::is_quarantined) says is quarantined
    /// when it is told exactly the rows the store marked, never the proposal's words.
    pub fn of(model: &str, artifact: Artifact) -> Self {
        Self { model: model.to_owned(), version: artifact.version, digest: artifact.digest }
    }
}

/// What is quarantined and blocked now.
#[derive(Debug, Default, Clone)]
pub struct Guard {
    quarantined: HashSet<Quarantined>,
    blocked: HashSet<String>,
}

impl Guard {
    /// A guard over these quarantined versions and blocked principals.
    pub fn new(quarantined: impl IntoIterator<Item = Quarantined>, blocked: impl IntoIterator<Item = String>) -> Self {
        Self { quarantined: quarantined.into_iter().collect(), blocked: blocked.into_iter().collect() }
    }

    /// Quarantine one more version from now on.
    pub fn quarantine(&mut self, version: Quarantined) {
        self.quarantined.insert(version);
    }

    /// Block one more principal from now on.
    pub fn block(&mut self, principal: String) {
        self.blocked.insert(principal);
    }

    /// The host's findings on `event`: none for most events.
    pub fn check(&self, event: &Event) -> Vec<Finding> {
        let mut found = Vec::new();
        if let Some(q) = self.serving_quarantined(event) {
            let (field, excerpt) = match &q.digest {
                Some(d) => ("model.digest", d.clone()),
                None => ("model.version", q.version.clone()),
            };
            found.push(Finding {
                rule: "aiir/quarantined-model".into(),
                title: match &event.payload {
                    // A registry's move (`aiir watch-registry`, a deploy log) onto it.
                    Payload::ModelLifecycle(l) => {
                        format!("{} onto quarantined model {} {} ({excerpt})", l.action, q.model, q.version)
                    }
                    _ => format!("served by quarantined model {} {} ({excerpt})", q.model, q.version),
                },
                severity: Severity::Critical,
                confidence: 1.0,
                techniques: vec!["AML.T0010.003".into(), "LLM03".into()],
                evidence: vec![Evidence { field: field.into(), excerpt }],
            });
        }
        if let Some(p) = event.principal.as_ref().filter(|p| self.blocked.contains(*p)) {
            found.push(Finding {
                rule: "aiir/blocked-principal".into(),
                title: format!("request from blocked principal {p}"),
                severity: Severity::High,
                confidence: 1.0,
                techniques: Vec::new(),
                evidence: vec![Evidence { field: "principal".into(), excerpt: p.clone() }],
            });
        }
        found
    }

    fn serving_quarantined(&self, event: &Event) -> Option<&Quarantined> {
        let m = event.model.as_ref()?;
        self.quarantined.iter().find(|q| {
            q.model == m.name
                && match (&q.digest, &m.digest) {
                    (Some(quarantined), Some(served)) => quarantined == served,
                    (Some(_), None) => false,
                    (None, _) => m.version.as_ref() == Some(&q.version),
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Custom, ModelRef};
    use crate::store::Store;

    fn served(version: &str, digest: Option<&str>) -> Event {
        Event {
            id: "e".into(),
            time_unix_nano: 0,
            source: "api".into(),
            model: Some(ModelRef { name: "m".into(), version: Some(version.into()), digest: digest.map(Into::into) }),
            principal: None,
            session: None,
            payload: Payload::Custom(Custom { kind: "x".into(), data: "{}".into() }),
            attributes: Vec::new(),
        }
    }

    #[test]
    fn the_guard_flags_exactly_what_the_store_quarantined() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("aiir.db")).unwrap();
        for (version, digest) in [("1.0", Some("a")), ("1.0", Some("b")), ("2.0", None), ("3.0", Some("c"))] {
            store.register_version("m", version, digest, 0, "test").unwrap();
        }
        // An empty digest is none: every artifact of 1.0; 2.0 by its label; 3.0 by digest.
        let mut guard = Guard::default();
        for (version, digest) in [("1.0", Some("")), ("2.0", None), ("3.0", Some("c"))] {
            for artifact in store.quarantine("m", version, digest, None, "test").unwrap() {
                guard.quarantine(Quarantined::of("m", artifact));
            }
        }
        let quarantined = store.quarantined().unwrap().into_iter();
        let restarted =
            Guard::new(quarantined.map(|(model, version, digest)| Quarantined { model, version, digest }), []);
        let events = [
            ("1.0", Some("a")),
            ("1.0", Some("b")),
            ("1.0", Some("z")),
            ("1.0", None),
            ("2.0", Some("z")),
            ("2.0", None),
            ("3.0", Some("c")),
            ("3.0", Some("z")),
            ("3.0", None),
            ("4.0", None),
        ];
        let mut flagged = Vec::new();
        for (version, digest) in events {
            let event = served(version, digest);
            let stored = store.is_quarantined("m", version, digest).unwrap();
            assert_eq!(!guard.check(&event).is_empty(), stored, "{version} {digest:?}: the guard and the store differ");
            assert_eq!(!restarted.check(&event).is_empty(), stored, "{version} {digest:?}: after a restart");
            if stored {
                flagged.push((version, digest));
            }
        }
        let expected = [("1.0", Some("a")), ("1.0", Some("b")), ("2.0", Some("z")), ("2.0", None), ("3.0", Some("c"))];
        assert_eq!(flagged, expected);
    }
}
