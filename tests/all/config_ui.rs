//! Invalid configurations in `tests/ui/*.toml`, each beside the `.err` text aiir must
//! print for it. `BLESS=1 cargo test` rewrites the `.err` files from the output.

use crate::support::{aiir, root, shared_cache};

#[test]
fn invalid_configs_report_every_problem_with_its_path() {
    let dir = root().join("tests/ui");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no cases in {}", dir.display());
    let cache = shared_cache();
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in cases {
        let file = case.file_name().unwrap().to_str().unwrap();
        let run = aiir(&dir, &["run", "--cache-dir", cache.to_str().unwrap(), "--config", file, "/dev/null"]);
        assert_eq!(run.code, 2, "{file}: {}", run.stderr);
        let expected_path = case.with_extension("err");
        if bless {
            std::fs::write(&expected_path, &run.stderr).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if run.stderr != expected {
            failures.push(format!("{file}\n--- expected\n{expected}--- got\n{}", run.stderr));
        }
    }
    assert!(failures.is_empty(), "run with BLESS=1 to accept:\n{}", failures.join("\n"));
}
