//! `aiir new` in every SDK language, as a plugin author uses it: the project it writes
//! builds with the pinned toolchain (`sdk/<lang>/toolchain.sh`) and passes its native
//! tests. A detector passes `aiir test` on the cases it ships, loads with no grants into
//! `aiir run` beside the standard pack and finds what its rule says in the demo log; the
//! Python and JavaScript ones keep flat memory over a 100,000-call soak, where their
//! runtimes could leak. A responder proposes its blocks for the demo log's incidents.

use crate::support::{Run, actions_of, aiir, aiir_cmd, fresh_store, root, shared_cache};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The language's pinned toolchain, installed once (a no-op when it is there): the
/// folder to put first on `PATH`. Rust's is the one building this test.
fn toolchain(lang: &str) -> Option<String> {
    if lang == "rust" {
        return None;
    }
    let script = root().join(format!("sdk/{lang}/toolchain.sh"));
    let out = Command::new("bash").arg(&script).output().expect("cannot run a toolchain script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}: {}{}", script.display(), stdout, String::from_utf8_lossy(&out.stderr));
    Some(stdout.lines().last().expect("the toolchain script prints its bin folder").to_owned())
}

/// Run `program` in `dir` with the toolchain first on `PATH`; assert it succeeded.
fn run_in(dir: &Path, bin: Option<&str>, program: &str, args: &[&str]) -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    let path = bin.map_or(path.clone(), |bin| format!("{bin}:{path}"));
    // Rust templates build into one target folder kept between runs, as a user's would be.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("templates");
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} in {}:\n{all}", dir.display());
    all
}

