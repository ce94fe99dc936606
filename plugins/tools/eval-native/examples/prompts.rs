//! Measure the prompt-level chain on labelled prompts (see the `eval_native` crate doc).
//!
//! `cargo run --release -p eval-native --example prompts [-- FILE] [--show-misses] [--show-fp]`;
//! FILE defaults to `shared/eval/prompts.jsonl` beside the project root.

use eval_native::{Chain, print, read_rows};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().any(|a| a == name);
    let default = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../../shared/eval/prompts.jsonl");
    let path = args.iter().find(|a| !a.starts_with("--")).map_or(default, PathBuf::from);
    let rows = match std::fs::read_to_string(&path).map_err(|e| e.to_string()).and_then(|s| read_rows(&s)) {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("eval: cannot read {}: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    let mut chain = Chain::default();
    let verdicts: Vec<_> = rows.iter().map(|r| chain.run(r)).collect();
    println!("{} rows from {}\n", rows.len(), path.display());
    print(&verdicts, flag("--show-misses"), flag("--show-fp"));
    ExitCode::SUCCESS
}
