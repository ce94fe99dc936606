//! Pre-initialisation of `prepared-detector` components: the host runs `warm-up` once,
//! when it compiles the component, and starts every instance from the memory it left,
//! from the cache as from a fresh compile, after a failure as at start. A `warm-up`
//! that never returns fails the load in bounded time, naming the plugin and the reason.

use crate::support::{Contained, aiir, guest, root, temp_file, wait_bounded};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A hello, an event that makes `prepared` trap, another hello.
const LOG: &str = r#"{"id":"e1","time":"2026-12-07T10:00:00Z","source":"api","payload":{"inference":{"input":[{"role":"user","content":"hello"}]}}}
{"id":"e2","time":"2026-12-07T10:00:01Z","source":"api","payload":{"inference":{"input":[{"role":"user","content":"trap"}]}}}
{"id":"e3","time":"2026-12-07T10:00:02Z","source":"api","payload":{"inference":{"input":[{"role":"user","content":"hello"}]}}}
"#;

/// `aiir run` on one worker with these detectors over [`LOG`], its cache in `cache`.
fn run(detectors: &str, cache: &std::path::Path) -> Contained {
    let (dir, config) = temp_file("aiir.toml", detectors.as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_aiir"))
        .current_dir(root())
        .args(["run", "--no-store", "--workers", "1", "--cache-dir", cache.to_str().unwrap(), "--config"])
        .args([&config, &log])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_bounded(child, Duration::from_secs(60))
}

fn detector(name: &str, component: &str) -> String {
    format!("[[detector]]\nname = {name:?}\nwasm = {:?}\n", guest(component).to_str().unwrap())
}

#[test]
fn every_instance_starts_warmed_up_once_compiled_or_cached_and_after_a_trap() {
    let cache = tempfile::tempdir().unwrap();
    let config = detector("prepared", "prepared");
    for pass in ["compiled", "cached"] {
        let run = run(&config, cache.path());
        // The summary's load column: the second run is served the snapshot from the cache.
        let row = run.stderr.lines().find(|l| l.split_whitespace().next() == Some("prepared"));
        assert!(row.is_some_and(|r| r.contains(&format!(" {pass} "))), "{pass}: {}", run.stderr);
        let titles: Vec<(String, String)> = run
            .findings_of("prepared")
            .iter()
            .map(|f| (f["event"].as_str().unwrap().to_owned(), f["title"].as_str().unwrap().to_owned()))
            .collect();
        assert!(run.stderr.contains("did not inspect event \"e2\""), "{pass}: {}", run.stderr);
        // e2 is not inspected (the run says so and exits 1); the instance that trapped on
        // it is replaced, and the new one starts from the warmed memory too, its call
        // count afresh.
        let expected = [("e1", "warmed 1, call 1"), ("e3", "warmed 1, call 1")].map(|(e, t)| (e.into(), t.into()));
        assert_eq!(titles, expected, "{pass}: {}", run.stderr);
    }
}

#[test]
fn inspect_names_the_prepared_world() {
    let run = aiir(&root(), &["inspect", "--no-cache", guest("prepared").to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("world      aiir:plugin/prepared-packed-detector@0.3.1"), "{}", run.stdout);
}

#[test]
fn a_warm_up_that_never_returns_fails_the_load_in_bounded_time() {
    let cache = tempfile::tempdir().unwrap();
    let config = format!("{}[[detector]]\nname = \"prompt-injection\"\n", detector("spinner", "warm-up-spin"));
    let run = run(&config, cache.path());
    assert_ne!(run.code, 0, "{}", run.stdout);
    let line = run.stderr.lines().find(|l| l.contains("\"spinner\"")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(line.contains("cannot warm up: deadline: call exceeded 1000 ms"), "{line}");
    let sha256 = aiir_host::runtime::sha256_hex(&std::fs::read(guest("warm-up-spin")).unwrap());
    let cached: Vec<String> =
        std::fs::read_dir(cache.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(!cached.iter().any(|name| name.starts_with(&sha256)), "a failed warm-up was cached: {cached:?}");
}
