//! The demo log tells its story in exactly these findings (see examples/logs/EXPECTED.md).

use crate::support::{aiir_run, demo_findings, temp_file};
use serde_json::json;

const DEMO: &str = "examples/logs/demo.jsonl";

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

fn finding(run: &crate::support::Run, event: &str, rule: &str) -> serde_json::Value {
    let found = run.findings().into_iter().find(|f| f["event"] == event && f["rule"] == rule);
    found.unwrap_or_else(|| panic!("no {rule} on {event}:\n{}", run.stdout))
}

#[test]
fn default_pack_tells_the_story_of_expected_md() {
    let run = aiir_run(&[DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = demo_findings();
    assert!(expected.len() >= 10, "the story covers every detector: {expected:?}");
    assert_eq!(sorted(run.event_rules()), expected, "exactly the findings of EXPECTED.md");
    let summary = format!("events read, 0 lines rejected, {} findings", expected.len());
    assert!(run.stderr.contains(&summary), "{}", run.stderr);

    let swap = finding(&run, "evt-0050", "model-integrity/digest-changed");
    assert_eq!(
        (&swap["plugin"], &swap["plugin_version"], &swap["severity"]),
        (&json!("model-integrity"), &json!("0.1.0"), &json!("critical"))
    );
    assert_eq!(swap["evidence"][0]["field"], "payload.model_lifecycle.model.digest");
    let injection = finding(&run, "evt-0024", "indirect-injection/instructions");
    assert_eq!(injection["evidence"][0]["field"], "payload.inference.retrieved[0].content");
    // Indirect injection first; the payload's aim (here exfiltration) may add more.
    let techniques = injection["techniques"].as_array().unwrap();
    assert_eq!(techniques[..2], [json!("AML.T0051.001"), json!("LLM01")]);
}

#[test]
fn an_allow_list_also_flags_the_unknown_digest() {
    let run = aiir_run(&["--config", "examples/aiir.toml", DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = demo_findings();
    expected.push(("evt-0050".into(), "model-integrity/unknown-digest".into()));
    assert_eq!(sorted(run.event_rules()), sorted(expected));
}

#[test]
fn stdin_and_output_file_work_like_paths_and_stdout() {
    let (dir, _) = temp_file("unused", b"");
    let out = dir.path().join("findings.jsonl");
    let demo = std::fs::read(crate::support::root().join(DEMO)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aiir"))
        .current_dir(crate::support::root())
        .args([
            "run",
            "--no-store",
            "--cache-dir",
            crate::support::shared_cache().to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(&demo).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "findings went to the file, not stdout");
    let by_file = aiir_run(&[DEMO]).stdout;
    assert_eq!(std::fs::read_to_string(&out).unwrap(), by_file);
}
