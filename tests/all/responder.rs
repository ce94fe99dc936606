//! The responder runtime: a real responder component loaded, started and asked to
//! respond, its `response` imports served from the snapshot handed in, its limits
//! enforced, and each world refused where the other is expected.

use crate::support::guest;
use aiir_host::runtime::{
    Action, Finding, Incident, IncidentFinding, Limits, LoadError, ModelRef, ModelVersion, Reason, Responder,
    ResponseContext, Runtime, Sandbox, Scope, Setup, Severity, State,
};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
}

fn runtime(fuel: bool) -> Runtime {
    Runtime::new(Some(crate::support::shared_cache()), fuel).unwrap()
}

fn echo(runtime: &Runtime, settings: &str, limits: Limits) -> Responder {
    let wasm = std::fs::read(guest("responder-echo")).unwrap();
    let loaded = runtime.load_responder(&wasm, &Sandbox::default()).unwrap();
    let setup = Setup { name: "echo".into(), settings: settings.into(), limits, ..Setup::default() };
    block_on(loaded.start(setup)).unwrap()
}

fn model(version: &str) -> ModelRef {
    ModelRef { name: "support-assistant".into(), version: Some(version.into()), digest: None }
}

fn incident(id: &str) -> Incident {
    Incident {
        id: id.into(),
        title: "prompt injection by user:mallory".into(),
        severity: Severity::High.into(),
        state: State::Open,
        family: "prompt-injection".into(),
        scope: Scope::Principal,
        key: "user:mallory".into(),
        model: Some(model("2.3.1")),
        principals: vec!["user:mallory".into()],
        sessions: Vec::new(),
        techniques: vec!["AML.T0051".into()],
        rules: vec!["prompt-injection/direct".into()],
        finding_count: 2,
        first_seen_unix_nano: 1,
        last_seen_unix_nano: 2,
        opened_unix_nano: 3,
    }
}

fn finding(event: &str, rule: &str) -> IncidentFinding {
    IncidentFinding {
        event_id: event.into(),
        time_unix_nano: 1,
        plugin: "prompt-injection".into(),
        model: Some(model("2.3.1")),
        principal: Some("user:mallory".into()),
        session: None,
        finding: (&Finding {
            rule: rule.into(),
            title: "injection".into(),
            severity: Severity::High,
            confidence: 0.9,
            techniques: vec!["AML.T0051".into()],
            evidence: Vec::new(),
        })
            .into(),
    }
}

fn version(label: &str) -> ModelVersion {
    ModelVersion {
        model: "support-assistant".into(),
        version: label.into(),
        digest: None,
        known_good: true,
        quarantined: false,
        serving: false,
        registered_unix_nano: 0,
    }
}

fn context() -> ResponseContext {
    let findings = vec![finding("evt-1", "prompt-injection/direct"), finding("evt-2", "prompt-injection/direct")];
    let versions = BTreeMap::from([("support-assistant".to_owned(), vec![version("2.3.0"), version("2.3.1")])]);
    ResponseContext { findings, versions, impact: None }
}

#[test]
fn proposes_from_the_findings_and_versions_it_is_served() {
    let runtime = runtime(false);
    let mut responder = echo(&runtime, "{}", Limits::default());
    assert_eq!(responder.info().name, "responder-echo");
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
    let proposals = result.unwrap();
    assert_eq!(proposals.len(), 1);
    assert!(matches!(&proposals[0].action, Action::BlockPrincipal(p) if p == "user:mallory"));
    assert_eq!(proposals[0].reason, "2 findings, first prompt-injection/direct; 2 versions");
    // The snapshot is for one call: with none, the plugin sees no findings and declines.
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), ResponseContext::default()));
    let error = result.unwrap_err();
    assert_eq!((error.reason, error.detail.as_str()), (Reason::Declined, "no findings for INC-0001"));
}

