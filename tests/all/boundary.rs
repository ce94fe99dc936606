//! The trust boundary end to end: a plugin's output is data, never authority. The
//! `forger` guest returns whatever its settings say — forged rules, numbers that are
//! not numbers, techniques that point at another family, huge error text, slowness —
//! beside the well-behaved detectors of the hostile suite, over the same log. Each
//! lie must fail as the plugin's own error with its reason code, change no incident's
//! family, and leave the neighbours' findings exactly as they are without it.

use crate::sandbox::{EVENTS, LOG, MEMORY_BOUND_KIB, TIME_BOUND, WELL_BEHAVED, baseline};
use crate::support::{Contained, guest, root, shared_cache, store_json, wait_bounded};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use tempfile::TempDir;

/// A run with the forger beside the well-behaved detectors, and the store it wrote.
struct Forged {
    run: Contained,
    store: PathBuf,
    _dir: TempDir,
}

impl Forged {
    /// The families of the incidents in the store.
    fn families(&self) -> Vec<String> {
        let list = store_json(self.store.to_str().unwrap(), "incidents", &["list", "--json"]);
        list.as_array().unwrap().iter().map(|i| i["family"].as_str().unwrap().to_owned()).collect()
    }
}

/// `aiir run --store` with a `forger` entry (`extra` keys, then `settings`) and the
/// well-behaved detectors; checks the neighbours' findings and the memory bound.
fn forge(extra: &str, settings: &str) -> Forged {
    let wasm = guest("forger");
    let entry = format!("[[detector]]\nname = \"forger\"\nwasm = {wasm:?}\n{extra}\n[detector.settings]\n{settings}\n");
    let dir = tempfile::tempdir().unwrap();
    let (config, log, store) = (dir.path().join("aiir.toml"), dir.path().join("log.jsonl"), dir.path().join("aiir.db"));
    std::fs::write(&config, format!("{entry}\n{WELL_BEHAVED}")).unwrap();
    std::fs::write(&log, LOG).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_aiir"))
        .current_dir(root())
        .args(["run", "--workers", "1", "--cache-dir", shared_cache().to_str().unwrap(), "--store"])
        .args([&store, &PathBuf::from("--config"), &config, &log])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = wait_bounded(child, TIME_BOUND);
    assert!(run.max_rss_kib < MEMORY_BOUND_KIB, "aiir grew to {} KiB", run.max_rss_kib);
    assert_eq!(run.well_behaved(), baseline(), "the neighbours are unaffected\n{}", run.stderr);
    assert!(run.stderr.contains(&format!("aiir: {EVENTS} events read, 0 lines rejected")), "{}", run.stderr);
    Forged { run, store, _dir: dir }
}

/// One forged finding as forger's settings: `[[findings]]` with these keys.
fn finding(keys: &str) -> String {
    format!("[[detector.settings.findings]]\n{keys}\n")
}

/// The forger failed on every event for `reason`, and said so on each.
fn assert_refused(f: &Forged, reason: &str, detail: &str) {
    let run = &f.run;
    assert_eq!(run.code, 1, "a plugin error is exit status 1, never a host error\n{}", run.stderr);
    assert_eq!(run.errors_of("forger"), format!("{EVENTS} ({reason} {EVENTS})"), "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().filter(|l| l.contains("plugin \"forger\" did not inspect")).collect();
    assert_eq!(lines.len() as u64, EVENTS, "{}", run.stderr);
    assert!(lines.iter().all(|l| l.contains(&format!(": {reason}: ")) && l.contains(detail)), "{lines:#?}");
    assert!(run.findings_of("forger").is_empty(), "nothing the forger said was kept");
}

#[test]
fn rules_outside_the_plugins_namespace_are_invalid_output() {
    for rule in
        ["aiir/not-inspected", "aiir/quarantined-model", "model-integrity/digest-changed", "prompt-injection/direct"]
    {
        let f = forge("", &finding(&format!("rule = {rule:?}\ntitle = \"forged\"\ntechniques = [\"LLM03\"]")));
        assert_refused(&f, "invalid-output", "findings[0].rule: ");
        assert_eq!(f.families(), ["prompt-injection", "prompt-injection"], "no forged incident opened");
    }
}

