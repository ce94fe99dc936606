//! The lifecycle rules as the host drives them.

use super::ModelIntegrity;
use aiir_sdk::prelude::*;
use aiir_sdk::{ModelLifecycle, testkit::Harness};

const DIGEST: &str = "sha256:b85a4af676299881cb37143379b7c51ce655d54360413e809258d567cc3efb92";
const REGISTRY: &str = "registry.internal/models";

fn event(id: &str, action: &str, version: &str) -> Event {
    let model = ModelRef::new("support-embedder").version(version).digest(DIGEST);
    Event::new(id, ModelLifecycle::new(action, model).registry(REGISTRY))
}

fn from_registry(id: &str, action: &str, version: &str, registry: Option<&str>) -> Event {
    let mut e = event(id, action, version);
    if let Payload::ModelLifecycle(l) = &mut e.payload {
        l.registry = registry.map(str::to_owned);
    }
    e
}

fn strict() -> Harness<ModelIntegrity> {
    Harness::with_settings(&format!(r#"{{"registries": ["{REGISTRY}"]}}"#)).unwrap()
}

#[test]
fn a_lifecycle_event_without_digest_is_unsigned_once() {
    let mut h = Harness::<ModelIntegrity>::new();
    let unsigned = || Event::new("e1", ModelLifecycle::new("loaded", ModelRef::new("intent-router").version("0.4.2")));
    let findings = h.inspect(&unsigned());
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!((f.rule.as_str(), f.severity), ("model-integrity/unsigned", Severity::Low));
    assert_eq!(f.techniques, ["AML.T0010.003", "LLM03"]);
    assert_eq!(f.evidence[0].field, "payload.model_lifecycle.model.name");
    assert!(h.inspect(&unsigned()).is_empty(), "reported once per name and version");
    let served = Event::new("e2", Inference::new().user("hi")).model(ModelRef::new("intent-router"));
    assert!(h.inspect(&served).is_empty(), "inference events are not lifecycle events");
    let mut lenient = Harness::<ModelIntegrity>::with_settings(r#"{"require_digest": false}"#).unwrap();
    assert!(lenient.inspect(&unsigned()).is_empty());
}

#[test]
fn an_undeclared_move_to_an_older_version_is_a_rollback() {
    let mut h = Harness::<ModelIntegrity>::new();
    assert!(h.inspect(&event("e1", "loaded", "1.4.0")).is_empty());
    let findings = h.inspect(&event("e2", "deployed", "1.2.0"));
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!((f.rule.as_str(), f.severity), ("model-integrity/version-rollback", Severity::High));
    assert!(f.title.contains("from 1.4.0 to 1.2.0 by a `deployed` event"), "{}", f.title);
    assert_eq!(f.evidence[0].field, "payload.model_lifecycle.model.version");
    assert!(h.inspect(&event("e3", "loaded", "1.2.0")).is_empty(), "1.2.0 is now in service");
    assert!(h.inspect(&event("e4", "promoted", "1.5.0")).is_empty(), "upgrades are fine");
}

#[test]
fn declared_rollbacks_and_other_actions_do_not_fire() {
    let mut h = Harness::<ModelIntegrity>::new();
    let events = [
        event("e1", "deployed", "1.9.0"),
        event("e2", "Rolled_Back", "1.8.0"),
        event("e3", "deployed", "1.9.1"),
        event("e4", "registered", "1.7.3"), // a registry backfill puts nothing in service
        event("e5", "retired", "1.8.0"),
        event("e6", "deployed", "nightly-2026-11-27"),
        event("e7", "deployed", "1.9.1"),
    ];
    for e in &events {
        assert!(h.inspect(e).is_empty(), "{}", e.id);
    }
}

#[test]
fn registries_are_checked_only_when_listed() {
    let mut h = Harness::<ModelIntegrity>::new();
    assert!(h.inspect(&from_registry("e1", "deployed", "1.4.0", None)).is_empty());
    assert!(h.inspect(&from_registry("e2", "deployed", "1.5.0", Some("huggingface.co/acme"))).is_empty());
    let mut strict = strict();
    assert!(strict.inspect(&event("e1", "loaded", "1.4.0")).is_empty());
    let findings = strict.inspect(&from_registry("e2", "deployed", "1.5.0", Some("huggingface.co/acme")));
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!((f.rule.as_str(), f.severity), ("model-integrity/outside-registry", Severity::High));
    assert!(f.title.ends_with("from huggingface.co/acme, not a trusted registry (moves 1.4.0 → 1.5.0)"), "{f:?}");
    assert_eq!(f.evidence[0].field, "payload.model_lifecycle.registry");
    let unnamed = strict.inspect(&from_registry("e3", "promoted", "1.5.0", None));
    assert!(unnamed[0].title.contains("from no named registry"), "{unnamed:?}");
    assert_eq!(unnamed[0].evidence[0].field, "payload.model_lifecycle.model.name");
}

#[test]
fn a_rollback_from_outside_the_registry_is_reported_once_as_such() {
    let mut strict = strict();
    strict.inspect(&event("e1", "loaded", "1.4.0"));
    let rules = strict.rules(&from_registry("e2", "deployed", "1.2.0", Some("mirror.example/models")));
    assert_eq!(rules, ["model-integrity/outside-registry"]);
    let rules = strict.rules(&from_registry("e3", "rolled-back", "1.1.0", Some("mirror.example/models")));
    assert_eq!(rules, ["model-integrity/outside-registry"], "a declared rollback from outside still fires");
}

#[test]
fn a_pickle_artifact_is_an_unsafe_format() {
    let mut h = Harness::<ModelIntegrity>::new();
    let pickle = event("e1", "deployed", "1.9.0").attribute("artifact", "s3://nw-ml/embedder/1.9.0/model.pt?sig=abc");
    let findings = h.inspect(&pickle);
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!((f.rule.as_str(), f.severity), ("model-integrity/unsafe-format", Severity::High));
    assert_eq!(f.techniques, ["AML.T0018", "LLM03"]);
    assert_eq!(f.evidence[0].field, "attributes.artifact");
    assert_eq!(f.evidence[0].excerpt, "s3://nw-ml/embedder/1.9.0/model.pt", "the signed query is not repeated");
    let safe = event("e2", "deployed", "1.9.1").attribute("artifact", "s3://nw-ml/embedder/1.9.1/model.safetensors");
    assert!(h.inspect(&safe).is_empty());
    let served = Event::new("e3", Inference::new().user("hi")).attribute("format", "pickle");
    assert!(h.inspect(&served).is_empty(), "only lifecycle events carry artifacts");
}

#[test]
fn demo_with_its_registry_trusted_adds_only_the_unregistered_notebook() {
    use super::tests::demo_log;
    let events = demo_log::events();
    let mut h = strict();
    let found: Vec<(String, String)> =
        events.iter().flat_map(|e| h.rules(e).into_iter().map(|rule| (e.id.clone(), rule))).collect();
    let mut expected = demo_log::expected("model-integrity/");
    expected.insert(1, ("evt-c005".into(), "model-integrity/outside-registry".into()));
    assert_eq!(found, expected);
}

#[test]
fn cases_file_holds() {
    super::tests::cases::check::<ModelIntegrity>(include_str!("../cases.toml"), "model");
}
