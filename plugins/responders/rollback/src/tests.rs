//! The responder as the host drives it, through the SDK's test kit.

use super::Rollback;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::{ResponderHarness, Store};
use aiir_sdk::{LineageImpact, State};

const GOOD: &str = "sha256:97d5";
const ROGUE: &str = "sha256:3638";
const MODEL: &str = "support-assistant";

/// A model-integrity incident whose first event is at t=100, on `model`.
fn incident(model: ModelRef) -> Incident {
    Incident::new("INC-0001", "model-integrity", Scope::Model, MODEL).model(model).seen(100, 200)
}

fn rogue() -> ModelRef {
    ModelRef::new(MODEL).version("2.3.1").digest(ROGUE)
}

/// 2.3.0 known-good (t=10), 2.3.1 serving (t=50).
fn registry() -> Store {
    Store::new()
        .version(ModelVersion::new(MODEL, "2.3.0").digest(GOOD).known_good().registered(10))
        .version(ModelVersion::new(MODEL, "2.3.1").digest(ROGUE).serving().registered(50))
}

fn harness(settings: &str, store: Store) -> ResponderHarness<Rollback> {
    ResponderHarness::<Rollback>::with_settings(settings).unwrap().store(store)
}

#[test]
fn a_tampered_model_is_rolled_back_and_quarantined() {
    let proposals = harness("{}", registry()).respond(&incident(rogue()));
    assert_eq!(
        proposals,
        [
            Proposal::rollback(
                MODEL,
                "INC-0001: model-integrity incident on support-assistant; back to known-good support-assistant 2.3.0 (sha256:97d5)"
            ),
            Proposal::quarantine(
                rogue(),
                "INC-0001: support-assistant 2.3.1 (sha256:3638) is the version behind the model-integrity incident"
            ),
        ]
    );
}

#[test]
fn poisoning_incidents_are_handled_too() {
    let poisoned = Incident::new("INC-0002", "data-poisoning", Scope::Model, MODEL).seen(100, 100);
    let actions: Vec<Action> = harness("{}", registry()).respond(&poisoned).into_iter().map(|p| p.action).collect();
    let serving = ModelRef::new(MODEL).version("2.3.1").digest(ROGUE);
    assert_eq!(actions, [Action::RollbackModel(MODEL.into()), Action::QuarantineModel(serving)]);
}

#[test]
fn no_known_good_version_means_no_proposal_and_a_reason() {
    let store = Store::new().version(ModelVersion::new(MODEL, "2.3.1").digest(ROGUE).serving());
    let mut h = harness("{}", store);
    assert!(h.respond(&incident(rogue())).is_empty());
    let logs = h.logs();
    assert!(logs.iter().any(|(_, l)| l.contains("no known-good version of support-assistant")), "{logs:?}");
}

#[test]
fn the_newest_known_good_version_before_the_incident_is_the_target() {
    let store = registry()
        .version(ModelVersion::new(MODEL, "2.2.0").known_good().registered(5))
        .version(ModelVersion::new(MODEL, "2.4.0").known_good().registered(150))
        .version(ModelVersion::new(MODEL, "2.3.2").known_good().quarantined().registered(60));
    let [rollback, _] = &harness("{}", store).respond(&incident(rogue()))[..] else { panic!() };
    assert!(rollback.reason.ends_with("known-good support-assistant 2.3.0 (sha256:97d5)"), "{}", rollback.reason);
}

#[test]
fn a_version_known_only_after_the_incident_is_the_fallback() {
    let store = Store::new().version(ModelVersion::new(MODEL, "2.4.0").known_good().registered(500));
    let [rollback, _] = &harness("{}", store).respond(&incident(rogue()))[..] else { panic!() };
    assert!(rollback.reason.ends_with("known-good support-assistant 2.4.0"), "{}", rollback.reason);
}

#[test]
fn the_same_label_with_the_good_digest_is_a_valid_target() {
    let store = Store::new().version(ModelVersion::new(MODEL, "2.3.1").digest(GOOD).known_good().registered(1));
    let [rollback, quarantine] = &harness("{}", store).respond(&incident(rogue()))[..] else { panic!() };
    assert!(rollback.reason.ends_with("2.3.1 (sha256:97d5)"), "{}", rollback.reason);
    assert_eq!(quarantine.action, Action::QuarantineModel(rogue()));
}

