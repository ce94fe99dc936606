//! `aiir run --format otel-json|openai|anthropic`: the other log formats reach the
//! detectors, and a malformed line is named while the rest flows.

use crate::support::{Run, aiir_run, root, temp_file, test_python};
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

/// What an official client writes: the lines that tests/otel/SCRIPT (the real client
/// against a fake server on loopback) prints for `args`.
fn client_lines(script: &str, args: &[&str]) -> String {
    let out = Command::new(test_python()).arg(root().join("tests/otel").join(script)).args(args).output().unwrap();
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// `aiir run --format FORMAT` over `lines`.
fn run_lines(format: &str, lines: &str) -> (Run, String) {
    let (_dir, log) = temp_file("calls.jsonl", lines.as_bytes());
    let run = aiir_run(&["--format", format, "--no-store", log.to_str().unwrap()]);
    (run, log.display().to_string())
}

const INJECTION: &[&str] = &["prompt-injection/direct"];
/// What the `shell` tool call that pipes a download into `sudo bash` is found to be.
const TOOL_ABUSE: &[&str] = &["tool-abuse/dangerous-tool", "tool-abuse/destructive-command"];

/// (event, rule) pairs, each event with its rules.
fn found(events: &[(&str, &[&str])]) -> Vec<(String, String)> {
    events.iter().flat_map(|(e, rules)| rules.iter().map(|r| (e.to_string(), r.to_string()))).collect()
}

/// Asserts that `run` read `events` with no line rejected and found `expected`.
fn assert_found(run: &Run, events: usize, expected: Vec<(String, String)>) {
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("aiir: {events} events read, 0 lines rejected")), "{}", run.stderr);
    assert_eq!(run.event_rules(), expected);
}

/// What the official `openai` client writes (tests/otel/openai_logs.py drives it
/// against a fake server on loopback): two turns as `{request, response.model_dump()}`,
/// the second with the first answer's `message.model_dump()` in its history, then
/// `response.model_dump_json()` alone. Every optional list is `null` there.
#[test]
fn what_the_official_openai_client_writes_is_read() {
    let (run, _) = run_lines("openai", &client_lines("openai_logs.py", &["chat"]));
    let expected = found(&[("chatcmpl-1", INJECTION), ("chatcmpl-1/tool/0", TOOL_ABUSE), ("chatcmpl-2", INJECTION)]);
    assert_found(&run, 4, expected);
}

/// The same two turns through `client.responses.create`: `instructions`, item-list
/// input holding the first answer's `function_call` item and its output, float
/// `created_at`, and `model_dump_json()` of the second response alone.
#[test]
fn the_official_openai_clients_responses_calls_are_read() {
    let (run, _) = run_lines("openai", &client_lines("openai_logs.py", &["responses"]));
    assert_found(&run, 4, found(&[("resp_1", INJECTION), ("resp_1/tool/0", TOOL_ABUSE), ("resp_2", INJECTION)]));
    let first = &run.findings()[0];
    assert_eq!((&first["time"], &first["principal"]), (&"2026-11-27T13:00:01.5Z".into(), &"user:mallory".into()));
}

/// An agent's turn through the official client (`openai_logs.py agent`): the request
/// offers its tools with `tools=`, and the model pays the account that a fetched page's
/// injected note named. Only the description says that `acme_settle` moves money: with
/// it, a critical tainted action; the same turn with undescribed tools, none.
#[test]
fn the_official_openai_clients_tool_descriptions_say_what_a_call_does() {
    let (run, _) = run_lines("openai", &client_lines("openai_logs.py", &["agent"]));
    let injected: &[&str] = &["indirect-injection/instructions"];
    let caused: &[&str] = &["tool-abuse/tainted-action"];
    assert_found(&run, 4, found(&[("chatcmpl-1", injected), ("chatcmpl-1/tool/0", caused), ("chatcmpl-2", injected)]));
    let action = &run.findings()[1];
    assert_eq!(action["severity"], "critical", "{action}");
    assert!(action["title"].as_str().unwrap().contains("moves money"), "{action}");
}

/// Batch input lines (one per endpoint) and the output lines that
/// `client.files.content` returns for the batches `client.batches.create` made: an
/// input line is its request, an output line its response, both in the session
/// `custom_id`.
#[test]
fn the_official_openai_clients_batches_are_read() {
    let (run, _) = run_lines("openai", &client_lines("openai_logs.py", &["batch"]));
    let expected = found(&[
        ("task-1", INJECTION),
        ("batch_req_1/tool/0", TOOL_ABUSE),
        ("task-2", INJECTION),
        ("batch_req_2/tool/0", TOOL_ABUSE),
    ]);
    assert_found(&run, 6, expected);
    let sessions: Vec<_> = run.findings().iter().map(|f| f["session"].as_str().unwrap().to_owned()).collect();
    assert_eq!(sessions, ["task-1", "task-1", "task-1", "task-2", "task-2", "task-2"]);
}

/// What the official `anthropic` client writes (tests/otel/anthropic_logs.py):
/// `{request, response: message.model_dump()}` with `system` blocks, `tool_use` and
/// `tool_result` blocks in the history, then `message.model_dump_json()` alone.
#[test]
fn what_the_official_anthropic_client_writes_is_read() {
    let (run, _) = run_lines("anthropic", &client_lines("anthropic_logs.py", &[]));
    assert_found(&run, 4, found(&[("msg_1", INJECTION), ("msg_1/tool/0", TOOL_ABUSE), ("msg_2", INJECTION)]));
    let first = &run.findings()[0];
    assert_eq!((&first["source"], &first["principal"]), (&"anthropic".into(), &"user:mallory".into()));
    assert_eq!(first["model"]["name"], "claude-ops");
}

/// A bad line among a client's lines is named with its field and the rest flows.
#[test]
fn a_bad_responses_batch_or_anthropic_line_is_named_and_the_rest_flows() {
    let cases: [(&str, &[&str], &str, &str, &str); 3] = [
        ("openai_logs.py", &["responses"], "openai", r#"{"id":"x","request":{"input":7}}"#, "at request.input"),
        (
            "openai_logs.py",
            &["batch"],
            "openai",
            r#"{"custom_id":"t","body":{"messages":[{"role":"user","content":7}]}}"#,
            "at body.messages[0].content",
        ),
        (
            "anthropic_logs.py",
            &[],
            "anthropic",
            r#"{"id":"x","request":{"messages":[{"role":"user","content":[{"type":"text","text":7}]}]}}"#,
            "at request.messages[0].content",
        ),
    ];
    for (script, args, format, bad, expected) in cases {
        let lines = client_lines(script, args);
        let (head, tail) = lines.split_once('\n').unwrap();
        let (run, log) = run_lines(format, &format!("{head}\n{bad}\n{tail}"));
        assert_eq!(run.code, 1, "{}", run.stderr);
        let at = format!("{log}:2: invalid event: {expected}: ");
        assert!(run.stderr.contains(&at), "stderr lacks {at}:\n{}", run.stderr);
        assert!(run.stderr.contains(", 1 lines rejected"), "{}", run.stderr);
        assert!(run.event_rules().iter().any(|(_, r)| r == "tool-abuse/destructive-command"), "{}", run.stdout);
    }
}
