//! The second run loads plugins from the precompiled cache.

use crate::support::{aiir, root};

#[test]
fn second_run_loads_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().to_str().unwrap();
    let run = |n| {
        let r = aiir(&root(), &["run", "--no-store", "--cache-dir", cache_dir, "examples/logs/demo.jsonl"]);
        assert_eq!(r.code, 0, "run {n}: {}", r.stderr);
        r
    };
    let first = run(1);
    let second = run(2);
    assert!(first.stderr.contains("compiled") && !first.stderr.contains("cached"), "{}", first.stderr);
    assert!(second.stderr.contains("cached") && !second.stderr.contains("compiled"), "{}", second.stderr);
    assert_eq!(first.stdout, second.stdout, "the cache changes nothing but load time");
    let entries = std::fs::read_dir(cache.path()).unwrap().count();
    let plugins = first.stderr.lines().filter(|l| l.contains(" compiled ")).count();
    assert!(plugins >= 2 && entries == plugins, "one entry per standard plugin:\n{}", first.stderr);
}
