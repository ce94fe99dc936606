//! `aiir test PLUGIN.wasm --cases FILE` runs a plugin over a cases file in the
//! strictest sandbox and says which cases pass.

use crate::support::{Run, aiir, guest, pack, root, shared_cache, temp_file};
use serde_json::Value;
use std::path::Path;

/// `aiir test` with the shared cache, from the repository root.
fn aiir_test(plugin: &Path, cases: &Path, extra: &[&str]) -> Run {
    let cache = shared_cache();
    let mut args = vec!["test", "--cache-dir", cache.to_str().unwrap(), plugin.to_str().unwrap(), "--cases"];
    args.push(cases.to_str().unwrap());
    args.extend_from_slice(extra);
    aiir(&root(), &args)
}

fn wrong_cases() -> Run {
    aiir_test(&pack("prompt-injection"), &root().join("tests/fixtures/wrong-cases.toml"), &[])
}

/// The plugins of the standard pack: the `cdylib` crates of `plugins/`.
/// The detectors of the standard pack (its responders have no cases files).
fn standard_plugins() -> Vec<String> {
    let mut names: Vec<String> = aiir_host::pack::names().into_iter().map(String::from).collect();
    names.sort();
    names
}

#[test]
fn each_standard_detector_passes_its_cases_file() {
    let names = standard_plugins();
    assert!(names.len() >= 2, "{names:?}");
    for name in &names {
        let cases = root().join(format!("plugins/detectors/{name}/cases.toml"));
        let run = aiir_test(&pack(name), &cases, &[]);
        assert_eq!(run.code, 0, "{name}:\n{}{}", run.stdout, run.stderr);
        let text = std::fs::read_to_string(&cases).unwrap();
        let n = text.lines().filter(|l| l.trim() == "[[case]]").count();
        assert!(n >= 3, "{name}: only {n} cases");
        assert_eq!(run.stdout.lines().last(), Some(format!("{n} passed, 0 failed").as_str()), "{}", run.stdout);
        assert_eq!(run.stdout.lines().filter(|l| l.starts_with("PASS  ")).count(), n, "{}", run.stdout);
        let header = format!("plugin    {name} 0.1.0");
        assert!(run.stdout.starts_with(&header), "{}", run.stdout);
        // Stateful detectors import `state` too, listed wherever their component puts it.
        let imports = run.stdout.lines().find_map(|l| l.strip_prefix("imports   aiir:plugin/{"));
        let imports = imports.and_then(|l| l.strip_suffix("}@0.3.1")).unwrap_or_else(|| panic!("{}", run.stdout));
        let imports: Vec<&str> = imports.split(", ").collect();
        assert!(imports.contains(&"types") && imports.contains(&"incidents"), "{}", run.stdout);
    }
}

#[test]
fn a_wrong_cases_file_fails_with_a_diff_of_expected_and_found() {
    let run = wrong_cases();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.lines().last(), Some("1 passed, 3 failed"), "{}", run.stdout);
    let out = &run.stdout;
    for expected in [
        "PASS  a benign question passes ",
        // A count that is off: the expectation, what matched, and every finding.
        "FAIL  counts one direct injection twice ",
        "      expected:  rule prompt-injection/direct, count 2\n      got:       1 (#1)\n      found:     1 finding\n",
        "        #1 prompt-injection/direct  medium  confidence 0.90  techniques AML.T0051.000 LLM01  event w1  at payload.inference.input[0].content\n",
        // A near miss on severity, and a forbidden rule that fires.
        "FAIL  forbids the direct injection that fires ",
        "      expected:  rule prompt-injection/direct, severity ≥ critical, at least one\n      got:       none\n",
        "      forbidden: rule prompt-injection/direct\n      got:       1 (#1)\n",
        "        #1 prompt-injection/direct  medium  ",
        // Settings `configure` refuses fail the case, with the plugin's reasons.
        "FAIL  hands the plugin settings it rejects ",
        "      error:     the plugin rejected the case's settings\n                 case[3].settings.min_confidence: must be between 0.0 and 1.0, not 1.5\n",
    ] {
        assert!(out.contains(expected), "lacks {expected:?}:\n{out}");
    }
}

