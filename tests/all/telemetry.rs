//! Real telemetry: an app using the official `openai` client, instrumented by each of
//! the instrumentations teams run (OpenTelemetry's openai-v2, OpenInference,
//! OpenLLMetry; pinned in tests/otel/requirements.txt), exports OTLP to `aiir serve
//! --store`; aiir must find in it what it finds in the equivalent native events, and
//! open the incidents `aiir run` opens. One scenario is an agent turn whose paying tool
//! only its offered description names as one.

use crate::serve::Server;
use crate::support::{Run, aiir_run, fresh_store, root, store_json, temp_file, test_python};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Scenario -> the rules that fired on its events.
type Rules = BTreeMap<String, BTreeSet<String>>;

/// Run tests/otel/instrumented_app.py against `server`: scenario -> {span, native}.
fn app(server: &Server, instrumentation: &str, protocol: &str, content: &str) -> Value {
    let endpoint = if protocol == "grpc" { server.grpc_endpoint() } else { server.endpoint() };
    let out = Command::new(test_python())
        .arg(root().join("tests/otel/instrumented_app.py"))
        .args(["--instrumentation", instrumentation, "--protocol", protocol, "--content", content])
        .args(["--endpoint", &endpoint])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "instrumented_app.py {instrumentation} {protocol} failed: {stderr}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("instrumented_app.py printed nothing ({e}): {stderr}"))
}

/// The rules of each scenario's events: those whose id is `id(scenario)` or under it.
fn rules_by_scenario(run: &Run, scenarios: &Value, id: impl Fn(&str, &Value) -> String) -> Rules {
    let found = run.event_rules();
    let scenarios = scenarios.as_object().unwrap();
    scenarios
        .iter()
        .map(|(name, s)| {
            let id = id(name, s);
            let rules = found.iter().filter(|(e, _)| *e == id || e.starts_with(&format!("{id}/")));
            (name.clone(), rules.map(|(_, r)| r.clone()).collect())
        })
        .collect()
}