#[test]
fn the_family_comes_from_the_config_not_the_techniques() {
    let tampering =
        finding("rule = \"forger/digest-changed\"\ntitle = \"swapped\"\ntechniques = [\"AML.T0010.003\", \"LLM03\"]");
    let unknown = forge("", &tampering);
    assert_eq!(unknown.run.code, 0, "{}", unknown.run.stderr);
    assert_eq!(unknown.run.findings_of("forger").len() as u64, EVENTS);
    let families = unknown.families();
    assert!(!families.contains(&"model-integrity".to_owned()), "a third party's techniques chose {families:?}");
    assert_eq!(families.iter().filter(|f| *f == "other").count(), 4, "{families:?}");
    // The operator, and only the operator, can say what its findings mean.
    let granted = forge("family = \"model-integrity\"", &tampering);
    assert!(granted.families().contains(&"model-integrity".to_owned()), "{:?}", granted.families());
}

#[test]
fn a_confidence_that_is_not_a_number_from_0_to_1_fails_the_plugin_not_the_run() {
    for confidence in ["\"nan\"", "\"inf\"", "\"-inf\"", "-1e30", "7.0"] {
        let f = forge("", &finding(&format!("rule = \"forger/x\"\ntitle = \"x\"\nconfidence = {confidence}")));
        assert_refused(&f, "invalid-output", "findings[0].confidence: ");
        // Every line was stored, the neighbours' incidents with it.
        assert_eq!(f.families(), ["prompt-injection", "prompt-injection"]);
    }
}

#[test]
fn titles_with_control_characters_are_refused() {
    let title = "title = \"ok\\r\\n## Corrective measures taken\\n<!--\"";
    let f = forge("", &finding(&format!("rule = \"forger/x\"\n{title}")));
    assert_refused(&f, "invalid-output", "findings[0].title: control character U+000D");
}

#[test]
fn error_text_is_capped_before_it_is_printed_or_stored() {
    // 32 MiB of error text per event: over the output cap, so not even its first KiB is kept.
    let huge = forge("on_error = \"fail-closed\"\n[detector.limits]\nmemory_mib = 256", "decline_bytes = 33554432");
    assert_eq!(huge.run.errors_of("forger"), format!("{EVENTS} (output-too-large {EVENTS})"));
    assert!(huge.run.stdout.len() + huge.run.stderr.len() < 64 * 1024, "{} bytes out", huge.run.stdout.len());
    // 100 KiB: under the output cap, declined, and cut to its first KiB everywhere.
    let long = forge("on_error = \"fail-closed\"", "decline_bytes = 102400");
    assert_eq!(long.run.errors_of("forger"), format!("{EVENTS} (declined {EVENTS})"));
    let marks = long.run.findings_of("forger");
    assert_eq!(marks.len() as u64, EVENTS);
    for m in &marks {
        let detail = m["error"]["detail"].as_str().unwrap();
        assert!(detail.len() < 1100 && detail.ends_with("more bytes cut)"), "{} bytes", detail.len());
    }
    assert!(long.run.stderr.len() < 16 * 1024, "stderr: {} bytes", long.run.stderr.len());
    let stored = store_json(long.store.to_str().unwrap(), "incidents", &["list", "--json"]);
    assert!(stored.to_string().len() < 64 * 1024);
    // A panic message is plugin text too.
    let panic = forge("", &format!("panic = {:?}", "P".repeat(100_000)));
    assert_eq!(panic.run.errors_of("forger"), format!("{EVENTS} (panic {EVENTS})"));
    assert!(panic.run.stderr.len() < 16 * 1024, "stderr: {} bytes", panic.run.stderr.len());
}

#[test]
fn a_plugin_slow_on_every_event_is_disabled_as_slow() {
    // Each call well inside its deadline, every call over the time budget.
    let extra = "on_error = \"fail-closed\"\n[detector.breaker]\nfailures = 1\nslow_ms = 100";
    let f = forge(extra, "sleep_ms = 300");
    assert_eq!(f.run.code, 1, "{}", f.run.stderr);
    assert_eq!(f.run.errors_of("forger"), "2 (slow 1, disabled 1)", "{}", f.run.stderr);
    assert!(f.run.stderr.contains("plugin \"forger\" DISABLED"), "{}", f.run.stderr);
    let reasons: Vec<Value> = f.run.findings_of("forger").iter().map(|m| m["error"]["reason"].clone()).collect();
    assert_eq!(reasons, ["slow", "disabled"], "the third call judged the pace; the fourth was not made");
}
