//! The store on real SQLite files in temporary directories.

use super::*;
use crate::correlate::{Correlation, Family, Scope};
use crate::runtime::{Event, Evidence, Finding, ModelLifecycle, ModelRef, Payload, Severity};
use tempfile::TempDir;

const MIN: u64 = 60 * 1_000_000_000;

fn store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("aiir.db")).unwrap();
    (dir, store)
}

fn reopen(dir: &TempDir) -> Store {
    Store::open(&dir.path().join("aiir.db")).unwrap()
}

fn event(id: &str, minute: u64, session: &str) -> Event {
    Event {
        id: id.into(),
        time_unix_nano: minute * MIN,
        source: "api".into(),
        model: Some(ModelRef { name: "m".into(), version: Some("1".into()), digest: None }),
        principal: Some("p".into()),
        session: Some(session.into()),
        payload: Payload::Custom(crate::runtime::Custom { kind: "x".into(), data: "{}".into() }),
        attributes: Vec::new(),
    }
}

/// A finding of the standard detector its rule names, in that detector's family.
fn finding(rule: &str, severity: Severity) -> PluginFinding {
    let plugin = rule.split('/').next().unwrap();
    PluginFinding {
        plugin: plugin.into(),
        family: crate::role::Role::of_pack(plugin).map_or_else(|| crate::correlate::host_family(rule), |r| r.family),
        finding: Finding {
            rule: rule.into(),
            title: format!("{rule} fired"),
            severity,
            confidence: 0.5,
            techniques: vec!["AML.T0051.000".into(), "LLM01".into()],
            evidence: vec![Evidence { field: "payload".into(), excerpt: "ignore all".into() }],
        },
    }
}

/// One injection finding per event, each event one minute after the last.
fn batch(events: &[(&str, u64, &str)]) -> Batch {
    let observations = events
        .iter()
        .map(|&(id, minute, session)| Observation {
            event: event(id, minute, session),
            findings: vec![finding("prompt-injection/direct", Severity::Medium)],
        })
        .collect();
    Batch { observations, ..Batch::default() }
}

fn ingest(store: &mut Store, b: &Batch) -> Ingested {
    store.ingest(b, &Correlation::default(), 1_000 * MIN).unwrap()
}

#[test]
fn a_new_file_gets_the_whole_schema_and_keeps_data_when_reopened() {
    let (dir, mut s) = store();
    assert_eq!(schema::version(&s.conn).unwrap(), SCHEMA_VERSION);
    let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let mut b = batch(&[("e1", 1, "s1")]);
    b.checkpoint = Some(Checkpoint { source: "a.log".into(), file: "1:2".into(), byte_offset: 10, line_number: 1 });
    ingest(&mut s, &b);
    drop(s);
    let s = reopen(&dir);
    assert_eq!(s.incidents(Filter::All).unwrap().len(), 1);
    assert_eq!(s.checkpoint("a.log").unwrap(), b.checkpoint);
    assert_eq!(s.checkpoint("b.log").unwrap(), None);
}

#[test]
fn a_file_of_a_newer_schema_is_refused_by_name() {
    let (dir, s) = store();
    s.conn.execute("INSERT INTO schema_migrations VALUES (?1, 0)", [SCHEMA_VERSION + 1]).unwrap();
    drop(s);
    let path = dir.path().join("aiir.db");
    let message = Store::open(&path).unwrap_err().to_string();
    let expected =
        format!("{} has schema version {}, newer than the {SCHEMA_VERSION}", path.display(), SCHEMA_VERSION + 1);
    assert!(message.contains(&expected), "{message}");
}

