//! Issue 10: a responder's proposals are data, never authority. By default it acts
//! only within its incident (the incident's model, the artifacts its findings name,
//! its principals), only a responder granted `reports` files reports, export shows
//! only such a responder's *executed* report, and a rollback never "moves" to the
//! serving artifact or the incident's own. `responder-echo` proposes exactly what its
//! `proposals` setting lists, for every incident.

use crate::support::{Run, actions, actions_of, aiir_run, guest, on_store, root, store_json, store_ok};
use aiir_host::store::Store;
use serde_json::Value;
use std::path::Path;
use tempfile::TempDir;

const DEMO: &str = "examples/logs/demo.jsonl";
const ASSISTANT: &str = "support-assistant";
const GOOD: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";
const TAMPERED: &str = "sha256:3638c2f52debb06c41b0879e0facc6de3fa81f572e8ee994ebe2e411c0a9cfbf";

/// The regulator-report responder of `examples/respond.toml`, in `mode`.
fn regulator(mode: &str) -> String {
    format!(
        "[[responder]]\nname = \"regulator-report\"\nmode = \"{mode}\"\n[responder.settings]\n\
         provider = {{ name = \"Northwind\", address = \"Hamburg\", contact = \"ai@northwind.example\" }}\n\
         system = {{ name = \"support assistant\", version = \"2.3.1\" }}\n\
         harm = {{ model-integrity = \"fundamental-rights\" }}\n"
    )
}

/// `responder-echo` as `echo`, in `mode`, with `grants` (TOML lines), proposing
/// `proposals` (inline tables) for every incident.
fn echo(mode: &str, grants: &str, proposals: &[&str]) -> String {
    let wasm = guest("responder-echo");
    format!(
        "[[responder]]\nname = \"echo\"\nwasm = {:?}\nmode = \"{mode}\"\n{grants}\n[responder.settings]\nproposals = [{}]\n",
        wasm.display().to_string(),
        proposals.join(", ")
    )
}

const FORGED: &str =
    r##"{ action = "file-report", kind = "art73", markdown = "# FORGED by echo", json = "{\"forged\": true}" }"##;

/// A store in a fresh folder, prepared by `before`, then the demo log run with the
/// model-integrity detector and these responders.
fn run(responders: &str, before: impl FnOnce(&str)) -> (TempDir, String, Run) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiir.toml");
    std::fs::write(&config, format!("[[detector]]\nname = \"model-integrity\"\n{responders}")).unwrap();
    let db = dir.path().join("aiir.db").to_str().unwrap().to_owned();
    before(&db);
    let run = aiir_run(&["--config", config.to_str().unwrap(), "--store", &db, DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, db, run)
}

/// The model-integrity incident of the artifact swap.
fn swap_incident(db: &str) -> String {
    let all = store_json(db, "incidents", &["list", "--state", "all", "--json"]);
    let swap = all.as_array().unwrap().iter().find(|i| i["family"] == "model-integrity" && i["key"] == ASSISTANT);
    swap.unwrap_or_else(|| panic!("no swap incident: {all:#}"))["id"].as_str().unwrap().to_owned()
}

/// (digest, quarantined) of each artifact of the assistant.
fn quarantine_marks(db: &str) -> Vec<(String, bool)> {
    let models = store_json(db, "models", &["list", "--json"]);
    let assistant = models.as_array().unwrap().iter().find(|m| m["model"] == ASSISTANT).unwrap();
    let versions = assistant["versions"].as_array().unwrap();
    let mut marks: Vec<_> =
        versions.iter().map(|v| (v["digest"].as_str().unwrap().to_owned(), v["quarantined"] == true)).collect();
    marks.sort();
    marks
}

fn guard_findings(run: &Run) -> Vec<(String, String)> {
    run.event_rules().into_iter().filter(|(_, rule)| rule.starts_with("aiir/")).collect()
}

