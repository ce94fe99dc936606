//! Issue 5's end-to-end story on the demo log, whose deploy pipeline swaps the support
//! assistant's artifact under an unchanged version (`evt-0050`): with the rollback
//! responder enforcing, the serving alias goes back to the known-good artifact, the
//! tampered one is quarantined and every later event it serves is flagged, the audit
//! log shows each step and the Art. 73 draft names its deadline. In dry-run the same
//! log changes nothing and only records what would have been done.

use crate::support::{
    Run, aiir, aiir_run, demo_findings, fresh_store, root, serving_and_quarantined, store_json, store_ok,
};
use serde_json::Value;
use std::path::Path;

const DEMO: &str = "examples/logs/demo.jsonl";
const GOOD: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";
const TAMPERED: &str = "sha256:3638c2f52debb06c41b0879e0facc6de3fa81f572e8ee994ebe2e411c0a9cfbf";

fn ok(db: &Path, command: &str, args: &[&str]) -> String {
    store_ok(db.to_str().unwrap(), command, args)
}

fn json(db: &Path, command: &str, args: &[&str]) -> Value {
    store_json(db.to_str().unwrap(), command, args)
}

/// Mark the good artifact known-good, then run the demo with `examples/respond.toml`
/// (its rollback responder's mode replaced by `mode`).
fn respond(mode: &str) -> (tempfile::TempDir, std::path::PathBuf, Run) {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(root().join("examples/respond.toml")).unwrap();
    let config =
        config.replace("name = \"rollback\"\nmode = \"enforce\"", &format!("name = \"rollback\"\nmode = \"{mode}\""));
    let config = config.replace(
        "name = \"regulator-report\"\nmode = \"enforce\"",
        &format!("name = \"regulator-report\"\nmode = \"{mode}\""),
    );
    let config_path = dir.path().join("respond.toml");
    std::fs::write(&config_path, config).unwrap();
    let db = dir.path().join("aiir.db");
    ok(&db, "models", &["mark-good", "support-assistant", "2.3.1", "--digest", GOOD]);
    let run = aiir_run(&["--config", config_path.to_str().unwrap(), "--store", db.to_str().unwrap(), DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (dir, db, run)
}

/// The model-integrity incident of the support assistant.
fn swap_incident(db: &Path) -> Value {
    let list = json(db, "incidents", &["list", "--state", "all", "--json"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|i| i["family"] == "model-integrity" && i["key"] == "support-assistant")
        .cloned()
        .unwrap_or_else(|| panic!("no model-integrity incident on support-assistant: {list:#}"))
}

/// The support assistant as `aiir models list --json` shows it.
fn assistant(db: &Path) -> Value {
    let models = json(db, "models", &["list", "--json"]);
    let model = models.as_array().unwrap().iter().find(|m| m["model"] == "support-assistant");
    model.expect("support-assistant in the registry").clone()
}

/// (digest, quarantined) of each of the assistant's artifacts.
fn quarantine_marks(db: &Path) -> Vec<(String, bool)> {
    let versions = assistant(db)["versions"].as_array().unwrap().clone();
    let mut marks: Vec<_> =
        versions.iter().map(|v| (v["digest"].as_str().unwrap().to_owned(), v["quarantined"] == true)).collect();
    marks.sort();
    marks
}

#[test]
fn a_swapped_model_is_rolled_back_quarantined_flagged_audited_and_reported() {
    let (dir, db, run) = respond("enforce");
    let id = swap_incident(&db)["id"].as_str().unwrap().to_owned();

    // Every event the tampered artifact serves after the quarantine is a finding.
    let flagged: Vec<(String, String)> =
        run.event_rules().into_iter().filter(|(_, rule)| rule == "aiir/quarantined-model").collect();
    let served_by_tampered = std::fs::read_to_string(root().join(DEMO))
        .unwrap()
        .lines()
        .filter(|l| l.contains(TAMPERED) && !l.contains("model_lifecycle"))
        .count();
    assert_eq!(flagged.len(), served_by_tampered, "{flagged:?}");
    assert!(flagged.iter().any(|(event, _)| event == "evt-0051"), "{flagged:?}");

    // The alias is back on the good artifact; the tampered one is quarantined.
    assert_eq!(assistant(&db)["serving"]["digest"], GOOD);
    let history = ok(&db, "models", &["history", "support-assistant"]);
    let last = history.lines().last().unwrap();
    assert!(last.contains(&format!("2.3.1@{TAMPERED}")) && last.contains(&format!("2.3.1@{GOOD}")), "{history}");
    assert!(last.contains("rollback"), "{history}");
    assert_eq!(quarantine_marks(&db), [(TAMPERED.to_owned(), true), (GOOD.to_owned(), false)]);

    // The incident is recovered, and the audit log has every step.
    let show = json(&db, "incidents", &["show", &id, "--json"]);
    assert_eq!(show["state"], "recovered", "{show:#}");
    let timeline = ok(&db, "incidents", &["timeline", &id]);
    for step in ["opened", "action-proposed", "action-status", "quarantined", "state"] {
        assert!(timeline.contains(step), "no {step:?} in the timeline:\n{timeline}");
    }
    assert!(timeline.contains("executed"), "{timeline}");

    // The Art. 73 draft: 15 days from awareness (an infringement of fundamental rights).
    let report = json(&db, "incidents", &["export", &id, "--format", "art73", "--json"]);
    assert_eq!(report["deadline"]["days"], 15, "{report:#}");
    let aware = parse(show["opened_at"].as_str().unwrap());
    assert_eq!(parse(report["aware_at"].as_str().unwrap()), aware.replace_nanosecond(0).unwrap(), "{report:#}");
    let due = aware.replace_nanosecond(0).unwrap() + time::Duration::days(15);
    assert_eq!(parse(report["deadline"]["date"].as_str().unwrap()), due, "{report:#}");
    let markdown = ok(&db, "incidents", &["export", &id, "--format", "art73"]);
    assert!(markdown.contains("Deadline: ") && markdown.contains("15 days from awareness"), "{markdown}");
    assert!(dir.path().join(format!("reports/{id}-regulator-report-art73.md")).exists());
}

#[test]
fn an_action_waiting_for_approval_is_carried_out_when_approved() {
    let (_dir, db, _) = respond("enforce");
    let list = json(&db, "incidents", &["list", "--json"]);
    let sweep = list.as_array().unwrap().iter().find(|i| i["family"] == "model-extraction").expect("the sweep");
    let id = sweep["id"].as_str().unwrap().to_owned();
    let show = json(&db, "incidents", &["show", &id, "--json"]);
    let pending =
        show["actions"].as_array().unwrap().iter().find(|a| a["status"] == "pending").expect("a pending block");
    assert_eq!(pending["kind"], "block-principal", "{show:#}");
    let number = pending["id"].to_string();
    let approved = ok(&db, "incidents", &["approve", &id, &number]);
    assert!(approved.contains("executed") && approved.contains("blocked apikey:trailbuddy-partner"), "{approved}");
    let again = aiir(&root(), &["incidents", "--store", db.to_str().unwrap(), "approve", &id, &number]);
    assert_eq!(again.code, 2, "approved twice: {}", again.stdout);
    assert!(again.stderr.contains("not waiting for approval"), "{}", again.stderr);
    let show = json(&db, "incidents", &["show", &id, "--json"]);
    assert_eq!(show["state"], "contained", "{show:#}");
}

#[test]
fn a_dry_run_changes_nothing_and_records_what_it_would_have_done() {
    let (dir, db, run) = respond("dry-run");
    let id = swap_incident(&db)["id"].as_str().unwrap().to_owned();
    assert!(!run.event_rules().iter().any(|(_, rule)| rule.starts_with("aiir/")), "{}", run.stdout);
    // The alias stays where the log left it: on the tampered artifact; nothing quarantined.
    assert_eq!(assistant(&db)["serving"]["digest"], TAMPERED);
    assert_eq!(quarantine_marks(&db), [(TAMPERED.to_owned(), false), (GOOD.to_owned(), false)]);
    let history = ok(&db, "models", &["history", "support-assistant"]);
    assert!(!history.contains("rollback"), "{history}");
    // What would have been done is recorded.
    let show = ok(&db, "incidents", &["show", &id]);
    assert!(show.contains("rollback-model") && show.contains("quarantine-model") && show.contains("dry-run"), "{show}");
    assert!(!dir.path().join("reports").exists(), "a dry run filed reports");
    assert_eq!(json(&db, "incidents", &["show", &id, "--json"])["state"], "open");
}

#[test]
fn a_second_run_adds_to_the_incidents_it_continues() {
    let db = fresh_store();
    let db = db.to_str().unwrap();
    let first = aiir_run(&["--store", db, DEMO]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = json(Path::new(db), "incidents", &["list", "--state", "all", "--json"]);
    let again = aiir_run(&["--store", db, DEMO]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    // The findings are shown again, each marked, and counted apart; no incident grows.
    let seen = again.findings();
    assert_eq!(seen.len(), demo_findings().len(), "{}", again.stdout);
    assert!(seen.iter().all(|f| f["already_stored"] == true), "{}", again.stdout);
    assert!(first.findings().iter().all(|f| f.get("already_stored").is_none()), "{}", first.stdout);
    assert!(
        again.stderr.contains("33 findings (critical 2, high 17, medium 13, low 1), 33 already stored"),
        "{}",
        again.stderr
    );
    let after = json(Path::new(db), "incidents", &["list", "--state", "all", "--json"]);
    assert_eq!(before, after, "a re-run changed the incidents");
}

fn parse(rfc3339: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339).unwrap()
}

/// A webhook on loopback that answers 200 to every POST and keeps the bodies.
fn webhook() -> (u16, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (send, bodies) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").unwrap();
            if send.send(String::from_utf8(body).unwrap()).is_err() {
                return;
            }
        }
    });
    (port, bodies)
}

#[test]
fn notify_posts_each_serious_incident_to_an_allowed_webhook_and_records_a_refusal() {
    let (port, bodies) = webhook();
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[[detector]]\nname = \"model-integrity\"\n\
         [[responder]]\nname = \"notify\"\nmode = \"enforce\"\nallow_hosts = [\"127.0.0.1:{port}\"]\n\
         [responder.settings]\nurl = \"http://127.0.0.1:{port}/hooks/aiir\"\nmin_severity = \"critical\"\n"
    );
    let config_path = dir.path().join("notify.toml");
    std::fs::write(&config_path, config).unwrap();
    let db = dir.path().join("aiir.db");
    let run = aiir_run(&["--config", config_path.to_str().unwrap(), "--store", db.to_str().unwrap(), DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let body: Value = serde_json::from_str(&bodies.recv_timeout(std::time::Duration::from_secs(30)).unwrap()).unwrap();
    assert_eq!((body["family"].as_str(), body["key"].as_str()), (Some("model-integrity"), Some("support-assistant")));
    assert_eq!(body["severity"], "critical");
    let id = body["incident"].as_str().unwrap().to_owned();
    let show = ok(&db, "incidents", &["show", &id]);
    assert!(show.contains("notify") && show.contains("executed"), "{show}");

    // A webhook off the allow-list is never contacted; the action says why it failed.
    let refused = std::fs::read_to_string(&config_path)
        .unwrap()
        .replace("allow_hosts = [", "allow_hosts = [\"hooks.example\"] #");
    std::fs::write(&config_path, refused).unwrap();
    let db = dir.path().join("refused.db");
    let run = aiir_run(&["--config", config_path.to_str().unwrap(), "--store", db.to_str().unwrap(), DEMO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(bodies.recv_timeout(std::time::Duration::from_millis(500)).is_err(), "an off-list webhook was called");
    let show = ok(&db, "incidents", &["show", &id]);
    assert!(show.contains("failed") && show.contains("not on the allow-list"), "{show}");
}

/// The README's demo of a poisoning investigation: the pipeline's OpenLineage export,
/// read after the day's log, traces the poisoned batch to 1.9.0, the 1.8.1 put in
/// service after the rogue 1.6.2, and 1.9.1 fine-tuned from 1.9.0; the rollback goes
/// back to 1.8.0, quarantines all three and is not proposed again once carried out.
#[test]
fn the_demo_lineage_rolls_the_review_classifier_back_past_every_version_the_poison_reached() {
    let (dir, db, _) = respond("enforce");
    let config = dir.path().join("respond.toml");
    let (config, store) = (config.to_str().unwrap(), db.to_str().unwrap());
    let lineage =
        aiir_run(&["--config", config, "--store", store, "--format", "openlineage", "examples/logs/lineage.jsonl"]);
    assert_eq!(lineage.code, 0, "{}", lineage.stderr);
    assert!(!lineage.stderr.contains("proposing no rollback"), "{}", lineage.stderr);

    let list = json(&db, "incidents", &["list", "--state", "all", "--json"]);
    let poisoning = list.as_array().unwrap().iter().find(|i| i["family"] == "data-poisoning").expect("the poisoning");
    let impact = json(&db, "incidents", &["impact", poisoning["id"].as_str().unwrap(), "--json"]);
    let mut affected: Vec<&str> =
        impact["affected"].as_array().unwrap().iter().map(|a| a["version"].as_str().unwrap()).collect();
    affected.sort_unstable();
    assert_eq!(affected, ["1.8.1", "1.9.0", "1.9.1"], "{impact:#}");
    assert_eq!((&impact["traffic"]["events"], &impact["traffic"]["sessions"]), (&4.into(), &4.into()), "{impact:#}");

    let (serving, quarantined) = serving_and_quarantined(store, "review-classifier");
    assert_eq!((serving.as_str(), quarantined), ("1.8.0", affected.iter().map(|v| v.to_string()).collect()));
}