#[test]
fn ingesting_twice_stores_each_finding_and_incident_once() {
    let (dir, mut s) = store();
    let b = batch(&[("e1", 1, "s1"), ("e2", 2, "s1")]);
    let first = ingest(&mut s, &b);
    assert_eq!(first.new.len(), 2);
    assert_eq!(first.opened, ["INC-0001"]);
    assert!(first.grown.is_empty());
    drop(s);
    let mut s = reopen(&dir);
    assert_eq!(ingest(&mut s, &b), Ingested::default());
    let incidents = s.incidents(Filter::All).unwrap();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].finding_count, 2);
    let findings = s.incident_findings("INC-0001", 10).unwrap();
    assert_eq!(findings.iter().map(|f| f.event_id.as_str()).collect::<Vec<_>>(), ["e1", "e2"]);
    let (stored, given) = (&findings[0].finding, &b.observations[0].findings[0].finding);
    assert_eq!((&stored.rule, &stored.title, stored.severity), (&given.rule, &given.title, given.severity));
    assert_eq!((stored.confidence, &stored.techniques), (given.confidence, &given.techniques));
    assert_eq!((stored.evidence[0].field.as_str(), stored.evidence[0].excerpt.as_str()), ("payload", "ignore all"));
    assert_eq!(findings[0].principal.as_deref(), Some("p"));
}

#[test]
fn incidents_are_split_by_window_and_group_and_grow_within_them() {
    let (_dir, mut s) = store();
    let out = ingest(&mut s, &batch(&[("e1", 0, "s1"), ("e2", 50, "s1"), ("e3", 100, "s1"), ("e4", 500, "s1")]));
    assert_eq!(out.opened, ["INC-0001", "INC-0002"], "e1..e3 are each within an hour of the last");
    let out = ingest(&mut s, &batch(&[("e5", 510, "s1"), ("e6", 510, "s2")]));
    assert_eq!((out.opened, out.grown), (vec!["INC-0003".to_owned()], vec!["INC-0002".to_owned()]));
    let first = s.incident("INC-0001").unwrap().unwrap();
    assert_eq!((first.first_seen, first.last_seen, first.finding_count), (0, 100 * MIN, 3));
    assert_eq!((first.family, first.scope, first.key.as_str()), (Family::PromptInjection, Scope::Session, "s1"));
    assert_eq!(first.title, "prompt-injection in session s1");
    assert_eq!(first.opened_at, 1_000 * MIN);
    let detail = s.incident_detail("INC-0001").unwrap().unwrap();
    assert_eq!(detail.techniques, ["AML.T0051.000", "LLM01"]);
    assert_eq!((detail.principals, detail.sessions), (vec!["p".to_owned()], vec!["s1".to_owned()]));
    assert_eq!(detail.rules, ["prompt-injection/direct"]);
    assert_eq!(s.needs_response().unwrap(), ["INC-0001", "INC-0002", "INC-0003"]);
    s.mark_responded(&[("INC-0001".into(), 3)]).unwrap();
    assert_eq!(s.needs_response().unwrap(), ["INC-0002", "INC-0003"]);
}

#[test]
fn repetition_escalates_with_an_audit_row() {
    let (_dir, mut s) = store();
    ingest(&mut s, &batch(&[("e1", 1, "s"), ("e2", 2, "s")]));
    assert_eq!(s.incident("INC-0001").unwrap().unwrap().severity, Severity::Medium);
    ingest(&mut s, &batch(&[("e3", 3, "s")]));
    assert_eq!(s.incident("INC-0001").unwrap().unwrap().severity, Severity::High);
    let what: Vec<String> = s.audit(Some("INC-0001")).unwrap().into_iter().map(|a| a.what).collect();
    assert_eq!(what, ["opened", "escalated"]);
}

#[test]
fn the_audit_log_refuses_updates_and_deletes() {
    let (_dir, mut s) = store();
    ingest(&mut s, &batch(&[("e1", 1, "s")]));
    for sql in ["UPDATE audit SET actor = 'x'", "DELETE FROM audit"] {
        let error = s.conn.execute(sql, []).unwrap_err().to_string();
        assert!(error.contains("the audit log is append-only"), "{error}");
    }
    assert_eq!(s.audit(None).unwrap().len(), 1);
}

