//! `aiir shadow OLD NEW LOG`: two versions of a detector over the same events, and
//! exactly where their findings differ, checked against two separate `aiir run`s; a
//! config's shadow entry in `aiir run` and `aiir serve`: nothing of it stored or
//! written, its divergence the same as `aiir shadow` reports.

use crate::serve::{Server, fixture_line, metric};
use crate::support::{Run, aiir_cmd, pack, root, temp_file};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The candidate's settings, which find more than the defaults on the demo log.
const NEW_SETTINGS: &str = "extra_patterns = [\"refund\"]\nmin_confidence = 0.75";
/// The same as JSON, for `aiir shadow --new-settings`.
const NEW_SETTINGS_JSON: &str = r#"{"extra_patterns": ["refund"], "min_confidence": 0.75}"#;

/// (event, rule slug) of every finding of `aiir run` with prompt-injection alone, with
/// these settings, over the demo log.
fn found_with(settings: &str) -> BTreeSet<(String, String)> {
    let config = format!("[[detector]]\nname = \"prompt-injection\"\n[detector.settings]\n{settings}\n");
    let (_dir, path) = temp_file("aiir.toml", config.as_bytes());
    let demo = root().join("examples/logs/demo.jsonl");
    let run = aiir_cmd("run", &["--no-store", "-c", path.to_str().unwrap(), demo.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let slug = |rule: &str| rule.split_once('/').unwrap().1.to_owned();
    run.event_rules().into_iter().map(|(event, rule)| (event, slug(&rule))).collect()
}

/// Per rule slug, (both, only old, only new) of two runs' (event, slug) findings.
fn expected_counts(
    old: &BTreeSet<(String, String)>,
    new: &BTreeSet<(String, String)>,
) -> BTreeMap<String, (u64, u64, u64)> {
    let mut counts: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for key in old.union(new) {
        let c = counts.entry(key.1.clone()).or_default();
        match (old.contains(key), new.contains(key)) {
            (true, true) => c.0 += 1,
            (true, false) => c.1 += 1,
            _ => c.2 += 1,
        }
    }
    counts
}

/// The `rules` of a JSON report as (both, only old, only new) per slug.
fn reported_counts(report: &Value) -> BTreeMap<String, (u64, u64, u64)> {
    let rules = report["rules"].as_object().unwrap_or_else(|| panic!("no rules in {report:#}"));
    let n = |r: &Value, k: &str| r[k].as_u64().unwrap();
    rules.iter().map(|(slug, r)| (slug.clone(), (n(r, "both"), n(r, "only_old"), n(r, "only_new")))).collect()
}

/// `aiir shadow` of the pack's prompt-injection against itself with [`NEW_SETTINGS`].
fn offline(extra: &[&str]) -> Run {
    let wasm = pack("prompt-injection");
    let demo = root().join("examples/logs/demo.jsonl");
    let (wasm, demo) = (wasm.to_str().unwrap(), demo.to_str().unwrap());
    aiir_cmd("shadow", &[&[wasm, wasm, demo, "--new-settings", NEW_SETTINGS_JSON], extra].concat())
}

#[test]
fn a_shadow_run_reports_exactly_where_two_versions_differ() {
    let (old, new) = (found_with(""), found_with(NEW_SETTINGS));
    let run = offline(&["--json"]);
    assert_eq!(run.code, 1, "they differ: {}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let expected = expected_counts(&old, &new);
    assert_eq!(reported_counts(&report), expected);
    assert!(expected.values().any(|c| c.1 + c.2 > 0), "the settings change nothing on the demo log: a vacuous test");
    assert_eq!(report["old"]["inspected"], report["new"]["inspected"]);

    let text = offline(&[]);
    assert!(text.stdout.contains("only new  ") || text.stdout.contains("only old  "), "{}", text.stdout);
    assert!(text.stdout.contains("verdict   the two differ on"), "{}", text.stdout);
}

#[test]
fn the_same_version_agrees_with_itself_and_a_bad_line_is_named() {
    let wasm = pack("jailbreak");
    let demo = std::fs::read_to_string(root().join("examples/logs/demo.jsonl")).unwrap();
    let (_dir, log) = temp_file("log.jsonl", format!("{demo}not json\n").as_bytes());
    let run = aiir_cmd("shadow", &[wasm.to_str().unwrap(), wasm.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("verdict   the two agree on every event"), "{}", run.stdout);
    assert!(run.stdout.contains("1 lines rejected"), "{}", run.stdout);
    let line = demo.lines().count() + 1;
    assert!(run.stderr.contains(&format!("log.jsonl:{line}:")), "{}", run.stderr);
}

/// A config of prompt-injection and `pi-candidate`, the same component with
/// [`NEW_SETTINGS`], shadowing it.
fn shadowed_config() -> (tempfile::TempDir, PathBuf) {
    let wasm = pack("prompt-injection");
    let config = format!(
        "[[detector]]\nname = \"prompt-injection\"\n\n\
         [[detector]]\nname = \"pi-candidate\"\nwasm = {:?}\nshadow = \"prompt-injection\"\n\
         [detector.settings]\n{NEW_SETTINGS}\n",
        wasm.to_str().unwrap()
    );
    temp_file("aiir.toml", config.as_bytes())
}

/// (event, rule) of every finding in the store.
fn stored(db: &Path) -> BTreeSet<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT event_id, rule FROM findings").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_shadow_entry_stores_and_writes_nothing_and_its_run_prints_what_aiir_shadow_prints() {
    let (dir, config) = shadowed_config();
    let db = dir.path().join("aiir.db");
    let demo = root().join("examples/logs/demo.jsonl");
    let args = ["-c", config.to_str().unwrap(), "--store", db.to_str().unwrap(), demo.to_str().unwrap()];
    let run = aiir_cmd("run", &args);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let written: BTreeSet<(String, String)> = run.event_rules().into_iter().collect();
    let slug = |(e, r): &(String, String)| (e.clone(), r.strip_prefix("prompt-injection/").unwrap().to_owned());
    assert!(written.iter().all(|(_, r)| r.starts_with("prompt-injection/")), "{written:?}");
    assert_eq!(written.iter().map(slug).collect::<BTreeSet<_>>(), found_with(""), "as if it ran alone");
    assert_eq!(stored(&db), written, "the store holds what was written, no more");
    assert!(!run.stderr.lines().any(|l| l.starts_with("  pi-candidate ")), "no summary row: {}", run.stderr);

    let expected = expected_counts(&found_with(""), &found_with(NEW_SETTINGS));
    assert!(expected.values().any(|c| c.2 > 0), "a vacuous test: {expected:?}");
    let offline = offline(&[]);
    let table: Vec<&str> = offline.stdout.lines().skip(2).collect();
    let header = "aiir: shadow \"pi-candidate\" of \"prompt-injection\":\nold       prompt-injection ";
    let (_, printed) = run.stderr.split_once(header).unwrap_or_else(|| panic!("no divergence: {}", run.stderr));
    let printed: Vec<&str> = printed.lines().skip(2).take(table.len()).collect();
    assert_eq!(printed, table, "the same report as aiir shadow:\n{}", run.stderr);
    for (slug, (both, only_old, only_new)) in &expected {
        let row = [slug.clone(), both.to_string(), only_old.to_string(), only_new.to_string()];
        assert!(printed.iter().any(|l| l.split_whitespace().eq(row.iter().map(String::as_str))), "no {row:?}");
    }
}

/// The report of `aiir shadow` of prompt-injection against itself with `settings`
/// (JSON), over the first request of the OTLP fixture.
fn offline_otlp(settings: &str) -> Value {
    let (_dir, line) = temp_file("otlp.jsonl", format!("{}\n", fixture_line()).as_bytes());
    let wasm = pack("prompt-injection");
    let (wasm, line) = (wasm.to_str().unwrap(), line.to_str().unwrap());
    let run = aiir_cmd("shadow", &[wasm, wasm, line, "--format", "otel-json", "--new-settings", settings, "--json"]);
    assert!(run.code < 2, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// `GET /api/v1/shadow`'s comparisons once `done` holds for them.
fn shadows_when(server: &Server, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (status, body) = server.get("/api/v1/shadow");
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        let shadows = answer["shadows"].as_array().unwrap_or_else(|| panic!("{body}"));
        if done(shadows) {
            return shadows.clone();
        }
        assert!(std::time::Instant::now() < deadline, "never there: {body}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_shadow_entry_in_serve_shows_its_divergence_in_metrics_and_on_its_route() {
    let wasm = pack("prompt-injection");
    let config = format!(
        "[[detector]]\nname = \"prompt-injection\"\n\n\
         [[detector]]\nname = \"pi-strict\"\nwasm = {:?}\nshadow = \"prompt-injection\"\n\
         [detector.settings]\nmin_confidence = 1.0\n",
        wasm.to_str().unwrap()
    );
    let (_dir, config) = temp_file("aiir.toml", config.as_bytes());
    let expected = offline_otlp(r#"{"min_confidence": 1.0}"#);
    let counts = reported_counts(&expected);
    assert!(counts.values().any(|c| c.1 > 0), "a vacuous test: {expected:#}");

    let server = Server::start(&["-c", config.to_str().unwrap(), "--no-grpc"]);
    assert_eq!(server.post("application/json", "", fixture_line().as_bytes()), (200, "{}".into()));
    let shadows = shadows_when(&server, |s| s.len() == 1 && s[0]["events"] == expected["events"]);
    let report = &shadows[0];
    assert_eq!(
        (&report["detector"], &report["shadows"]),
        (&Value::from("pi-strict"), &Value::from("prompt-injection"))
    );
    assert_eq!(report["rules"], expected["rules"], "the same as aiir shadow: {report:#}");
    for key in ["inspected", "findings", "errors"] {
        assert_eq!((&report["old"][key], &report["new"][key]), (&expected["old"][key], &expected["new"][key]), "{key}");
    }
    let text = server.metrics_when(|t| t.contains("aiir_shadow_calls_total{"));
    let labels = "detector=\"pi-strict\",shadows=\"prompt-injection\"";
    for (rule, (both, only_old, only_new)) in &counts {
        for (side, n) in [("both", both), ("old_only", only_old), ("new_only", only_new)] {
            let line = format!("aiir_shadow_findings_total{{{labels},rule=\"{rule}\",side=\"{side}\"}}");
            assert_eq!(metric(&text, &line), Some(*n as f64), "{line}:\n{text}");
        }
    }
    for side in ["old", "new"] {
        let line = format!("aiir_shadow_calls_total{{{labels},side=\"{side}\"}}");
        assert_eq!(metric(&text, &line), expected[side]["inspected"].as_f64(), "{line}:\n{text}");
        assert!(metric(&text, &format!("aiir_shadow_call_seconds_total{{{labels},side=\"{side}\"}}")).is_some());
    }
    assert!(!text.contains("aiir_findings_total{plugin=\"pi-strict\""), "no findings of a shadow: {text}");
    let timed = metric(&text, "aiir_plugin_call_duration_seconds_count{plugin=\"pi-strict\"}");
    assert_eq!(timed, expected["new"]["inspected"].as_f64(), "its calls are timed like any: {text}");

    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = run.event_rules();
    assert!(!written.is_empty() && written.iter().all(|(_, r)| r.starts_with("prompt-injection/")), "{written:?}");
    assert!(run.stderr.contains("aiir: shadow \"pi-strict\" of \"prompt-injection\":"), "{}", run.stderr);
}

/// Wait until `GET /api/v1/shadow` answers these comparisons, by shadow name, each
/// with this many events counted.
fn await_counts(server: &Server, expected: &[(&str, u64)]) {
    let expected: BTreeMap<&str, u64> = expected.iter().copied().collect();
    shadows_when(server, |shadows| {
        let counted = shadows.iter().map(|c| (c["detector"].as_str().unwrap(), c["events"].as_u64().unwrap()));
        counted.collect::<BTreeMap<_, _>>() == expected
    });
}

#[test]
fn a_reload_keeps_the_counts_of_an_unchanged_shadow_and_starts_or_stops_the_others() {
    let wasm = pack("prompt-injection");
    let entries = |old_settings: &str, alone: bool| {
        let mut config = format!(
            "[[detector]]\nname = \"prompt-injection\"\n[detector.settings]\n{old_settings}\n\
             [[detector]]\nname = \"pi-strict\"\nwasm = {:?}\nshadow = \"prompt-injection\"\n\
             [detector.settings]\nmin_confidence = 1.0\n",
            wasm.to_str().unwrap()
        );
        if alone {
            config.push_str("[[detector]]\nname = \"jailbreak\"\nshadow = true\n");
        }
        config
    };
    let events = offline_otlp("{}")["events"].as_u64().unwrap();
    assert!(events > 0);
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("aiir.toml");
    std::fs::write(&conf, entries("", false)).unwrap();
    let server = Server::start(&["--watch", "--no-grpc", "-c", conf.to_str().unwrap()]);
    let post = || assert_eq!(server.post("application/json", "", fixture_line().as_bytes()).0, 200);
    let reloads = |n: f64| move |t: &str| metric(t, r#"aiir_reloads_total{result="done"}"#) == Some(n);
    post();
    await_counts(&server, &[("pi-strict", events)]);

    // A shadow added: it starts from nothing; the unchanged one keeps its counts.
    std::fs::write(&conf, entries("", true)).unwrap();
    server.metrics_when(reloads(1.0));
    await_counts(&server, &[("pi-strict", events), ("jailbreak", 0)]);
    post();
    await_counts(&server, &[("pi-strict", 2 * events), ("jailbreak", events)]);

    // The entry it shadows changed, the other shadow removed: one starts again, one is gone.
    std::fs::write(&conf, entries("min_confidence = 0.6", false)).unwrap();
    server.metrics_when(reloads(2.0));
    await_counts(&server, &[("pi-strict", 0)]);
    post();
    await_counts(&server, &[("pi-strict", events)]);
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}