#[test]
fn proposals_beyond_the_incident_are_refused_recorded_and_change_nothing() {
    let (_base_dir, base_db, _) = run("", |_| {});
    let proposals = [
        r#"{ action = "quarantine", model = "support-assistant", version = "2.3.1", digest = "" }"#,
        r#"{ action = "block", principal = "apikey:trailbuddy-partner" }"#,
        FORGED,
        r#"{ action = "rollback", model = "other-model" }"#,
    ];
    let (dir, db, run) = run(&echo("enforce", "", &proposals), |_| {});

    // Nothing happened: no later event flagged, the registry as without the responder.
    assert_eq!(guard_findings(&run), [], "the guard flagged events");
    assert_eq!(store_json(&db, "models", &["list", "--json"]), store_json(&base_db, "models", &["list", "--json"]));
    assert!(!dir.path().join("reports").exists(), "a report was written");

    // Each proposal is recorded, refused by aiir with why, for every incident.
    let all = actions_of(&db, "echo");
    assert!(!all.is_empty());
    for a in &all {
        assert_eq!(
            (&a["status"], &a["decided_by"], &a["mode"]),
            (&"rejected".into(), &"aiir".into(), &"enforce".into())
        );
    }
    let swap = swap_incident(&db);
    let result = |kind: &str| {
        let found = actions(&db, &swap).into_iter().find(|a| a["kind"] == kind && a["responder"] == "echo");
        found.unwrap_or_else(|| panic!("no {kind}"))["result"].as_str().unwrap().to_owned()
    };
    assert_eq!(
        result("quarantine-model"),
        format!(
            "out of the incident's scope: \"support-assistant 2.3.1\" is not an artifact its findings name \
             (\"support-assistant 2.3.1@{TAMPERED}\"); without a digest it would take every artifact of the label"
        )
    );
    assert_eq!(
        result("block-principal"),
        "out of the incident's scope: \"apikey:trailbuddy-partner\" is not one of its principals (user:ops-contractor-3)"
    );
    assert_eq!(
        result("rollback-model"),
        "out of the incident's scope: \"other-model\" is not its model (support-assistant)"
    );
    assert!(result("file-report").starts_with("not granted: only a responder with `reports = true` files reports"));
    let export = on_store(&db, "incidents", &["export", &swap, "--format", "art73"]);
    assert_eq!(export.code, 2, "{}", export.stdout);
    assert!(export.stderr.contains("by echo, rejected"), "{}", export.stderr);
    let shown = store_ok(&db, "incidents", &["show", &swap]);
    assert!(shown.contains("rejected") && shown.contains("out of the incident's scope"), "{shown}");
}