#[test]
fn a_transaction_dropped_before_commit_leaves_nothing() {
    let (dir, mut s) = store();
    let tx = s.write().unwrap();
    let out = ingest::ingest_in(&tx, &batch(&[("e1", 1, "s")]), &Correlation::default(), 0).unwrap();
    assert_eq!(out.opened, ["INC-0001"]);
    drop(tx);
    drop(s);
    let s = reopen(&dir);
    assert!(s.incidents(Filter::All).unwrap().is_empty());
    assert!(s.audit(None).unwrap().is_empty());
    let events: i64 = s.conn.query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0)).unwrap();
    assert_eq!(events, 0);
}

#[test]
fn states_only_move_forward_each_step_audited() {
    let (_dir, mut s) = store();
    ingest(&mut s, &batch(&[("e1", 1, "s")]));
    s.transition("INC-0001", State::Contained, "alice", "blocked p").unwrap();
    let back = s.transition("INC-0001", State::Open, "alice", "oops").unwrap_err();
    assert!(matches!(back, StoreError::Transition { from: State::Contained, to: State::Open, .. }), "{back}");
    s.transition("INC-0001", State::Closed, "alice", "done").unwrap();
    assert!(s.transition("INC-0001", State::Closed, "alice", "again").is_err());
    assert!(matches!(s.transition("INC-9", State::Closed, "a", "").unwrap_err(), StoreError::NoIncident(_)));
    assert!(s.incidents(Filter::Active).unwrap().is_empty());
    assert_eq!(s.incidents(Filter::In(State::Closed)).unwrap().len(), 1);
    let timeline = s.timeline("INC-0001").unwrap();
    let kinds: Vec<String> = timeline
        .iter()
        .map(|e| match &e.item {
            TimelineItem::Finding(f) => f.finding.rule.clone(),
            TimelineItem::Audit(a) => format!("{} {}", a.what, a.detail["to"].as_str().unwrap_or("")),
            TimelineItem::Related(f) => format!("related {}", f.finding.rule),
        })
        .collect();
    assert_eq!(kinds, ["prompt-injection/direct", "opened ", "state contained", "state closed"]);
    // A closed incident takes no more findings: the next one opens another.
    let out = ingest(&mut s, &batch(&[("e2", 2, "s")]));
    assert_eq!(out.opened, ["INC-0002"]);
}

#[test]
fn actions_are_proposed_once_and_their_outcome_audited() {
    let (_dir, mut s) = store();
    ingest(&mut s, &batch(&[("e1", 1, "s")]));
    let action = NewAction {
        incident_id: "INC-0001".into(),
        responder: "contain".into(),
        kind: ActionKind::BlockPrincipal,
        target: "p".into(),
        payload: serde_json::json!({}),
        reason: "repeated injection".into(),
        mode: Mode::Approve,
    };
    let id = s.propose(&action, ActionStatus::Pending).unwrap().unwrap();
    assert_eq!(s.propose(&action, ActionStatus::Pending).unwrap(), None);
    s.set_action_status(id, ActionStatus::Executed, "bob", Some("blocked")).unwrap();
    let stored = s.action(id).unwrap().unwrap();
    assert_eq!((stored.status, stored.decided_by.as_deref()), (ActionStatus::Executed, Some("bob")));
    assert_eq!(stored.action, action);
    assert_eq!(s.actions("INC-0001").unwrap().len(), 1);
    let what: Vec<String> = s.audit(Some("INC-0001")).unwrap().into_iter().map(|a| a.what).collect();
    assert_eq!(what, ["opened", "action-proposed", "action-status"]);
    assert!(matches!(s.set_action_status(99, ActionStatus::Failed, "x", None), Err(StoreError::NoAction(99))));
}

fn lifecycle(id: &str, minute: u64, action: &str, version: &str) -> Event {
    lifecycle_of(id, minute, action, version, Some(&format!("sha256:{version}")))
}

fn lifecycle_of(id: &str, minute: u64, action: &str, version: &str, digest: Option<&str>) -> Event {
    let model = ModelRef { name: "m".into(), version: Some(version.into()), digest: digest.map(str::to_owned) };
    Event {
        payload: Payload::ModelLifecycle(ModelLifecycle { action: action.into(), model, registry: None }),
        ..event(id, minute, "s")
    }
}