#[test]
fn json_output_carries_each_case_and_its_costs() {
    let cases = root().join("tests/fixtures/wrong-cases.toml");
    let run = aiir_test(&pack("prompt-injection"), &cases, &["--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", run.stdout));
    assert_eq!(report["plugin"]["name"], "prompt-injection");
    assert_eq!(report["plugin"]["sha256"].as_str().unwrap().len(), 64);
    assert!(report["imports"].as_array().unwrap().iter().any(|i| i == "aiir:plugin/types@0.3.1"), "{report:#}");
    assert_eq!(report["sandbox"]["grants"], serde_json::json!([]));
    assert_eq!(report["totals"]["passed"], 1);
    assert_eq!(report["totals"]["failed"], 3);
    let case = &report["cases"][1];
    assert_eq!(case["name"], "counts one direct injection twice");
    assert_eq!(case["passed"], false);
    assert!(case["fuel"].as_u64().unwrap() > 0, "{case:#}");
    assert!(case["peak_memory"].as_u64().unwrap() > 0, "{case:#}");
    assert!(case["wall_ms"].as_f64().unwrap() > 0.0, "{case:#}");
    let failure =
        serde_json::json!({"kind": "unmet", "expected": "rule prompt-injection/direct, count 2", "matched": [1]});
    assert_eq!(case["failures"], serde_json::json!([failure]));
    assert_eq!(case["findings"][0]["rule"], "prompt-injection/direct");
    assert_eq!(case["findings"][0]["confidence"], 0.9, "an f32 prints as written");
    assert_eq!(case["findings"][0]["evidence"][0]["field"], "payload.inference.input[0].content");
    assert_eq!(report["cases"][0]["passed"], true);
}

#[test]
fn an_invalid_cases_file_is_reported_with_toml_paths() {
    let event = "[[case.events]]\nid = \"e1\"\ntime = \"2026-11-27T13:00:00Z\"\nsource = \"t\"\n";
    let text = format!(
        "[[case]]\nname = \"x\"\nnmae = \"y\"\n{event}payload = {{ inference = {{}} }}\n\
         [[case.expect]]\nrule = \"prompt-injection/direct\"\nmin_severity = \"hgh\"\nevent = \"e2\"\n\
         [[case]]\nname = \"z\"\nnone = true\n{event}payload = {{ inference = {{ retreived = [] }} }}\n"
    );
    let (_dir, path) = temp_file("cases.toml", text.as_bytes());
    let run = aiir_test(&pack("prompt-injection"), &path, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    for expected in [
        "cases.toml: 4 problems\n",
        "  case[0].nmae: unknown field `nmae`, expected one of ",
        "  case[0].expect[0].min_severity: unknown variant `hgh`, expected one of `info`, `low`, `medium`, `high`, `critical`\n",
        "  case[0].expect[0].event: no event \"e2\" in this case (events: e1)\n",
        "  case[1].events[0].payload.inference.retreived: invalid event: unknown field `retreived`",
    ] {
        assert!(run.stderr.contains(expected), "lacks {expected:?}:\n{}", run.stderr);
    }
}

#[test]
fn a_plugin_that_imports_sockets_is_refused_before_any_case_runs() {
    let cases = root().join("plugins/detectors/prompt-injection/cases.toml");
    let run = aiir_test(&guest("hostile-net"), &cases, &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("imports what it was not granted: "), "{}", run.stderr);
    assert!(run.stderr.contains("wasi:sockets/tcp@"), "{}", run.stderr);
    assert!(run.stderr.contains("aiir test grants nothing"), "{}", run.stderr);
}

#[test]
fn a_plugin_that_loops_fails_its_case_on_fuel() {
    let text = "[[case]]\nname = \"loops\"\nsettings = { attack = \"loop\" }\nnone = true\n\
                [[case.events]]\nid = \"e1\"\ntime = 2026-11-27T13:00:00Z\nsource = \"t\"\n\
                payload = { inference = { input = [{ role = \"user\", content = \"hi\" }] } }\n";
    let (_dir, path) = temp_file("cases.toml", text.as_bytes());
    let run = aiir_test(&guest("hostile"), &path, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("FAIL  loops "), "{}", run.stdout);
    assert!(run.stdout.contains("error:     event e1: plugin error fuel: ran out of fuel"), "{}", run.stdout);
    assert_eq!(run.stdout.lines().last(), Some("0 passed, 1 failed"));
}

/// A plugin that imports the filesystem is refused under review unless the reviewer
/// grants it, and granted it still reaches nothing: its reads fail inside the case.
#[test]
fn a_grant_links_an_import_under_review_and_still_opens_nothing() {
    let cases = "[[case]]\nname = \"reads a file\"\nnone = true\n[[case.events]]\nid = \"e1\"\n\
                 time = \"2026-11-27T13:00:00Z\"\nsource = \"review\"\n\
                 payload = { inference = { input = [{ role = \"user\", content = \"hi\" }], output = [] } }\n";
    let (_dir, path) = temp_file("cases.toml", cases.as_bytes());
    let plugin = guest("hostile-fs");
    let refused = aiir_test(&plugin, &path, &[]);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("--grant filesystem"), "{}", refused.stderr);
    let granted = aiir_test(&plugin, &path, &["--grant", "filesystem"]);
    assert_eq!(granted.code, 1, "{}{}", granted.stdout, granted.stderr);
    assert!(granted.stdout.contains("sandbox   grants filesystem;"), "{}", granted.stdout);
    assert!(granted.stdout.contains("FAIL  reads a file"), "{}", granted.stdout);
    assert!(!granted.stdout.contains("root:x:0:0"), "the sandbox opened a file: {}", granted.stdout);
    let unknown = aiir_test(&plugin, &path, &["--grant", "disk"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("use one of filesystem, sockets"), "{}", unknown.stderr);
}
