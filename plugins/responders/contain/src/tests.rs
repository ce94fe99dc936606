//! The responder as the host drives it, through the SDK's test kit.

use super::Contain;
use aiir_sdk::State;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::{ResponderHarness, Store};

fn incident(family: &str) -> Incident {
    Incident::new("INC-0001", family, Scope::Principal, "mallory").principals(["mallory", "bob"])
}

/// `n` findings of `INC-0001` by `who`, added to `store`.
fn hits(mut store: Store, who: &str, n: usize) -> Store {
    for i in 0..n {
        let f = Finding::new("prompt-injection/direct", "instruction override", Severity::High);
        store = store.finding(
            "INC-0001",
            IncidentFinding::new(format!("{who}-{i}"), i as u64, "prompt-injection", f).principal(who),
        );
    }
    store
}

fn harness(settings: &str, store: Store) -> ResponderHarness<Contain> {
    ResponderHarness::<Contain>::with_settings(settings).unwrap().store(store)
}

#[test]
fn a_principal_with_enough_findings_is_blocked() {
    let mut h = harness("{}", hits(hits(Store::new(), "mallory", 3), "bob", 2));
    let proposals = h.respond(&incident("prompt-injection"));
    assert_eq!(proposals, [Proposal::block("mallory", "3 prompt-injection findings by mallory in INC-0001")]);
}

#[test]
fn every_repeat_offender_is_blocked_for_each_family() {
    for family in ["prompt-injection", "jailbreak", "model-extraction"] {
        let mut h = harness(r#"{"min_findings": 2}"#, hits(hits(Store::new(), "mallory", 3), "bob", 2));
        let blocked: Vec<Action> = h.respond(&incident(family)).into_iter().map(|p| p.action).collect();
        assert_eq!(blocked, [Action::BlockPrincipal("bob".into()), Action::BlockPrincipal("mallory".into())]);
    }
}

#[test]
fn too_few_findings_block_nobody_and_say_so() {
    let mut h = harness("{}", hits(Store::new(), "mallory", 2));
    assert!(h.respond(&incident("prompt-injection")).is_empty());
    let logs = h.logs();
    assert!(logs.iter().any(|(_, l)| l.contains("no principal has 3 findings yet: mallory (2)")), "{logs:?}");
}

#[test]
fn other_families_and_closed_incidents_are_left_alone() {
    let mut h = harness("{}", hits(Store::new(), "mallory", 5));
    assert!(h.respond(&incident("model-integrity")).is_empty());
    assert!(h.respond(&incident("prompt-injection").state(State::Closed)).is_empty());
}

#[test]
fn exempt_principals_and_findings_without_one_are_never_blocked() {
    let anonymous = IncidentFinding::new("e", 0, "jailbreak", Finding::new("jailbreak/dan", "dan", Severity::High));
    let store = hits(Store::new(), "red-team", 4).finding("INC-0001", anonymous.clone()).finding("INC-0001", anonymous);
    let mut h = harness(r#"{"exempt_principals": ["red-team"], "min_findings": 1}"#, store);
    assert!(h.respond(&incident("jailbreak")).is_empty());
}

#[test]
fn settings_errors_reach_the_host() {
    let errors = ResponderHarness::<Contain>::with_settings(r#"{"min_findings": 0}"#).unwrap_err();
    assert_eq!(errors[0].path, "min_findings");
}