/// The artifact `lifecycle` deploys for a version.
fn artifact(version: &str) -> Artifact {
    Artifact { version: version.into(), digest: Some(format!("sha256:{version}")) }
}

#[test]
fn rollback_picks_the_newest_known_good_version_before_the_incident() {
    let (_dir, mut s) = store();
    for (i, v) in ["1.0", "1.1", "1.2", "2.0"].iter().enumerate() {
        let moved = s.observe_lifecycle(&lifecycle(&format!("l{i}"), i as u64 * 10, "deployed", v)).unwrap();
        assert_eq!(moved.map(|m| m.to.version).as_deref(), Some(*v));
    }
    for v in ["1.0", "1.1", "1.2"] {
        s.mark_known_good("m", v, None, "alice").unwrap();
    }
    assert!(!s.quarantine("m", "1.2", None, None, "alice").unwrap().is_empty());
    assert!(s.quarantine("m", "1.2", None, None, "alice").unwrap().is_empty());
    // The incident began at minute 15: 1.2 (quarantined) and 2.0 (later) are out.
    let moved = s.rollback("m", 15 * MIN, &[], "rollback", None).unwrap().unwrap();
    assert_eq!(moved, AliasMove { from: Some(artifact("2.0")), to: artifact("1.1") });
    assert_eq!(s.serving("m").unwrap(), Some(artifact("1.1")));
    assert_eq!(s.rollback("m", 0, &[], "rollback", None).unwrap(), None, "nothing known-good that early");
    let history = s.alias_history("m").unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[0].actor, "log:l0");
    assert_eq!(history[4].actor, "rollback");
    let versions = s.versions("m").unwrap();
    assert!(versions[1].serving && versions[1].known_good && versions[2].quarantined);
    assert_eq!(versions[3].digest.as_deref(), Some("sha256:2.0"));
    assert!(matches!(s.mark_known_good("m", "9", None, "a"), Err(StoreError::NoVersion { .. })));
    assert!(s.is_quarantined("m", "1.2", Some("sha256:1.2")).unwrap());
    assert!(!s.is_quarantined("m", "1.1", Some("sha256:1.1")).unwrap());
    assert_eq!(s.models().unwrap(), [ModelRow { name: "m".into(), serving: Some(artifact("1.1")) }]);
    assert_eq!(s.quarantined().unwrap(), [("m".to_owned(), "1.2".to_owned(), Some("sha256:1.2".to_owned()))]);
}

#[test]
fn a_reread_lifecycle_event_or_a_quarantined_version_does_not_move_the_alias() {
    let (_dir, mut s) = store();
    s.observe_lifecycle(&lifecycle("l1", 1, "deployed", "1.0")).unwrap();
    let tampered = lifecycle("l2", 2, "deployed", "1.1");
    s.observe_lifecycle(&tampered).unwrap();
    s.mark_known_good("m", "1.0", None, "alice").unwrap();
    s.atomically(|t| {
        t.rollback("m", 2 * MIN, &[], "rollback", None)?;
        t.quarantine("m", "1.1", None, None, "rollback")
    })
    .unwrap();
    assert_eq!(s.observe_lifecycle(&tampered).unwrap(), None);
    assert_eq!(s.observe_lifecycle(&lifecycle("l3", 3, "loaded", "1.1")).unwrap(), None);
    assert_eq!(s.serving("m").unwrap(), Some(artifact("1.0")));
    assert!(s.audit(None).unwrap().iter().any(|a| a.what == "alias-refused"));
    assert_eq!(s.observe_lifecycle(&event("e", 4, "s")).unwrap(), None, "not a lifecycle event");
}

#[test]
fn blocking_is_recorded_once() {
    let (_dir, mut s) = store();
    assert!(!s.is_blocked("p").unwrap());
    assert!(s.block("p", None, "contain").unwrap());
    assert!(!s.block("p", None, "contain").unwrap());
    assert!(s.is_blocked("p").unwrap());
    assert_eq!(s.blocked().unwrap(), ["p"]);
    assert_eq!(s.audit(None).unwrap().len(), 1);
}