/// `aiir new KIND NAME --lang LANG` into a fresh folder: the project's path.
fn new_project(kind: &str, name: &str, lang: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(name);
    let made = aiir(tmp.path(), &["new", kind, name, "--lang", lang, "--path", dir.to_str().unwrap()]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(made.stdout.contains("./build.sh"), "{}", made.stdout);
    (tmp, dir)
}

/// The native tests a template ships, with the language's own runner.
fn native_tests(lang: &str, dir: &Path, bin: Option<&str>) {
    match lang {
        "rust" => run_in(dir, bin, "cargo", &["test", "--release", "--quiet"]),
        "python" => run_in(dir, bin, "pytest", &["-q", "-p", "no:cacheprovider"]),
        "js" => run_in(dir, bin, "node", &["--test"]),
        _ => run_in(dir, bin, "./test.sh", &[]),
    };
}

/// The ids of the demo log's events that mention the template's default phrase.
fn demo_events_with(phrase: &str) -> BTreeSet<String> {
    let log = std::fs::read_to_string(root().join("examples/logs/demo.jsonl")).unwrap();
    let events = log.lines().filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    let mentions = events.filter(|e| e["payload"].to_string().to_lowercase().contains(phrase));
    mentions.map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

fn aiir_test(dir: &Path, wasm: &str, extra: &[&str]) -> Run {
    let cache = shared_cache();
    let mut args = vec!["test", "--cache-dir", cache.to_str().unwrap(), wasm, "--cases", "cases.toml"];
    args.extend_from_slice(extra);
    aiir(dir, &args)
}

/// Everything a detector author does, in `lang`.
fn detector_in(lang: &str, soak: bool) {
    let name = format!("acme-{lang}");
    let bin = toolchain(lang);
    let (_tmp, dir) = new_project("detector", &name, lang);
    run_in(&dir, bin.as_deref(), "./build.sh", &[]);
    let wasm = format!("{name}.wasm");
    assert!(dir.join(&wasm).is_file(), "./build.sh wrote no {wasm}");
    native_tests(lang, &dir, bin.as_deref());

    let reviewed = aiir_test(&dir, &wasm, &[]);
    assert_eq!(reviewed.code, 0, "{}{}", reviewed.stdout, reviewed.stderr);
    assert!(reviewed.stdout.contains("sandbox   no grants"), "{}", reviewed.stdout);
    assert!(reviewed.stdout.trim_end().ends_with(" passed, 0 failed"), "{}", reviewed.stdout);

    // Beside the standard pack's default chain, with no grants, over the demo log.
    let mut config = String::new();
    let chain = aiir_host::pack::names().into_iter().filter(|n| !aiir_host::pack::OPT_IN.contains(n));
    for builtin in chain {
        config.push_str(&format!("[[detector]]\nname = \"{builtin}\"\n"));
    }
    config.push_str(&format!("[[detector]]\nname = \"{name}\"\nwasm = \"{wasm}\"\n"));
    std::fs::write(dir.join("chain.toml"), config).unwrap();
    let demo = root().join("examples/logs/demo.jsonl");
    let run = aiir_cmd("run", &["--no-store", "-c", dir.join("chain.toml").to_str().unwrap(), demo.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules = run.event_rules();
    let rule = format!("{name}/phrase");
    let found: BTreeSet<String> = rules.iter().filter(|(_, r)| *r == rule).map(|(e, _)| e.clone()).collect();
    let expected = demo_events_with("previous instructions");
    assert!(!expected.is_empty());
    assert_eq!(found, expected, "{lang}: {rule} findings");
    assert!(rules.iter().any(|(_, r)| r.starts_with("prompt-injection/")), "the standard pack ran beside it");

    if soak {
        // 20,000 rounds of the cases' six events: 120,000 calls, each case in one instance.
        let soaked = aiir_test(&dir, &wasm, &["--soak", "20000"]);
        assert_eq!(soaked.code, 0, "{}{}", soaked.stdout, soaked.stderr);
        assert!(soaked.stdout.contains("soak: 5 flat, 0 failed"), "{}", soaked.stdout);
    }
}

/// Everything a responder author does, in `lang`: it answers the demo log's
/// prompt-injection incidents with a dry-run block of each principal behind a finding.
fn responder_in(lang: &str) {
    let name = format!("block-{lang}");
    let bin = toolchain(lang);
    let (_tmp, dir) = new_project("responder", &name, lang);
    run_in(&dir, bin.as_deref(), "./build.sh", &[]);
    native_tests(lang, &dir, bin.as_deref());
    let wasm = format!("{name}.wasm");
    let cache = shared_cache();
    let inspected = aiir(&dir, &["inspect", "--cache-dir", cache.to_str().unwrap(), &wasm]);
    assert!(
        inspected.stdout.contains("world      aiir:plugin/responder@0.3.1"),
        "{}{}",
        inspected.stdout,
        inspected.stderr
    );

    let config = format!(
        "[[detector]]\nname = \"prompt-injection\"\n[[responder]]\nname = \"{name}\"\nwasm = \"{wasm}\"\nmode = \"dry-run\"\n\
         [responder.settings]\nmin_findings = 1\n"
    );
    std::fs::write(dir.join("respond.toml"), config).unwrap();
    let db = fresh_store();
    let demo = root().join("examples/logs/demo.jsonl");
    let config = dir.join("respond.toml");
    let run =
        aiir_cmd("run", &["--store", db.to_str().unwrap(), "-c", config.to_str().unwrap(), demo.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let proposed = actions_of(db.to_str().unwrap(), &name);
    assert!(!proposed.is_empty(), "{lang}: no proposals\n{}", run.stderr);
    for action in &proposed {
        let reason = action["reason"].as_str().unwrap();
        assert_eq!(action["kind"], "block-principal", "{action:#}");
        assert!(reason.contains(" findings by ") && reason.contains(" in INC-"), "{action:#}");
    }
}

#[test]
fn responders_from_aiir_new_build_and_propose_in_every_language() {
    for lang in ["rust", "python", "js", "c"] {
        responder_in(lang);
    }
}

#[test]
fn a_rust_detector_from_aiir_new_builds_passes_and_runs() {
    detector_in("rust", false);
}

#[test]
fn a_python_detector_from_aiir_new_builds_passes_runs_and_soaks_flat() {
    detector_in("python", true);
}

#[test]
fn a_javascript_detector_from_aiir_new_builds_passes_runs_and_soaks_flat() {
    detector_in("js", true);
}

#[test]
fn a_c_detector_from_aiir_new_builds_passes_and_runs() {
    detector_in("c", false);
}

#[test]
fn a_plugin_that_leaks_fails_the_soak() {
    let (_tmp, cases) = crate::support::temp_file(
        "cases.toml",
        br#"[settings]
attack = "leak"
[[case]]
name = "any event"
none = true
[[case.events]]
id = "c1"
time = "2026-11-27T13:00:00Z"
source = "chat"
payload = { inference = { input = [{ role = "user", content = "hello" }] } }
"#,
    );
    let cache = shared_cache();
    let hostile = crate::support::guest("hostile");
    let args = ["test", "--cache-dir", cache.to_str().unwrap(), hostile.to_str().unwrap(), "--cases"];
    let run = aiir(&root(), &[&args[..], &[cases.to_str().unwrap(), "--soak", "3000"]].concat());
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("1 passed, 0 failed; soak: 0 flat, 1 failed"), "{}", run.stdout);
    let line = run.stdout.lines().find(|l| l.starts_with("FAIL  any event")).unwrap();
    // 1 KiB a call, give or take the allocator's own bookkeeping.
    let growth: f64 = line.rsplit("  ").next().unwrap().trim_end_matches(" B a call").parse().unwrap();
    assert!((1000.0..1200.0).contains(&growth), "{line}");
}
