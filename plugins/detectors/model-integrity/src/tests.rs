//! The detector as the host drives it, through the SDK's test harness.

use super::ModelIntegrity;
use aiir_sdk::prelude::*;
use aiir_sdk::{ModelLifecycle, testkit::Harness};

#[path = "../../../tools/cases.rs"]
pub(crate) mod cases;
#[path = "../../../tools/demo_log.rs"]
pub(crate) mod demo_log;

/// The demo's vetted artifact and the one swapped in at `evt-0050`.
const GOOD: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";
const ROGUE: &str = "sha256:3638c2f52debb06c41b0879e0facc6de3fa81f572e8ee994ebe2e411c0a9cfbf";

fn model(version: &str, digest: &str) -> ModelRef {
    ModelRef::new("support-assistant").version(version).digest(digest)
}

fn deployed(id: &str, model: ModelRef) -> Event {
    Event::new(id, ModelLifecycle::new("deployed", model))
}

fn served(id: &str, model: ModelRef) -> Event {
    Event::new(id, Inference::new().user("hi")).model(model)
}

fn allow_good(extra: &str) -> String {
    format!(r#"{{"allowed": [{{"name": "support-assistant", "version": "2.3.1", "digest": "{GOOD}"}}]{extra}}}"#)
}

#[test]
fn a_swap_under_the_same_version_fires_once() {
    let mut h = Harness::<ModelIntegrity>::new();
    assert!(h.inspect(&deployed("e1", model("2.3.1", GOOD))).is_empty());
    assert!(h.inspect(&served("e2", model("2.3.1", GOOD))).is_empty());
    let findings = h.inspect(&deployed("e3", model("2.3.1", ROGUE)));
    let [f] = findings.as_slice() else { panic!("{findings:?}") };
    assert_eq!(f.rule, "model-integrity/digest-changed");
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.techniques, ["AML.T0010.003", "LLM03"]);
    assert_eq!(f.evidence[0].field, "payload.model_lifecycle.model.digest");
    assert_eq!(f.evidence[0].excerpt, ROGUE);
    assert!(f.title.contains("sha256:3638c2f52deb…") && f.title.contains("sha256:97d52dc3a681…"), "{f:?}");
    // Later events served by the rogue digest do not fire again.
    assert!(h.inspect(&served("e4", model("2.3.1", ROGUE))).is_empty());
}

#[test]
fn what_was_seen_survives_a_new_instance() {
    let mut h = Harness::<ModelIntegrity>::new().partition_by(|e| e.subject_model().unwrap().name.clone());
    assert!(h.inspect(&deployed("e1", model("2.3.1", GOOD))).is_empty());
    h.restart();
    assert_eq!(h.rules(&deployed("e2", model("2.3.1", ROGUE))), ["model-integrity/digest-changed"]);
    h.restart();
    assert!(h.inspect(&served("e3", model("2.3.1", ROGUE))).is_empty(), "reported once, across instances");
}

#[test]
fn inference_events_are_checked_through_their_model() {
    let mut h = Harness::<ModelIntegrity>::new();
    h.inspect(&served("e1", model("1.0", GOOD)));
    let findings = h.inspect(&served("e2", model("1.0", ROGUE)));
    assert_eq!(findings[0].rule, "model-integrity/digest-changed");
    assert_eq!(findings[0].evidence[0].field, "model.digest");
}

#[test]
fn new_versions_and_rollbacks_do_not_fire() {
    let mut h = Harness::<ModelIntegrity>::new();
    let events = [
        deployed("e1", model("2.3.1", GOOD)),
        deployed("e2", model("2.4.0", ROGUE)),
        Event::new("e3", ModelLifecycle::new("rolled-back", model("2.3.1", GOOD))),
        served("e4", model("2.3.1", &GOOD.to_uppercase())),
    ];
    for event in &events {
        assert!(h.inspect(event).is_empty(), "{}", event.id);
    }
}

#[test]
fn events_without_version_or_digest_are_not_compared() {
    let mut h = Harness::<ModelIntegrity>::new();
    h.inspect(&served("e1", ModelRef::new("m").digest(GOOD)));
    assert!(h.inspect(&served("e2", ModelRef::new("m").digest(ROGUE))).is_empty());
    assert!(h.inspect(&served("e3", ModelRef::new("m").version("1"))).is_empty());
    assert!(h.inspect(&Event::new("e4", Inference::new().user("no model"))).is_empty());
}

