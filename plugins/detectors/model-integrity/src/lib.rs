//! `model-integrity`: finds model artifacts that are not the ones vetted or first seen.
//!
//! - `model-integrity/unknown-digest` (high): an allow-list covers the model, and the
//!   event's digest is not on it for the model's version.
//! - `model-integrity/digest-changed` (critical): the same model name and version shows
//!   up with another digest than the one first seen (trust on first use). A version
//!   label that now names other weights is the mark of a swapped or tampered artifact.
//!
//! Both look at the event's subject model: the model a lifecycle event acts on, or
//! the model that served an inference. Lifecycle events also feed the rules of
//! [`lifecycle`]: `unsigned`, `outside-registry`, `version-rollback` and
//! `unsafe-format`.

mod artifact;
mod config;
mod lifecycle;
mod version;

use aiir_sdk::prelude::*;
use config::Config;
use statekit::Kept;

/// The first digest seen for each (name, version).
const FIRST_SEEN: Kept = Kept::new("first-seen");
/// The version each model name was last put in service with, by lifecycle events.
const IN_SERVICE: Kept = Kept::new("in-service");
/// (rule, name, version, digest or detail) already reported.
const REPORTED: Kept = Kept::new("reported");

const TECHNIQUES: [&str; 2] = ["AML.T0010.003", "LLM03"];

/// The detector: the operator's allow-list. What it has seen so far is kept in the
/// host's keyed state (by model, see [`FIRST_SEEN`], [`IN_SERVICE`], [`REPORTED`]), so
/// it survives restarts; the host bounds it, forgetting what was written longest ago.
#[derive(Debug, Default)]
pub struct ModelIntegrity {
    config: Config,
}

/// The subject model of an event, and where its fields are in the event.
struct Subject<'e> {
    model: &'e ModelRef,
    /// `model` or `payload.model_lifecycle.model`.
    path: &'static str,
    /// The digest, lowercased so that case does not make a digest unknown.
    digest: Option<String>,
}

impl Detector for ModelIntegrity {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "model-integrity",
            env!("CARGO_PKG_VERSION"),
            "model artifacts whose digest is not allow-listed or changed under the same name and version; \
             lifecycle events that are unsigned, roll back quietly, come from outside the registry or load pickle",
        )
        .kinds([EventKind::ModelLifecycle, EventKind::Inference])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let Some(subject) = subject(event) else {
            return Ok(Vec::new());
        };
        let mut findings: Vec<Report> =
            [self.unknown_digest(&subject), self.digest_changed(&subject)?].into_iter().flatten().collect();
        if let Payload::ModelLifecycle(l) = &event.payload {
            findings.extend(self.lifecycle(event, l)?);
        }
        // Each conflict is reported on the event that introduced it: later events
        // served by the same rogue digest do not fire again.
        let mut fresh = Vec::with_capacity(findings.len());
        for (finding, (rule, name, version, detail)) in findings {
            if REPORTED.insert_new(&[&rule, &name, version.as_deref().unwrap_or_default(), &detail], &())? {
                fresh.push(finding);
            }
        }
        Ok(fresh)
    }
}

/// A rule and the (name, version, digest or other detail) it fired about.
type Artifact = (String, String, Option<String>, String);

/// A finding and what it is about.
type Report = (Finding, Artifact);

impl ModelIntegrity {
    /// The allow-list covers this model and does not vet its digest, or it lists no
    /// such model and unlisted models are refused.
    fn unknown_digest(&self, s: &Subject<'_>) -> Option<Report> {
        let m = s.model;
        let title = match self.config.allowed.get(&m.name) {
            None if self.config.allow_unlisted_models => return None,
            None => format!("model {} is not in the allow-list", describe(m)),
            Some(_) if self.is_vetted(s) => return None,
            // Without a digest there is nothing to check against the list.
            Some(_) if s.digest.is_none() => return None,
            Some(_) => format!("model {} runs a digest the allow-list does not vet", describe(m)),
        };
        let finding = Finding::new("model-integrity/unknown-digest", title, Severity::High);
        Some(with_evidence(finding, s))
    }

    /// The first digest seen for this name and version differs, and the allow-list
    /// does not vet the new one.
    fn digest_changed(&self, s: &Subject<'_>) -> Result<Option<Report>, String> {
        let m = s.model;
        let (Some(version), Some(digest)) = (m.version.as_ref(), s.digest.as_ref()) else { return Ok(None) };
        let key = [m.name.as_str(), version.as_str()];
        let Some(first) = FIRST_SEEN.get::<String>(&key) else {
            FIRST_SEEN.put(&key, digest)?;
            return Ok(None);
        };
        if first == *digest || self.is_vetted(s) {
            return Ok(None);
        }
        let title = format!("model {} now runs {}, first seen as {}", describe(m), short(digest), short(&first));
        let finding = Finding::new("model-integrity/digest-changed", title, Severity::Critical);
        Ok(Some(with_evidence(finding, s)))
    }

    /// Whether an allow-list entry for this model and version names its digest.
    fn is_vetted(&self, s: &Subject<'_>) -> bool {
        let (Some(entries), Some(digest)) = (self.config.allowed.get(&s.model.name), &s.digest) else {
            return false;
        };
        let version_fits = |v: &Option<String>| v.is_none() || *v == s.model.version;
        entries.iter().any(|e| e.digest == *digest && version_fits(&e.version))
    }
}

fn subject(event: &Event) -> Option<Subject<'_>> {
    let model = event.subject_model()?;
    let path = match event.payload {
        Payload::ModelLifecycle(_) => "payload.model_lifecycle.model",
        _ => "model",
    };
    let digest = model.digest.as_deref().map(str::to_ascii_lowercase);
    Some(Subject { model, path, digest })
}

/// Evidence on the digest, or on the name when the event has no digest.
fn with_evidence(finding: Finding, s: &Subject<'_>) -> Report {
    let (field, value) = match &s.model.digest {
        Some(digest) => ("digest", digest),
        None => ("name", &s.model.name),
    };
    let finding =
        finding.techniques(TECHNIQUES).evidence(format!("{}.{field}", s.path), excerpt(value, 0..value.len()));
    let key = artifact_key(&finding, s.model, s.digest.as_deref().unwrap_or_default());
    (finding, key)
}

/// What a finding is about, to report it once.
fn artifact_key(finding: &Finding, model: &ModelRef, detail: &str) -> Artifact {
    (finding.rule.clone(), model.name.clone(), model.version.clone(), detail.to_owned())
}

/// `name version`, or just the name when the version is unknown.
fn describe(m: &ModelRef) -> String {
    match &m.version {
        Some(v) => format!("{} {v}", m.name),
        None => m.name.clone(),
    }
}

/// A digest cut to its algorithm and first 12 hex digits, enough to tell two apart.
fn short(digest: &str) -> String {
    let cut = digest.find(':').map_or(0, |i| i + 1) + 12;
    match digest.get(..cut) {
        Some(head) if cut < digest.len() => format!("{head}…"),
        _ => digest.to_owned(),
    }
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(ModelIntegrity);

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod tests;
