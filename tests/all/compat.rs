//! The host keeps loading detectors built against the previous minor version of the
//! contract, `aiir:plugin@0.1.0`, and says which version a plugin was built for.

use crate::support::{aiir, aiir_run, guest, root, temp_file};

const LOG: &str = concat!(
    r#"{"id": "evt-1", "time": "2026-11-27T13:00:00Z", "source": "api", "payload": {"inference": "#,
    r#"{"input": [{"role": "user", "content": "a v0.1-canary here"}], "output": []}}}"#,
    "\n"
);

#[test]
fn a_detector_built_against_0_1_0_runs_and_reports() {
    let wasm = guest("detector-v0-1");
    let config = format!("[[detector]]\nname = \"legacy\"\nwasm = {:?}\n", wasm.to_str().unwrap());
    let (dir, path) = temp_file("aiir.toml", config.as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let run = aiir_run(&["-v", "--config", path.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // It writes `detector-v0-1/canary`; the host binds the rule to the configured name.
    assert_eq!(run.event_rules(), [("evt-1".to_owned(), "legacy/canary".to_owned())]);
    // Its `log` went through the 0.1.0 `host` import.
    assert!(run.stderr.contains("configured against aiir:plugin@0.1.0"), "{}", run.stderr);
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