#[test]
fn an_endless_loop_hits_the_deadline() {
    let runtime = runtime(false);
    let limits = Limits { timeout_ms: 200, ..Limits::default() };
    let mut responder = echo(&runtime, r#"{"attack": "loop"}"#, limits);
    let started = Instant::now();
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
    assert_eq!(result.unwrap_err().reason, Reason::Deadline);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let runtime = runtime(true);
    let limits = Limits { fuel: Some(10_000_000), timeout_ms: 10_000, ..Limits::default() };
    let mut responder = echo(&runtime, r#"{"attack": "loop"}"#, limits);
    let (result, stats) = block_on(responder.respond(&incident("INC-0001"), context()));
    assert_eq!(result.unwrap_err().reason, Reason::Fuel);
    assert!(stats.fuel.is_some_and(|f| f >= 10_000_000), "{stats:?}");
}

#[test]
fn a_flood_of_proposals_is_refused() {
    let runtime = runtime(false);
    let limits = Limits { timeout_ms: 10_000, memory_mib: 512, ..Limits::default() };
    let mut responder = echo(&runtime, r#"{"attack": "flood"}"#, limits);
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
    let error = result.unwrap_err();
    assert_eq!(error.reason, Reason::TooManyProposals, "{error}");
    assert_eq!(error.detail, "1000000 proposals, more than the cap of 20");
}

#[test]
fn a_flood_of_import_calls_is_cut_off() {
    let runtime = runtime(false);
    let limits = Limits { timeout_ms: 10_000, ..Limits::default() };
    let mut responder = echo(&runtime, r#"{"attack": "import-flood"}"#, limits);
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
    let error = result.unwrap_err();
    assert_eq!(error.reason, Reason::ImportFlood, "{error}");
    assert!(error.detail.contains("more than 1000 calls"), "{error}");
}

#[test]
fn a_proposal_of_the_wrong_shape_fails_the_call_and_an_empty_digest_is_none() {
    let runtime = runtime(false);
    let quarantine = r#"{"action": "quarantine", "model": "support-assistant", "version": "2.3.1", "digest": ""}"#;
    let mut responder = echo(&runtime, &format!(r#"{{"proposals": [{quarantine}]}}"#), Limits::default());
    let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
    let proposals = result.unwrap();
    let Action::QuarantineModel(m) = &proposals[0].action else { panic!("{proposals:?}") };
    assert_eq!((m.version.as_deref(), m.digest.as_deref()), (Some("2.3.1"), None));

    let spoof = r#"{"action": "block", "principal": "user:mallory\u001b[2J"}"#;
    let forged_kind = r#"{"action": "file-report", "kind": "../art73", "markdown": "", "json": "{}"}"#;
    for (proposal, detail) in [
        (spoof, "proposals[1].principal: control character U+001B at byte 12"),
        (forged_kind, r#"proposals[1].kind: "../art73" is not a slug: lowercase letters, digits and dashes"#),
    ] {
        let settings = format!(r#"{{"proposals": [{quarantine}, {proposal}]}}"#);
        let mut responder = echo(&runtime, &settings, Limits::default());
        let (result, _) = block_on(responder.respond(&incident("INC-0001"), context()));
        let error = result.unwrap_err();
        assert_eq!((error.reason, error.detail.as_str()), (Reason::InvalidOutput, detail));
    }
}

#[test]
fn bad_settings_are_rejected_at_start() {
    let runtime = runtime(false);
    let wasm = std::fs::read(guest("responder-echo")).unwrap();
    let loaded = runtime.load_responder(&wasm, &Sandbox::default()).unwrap();
    let setup = Setup { name: "echo".into(), settings: r#"{"attack": "nap"}"#.into(), ..Setup::default() };
    match block_on(loaded.start(setup)) {
        Err(LoadError::Settings(errors)) => assert_eq!(errors[0].message, "unknown attack `nap`"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_detector_is_refused_as_a_responder_and_a_responder_as_a_detector() {
    let runtime = runtime(false);
    let detector = std::fs::read(guest("noop")).unwrap();
    let err = runtime.load_responder(&detector, &Sandbox::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        "does not implement the aiir:plugin/responder world: it lacks the export(s) `respond` \
         (it exports: `info`, `configure`, `inspect`, `inspect-packed`: an aiir:plugin/packed-detector)"
    );
    let responder = std::fs::read(guest("responder-echo")).unwrap();
    let err = runtime.load(&responder, &Sandbox::default()).unwrap_err().to_string();
    assert_eq!(
        err,
        "does not implement the aiir:plugin/detector world: it lacks the export(s) `inspect` \
         (it exports: `info`, `configure`, `respond`: an aiir:plugin/responder)"
    );
}
