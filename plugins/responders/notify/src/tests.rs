//! The responder as the host drives it, through the SDK's test kit.

use super::Notify;
use aiir_sdk::State;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::ResponderHarness;
use serde_json::{Value, json};

const HOOK: &str = r#"{"url": "http://127.0.0.1:9/hook"}"#;

fn incident(severity: Severity) -> Incident {
    Incident::new("INC-0007", "prompt-injection", Scope::Session, "s-42")
        .title("prompt injection in session s-42")
        .severity(severity)
        .principals(["mallory"])
        .sessions(["s-42"])
        .techniques(["AML.T0051.000", "LLM01"])
        .finding_count(4)
        .seen(1_000, 2_000)
}

fn harness(settings: &str) -> ResponderHarness<Notify> {
    ResponderHarness::<Notify>::with_settings(settings).unwrap()
}

#[test]
fn a_severe_incident_is_notified_with_its_summary() {
    let proposals = harness(HOOK).respond(&incident(Severity::High));
    let [p] = &proposals[..] else { panic!("{proposals:?}") };
    let Action::Notify(notice) = &p.action else { panic!("{p:?}") };
    assert_eq!(notice.url, "http://127.0.0.1:9/hook");
    assert_eq!(p.reason, "INC-0007: high prompt-injection incident, 4 findings");
    let body: Value = serde_json::from_str(&notice.body).unwrap();
    let want = json!({
        "incident": "INC-0007", "title": "prompt injection in session s-42", "severity": "high", "state": "open",
        "family": "prompt-injection", "scope": "session", "key": "s-42", "model": null,
        "counts": {"findings": 4, "principals": 1, "sessions": 1},
        "techniques": ["AML.T0051.000", "LLM01"], "principals": ["mallory"],
        "first_seen_unix_nano": 1000, "last_seen_unix_nano": 2000,
    });
    assert_eq!(body, want);
}

#[test]
fn without_a_url_nothing_is_proposed() {
    assert!(harness("{}").respond(&incident(Severity::Critical)).is_empty());
}

#[test]
fn below_min_severity_nothing_is_proposed() {
    assert!(harness(HOOK).respond(&incident(Severity::Medium)).is_empty());
    let low = r#"{"url": "https://hooks.example/x", "min_severity": "low"}"#;
    assert_eq!(harness(low).respond(&incident(Severity::Low)).len(), 1);
}

#[test]
fn an_incident_is_notified_again_only_when_its_severity_rises() {
    let mut h = harness(HOOK);
    assert_eq!(h.respond(&incident(Severity::High)).len(), 1);
    assert!(h.respond(&incident(Severity::High).finding_count(5)).is_empty());
    assert_eq!(h.respond(&incident(Severity::Critical)).len(), 1);
    assert!(h.respond(&incident(Severity::High)).is_empty());
}

#[test]
fn closed_incidents_and_other_families_are_not_notified() {
    assert!(harness(HOOK).respond(&incident(Severity::High).state(State::Closed)).is_empty());
    let only = r#"{"url": "http://127.0.0.1:9/hook", "families": ["model-integrity"]}"#;
    assert!(harness(only).respond(&incident(Severity::Critical)).is_empty());
}

#[test]
fn a_model_is_named_in_the_body() {
    let i = incident(Severity::High).model(ModelRef::new("m").version("2"));
    let [p] = &harness(HOOK).respond(&i)[..] else { panic!() };
    let Action::Notify(notice) = &p.action else { panic!() };
    let body: Value = serde_json::from_str(&notice.body).unwrap();
    assert_eq!(body["model"], json!({"name": "m", "version": "2", "digest": null}));
}