/// The ids of the demo's events after `after` that the store says a quarantined
/// artifact served.
fn quarantined_events(db: &str, after: &str) -> Vec<String> {
    let store = Store::open(Path::new(db)).unwrap();
    let log = std::fs::read_to_string(root().join(DEMO)).unwrap();
    let events = log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap());
    let later = events.skip_while(|e| e["id"] != after).skip(1);
    later
        .filter(|e| {
            let m = &e["model"];
            let (Some(name), Some(version)) = (m["name"].as_str(), m["version"].as_str()) else { return false };
            store.is_quarantined(name, version, m["digest"].as_str()).unwrap()
        })
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_empty_digest_means_none_and_the_guard_flags_what_the_store_quarantined() {
    // Both artifacts of the label are registered before the run (mark-good registers
    // what it marks), so the first incident's quarantine is the only one that changes
    // anything and the store's final state is what the guard enforced from then on.
    let register = |db: &str| {
        for digest in [GOOD, TAMPERED] {
            store_ok(db, "models", &["mark-good", ASSISTANT, "2.3.1", "--digest", digest]);
        }
    };
    let quarantine = |digest: &str| {
        let proposal =
            format!(r#"{{ action = "quarantine", model = "support-assistant", version = "2.3.1"{digest} }}"#);
        run(&echo("enforce", "scope = \"any\"", &[&proposal]), register)
    };
    let (_empty_dir, empty_db, empty) = quarantine(", digest = \"\"");
    let (_none_dir, none_db, none) = quarantine("");
    // Without a digest, granted to reach beyond the incident: every artifact of the label.
    let every = vec![(TAMPERED.to_owned(), true), (GOOD.to_owned(), true)];
    assert_eq!((quarantine_marks(&empty_db), quarantine_marks(&none_db)), (every.clone(), every));
    assert_eq!(guard_findings(&empty), guard_findings(&none), "\"\" and no digest differ");
    // The guard flags exactly the later events the store says a quarantined artifact served.
    let flagged: Vec<String> = guard_findings(&empty).into_iter().map(|(event, _)| event).collect();
    let first = empty.event_rules().first().expect("a finding").0.clone();
    assert!(!flagged.is_empty());
    assert_eq!(flagged, quarantined_events(&empty_db, &first));
}

#[test]
fn export_shows_only_the_reporting_responders_executed_report() {
    // A forged report from a responder without the grant: refused; the regulator's stands.
    let (dir, db, _) = run(&format!("{}{}", regulator("enforce"), echo("enforce", "", &[FORGED])), |_| {});
    let id = swap_incident(&db);
    let markdown = store_ok(&db, "incidents", &["export", &id, "--format", "art73"]);
    assert!(markdown.contains("15 days from awareness") && !markdown.contains("FORGED"), "{markdown}");
    let aiid = store_json(&db, "incidents", &["export", &id, "--format", "aiid"]);
    assert!(aiid.get("forged").is_none(), "{aiid:#}");
    assert!(dir.path().join(format!("reports/{id}-regulator-report-art73.md")).exists());
    assert!(!dir.path().join(format!("reports/{id}-echo-art73.md")).exists());

    // The reporting responder's report counts only once carried out.
    let granted = "reports = true";
    for (mode, status) in [("dry-run", "dry-run"), ("approve", "pending")] {
        let (_dir, db, _) = run(&echo(mode, granted, &[FORGED]), |_| {});
        let export = on_store(&db, "incidents", &["export", &swap_incident(&db), "--format", "art73"]);
        assert_eq!(export.code, 2, "{mode}: {}", export.stdout);
        assert!(export.stderr.contains(&format!("by echo, {status}")), "{mode}: {}", export.stderr);
    }
    // A `reports` file where the folder should be: filing fails, and is not the report.
    let (_dir, db, _) = run(&echo("enforce", granted, &[FORGED]), |db| {
        std::fs::write(Path::new(db).with_file_name("reports"), "in the way").unwrap();
    });
    let id = swap_incident(&db);
    let filed = actions(&db, &id).into_iter().find(|a| a["kind"] == "file-report").unwrap();
    assert_eq!(filed["status"], "failed", "{filed:#}");
    let export = on_store(&db, "incidents", &["export", &id, "--format", "art73"]);
    assert!(export.code == 2 && export.stderr.contains("by echo, failed"), "{}", export.stderr);

    // Two responders granted `reports`: each writes its own files; neither overwrites.
    let both = format!("{}{}", regulator("enforce"), echo("enforce", granted, &[FORGED]));
    let (dir, db, _) = run(&both, |_| {});
    let id = swap_incident(&db);
    let read = |who: &str| std::fs::read_to_string(dir.path().join(format!("reports/{id}-{who}-art73.md"))).unwrap();
    assert!(read("regulator-report").contains("15 days from awareness"));
    assert_eq!(read("echo"), "# FORGED by echo");
}

#[test]
fn a_rollback_with_only_the_serving_artifact_left_fails_visibly_and_changes_nothing() {
    // The operator marked the tampered artifact good: it is the only known-good one,
    // and it is the one serving after the swap and the incident's own.
    let mark = |db: &str| {
        store_ok(db, "models", &["mark-good", ASSISTANT, "2.3.1", "--digest", TAMPERED]);
    };
    let rollback = r#"{ action = "rollback", model = "support-assistant" }"#;
    let (_dir, db, run) = run(&echo("enforce", "", &[rollback]), mark);
    let id = swap_incident(&db);
    let action = actions(&db, &id).into_iter().find(|a| a["kind"] == "rollback-model").expect("a rollback");
    assert_eq!(action["status"], "failed", "{action:#}");
    assert_eq!(
        action["result"],
        "nothing would move: support-assistant has no known-good, unquarantined version registered before the \
         incident other than the one serving and the incident's own"
    );
    assert_eq!(store_json(&db, "incidents", &["show", &id, "--json"])["state"], "open");
    let models = store_json(&db, "models", &["list", "--json"]);
    let assistant = models.as_array().unwrap().iter().find(|m| m["model"] == ASSISTANT).unwrap();
    assert_eq!(assistant["serving"]["digest"], TAMPERED);
    assert!(!store_ok(&db, "models", &["history", ASSISTANT]).contains("rollback"));
    assert_eq!(guard_findings(&run), []);
}
