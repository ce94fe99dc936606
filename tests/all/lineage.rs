//! Issue 20's end-to-end story in aiir's own format: the demo's poisoned batch
//! (`evt-c019`, batch `b-0145` of revision `r42`) is flagged; the training pipeline's
//! lineage, shipped after the fact, says `review-classifier` 1.9.0 was trained on `r42`
//! and 1.9.1 fine-tuned from 1.9.0, while 1.8.5 was trained on `r41` and 1.8.0 on `r40`.
//! 1.9.1 served three sessions meanwhile. The incident's impact names exactly 1.9.0 and
//! 1.9.1 and that traffic; the rollback skips both (newer, but tainted) for 1.8.5; both are
//! quarantined; the Art. 73 draft is revised to count the people they served.

use crate::support::{aiir_run, root, serving_and_quarantined, store_json, store_ok};
use serde_json::{Value, json};
use std::path::Path;

const MODEL: &str = "review-classifier";

/// A training-run event.
fn run(id: &str, time: &str, run: &str, input: (&str, &str), base: Option<&str>, output: &str) -> Value {
    let model = |v: &str| json!({ "name": MODEL, "version": v });
    json!({
        "id": id, "time": time, "source": "finetune-pipeline", "principal": "svc:ml-pipeline",
        "payload": { "training_run": {
            "run": run, "job": "review-classifier-finetune", "state": "complete",
            "inputs": [{ "dataset": input.0, "revision": input.1 }],
            "base": base.map(model), "output": model(output),
        }},
    })
}

/// A classification call served by whatever the alias points at.
fn call(id: &str, time: &str, session: &str, principal: &str) -> Value {
    json!({
        "id": id, "time": time, "source": "reviews-api", "model": { "name": MODEL },
        "principal": principal, "session": session,
        "payload": { "inference": {
            "input": [{ "role": "user", "content": "Classify: the boots held up well." }],
            "output": [{ "role": "assistant", "content": "positive" }],
        }},
    })
}

fn lifecycle(id: &str, time: &str, action: &str, version: &str) -> Value {
    json!({
        "id": id, "time": time, "source": "deploy-pipeline", "principal": "svc:deploy-bot",
        "payload": { "model_lifecycle": { "action": action, "model": { "name": MODEL, "version": version } } },
    })
}

/// The demo's five batches of `reviews-sentiment-ft`, the last one poisoned, with revisions.
fn batches() -> Vec<Value> {
    let demo = std::fs::read_to_string(root().join("examples/logs/demo.jsonl")).unwrap();
    let wanted = ["evt-c002", "evt-c003", "evt-c004", "evt-c018", "evt-c019"];
    let mut out = Vec::new();
    for line in demo.lines() {
        let mut event: Value = serde_json::from_str(line).unwrap();
        let Some(id) = event["id"].as_str().map(str::to_owned) else { continue };
        if wanted.contains(&id.as_str()) {
            let revision = if id == "evt-c019" { "r42" } else { "r41" };
            event["payload"]["training_data"]["revision"] = json!(revision);
            out.push(event);
        }
    }
    assert_eq!(out.len(), wanted.len());
    out
}

fn log() -> String {
    let mut events = vec![
        run("evt-l001", "2026-11-27T13:00:00Z", "ft-0417", ("reviews-sentiment-ft", "r40"), None, "1.8.0"),
        lifecycle("evt-l002", "2026-11-27T13:01:00Z", "loaded", "1.8.0"),
    ];
    events.extend(batches());
    events.push(lifecycle("evt-l003", "2026-11-27T15:40:00Z", "deployed", "1.9.1"));
    let sessions = [("s-1", "user:ana"), ("s-2", "user:ben"), ("s-3", "user:ana"), ("s-2", "user:ben")];
    for (n, (session, principal)) in sessions.into_iter().enumerate() {
        events.push(call(&format!("evt-l01{n}"), &format!("2026-11-27T15:4{}:00Z", n + 1), session, principal));
    }
    // The pipeline's lineage arrives late, its runs in no particular order.
    events.extend([
        run("evt-l020", "2026-11-27T15:36:00Z", "ft-0420", ("reviews-sentiment-ft", "r41"), None, "1.8.5"),
        run("evt-l021", "2026-11-27T15:35:00Z", "ft-0419", ("reviews-extra", "r1"), Some("1.9.0"), "1.9.1"),
        run("evt-l022", "2026-11-27T15:30:00Z", "ft-0418", ("reviews-sentiment-ft", "r42"), None, "1.9.0"),
    ]);
    events.iter().map(|e| format!("{e}\n")).collect()
}

