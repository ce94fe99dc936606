//! `aiir shadow OLD NEW LOG`: two versions of a detector over the same events, and
//! exactly where their findings differ, checked against two separate `aiir run`s.

use crate::support::{aiir_cmd, pack, root, temp_file};
use serde_json::Value;
use std::collections::BTreeSet;

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

#[test]
fn a_shadow_run_reports_exactly_where_two_versions_differ() {
    let old = found_with("");
    let new = found_with("extra_patterns = [\"refund\"]\nmin_confidence = 0.75");
    let wasm = pack("prompt-injection");
    let demo = root().join("examples/logs/demo.jsonl");
    let settings = r#"{"extra_patterns": ["refund"], "min_confidence": 0.75}"#;
    let args = [wasm.to_str().unwrap(), wasm.to_str().unwrap(), demo.to_str().unwrap(), "--new-settings", settings];
    let run = aiir_cmd("shadow", &[&args[..], &["--json"]].concat());
    assert_eq!(run.code, 1, "they differ: {}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let slugs: BTreeSet<&String> = old.iter().chain(&new).map(|(_, s)| s).collect();
    let rules = report["rules"].as_object().unwrap();
    assert_eq!(rules.keys().collect::<BTreeSet<_>>(), slugs);
    let mut differed = 0;
    for slug in slugs {
        let count = |set: &BTreeSet<(String, String)>, not: &BTreeSet<(String, String)>| {
            set.iter().filter(|(e, s)| s == slug && !not.contains(&(e.clone(), s.clone()))).count() as u64
        };
        let both = old.iter().filter(|k| k.1 == *slug && new.contains(*k)).count() as u64;
        let r = &rules[slug.as_str()];
        assert_eq!(
            (r["both"].as_u64(), r["only_old"].as_u64(), r["only_new"].as_u64()),
            (Some(both), Some(count(&old, &new)), Some(count(&new, &old))),
            "{slug}: {r:#}"
        );
        differed += count(&old, &new) + count(&new, &old);
    }
    assert!(differed > 0, "the settings change nothing on the demo log: a vacuous test");
    assert_eq!(report["old"]["inspected"], report["new"]["inspected"]);

    let text = aiir_cmd("shadow", &args);
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
