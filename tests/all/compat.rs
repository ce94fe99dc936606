//! The host keeps loading plugins built against earlier versions of the contract —
//! detectors of `aiir:plugin@0.1.0` and `@0.2.0` (before the `state` interface) and of
//! `@0.3.0` (before `packed-detector`, so sent the `event` record), a
//! responder of `@0.2.1` (before lineage) — and says which version a plugin was built for.

use crate::support::{aiir, aiir_run, guest, root, store_json, store_ok, temp_file};

/// A log whose one event holds the canaries of the legacy detectors.
const LOG: &str = concat!(
    r#"{"id": "evt-1", "time": "2026-11-27T13:00:00Z", "source": "api", "payload": {"inference": "#,
    r#"{"input": [{"role": "user", "content": "a v0.1-canary, a v0.2-canary and a v0.3-canary here"}], "output": []}}}"#,
    "\n"
);

/// The legacy detector `guest`, built against `contract`, runs, reports and logs.
fn runs_and_reports(guest_name: &str, contract: &str) {
    let wasm = guest(guest_name);
    let config = format!("[[detector]]\nname = \"legacy\"\nwasm = {:?}\n", wasm.to_str().unwrap());
    let (dir, path) = temp_file("aiir.toml", config.as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let run = aiir_run(&["-v", "--config", path.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // It writes `<guest>/canary`; the host binds the rule to the configured name.
    assert_eq!(run.event_rules(), [("evt-1".to_owned(), "legacy/canary".to_owned())]);
    // Its `log` went through that version's `host` import.
    assert!(run.stderr.contains(&format!("configured against aiir:plugin@{contract}")), "{}", run.stderr);
}

#[test]
fn a_detector_built_against_0_1_0_runs_and_reports() {
    runs_and_reports("detector-v0-1", "0.1.0");
}

#[test]
fn a_detector_built_against_0_2_0_runs_and_reports() {
    runs_and_reports("detector-v0-2", "0.2.0");
}

#[test]
fn a_detector_built_against_0_3_0_runs_and_reports() {
    runs_and_reports("detector-v0-3", "0.3.0");
}

#[test]
fn inspect_names_the_version_a_plugin_was_built_for() {
    let wasm = guest("detector-v0-1");
    let run = aiir(&root(), &["inspect", "--no-cache", wasm.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in ["world      aiir:plugin/detector@0.1.0", "aiir:plugin/host@0.1.0", "aiir:plugin/types@0.1.0"] {
        assert!(run.stdout.contains(expected), "lacks {expected:?}:\n{}", run.stdout);
    }
}

/// A responder built against 0.2.1 (before lineage) is asked about the demo's
/// incidents through that version's `response` imports, and its proposals are
/// recorded like any other's.
#[test]
fn a_responder_built_against_0_2_1_answers_incidents() {
    let wasm = guest("responder-v0-2");
    let config = format!(
        "[[detector]]\nname = \"prompt-injection\"\n\n[[responder]]\nname = \"legacy\"\nwasm = {:?}\nmode = \"dry-run\"\n",
        wasm.to_str().unwrap()
    );
    let (dir, path) = temp_file("aiir.toml", config.as_bytes());
    let db = dir.path().join("aiir.db");
    let demo = root().join("examples/logs/demo.jsonl");
    let run =
        aiir_run(&["-v", "--config", path.to_str().unwrap(), "--store", db.to_str().unwrap(), demo.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("configured against aiir:plugin@0.2.1"), "{}", run.stderr);
    let list = store_json(db.to_str().unwrap(), "incidents", &["list", "--json"]);
    let id = list[0]["id"].as_str().unwrap();
    let show = store_ok(db.to_str().unwrap(), "incidents", &["show", id]);
    assert!(show.contains("legacy") && show.contains("0.2.1: ") && show.contains("dry-run"), "{show}");
}