const CONFIG: &str = r#"
[[detector]]
name = "data-poisoning"

[[responder]]
name = "rollback"
mode = "enforce"

[[responder]]
name = "regulator-report"
mode = "enforce"

[responder.settings]
provider = { name = "Northwind Outfitters GmbH", address = "Hafenstraße 12, 20457 Hamburg, Germany", contact = "ai-incidents@northwind.example" }
system = { name = "Northwind review moderation", version = "1.0" }
harm = { data-poisoning = "fundamental-rights" }
"#;

fn run_story(dir: &Path) -> std::path::PathBuf {
    let (log_path, config, db) = (dir.join("lineage.jsonl"), dir.join("aiir.toml"), dir.join("aiir.db"));
    std::fs::write(&log_path, log()).unwrap();
    std::fs::write(&config, CONFIG).unwrap();
    let run =
        aiir_run(&["--config", config.to_str().unwrap(), "--store", db.to_str().unwrap(), log_path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    db
}

fn poisoning_incident(db: &str) -> String {
    let list = store_json(db, "incidents", &["list", "--state", "all", "--json"]);
    let found = list.as_array().unwrap().iter().find(|i| i["family"] == "data-poisoning");
    found.unwrap_or_else(|| panic!("no data-poisoning incident: {list:#}"))["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_poisoned_batch_is_traced_to_the_versions_trained_on_it_their_traffic_and_a_clean_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let db = run_story(dir.path());
    let db = db.to_str().unwrap();
    let id = poisoning_incident(db);

    let impact = store_json(db, "incidents", &["impact", &id, "--json"]);
    let versions: Vec<&str> =
        impact["affected"].as_array().unwrap().iter().map(|a| a["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.9.0", "1.9.1"], "{impact:#}");
    assert_eq!(impact["affected"][1]["through"]["version"], "1.9.0", "{impact:#}");
    assert_eq!(impact["poisoned"][0]["batch"], "b-0145", "{impact:#}");
    // 1.9.0 never served; 1.9.1 served four calls in three sessions to two people.
    assert_eq!(impact["affected"][0]["traffic"]["events"], 0, "{impact:#}");
    assert_eq!(impact["traffic"], json!({ "events": 4, "sessions": 2 + 1, "principals": 2 }), "{impact:#}");

    // The rollback went to 1.8.5, past the newer 1.9.x trained on r42, and quarantined both.
    let (serving, quarantined) = serving_and_quarantined(db, MODEL);
    assert_eq!((serving.as_str(), quarantined), ("1.8.5", vec!["1.9.0".to_owned(), "1.9.1".to_owned()]));

    // The timeline says when lineage reached the incident.
    let timeline = store_ok(db, "incidents", &["timeline", &id]);
    assert!(timeline.contains("lineage-reached"), "{timeline}");

    // The Art. 73 draft, revised once lineage reached the incident, counts the people
    // the affected versions served; the first revision, filed before, stays as it was.
    let art73 = store_json(db, "incidents", &["export", &id, "--format", "art73", "--json"]);
    let through = &art73["affected_persons"]["through_trained_models"];
    assert_eq!((&through["sessions"], &through["principals"]), (&json!(3), &json!(2)), "{art73:#}");
    assert_eq!(art73["affected_persons"]["at_least"], 3, "{art73:#}");
    let reports = Path::new(db).parent().unwrap().join("reports");
    assert!(reports.join(format!("{id}-regulator-report-art73.md")).exists());
    assert!(reports.join(format!("{id}-regulator-report-art73-2.md")).exists());

    // The picture names every node and renders as DOT and Mermaid.
    let dot = store_ok(db, "incidents", &["impact", &id, "--graph", "dot"]);
    assert!(dot.starts_with("digraph") && dot.contains("review-classifier 1.9.1"), "{dot}");
    let mermaid = store_ok(db, "incidents", &["impact", &id, "--graph", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR") && mermaid.contains(":::affected"), "{mermaid}");
}

#[test]
fn models_lineage_lists_the_runs_behind_each_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = run_story(dir.path());
    let lineage = store_json(db.to_str().unwrap(), "models", &["lineage", MODEL, "--json"]);
    let versions: Vec<&str> =
        lineage["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(versions, ["1.8.0", "1.9.0", "1.9.1", "1.8.5"], "{lineage:#}");
    assert_eq!(lineage["versions"][2]["runs"][0]["base"]["version"], "1.9.0", "{lineage:#}");
    assert_eq!(lineage["versions"][1]["runs"][0]["inputs"][0]["revision"], "r42", "{lineage:#}");
}
