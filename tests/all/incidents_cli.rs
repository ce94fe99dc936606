//! `aiir incidents` and `aiir models` on a real store of the demo log.

use crate::support::{aiir_run, on_store as on, store_json as json, store_ok as ok};
use aiir_host::store::Store;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

const DEMO: &str = "examples/logs/demo.jsonl";
const ASSISTANT: &str = "support-assistant";
const GOOD: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";
const TAMPERED: &str = "sha256:3638c2f52debb06c41b0879e0facc6de3fa81f572e8ee994ebe2e411c0a9cfbf";

/// A store holding what `aiir run` keeps of the demo log (its responders in dry-run,
/// so the registry is as the log left it).
fn demo_store() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("aiir.db").to_str().unwrap().to_owned();
    let run = aiir_run(&["--store", &db, DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, db)
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

/// The id of the incident of the artifact swap: model-integrity on the assistant.
fn swap_incident(db: &str) -> String {
    let all = json(db, "incidents", &["list", "--json"]);
    let swap = all.as_array().unwrap().iter().find(|i| i["family"] == "model-integrity" && i["key"] == ASSISTANT);
    text(&swap.unwrap_or_else(|| panic!("no model-integrity incident on the assistant: {all:#}"))["id"])
}

#[test]
fn incidents_are_listed_shown_timed_closed_and_exported() {
    let (_dir, db) = demo_store();
    let listed = ok(&db, "incidents", &["list"]);
    let header = listed.lines().next().unwrap();
    for column in ["id", "severity", "state", "family", "key", "findings", "first seen", "last seen", "title"] {
        assert!(header.contains(column), "{header}");
    }
    let id = swap_incident(&db);
    let row = listed.lines().find(|l| l.trim_start().starts_with(&id)).unwrap();
    assert!(row.contains("model-integrity") && row.contains(ASSISTANT) && row.contains("open"), "{row}");
    assert!(row.contains("2026-11-27T16:05:41Z"), "RFC 3339 UTC times: {row}");
    // The columns line up: every row's title starts where the header's does.
    let at = header.find("title").unwrap();
    assert!(listed.lines().all(|l| l.len() > at && l.as_bytes()[at - 1] == b' '), "{listed}");

    let shown = json(&db, "incidents", &["show", &id, "--json"]);
    assert_eq!(shown["state"], "open");
    assert!(shown["rules"].as_array().unwrap().contains(&"model-integrity/digest-changed".into()), "{shown:#}");
    assert_eq!(shown["principals"][0], "user:ops-contractor-3");
    let swap = shown["findings"].as_array().unwrap().iter().find(|f| f["event"] == "evt-0050").unwrap();
    assert_eq!(swap["model"]["digest"], TAMPERED);
    assert!(!swap["evidence"].as_array().unwrap().is_empty(), "findings carry their evidence: {swap:#}");
    assert_eq!(shown["actions"], Value::Array(Vec::new()));
    let text_show = ok(&db, "incidents", &["show", &id]);
    assert!(text_show.contains("model-integrity/digest-changed (critical)") && text_show.contains("evt-0050"));
    assert!(text_show.contains("actions (0)"), "{text_show}");

    ok(&db, "incidents", &["close", &id, "--reason", "artifact restored"]);
    let timeline = json(&db, "incidents", &["timeline", &id, "--json"]);
    let entries = timeline.as_array().unwrap();
    assert_eq!(entries[0]["finding"]["event"], "evt-0050", "the finding first, in time order: {timeline:#}");
    let closed = entries.last().unwrap();
    assert_eq!((&closed["what"], &closed["detail"]["to"]), (&"state".into(), &"closed".into()));
    assert_eq!(closed["detail"]["reason"], "artifact restored");
    assert!(text(&closed["actor"]).starts_with("operator:"), "{closed}");
    assert!(ok(&db, "incidents", &["timeline", &id]).contains("closed"));
    assert!(!ok(&db, "incidents", &["list"]).contains(&id), "closed incidents are not active");
    assert!(ok(&db, "incidents", &["list", "--state", "closed"]).contains(&id));

    let ocsf = json(&db, "incidents", &["export", &id, "--format", "ocsf"]);
    assert_eq!((&ocsf["class_uid"], &ocsf["activity_name"]), (&2005.into(), &"Close".into()));
    assert_eq!((&ocsf["status_id"], &ocsf["status"]), (&5.into(), &"Closed".into()));
    assert_eq!(ocsf["unmapped"]["aiir"]["incident"], id.as_str());
    let infos = ocsf["finding_info_list"].as_array().unwrap();
    assert!(infos.iter().any(|i| i["uid"] == "evt-0050/model-integrity/model-integrity/digest-changed"), "{ocsf:#}");
    assert!(ocsf["attacks"].as_array().unwrap().iter().any(|a| a["technique"]["uid"] == "AML.T0010"), "{ocsf:#}");
    assert!(ocsf["start_time"].as_u64().unwrap() <= ocsf["end_time"].as_u64().unwrap());

    let every = ok(&db, "incidents", &["list", "--state", "all", "--format", "ocsf"]);
    let events: Vec<Value> = every.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(events.len() > 1 && events.iter().all(|e| e["class_uid"] == 2005));
    assert!(events.iter().filter(|e| e["status_id"] == 1).count() == events.len() - 1, "the others are new");

    let report = on(&db, "incidents", &["export", &id, "--format", "art73"]);
    assert_eq!(report.code, 2);
    assert!(report.stderr.contains("regulator-report"), "names the responder to configure: {}", report.stderr);
}

#[test]
fn models_show_the_swapped_artifact_and_take_known_good_marks() {
    let (_dir, db) = demo_store();
    let models = json(&db, "models", &["list", "--json"]);
    let assistant = models.as_array().unwrap().iter().find(|m| m["model"] == ASSISTANT).unwrap();
    assert_eq!(assistant["serving"]["digest"], TAMPERED, "the swap moved the alias: {assistant:#}");
    let versions = assistant["versions"].as_array().unwrap();
    let digests: Vec<&Value> = versions.iter().map(|v| &v["digest"]).collect();
    assert_eq!(digests, [GOOD, TAMPERED], "one label, two artifacts");

    let ambiguous = on(&db, "models", &["mark-good", ASSISTANT, "2.3.1"]);
    assert_eq!(ambiguous.code, 2);
    assert!(ambiguous.stderr.contains("names 2 artifacts") && ambiguous.stderr.contains(GOOD), "{}", ambiguous.stderr);
    assert!(ok(&db, "models", &["mark-good", ASSISTANT, "2.3.1", "--digest", GOOD]).contains("marked known-good"));
    let listed = ok(&db, "models", &["list"]);
    assert!(listed.contains(&format!("{ASSISTANT} serves 2.3.1@{TAMPERED}")), "{listed}");
    let good_row = listed.lines().find(|l| l.contains(GOOD) && l.contains(ASSISTANT)).unwrap();
    assert!(good_row.contains("known-good") && !good_row.contains("serving"), "{good_row}");

    // The rollback a responder would make returns the alias to the good digest.
    let mut store = Store::open(Path::new(&db)).unwrap();
    let first_seen = store.incident(&swap_incident(&db)).unwrap().unwrap().first_seen;
    store.rollback(ASSISTANT, first_seen, &[], "rollback", None).unwrap().unwrap();
    store.quarantine(ASSISTANT, "2.3.1", Some(TAMPERED), None, "rollback").unwrap();
    drop(store);
    let history = json(&db, "models", &["history", ASSISTANT, "--json"]);
    let last = history.as_array().unwrap().last().unwrap();
    assert_eq!((&last["from"]["digest"], &last["to"]["digest"]), (&TAMPERED.into(), &GOOD.into()));
    assert_eq!(last["actor"], "rollback");
    let text_history = ok(&db, "models", &["history", ASSISTANT]);
    assert!(text_history.contains("log:evt-0050") && text_history.contains(&format!("2.3.1@{GOOD}")));
    let listed = ok(&db, "models", &["list"]);
    let tampered_row = listed.lines().find(|l| l.contains(TAMPERED) && l.contains(ASSISTANT)).unwrap();
    assert!(tampered_row.contains("quarantined"), "{tampered_row}");

    // An artifact named by its digest is registered before it is marked.
    ok(&db, "models", &["mark-good", "fresh-model", "1.0", "--digest", "sha256:00"]);
    let fresh = json(&db, "models", &["list", "--json"]);
    let fresh = fresh.as_array().unwrap().iter().find(|m| m["model"] == "fresh-model").unwrap().clone();
    assert_eq!(fresh["versions"][0]["known_good"], true);
}

#[test]
fn a_missing_store_or_an_unknown_id_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let missing = missing.to_str().unwrap();
    for (command, args) in
        [("incidents", &["list"][..]), ("models", &["list"][..]), ("incidents", &["show", "INC-0001"])]
    {
        let run = on(missing, command, args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(&format!("no incident store at {missing}")), "{}", run.stderr);
    }
    assert!(!Path::new(missing).exists(), "reading does not create the store");

    let (_dir, db) = demo_store();
    for args in [
        &["show", "INC-9999"][..],
        &["timeline", "INC-9999"],
        &["close", "INC-9999"],
        &["export", "INC-9999", "--format", "ocsf"],
    ] {
        let run = on(&db, "incidents", args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("no incident \"INC-9999\""), "{args:?}: {}", run.stderr);
    }
    let run = on(&db, "models", &["history", "no-such-model"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no model \"no-such-model\""), "{}", run.stderr);
}