#[test]
fn already_serving_known_good_only_quarantines() {
    let store = Store::new()
        .version(ModelVersion::new(MODEL, "2.3.0").digest(GOOD).known_good().serving())
        .version(ModelVersion::new(MODEL, "2.3.1").digest(ROGUE));
    let actions: Vec<Action> = harness("{}", store).respond(&incident(rogue())).into_iter().map(|p| p.action).collect();
    assert_eq!(actions, [Action::QuarantineModel(rogue())]);
}

#[test]
fn an_already_quarantined_version_or_quarantine_off_only_rolls_back() {
    let store = registry().version(ModelVersion::new(MODEL, "2.3.1").digest(ROGUE).quarantined());
    let actions: Vec<Action> = harness("{}", store).respond(&incident(rogue())).into_iter().map(|p| p.action).collect();
    assert_eq!(actions, [Action::RollbackModel(MODEL.into())]);
    let actions: Vec<Action> = harness(r#"{"quarantine": false}"#, registry())
        .respond(&incident(rogue()))
        .into_iter()
        .map(|p| p.action)
        .collect();
    assert_eq!(actions, [Action::RollbackModel(MODEL.into())]);
}

#[test]
fn other_families_closed_incidents_and_no_model_are_left_alone() {
    let mut h = harness("{}", registry());
    let injection = Incident::new("INC-3", "prompt-injection", Scope::Principal, "mallory");
    assert!(h.respond(&injection).is_empty());
    assert!(h.respond(&incident(rogue()).state(State::Closed)).is_empty());
    let nameless = Incident::new("INC-4", "data-poisoning", Scope::Session, "s1");
    assert!(h.respond(&nameless).is_empty());
}

/// 2.3.0 known-good, 2.4.0 and its fine-tune 2.4.1 trained on the poisoned batch, 2.4.1 serving.
fn trained_on_poison() -> (Store, LineageImpact) {
    let store = Store::new()
        .version(ModelVersion::new(MODEL, "2.3.0").known_good().registered(10))
        .version(ModelVersion::new(MODEL, "2.4.0").registered(50))
        .version(ModelVersion::new(MODEL, "2.4.1").serving().registered(60));
    let impact = LineageImpact {
        affected: vec![ModelRef::new(MODEL).version("2.4.0"), ModelRef::new(MODEL).version("2.4.1")],
        clean: vec![ModelRef::new(MODEL).version("2.3.0")],
        events: 12,
        sessions: 4,
        principals: 3,
    };
    (store, impact)
}

#[test]
fn a_poisoning_with_lineage_goes_back_to_the_clean_version_and_quarantines_every_affected_one() {
    let (store, impact) = trained_on_poison();
    let poisoned = Incident::new("INC-0003", "data-poisoning", Scope::Principal, "svc:ingest").seen(100, 100);
    let actions: Vec<Action> =
        harness("{}", store.impact("INC-0003", impact)).respond(&poisoned).into_iter().map(|p| p.action).collect();
    assert_eq!(
        actions,
        [
            Action::RollbackModel(MODEL.into()),
            Action::QuarantineModel(ModelRef::new(MODEL).version("2.4.0")),
            Action::QuarantineModel(ModelRef::new(MODEL).version("2.4.1")),
        ]
    );
}

#[test]
fn with_no_clean_version_a_poisoning_proposes_no_rollback() {
    let (store, mut impact) = trained_on_poison();
    impact.clean.clear();
    let poisoned = Incident::new("INC-0003", "data-poisoning", Scope::Principal, "svc:ingest").seen(100, 100);
    let actions: Vec<Action> =
        harness("{}", store.impact("INC-0003", impact)).respond(&poisoned).into_iter().map(|p| p.action).collect();
    assert!(actions.iter().all(|a| matches!(a, Action::QuarantineModel(_))), "{actions:?}");
    assert_eq!(actions.len(), 2);
}
