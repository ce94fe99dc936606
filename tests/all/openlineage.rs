//! Lineage in: the real OpenLineage Python client (`openlineage-python`, pinned in
//! tests/otel/requirements.txt) sends a fine-tuning pipeline's run events to `aiir
//! serve` over its HTTP transport and writes them with its file transport for `aiir run
//! --format openlineage`; `aiir models lineage` shows what was kept.

use crate::senders::sha256_hex;
use crate::serve::Server;
use crate::support::{aiir_run, fresh_store, root, store_json, temp_file, test_python};
use serde_json::{Value, json};
use std::process::Command;

/// The token the pipeline sends with, as its `api_key`.
const TOKEN: &str = "pipeline-token-1";

/// Run tests/otel/lineage_client.py with `args`: run name -> run id, or why it failed.
fn lineage_client(args: &[&str]) -> Result<Value, String> {
    let out = Command::new(test_python()).arg(root().join("tests/otel/lineage_client.py")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(stderr);
    }
    Ok(serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("lineage_client.py printed no ids ({e}): {stderr}")))
}

/// The versions of `support-assistant` that the pipeline of lineage_client.py made, as
/// `aiir models lineage --json` shows them: each with the run that produced it.
fn expected(ids: &Value) -> Vec<Value> {
    let tickets = |revision: &str, batches: &[&str]| json!({"dataset": "support-tickets", "revision": revision, "batches": batches});
    let run = |name: &str, job: &str, inputs: Value, base: Value| json!({"run": ids[name], "job": job, "state": "complete", "inputs": inputs, "base": base});
    let (a, b) = (format!("sha256:{}", "a".repeat(64)), format!("sha256:{}", "b".repeat(64)));
    let feedback = json!([{"dataset": "support-feedback", "revision": "f1", "batches": ["fb-001"]}]);
    let base = json!({"name": "support-assistant", "version": "1.0", "digest": a});
    vec![
        json!({"version": "1.0", "digest": a, "runs": [run("train", "train-support", json!([tickets("r1", &["b-001", "b-002"])]), Value::Null)]}),
        json!({"version": "1.1", "digest": b, "runs": [run("fine-tune", "fine-tune-support", feedback, base)]}),
        json!({"version": "1.2", "digest": null, "runs": [run("clean", "train-support", json!([tickets("r2", &[])]), Value::Null)]}),
    ]
}

/// Assert that the store holds the lineage of the pipeline with these run ids.
fn assert_lineage(store: &str, ids: &Value) {
    let lineage = store_json(store, "models", &["lineage", "support-assistant", "--json"]);
    assert_eq!(lineage["model"], "support-assistant", "{lineage:#}");
    let mut versions = lineage["versions"].as_array().unwrap_or_else(|| panic!("no versions: {lineage:#}")).clone();
    versions.sort_by_key(|v| v["version"].as_str().unwrap_or_default().to_owned());
    // What the client's events say; when the run started and what it produced (the
    // version itself) are beside the point here.
    for run in versions.iter_mut().flat_map(|v| v["runs"].as_array_mut().into_iter().flatten()) {
        let run = run.as_object_mut().unwrap();
        run.remove("started_at");
        run.remove("output");
    }
    assert_eq!(versions, expected(ids), "{lineage:#}");
}

#[test]
fn openlineage_python_client_over_http_builds_the_lineage() {
    let serve = format!(
        "[[detector]]\nname = \"data-poisoning\"\n[[serve.sender]]\nname = \"pipeline\"\ntoken_sha256 = \"{}\"\nsources = [\"openlineage:ml-platform\"]\n",
        sha256_hex(TOKEN)
    );
    let (_dir, config) = temp_file("aiir.toml", serve.as_bytes());
    let store = fresh_store();
    let store = store.to_str().unwrap();
    let server = Server::start(&["--config", config.to_str().unwrap(), "--store", store]);
    let url = server.endpoint();
    let refused = lineage_client(&["--url", &url, "--api-key", "wrong"]).unwrap_err();
    assert!(refused.contains("401"), "a wrong api_key is refused: {refused}");
    let ids = lineage_client(&["--url", &url, "--api-key", TOKEN]).unwrap_or_else(|e| panic!("sent: {e}"));
    let head =
        format!("POST /api/v1/lineage HTTP/1.1\r\nContent-Type: application/json\r\nAuthorization: Bearer {TOKEN}\r\n");
    let dataset_event = r#"{"eventTime":"2026-11-20T09:00:00Z","producer":"p","dataset":{"namespace":"n","name":"d"}}"#;
    let (status, body) = server.request(&head, dataset_event.as_bytes());
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not a RunEvent: no `run`"), "{body}");
    let other = std::fs::read_to_string(root().join("tests/fixtures/openlineage.jsonl")).unwrap();
    let other = other.lines().next().unwrap().replace(r#""namespace": "ml-platform""#, r#""namespace": "finance""#);
    let (status, body) = server.request(&head, other.as_bytes());
    assert_eq!(status, 403, "another namespace is another source: {body}");
    let text = server.metrics_when(|t| t.contains(r#"route="/api/v1/lineage",status="201"} 6"#));
    for sample in [
        r#"aiir_events_received_total{source="openlineage:ml-platform",format="openlineage"} 6"#,
        r#"aiir_events_rejected_total{format="openlineage"} 2"#,
        r#"aiir_http_requests_total{route="/api/v1/lineage",status="401"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == sample), "no {sample} in\n{text}");
    }
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("aiir: 6 events read"), "{}", run.stderr);
    assert_lineage(store, &ids);
}

#[test]
fn openlineage_python_client_file_transport_is_read_with_format_openlineage() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lineage.jsonl");
    let ids = lineage_client(&["--file", file.to_str().unwrap()]).unwrap_or_else(|e| panic!("written: {e}"));
    let store = fresh_store();
    let store = store.to_str().unwrap();
    let run = aiir_run(&["--format", "openlineage", "--store", store, file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("aiir: 6 events read"), "{}", run.stderr);
    // The same events again (a pipeline's retry) are the same events: nothing doubles.
    let again = aiir_run(&["--format", "openlineage", "--store", store, file.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_lineage(store, &ids);
}
