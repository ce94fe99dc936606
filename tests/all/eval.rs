//! `aiir eval` measures a chain on labeled data, beside a length-only baseline.

use crate::support::aiir_cmd;

const PROMPTS: &str = "tests/fixtures/eval-prompts.jsonl";

#[test]
fn prompt_rows_give_a_confusion_matrix_per_kind_and_overall() {
    let run = aiir_cmd("eval", &[PROMPTS, "--plugin", "prompt-injection", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // a1 is a plain override; a2 is role play, which is not prompt-injection's to catch;
    // the harmful request h1 neither credits nor blames the detector.
    assert_eq!(report["detector"], serde_json::json!({"tp": 1, "fn": 1, "fp": 0, "tn": 2}));
    let kinds: Vec<(String, u64, u64)> = report["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["kind"].as_str().unwrap().to_owned(), k["rows"].as_u64().unwrap(), k["flagged"].as_u64().unwrap()))
        .collect();
    let expected = [("injection", 1, 1), ("roleplay", 1, 0), ("hard-negative", 2, 0), ("contrast", 1, 0)];
    assert_eq!(kinds, expected.map(|(k, r, f)| (k.to_owned(), r, f)));
    assert!(report["baseline"]["threshold"].as_u64().unwrap() > 0);
}

#[test]
fn the_text_report_shows_detector_beside_baseline() {
    let run = aiir_cmd("eval", &[PROMPTS, "--plugin", "prompt-injection"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in ["kind", "len ≥", "confusion             TP 1 FN 1 FP 0 TN 2", "recall                50.0%"] {
        assert!(run.stdout.contains(expected), "lacks {expected:?}:\n{}", run.stdout);
    }
}

#[test]
fn an_unknown_plugin_is_named() {
    let run = aiir_cmd("eval", &[PROMPTS, "--plugin", "no-such-plugin"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no built-in plugin named [\"no-such-plugin\"]"), "{}", run.stderr);
}