#[test]
fn a_digest_off_the_allow_list_is_unknown() {
    let mut h = Harness::<ModelIntegrity>::with_settings(&allow_good("")).unwrap();
    assert!(h.inspect(&deployed("e1", model("2.3.1", GOOD))).is_empty());
    let rules = h.rules(&deployed("e2", model("2.3.1", ROGUE)));
    assert_eq!(rules, ["model-integrity/unknown-digest", "model-integrity/digest-changed"]);
    assert!(h.inspect(&served("e3", model("2.3.1", ROGUE))).is_empty());
}

#[test]
fn an_allowed_digest_for_another_version_is_unknown() {
    let mut h = Harness::<ModelIntegrity>::with_settings(&allow_good("")).unwrap();
    assert_eq!(h.rules(&served("e1", model("2.4.0", GOOD))), ["model-integrity/unknown-digest"]);
}

#[test]
fn an_entry_without_version_allows_any_version() {
    let json = format!(r#"{{"allowed": [{{"name": "support-assistant", "digest": "{GOOD}"}}]}}"#);
    let mut h = Harness::<ModelIntegrity>::with_settings(&json).unwrap();
    assert!(h.inspect(&served("e1", model("9.9.9", GOOD))).is_empty());
}

#[test]
fn vetted_digests_never_count_as_changed() {
    let json = format!(
        r#"{{"allowed": [{{"name": "support-assistant", "version": "2.3.1", "digest": "{GOOD}"}},
                         {{"name": "support-assistant", "version": "2.3.1", "digest": "{ROGUE}"}}]}}"#
    );
    let mut h = Harness::<ModelIntegrity>::with_settings(&json).unwrap();
    assert!(h.inspect(&deployed("e1", model("2.3.1", GOOD))).is_empty());
    assert!(h.inspect(&deployed("e2", model("2.3.1", ROGUE))).is_empty());
}

#[test]
fn unlisted_models_follow_the_setting() {
    let other = || served("e1", ModelRef::new("other-model").version("1"));
    let mut strict = Harness::<ModelIntegrity>::with_settings(&allow_good("")).unwrap();
    let findings = strict.inspect(&other());
    assert_eq!(findings[0].rule, "model-integrity/unknown-digest");
    assert_eq!(findings[0].evidence[0].field, "model.name");
    let mut lenient =
        Harness::<ModelIntegrity>::with_settings(&allow_good(r#", "allow_unlisted_models": true"#)).unwrap();
    assert!(lenient.inspect(&other()).is_empty());
}

#[test]
fn invalid_settings_are_all_reported() {
    let json = r#"{"allowed": [{"name": "a", "digest": "md5:00"}, {"name": "b", "digest": "sha256:xyz"}]}"#;
    let errors = Harness::<ModelIntegrity>::with_settings(json).unwrap_err();
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["allowed[0].digest", "allowed[1].digest"]);
}

#[test]
fn info_documents_every_setting() {
    let info = ModelIntegrity::info();
    assert_eq!(info.kinds, [EventKind::ModelLifecycle, EventKind::Inference]);
    let keys = [
        "allowed",
        "name",
        "version",
        "digest",
        "allow_unlisted_models",
        "registries",
        "require_digest",
        "max_state_bytes",
    ];
    let attributes = ["`format`", "`artifact_format`", "`serialization`", "`artifact`", "`file`", "`filename`"];
    for key in keys.into_iter().chain(attributes).chain(["`path`", "`uri`", "`url`", "restart"]) {
        assert!(info.settings.contains(key), "{key} undocumented");
    }
}

#[test]
fn demo_log_yields_the_expected_findings() {
    let mut h = Harness::<ModelIntegrity>::new();
    let found: Vec<(String, String)> =
        demo_log::events().iter().flat_map(|e| h.rules(e).into_iter().map(|rule| (e.id.clone(), rule))).collect();
    assert_eq!(found, demo_log::expected("model-integrity/"));
}

#[test]
fn demo_log_with_an_allow_list_also_flags_the_unknown_digest() {
    let mut h = Harness::<ModelIntegrity>::with_settings(&allow_good(r#", "allow_unlisted_models": true"#)).unwrap();
    let found: Vec<(String, String)> =
        demo_log::events().iter().flat_map(|e| h.rules(e).into_iter().map(|rule| (e.id.clone(), rule))).collect();
    let mut expected = demo_log::expected("model-integrity/");
    let swap = expected.iter().position(|(e, r)| e == "evt-0050" && r == "model-integrity/digest-changed").unwrap();
    expected.insert(swap, ("evt-0050".into(), "model-integrity/unknown-digest".into()));
    assert_eq!(found, expected);
}