#[test]
fn an_artifact_swapped_under_the_same_label_is_a_row_of_its_own() {
    let (_dir, mut s) = store();
    let (good, tampered) = (Some("sha256:97d5"), Some("sha256:3638"));
    let good_artifact = Artifact { version: "2.3.1".into(), digest: good.map(str::to_owned) };
    let tampered_artifact = Artifact { version: "2.3.1".into(), digest: tampered.map(str::to_owned) };
    s.observe_lifecycle(&lifecycle_of("evt-0002", 0, "loaded", "2.3.1", good)).unwrap();
    s.mark_known_good("m", "2.3.1", None, "alice").unwrap();
    let swap = s.observe_lifecycle(&lifecycle_of("evt-0050", 185, "deployed", "2.3.1", tampered)).unwrap();
    assert_eq!(swap, Some(AliasMove { from: Some(good_artifact.clone()), to: tampered_artifact.clone() }));
    assert_eq!(s.versions("m").unwrap().len(), 2, "the same label, two artifacts");
    let ambiguous = s.mark_known_good("m", "2.3.1", None, "alice").unwrap_err();
    assert!(matches!(ambiguous, StoreError::Ambiguous { ref digests, .. } if digests.len() == 2), "{ambiguous}");

    // Containment: back to the good artifact, the tampered one quarantined, by digest only.
    let back = s.rollback("m", 185 * MIN, &[], "rollback", None).unwrap();
    assert_eq!(back, Some(AliasMove { from: Some(tampered_artifact.clone()), to: good_artifact.clone() }));
    assert!(!s.quarantine("m", "2.3.1", tampered, None, "contain").unwrap().is_empty());
    let [first, second] = &s.versions("m").unwrap()[..] else { panic!("two rows") };
    assert_eq!(
        (first.digest.as_deref(), first.known_good, first.quarantined, first.serving),
        (good, true, false, true)
    );
    assert_eq!((second.digest.as_deref(), second.known_good, second.quarantined), (tampered, false, true));
    assert!(s.is_quarantined("m", "2.3.1", tampered).unwrap() && !s.is_quarantined("m", "2.3.1", good).unwrap());
    assert_eq!(s.quarantined().unwrap(), [("m".to_owned(), "2.3.1".to_owned(), tampered.map(str::to_owned))]);
    let history = s.alias_history("m").unwrap();
    let moves: Vec<_> = history.iter().map(|h| (h.moved.from.clone(), h.moved.to.clone())).collect();
    assert_eq!(
        moves,
        [
            (None, good_artifact.clone()),
            (Some(good_artifact.clone()), tampered_artifact.clone()),
            (Some(tampered_artifact), good_artifact.clone())
        ]
    );
    // The tampered artifact deployed again is refused; the good one is still the alias.
    assert_eq!(s.observe_lifecycle(&lifecycle_of("evt-9", 200, "deployed", "2.3.1", tampered)).unwrap(), None);
    assert_eq!(s.serving("m").unwrap(), Some(good_artifact));
}

#[test]
fn a_digest_learned_later_fills_in_the_unknown_one() {
    let (_dir, mut s) = store();
    s.observe_lifecycle(&lifecycle_of("l1", 1, "deployed", "1.0", None)).unwrap();
    assert_eq!(s.serving("m").unwrap(), Some(Artifact { version: "1.0".into(), digest: None }));
    assert!(!s.register_version("m", "1.0", Some("sha256:a"), 2 * MIN, "alice").unwrap());
    assert_eq!(s.serving("m").unwrap(), Some(Artifact { version: "1.0".into(), digest: Some("sha256:a".into()) }));
    assert!(s.register_version("m", "1.0", Some("sha256:b"), 3 * MIN, "alice").unwrap(), "another artifact");
    assert!(!s.register_version("m", "1.0", None, 4 * MIN, "alice").unwrap());
    let digests: Vec<_> = s.versions("m").unwrap().into_iter().map(|v| v.digest).collect();
    assert_eq!(digests, [Some("sha256:a".to_owned()), Some("sha256:b".to_owned())]);
    assert!(matches!(
        s.mark_known_good("m", "1.0", Some("sha256:c"), "alice"),
        Err(StoreError::NoVersion { digest: Some(_), .. })
    ));
    // Without a digest (an empty one is none), quarantine takes every artifact of the
    // label, and says which.
    let taken = s.quarantine("m", "1.0", Some(""), None, "alice").unwrap();
    let digests: Vec<_> = taken.into_iter().map(|a| a.digest).collect();
    assert_eq!(digests, [Some("sha256:a".to_owned()), Some("sha256:b".to_owned())]);
    assert_eq!(s.quarantined().unwrap().len(), 2);
    assert!(!s.is_quarantined("m", "1.0", None).unwrap(), "no row of an unknown digest");
}

