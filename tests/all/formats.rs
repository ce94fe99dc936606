//! `aiir run --format otel-json|openai`: the other log formats reach the detectors, and a
//! malformed line is named while the rest flows.

use crate::support::{aiir_run, root, temp_file, test_python};
use std::process::Command;

fn fixture(name: &str) -> String {
    root().join("tests/fixtures").join(name).display().to_string()
}

/// A fixture with a malformed line put in front of its last line.
fn with_bad_line(name: &str, bad: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(lines.len() - 1, bad);
    temp_file(name, lines.join("\n").as_bytes())
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(e, r)| (e.to_string(), r.to_string())).collect()
}

#[test]
fn otel_genai_spans_are_inspected_and_other_spans_skipped() {
    let run = aiir_run(&["--format", "otel-json", &fixture("otel-genai.jsonl")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        ("5fb397be34d26b51", "prompt-injection/direct"),
        ("5fb397be34d26b51", "system-prompt-leak/extraction-request"),
        ("a3c9e1f07b2d4e65", "tool-abuse/injection"),
    ];
    assert_eq!(run.event_rules(), pairs(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("3 events read, 0 lines rejected, 1 span skipped (not GenAI)"), "{}", run.stderr);
    let direct = &run.findings()[0];
    assert_eq!(direct["source"], "support-api");
    assert_eq!(direct["model"]["name"], "gpt-4o-2024-08-06");
    assert_eq!(direct["principal"], "user:mallory");
    assert_eq!(direct["session"], "conv-7d1");
    assert_eq!(direct["time"], "2026-11-27T14:00:00Z");
    assert_eq!(direct["evidence"][0]["field"], "payload.inference.input[1].content");
}

#[test]
fn openai_logs_are_one_inference_and_their_tool_calls() {
    let run = aiir_run(&["--format", "openai", &fixture("openai.jsonl")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        ("chatcmpl-log-0001", "prompt-injection/direct"),
        ("chatcmpl-log-0001", "system-prompt-leak/extraction-request"),
    ];
    assert_eq!(run.event_rules(), pairs(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("3 events read, 0 lines rejected, "), "{}", run.stderr);
    let direct = &run.findings()[0];
    assert_eq!(direct["source"], "openai");
    assert_eq!(direct["model"]["name"], "gpt-4o-mini-2024-07-18");
    assert_eq!(direct["principal"], "user:mallory");
}

#[test]
fn openai_tool_calls_reach_tool_detectors_under_their_own_ids() {
    let line = r#"{"created":1795788900,"request":{"model":"m","messages":[{"role":"user","content":"clean up"}]},"response":{"id":"r1","choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"function":{"name":"shell","arguments":"{\"command\":\"rm -rf /\"}"}}]}}]}}"#;
    let (_dir, path) = temp_file("tool.jsonl", line.as_bytes());
    let run = aiir_run(&["--format", "openai", path.to_str().unwrap()]);
    let found = run.event_rules();
    assert!(
        !found.is_empty() && found.iter().all(|(e, r)| e == "r1/tool/0" && r.starts_with("tool-abuse/")),
        "{found:?}"
    );
}

#[test]
fn a_malformed_line_is_named_and_the_rest_flows() {
    for (format, name, bad, expected, rule) in [
        (
            "otel-json",
            "otel-genai.jsonl",
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}]}]}]}"#,
            "missing field `spanId`",
            "prompt-injection/direct",
        ),
        ("openai", "openai.jsonl", "{not json", "invalid JSON", "prompt-injection/direct"),
    ] {
        let (_dir, path) = with_bad_line(name, bad);
        let run = aiir_run(&["--format", format, path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let at = format!("{}:2: invalid ", path.display());
        assert!(
            run.stderr.contains(&at) && run.stderr.contains(expected),
            "stderr lacks {at}…{expected}:\n{}",
            run.stderr
        );
        assert!(run.stderr.contains("3 events read, 1 lines rejected"), "{}", run.stderr);
        assert!(run.event_rules().iter().any(|(_, r)| r == rule), "{}", run.stdout);
    }
}

#[test]
fn the_default_format_is_aiir() {
    let run = aiir_run(&[&fixture("openai.jsonl")]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("openai.jsonl:1: invalid event: unknown field `created`"), "{}", run.stderr);
}

/// What the official `openai` client writes (tests/otel/openai_logs.py drives it
/// against a fake server on loopback): two turns as `{request, response.model_dump()}`,
/// the second with the first answer's `message.model_dump()` in its history, then
/// `response.model_dump_json()` alone. Every optional list is `null` there.
#[test]
fn what_the_official_openai_client_writes_is_read() {
    let out = Command::new(test_python()).arg(root().join("tests/otel/openai_logs.py")).output().unwrap();
    assert!(out.status.success(), "openai_logs.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let (_dir, log) = temp_file("openai.jsonl", &out.stdout);
    let run = aiir_run(&["--format", "openai", "--no-store", log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("aiir: 4 events read, 0 lines rejected"), "{}", run.stderr);
    let expected = [
        ("chatcmpl-1", "prompt-injection/direct"),
        ("chatcmpl-1/tool/0", "tool-abuse/dangerous-tool"),
        ("chatcmpl-1/tool/0", "tool-abuse/destructive-command"),
        ("chatcmpl-2", "prompt-injection/direct"),
    ];
    assert_eq!(run.event_rules(), pairs(&expected));
}
