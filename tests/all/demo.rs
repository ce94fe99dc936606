//! The demo log tells its story in exactly these findings (see examples/logs/EXPECTED.md).

use crate::support::{aiir_run, temp_file};
use serde_json::json;

const DEMO: &str = "examples/logs/demo.jsonl";

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(e, r)| (e.to_string(), r.to_string())).collect()
}

#[test]
fn default_pack_finds_the_injections_and_the_swap() {
    let run = aiir_run(&[DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        ("evt-0024", "prompt-injection/indirect"),
        ("evt-0038", "prompt-injection/direct"),
        ("evt-0050", "model-integrity/digest-changed"),
    ];
    assert_eq!(run.event_rules(), pairs(&expected));
    assert!(
        run.stderr.contains("68 events read, 0 lines rejected, 3 findings (critical 1, high 1, medium 1)"),
        "{}",
        run.stderr
    );

    let swap = &run.findings()[2];
    assert_eq!(swap["plugin"], "model-integrity");
    assert_eq!(swap["plugin_version"], "0.1.0");
    assert_eq!(swap["severity"], "critical");
    assert_eq!(swap["evidence"][0]["field"], "payload.model_lifecycle.model.digest");
    let injection = &run.findings()[0];
    assert_eq!(injection["evidence"][0]["field"], "payload.inference.retrieved[0].content");
    // Indirect injection first; the payload's aim (here exfiltration) may add more.
    let techniques = injection["techniques"].as_array().unwrap();
    assert_eq!(techniques[..2], [json!("AML.T0051.001"), json!("LLM01")]);
}

#[test]
fn an_allow_list_also_flags_the_unknown_digest() {
    let run = aiir_run(&["--config", "examples/aiir.toml", DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        ("evt-0024", "prompt-injection/indirect"),
        ("evt-0038", "prompt-injection/direct"),
        ("evt-0050", "model-integrity/unknown-digest"),
        ("evt-0050", "model-integrity/digest-changed"),
    ];
    assert_eq!(run.event_rules(), pairs(&expected));
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