#[test]
fn rollback_never_targets_the_serving_artifact_or_the_incidents_own() {
    let (_dir, mut s) = store();
    for (i, v) in ["1.0", "1.1"].iter().enumerate() {
        s.observe_lifecycle(&lifecycle(&format!("l{i}"), i as u64 * 10, "deployed", v)).unwrap();
        s.mark_known_good("m", v, None, "alice").unwrap();
    }
    // 1.1 serves and is the newest known-good: the rollback goes past it.
    let moved = s.rollback("m", 15 * MIN, &[], "rollback", None).unwrap().unwrap();
    assert_eq!(moved.to, artifact("1.0"));
    // Now 1.0 serves and the incident is about 1.1 (named by its label alone, so
    // every artifact of it): nothing would move, and nothing is recorded.
    let own = [Artifact { version: "1.1".into(), digest: None }];
    assert_eq!(s.rollback("m", 15 * MIN, &own, "rollback", None).unwrap(), None);
    assert_eq!(s.serving("m").unwrap(), Some(artifact("1.0")));
    assert_eq!(s.alias_history("m").unwrap().len(), 3);
    // Named by another digest of the label, 1.1 is a target again.
    let other = [Artifact { version: "1.1".into(), digest: Some("sha256:other".into()) }];
    assert_eq!(s.rollback("m", 15 * MIN, &other, "rollback", None).unwrap().unwrap().to, artifact("1.1"));
}

/// An injected mail and the transfer it caused open two incidents of one session (an
/// injection's and a tool's); each one's timeline shows the other's finding as related,
/// in time order, and another session's findings never.
#[test]
fn a_sessions_incidents_show_each_others_findings_as_related() {
    let (_dir, mut s) = store();
    let observe = |id: &str, minute: u64, session: &str, rule: &str| Observation {
        event: event(id, minute, session),
        findings: vec![finding(rule, Severity::High)],
    };
    let b = Batch {
        observations: vec![
            observe("mail", 1, "agent", "indirect-injection/instructions"),
            observe("pay", 2, "agent", "tool-abuse/tainted-action"),
            observe("elsewhere", 3, "other", "indirect-injection/instructions"),
        ],
        ..Batch::default()
    };
    let out = ingest(&mut s, &b);
    assert_eq!(out.opened.len(), 3, "{out:?}");
    let incident_of = |event: &str| {
        let all = s.incidents(Filter::All).unwrap();
        let found =
            all.into_iter().find(|i| s.incident_findings(&i.id, 10).unwrap().iter().any(|f| f.event_id == event));
        found.unwrap().id
    };
    let (injection, action) = (incident_of("mail"), incident_of("pay"));
    let related = |id: &str| -> Vec<(String, Option<String>)> {
        let entries = s.timeline(id).unwrap().into_iter();
        entries
            .filter_map(|e| match e.item {
                TimelineItem::Related(f) => Some((f.event_id, f.incident_id)),
                _ => None,
            })
            .collect()
    };
    assert_eq!(related(&action), [("mail".to_owned(), Some(injection.clone()))]);
    assert_eq!(related(&injection), [("pay".to_owned(), Some(action.clone()))]);
    let evidence = s.related_findings(&action).unwrap();
    assert_eq!(evidence[0].finding.evidence.len(), 1, "related findings keep their evidence");
}
