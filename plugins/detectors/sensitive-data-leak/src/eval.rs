//! Precision and recall on the development set `shared/eval/pii_synth.json` (1,500
//! synthetic sentences with labelled spans), each sentence taken as model output.
//! Run by hand:
//!
//! ```sh
//! cargo test --release -p sensitive-data-leak -- --ignored --nocapture pii_synth
//! cargo test --release -p sensitive-data-leak -- --ignored --nocapture independent
//! ```
//!
//! Per sentence and type, found and labelled are matched by count: TP = min(found,
//! labelled), FP = found − TP, FN = labelled − TP. `PII_EVAL_SHOW=phone` prints the
//! sentences where that type has a false positive or a miss.

use super::SensitiveDataLeak;
use aiir_sdk::prelude::*;
use aiir_sdk::testkit::Harness;
use serde_json::Value;

/// Our rule (a prefix ending in `-` takes every rule it starts), the data set's label,
/// and whether the type has a quality target on the development set.
const TYPES: [(&str, &str, bool); 7] = [
    ("email", "EMAIL_ADDRESS", true),
    ("credit-card", "CREDIT_CARD", true),
    ("us-ssn", "US_SSN", true),
    ("iban", "IBAN_CODE", true),
    ("phone", "PHONE_NUMBER", true),
    ("street-address", "STREET_ADDRESS", false),
    ("secret-", "SECRET", false),
];

#[test]
#[ignore = "reads ../shared/eval/pii_synth.json beside the project root; run by hand"]
fn pii_synth() {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/eval/pii_synth.json");
    let path = std::env::var("PII_SYNTH").unwrap_or(default.to_owned());
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect("json");
    for ((rule, _, target), [tp, fp, fneg]) in TYPES.iter().zip(measure(&rows)) {
        if *target {
            let (precision, recall) = (tp as f64 / (tp + fp).max(1) as f64, tp as f64 / (tp + fneg).max(1) as f64);
            assert!(precision >= 0.95 && recall >= 0.90, "{rule} misses its target");
        }
    }
}

/// The development half of the independent set (`eval/independent.json`, see
/// `eval/generate.py`): the rows of one generator, Faker unless `PII_GENERATOR` says
/// otherwise. The other generator's rows are held out: look at them only to report.
#[test]
#[ignore = "reads eval/independent.json; run by hand"]
fn independent() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/independent.json");
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("json");
    let generator = std::env::var("PII_GENERATOR").unwrap_or("faker".into());
    let locale = std::env::var("PII_LOCALE").unwrap_or_default();
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| r["generator"] == *generator && (locale.is_empty() || r["locale"] == *locale))
        .collect();
    measure(&rows);
}

/// TP, FP, FN per type over `rows`, printed; `PII_EVAL_SHOW=phone` prints the rows
/// where that type has a false positive or a miss.
fn measure(rows: &[Value]) -> [[usize; 3]; TYPES.len()] {
    let show = std::env::var("PII_EVAL_SHOW").unwrap_or_default();
    let mut h = Harness::<SensitiveDataLeak>::new();
    let mut counts = [[0usize; 3]; TYPES.len()];
    for row in rows {
        let text = row["full_text"].as_str().expect("full_text");
        let findings = h.inspect(&Event::new("e", Inference::new().assistant(text)));
        for (t, (rule, label, _)) in TYPES.iter().enumerate() {
            let name = |f: &&Finding| f.rule.strip_prefix("sensitive-data-leak/").unwrap_or_default().to_owned();
            let of_rule = findings.iter().filter(|f| {
                let n = name(f);
                if rule.ends_with('-') { n.starts_with(rule) } else { n == *rule }
            });
            let found: usize = of_rule.map(|f| f.evidence.len()).sum();
            let spans = row["spans"].as_array().expect("spans");
            let labelled = spans.iter().filter(|s| s["entity_type"] == *label).count();
            let tp = found.min(labelled);
            counts[t][0] += tp;
            counts[t][1] += found - tp;
            counts[t][2] += labelled - tp;
            if show == *rule && found != labelled {
                let excerpts: Vec<&str> =
                    findings.iter().flat_map(|f| &f.evidence).map(|e| e.excerpt.as_str()).collect();
                let values: Vec<&Value> =
                    spans.iter().filter(|s| s["entity_type"] == *label).map(|s| &s["entity_value"]).collect();
                println!("found {found}, labelled {labelled} {values:?}: {text:?}\n  {excerpts:?}");
            }
        }
    }
    println!("{:<16} {:>5} {:>5} {:>5} {:>9} {:>7}", "type", "TP", "FP", "FN", "precision", "recall");
    for ((rule, _, _), [tp, fp, fneg]) in TYPES.iter().zip(counts) {
        let precision = tp as f64 / (tp + fp).max(1) as f64;
        let recall = tp as f64 / (tp + fneg).max(1) as f64;
        println!("{rule:<16} {tp:>5} {fp:>5} {fneg:>5} {precision:>9.3} {recall:>7.3}");
    }
    counts
}

/// What fires on the benign prompts of `shared/eval/prompts.jsonl` (instructions, news,
/// reviews, passages), read as model output: each hit printed, to look at by eye.
#[test]
#[ignore = "reads ../shared/eval/prompts.jsonl beside the project root; run by hand"]
fn benign_prompts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/eval/prompts.jsonl");
    let text = std::fs::read_to_string(path).expect(path);
    let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let benign: Vec<&str> = rows.iter().filter(|r| r["label"] == "benign").filter_map(|r| r["text"].as_str()).collect();
    let mut h = Harness::<SensitiveDataLeak>::new();
    let mut hits = 0;
    for text in &benign {
        for f in h.inspect(&Event::new("e", Inference::new().assistant(*text))) {
            hits += f.evidence.len();
            println!("{}: {:?}", f.rule, f.evidence.iter().map(|e| &e.excerpt).collect::<Vec<_>>());
        }
    }
    println!("{hits} data found in {} benign texts", benign.len());
}