/// What `aiir run --store` finds in the scenarios' native events, and the incidents
/// it opens.
fn native(scenarios: &Value) -> (Rules, Vec<Incident>) {
    let lines: Vec<String> = scenarios
        .as_object()
        .unwrap()
        .values()
        .flat_map(|s| s["native"].as_array().unwrap().iter().map(Value::to_string))
        .collect();
    let (_dir, log) = temp_file("native.jsonl", lines.join("\n").as_bytes());
    let (_config_dir, config) = config();
    let store = fresh_store();
    let run =
        aiir_run(&["--config", config.to_str().unwrap(), "--store", store.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (rules_by_scenario(&run, scenarios, |name, _| format!("native-{name}")), incidents(&store))
}

/// The detectors that read model calls and tool calls, and `contain`, which proposes
/// blocking a principal after one injection: a responder that answers these scenarios.
fn config() -> (tempfile::TempDir, std::path::PathBuf) {
    let detectors = ["prompt-injection", "jailbreak", "system-prompt-leak", "sensitive-data-leak", "tool-abuse"];
    let mut text: String = detectors.iter().map(|d| format!("[[detector]]\nname = \"{d}\"\n")).collect();
    text.push_str("[[responder]]\nname = \"contain\"\n[responder.settings]\nmin_findings = 1\n");
    temp_file("aiir.toml", text.as_bytes())
}

/// An incident as the two stores may be compared: family, severity, findings, and the
/// actions the responders proposed (responder, kind, status).
type Incident = (String, String, u64, Vec<(String, String, String)>);

fn incidents(store: &std::path::Path) -> Vec<Incident> {
    let db = store.to_str().unwrap();
    let list = store_json(db, "incidents", &["list", "--json"]);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut all: Vec<Incident> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let shown = store_json(db, "incidents", &["show", i["id"].as_str().unwrap(), "--json"]);
            let mut actions: Vec<_> = shown["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (s(&a["responder"]), s(&a["kind"]), s(&a["status"])))
                .collect();
            actions.sort();
            (s(&i["family"]), s(&i["severity"]), i["finding_count"].as_u64().unwrap(), actions)
        })
        .collect();
    all.sort();
    all
}

/// The app under `instrumentation` over each transport and encoding (OTLP/HTTP with
/// protobuf and JSON, OTLP/gRPC): the same findings as the native events, and an
/// incident for the injection in the store.
fn finds_what_native_events_give(instrumentation: &str, content: &str) {
    for protocol in ["http/protobuf", "http/json", "grpc"] {
        let store = fresh_store();
        let (_dir, config) = config();
        let args = ["--config", config.to_str().unwrap(), "--store", store.to_str().unwrap(), "--join-wait", "2s"];
        let server = Server::start(&args);
        let scenarios = app(&server, instrumentation, protocol, content);
        let run = server.stop();
        assert_eq!(run.code, 0, "{}", run.stderr);
        let (expected, native_incidents) = native(&scenarios);
        let found = rules_by_scenario(&run, &scenarios, |_, s| s["span"].as_str().unwrap().to_owned());
        let context = format!("{instrumentation} --content {content} over {protocol}\n{}", run.stderr);
        assert_eq!(found, expected, "{context}");
        assert!(expected["benign"].is_empty(), "{expected:?}");
        for (scenario, rule) in [
            ("injection", "prompt-injection/"),
            ("leak", "system-prompt-leak/output-overlap"),
            ("pii", "sensitive-data-leak/credit-card"),
            ("tool", "tool-abuse/"),
        ] {
            assert!(expected[scenario].iter().any(|r| r.starts_with(rule)), "{scenario}: {expected:?}");
        }
        // Only the offered tool's description says that `acme_settle` moves money, and
        // openai-v2 records no offered tools: the paid account is a tainted action only
        // where the instrumentation passes the description on.
        let tainted = expected["described"].contains("tool-abuse/tainted-action");
        assert_eq!(tainted, instrumentation != "openai-v2", "described: {expected:?}");
        assert!(!run.stderr.contains("hint:"), "content was captured: {context}");
        let opened = incidents(&store);
        assert_eq!(opened, native_incidents, "serve --store opens what run --store opens: {context}");
        assert!(opened.iter().any(|(family, ..)| family == "prompt-injection"), "{opened:?}");
        let blocked = opened.iter().any(|(family, .., actions)| {
            family == "prompt-injection"
                && actions.iter().any(|(who, kind, _)| who == "contain" && kind == "block-principal")
        });
        assert!(blocked, "the responder answered the injection: {opened:?}");
    }
}

#[test]
fn openai_v2_content_on_spans() {
    finds_what_native_events_give("openai-v2", "span");
}

#[test]
fn openai_v2_content_in_log_records_joined_to_their_spans() {
    finds_what_native_events_give("openai-v2", "event");
}

#[test]
fn openinference() {
    finds_what_native_events_give("openinference", "span");
}

#[test]
fn openllmetry() {
    finds_what_native_events_give("openllmetry", "span");
}

#[test]
fn an_instrumentation_that_records_no_content_gets_a_hint_naming_the_settings() {
    let server = Server::start(&["--no-store", "--join-wait", "1s"]);
    app(&server, "openai-v2", "http/protobuf", "none");
    let blind = r#"aiir_genai_calls_without_content_total{source="shop-openai-v2"} 6"#;
    server.metrics_when(|t| t.contains(blind));
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "nothing to find without content: {}", run.stdout);
    let hints: Vec<&str> = run.stderr.lines().filter(|l| l.contains("hint:")).collect();
    assert_eq!(hints.len(), 1, "one hint per source: {}", run.stderr);
    assert!(hints[0].contains(r#"source "shop-openai-v2""#), "{}", hints[0]);
    assert!(hints[0].contains("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only"), "{}", hints[0]);
}
