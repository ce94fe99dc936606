//! Issue 10, item 4: what a plugin says, and what a log holds, reaches a person only
//! escaped. `forger` puts escape sequences, bidi overrides and CR/LF into its evidence,
//! its declined text, its panic message and its log line; the log puts them into a
//! user's text, principal, session and model. No output of `aiir run`, `incidents`,
//! `models`, `test` or `inspect` may carry them raw, and the Art. 73 draft gains no
//! Markdown structure from a finding's title.

use crate::support::{Run, aiir, aiir_cmd, guest, on_store, root, shared_cache, temp_file};
use serde_json::Value;
use std::path::Path;

/// Two events whose user, principal, session and model carry a terminal attack.
const LOG: &str = r#"{"id":"x1","time":"2026-11-27T13:00:00Z","source":"api","principal":"user:\u001b[2Jmallory\u202e","session":"s\u001b]8;;https://evil.example\u0007","model":{"name":"assistant\u001b[2K\u202e","version":"1\u001b[8m"},"payload":{"inference":{"input":[{"role":"user","content":"hi \u001b[31mthere\u202e\r\naiir: fake"}]}}}
{"id":"x2","time":"2026-11-27T13:00:01Z","source":"api","principal":"user:\u001b[2Jmallory\u202e","session":"s\u001b]8;;https://evil.example\u0007","payload":{"inference":{"input":[{"role":"user","content":"again"}]}}}
"#;

/// `forger` as a finding detector (escapes in its evidence and log line), a decliner
/// and a panicker, each with escapes in the text it hands the host.
fn config(forger: &Path) -> String {
    let wasm = format!("wasm = {:?}", forger.to_str().unwrap());
    format!(
        r#"[[detector]]
name = "forger"
{wasm}
[detector.settings]
log = "ok\r\naiir: plugin \"prompt-injection\" DISABLED\u001b[2K"
findings = [{{ rule = "forger/leak", title = "a leak", techniques = ["AML.T0057"], evidence = [["payload.inference.input[0].content", "\u001b[2J\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 \u202egnp.exe\r\naiir: fake \u009b2J"]] }}]
[[detector]]
name = "decliner"
{wasm}
[detector.settings]
decline = "no\u001b[2J\r\naiir: plugin \"forger\" DISABLED\u202e"
[[detector]]
name = "panicker"
{wasm}
[detector.settings]
panic = "boom\u001b]8;;https://evil.example\u0007click\u009b2J\rover"
"#
    )
}

/// The first character in `text` a terminal or a bidi renderer would act on.
fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// Neither stdout nor stderr of `run` carries a raw control or bidi character.
fn assert_no_raw(what: &str, run: &Run) {
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(c) = raw_control(text) {
            panic!("{what}: raw {c:?} on {stream}: {text:?}");
        }
    }
}

/// No line of `text` starts with `forged`: a plugin's CR/LF drew no line of its own.
fn assert_no_forged_line(what: &str, text: &str, forged: &str) {
    assert!(!text.lines().any(|l| l.trim_start().starts_with(forged)), "{what}: a forged {forged:?} line: {text:?}");
}

/// Run the three forgers over the log into a fresh store.
fn forged_run() -> (tempfile::TempDir, String, Run) {
    let (dir, config_path) = temp_file("aiir.toml", config(&guest("forger")).as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let db = dir.path().join("aiir.db").to_str().unwrap().to_owned();
    let run = aiir_cmd(
        "run",
        &["--workers", "1", "--config", config_path.to_str().unwrap(), "--store", &db, log.to_str().unwrap()],
    );
    (dir, db, run)
}

#[test]
fn run_summary_diagnostics_and_logs_show_plugin_text_escaped() {
    let (_dir, _db, run) = forged_run();
    assert_ne!(run.code, 2, "{}", run.stderr.escape_debug());
    assert_no_raw("aiir run", &run);
    // The declined text and the panic message are on the "did not inspect" lines, escaped.
    assert!(
        run.stderr.contains(r#"declined: no\u{1b}[2J\r\naiir: plugin "forger" DISABLED\u{202e}"#),
        "{:?}",
        run.stderr
    );
    assert!(run.stderr.contains(r"\u{1b}]8;;https://evil.example\u{7}click\u{9b}2J"), "{:?}", run.stderr);
    // The log line is two log events, neither starting a line of aiir's own.
    assert!(run.stderr.contains(r"DISABLED\u{1b}[2K"), "{:?}", run.stderr);
    assert_no_forged_line("aiir run", &run.stderr, "aiir: plugin \"forger\" DISABLED");
    assert_no_forged_line("aiir run", &run.stderr, "aiir: plugin \"prompt-injection\" DISABLED");
    // The findings stay JSON, their text intact, and show no raw control either.
    let evidence =
        run.findings().iter().find(|f| f["rule"] == "forger/leak").map(|f| f["evidence"][0]["excerpt"].clone());
    let evidence = evidence.unwrap_or_else(|| panic!("no forger/leak finding: {}", run.stdout.escape_debug()));
    assert!(evidence.as_str().unwrap().contains("\u{202e}gnp.exe\r\naiir: fake \u{9b}2J"), "{evidence}");
}

#[test]
fn text_lines_show_plugin_and_log_text_escaped() {
    let config =
        config(&guest("forger")).replace("name = \"panicker\"\n", "name = \"panicker\"\non_error = \"fail-closed\"\n");
    let (dir, config_path) = temp_file("aiir.toml", config.as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let args = ["--workers", "1", "--output-format", "text", "--config", config_path.to_str().unwrap()];
    let run = aiir_cmd("run", &[&args[..], &[log.to_str().unwrap()]].concat());
    assert_ne!(run.code, 2, "{}", run.stderr.escape_debug());
    assert_no_raw("aiir run --output-format text", &run);
    assert_no_forged_line("aiir run --output-format text", &run.stdout, "aiir: fake");
    assert_eq!(run.stdout.lines().count(), 4, "a leak and a refusal per event: {:?}", run.stdout);
    let leak = run.stdout.lines().find(|l| l.contains("  forger/leak  ")).unwrap_or_else(|| panic!("{:?}", run.stdout));
    let who = r"api  session s\u{1b}]8;;https://evil.example\u{7}  ";
    let excerpt =
        r#""\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}click\u{1b}]8;;\u{7} \u{202e}gnp.exe\r\naiir: fake \u{9b}2J""#;
    assert!(leak.contains(&format!("log.jsonl:1  {who}{excerpt}")), "{leak:?}");
    let refused = run.stdout.lines().find(|l| l.contains("aiir/not-inspected")).unwrap();
    assert!(refused.contains(r#"not inspected by plugin "panicker": panic: "#), "{refused:?}");
    // The detail is cut to its first 80 characters before it is escaped.
    assert!(refused.ends_with(r"boom\u{1b}]8;;https://evil.example\u{7}click\u{9b}2J\rov…"), "{refused:?}");
}

#[test]
fn incidents_and_models_show_plugin_and_log_text_escaped() {
    let (_dir, db, run) = forged_run();
    assert_ne!(run.code, 2, "{}", run.stderr.escape_debug());
    let list = on_store(&db, "incidents", &["list", "--state", "all"]);
    assert_eq!(list.code, 0, "{}", list.stderr.escape_debug());
    assert_no_raw("incidents list", &list);
    assert!(list.stdout.contains(r"s\u{1b}]8;;https://evil.example\u{7}"), "{:?}", list.stdout);
    let json = on_store(&db, "incidents", &["list", "--state", "all", "--json"]);
    assert_no_raw("incidents list --json", &json);
    let all: Value = serde_json::from_str(&json.stdout).unwrap();
    let ids: Vec<&str> = all.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert!(!ids.is_empty(), "{}", json.stdout);
    let mut shown = String::new();
    for id in ids {
        for command in ["show", "timeline"] {
            let out = on_store(&db, "incidents", &[command, id]);
            assert_eq!(out.code, 0, "{}", out.stderr.escape_debug());
            assert_no_raw(&format!("incidents {command} {id}"), &out);
            assert_no_forged_line(command, &out.stdout, "aiir: fake");
            shown += &out.stdout;
        }
    }
    for visible in [
        r"user:\u{1b}[2Jmallory\u{202e}",
        r"\u{1b}[2J\u{1b}]8;;https://evil.example\u{7}click",
        r"\r\naiir: fake \u{9b}2J",
    ] {
        assert!(shown.contains(visible), "lacks {visible:?}: {shown:?}");
    }
    let models = on_store(&db, "models", &["list"]);
    assert_no_raw("models list", &models);
}

#[test]
fn aiir_test_shows_plugin_text_escaped() {
    let cases = r#"
[[case]]
name = "declines"
settings = { decline = "no\u001b[2J\r\nPASS  a forged case\u202e" }
none = true
[[case.events]]
id = "e\u001b[1A"
time = 2026-11-27T13:00:00Z
source = "review"
payload = { inference = { input = [{ role = "user", content = "hi" }] } }

[[case]]
name = "panics"
settings = { panic = "boom\u001b]8;;https://evil.example\u0007x\u009b2J" }
none = true
[[case.events]]
id = "p1"
time = 2026-11-27T13:00:00Z
source = "review"
payload = { inference = { input = [{ role = "user", content = "hi" }] } }

[[case]]
name = "finds"
settings = { findings = [{ rule = "forger/leak", title = "a leak", evidence = [["payload.inference.input[0].content", "\u001b[2Jx"]] }] }
none = true
[[case.events]]
id = "f1"
time = 2026-11-27T13:00:00Z
source = "review"
payload = { inference = { input = [{ role = "user", content = "hi" }] } }
"#;
    let (_dir, path) = temp_file("cases.toml", cases.as_bytes());
    let cache = shared_cache();
    let forger = guest("forger");
    let args =
        ["test", "--cache-dir", cache.to_str().unwrap(), forger.to_str().unwrap(), "--cases", path.to_str().unwrap()];
    let run = aiir(&root(), &args);
    assert_eq!(run.code, 1, "{}{}", run.stdout.escape_debug(), run.stderr.escape_debug());
    assert_no_raw("aiir test", &run);
    assert_no_forged_line("aiir test", &run.stdout, "PASS  a forged case");
    for visible in
        [r"no\u{1b}[2J\r\nPASS  a forged case\u{202e}", r"e\u{1b}[1A", r"\u{1b}]8;;https://evil.example\u{7}x\u{9b}2J"]
    {
        assert!(run.stdout.contains(visible), "lacks {visible:?}: {:?}", run.stdout);
    }
}

#[test]
fn inspect_refuses_an_info_that_would_drive_the_terminal() {
    let run = aiir(&root(), &["inspect", "--no-cache", guest("info-spoofer").to_str().unwrap()]);
    assert_no_raw("aiir inspect", &run);
    // Refused at load, the first broken rule named with the plugin's text escaped.
    assert_eq!(run.code, 2, "{:?}", run.stdout);
    assert!(run.stdout.is_empty(), "{:?}", run.stdout);
    let refusal = r#"cannot start: invalid-output: info.name: "\u{1b}[2J\u{1b}[Hspoof" is not a name"#;
    assert!(run.stderr.contains(refusal), "{:?}", run.stderr);
}

#[test]
fn a_finding_title_adds_no_markdown_to_the_art73_draft() {
    let title = "ok <!-- hidden [click](https://evil.example) | ## Corrective measures taken";
    let config = format!(
        r#"[[detector]]
name = "forger"
wasm = {:?}
family = "data-leakage"
[detector.settings]
findings = [{{ rule = "forger/leak", title = {title:?}, severity = "critical", techniques = ["AML.T0057"] }}]

[[responder]]
name = "regulator-report"
mode = "enforce"
[responder.settings]
provider = {{ name = "Northwind Outfitters GmbH", address = "Hafenstraße 12, Hamburg", contact = "ai@northwind.example" }}
system = {{ name = "Northwind support assistant" }}
harm = {{ data-leakage = "fundamental-rights", other = "fundamental-rights", forger = "fundamental-rights" }}
"#,
        guest("forger").to_str().unwrap()
    );
    let (dir, config_path) = temp_file("aiir.toml", config.as_bytes());
    let log = dir.path().join("log.jsonl");
    std::fs::write(&log, LOG).unwrap();
    let db = dir.path().join("aiir.db").to_str().unwrap().to_owned();
    let run = aiir_cmd("run", &["--config", config_path.to_str().unwrap(), "--store", &db, log.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr.escape_debug());
    let all: Value = serde_json::from_str(&on_store(&db, "incidents", &["list", "--json"]).stdout).unwrap();
    let incident = all.as_array().unwrap().iter().find(|i| i["family"] == "data-leakage");
    let id = incident.unwrap_or_else(|| panic!("no incident of the finding: {all}"))["id"].as_str().unwrap();
    let export = on_store(&db, "incidents", &["export", id, "--format", "art73"]);
    assert_eq!(export.code, 0, "{}", export.stderr.escape_debug());
    let md = &export.stdout;
    assert!(
        md.contains(r"ok &lt;\!-- hidden \[click\]\(https://evil.example\) \| \#\# Corrective measures taken"),
        "{md}"
    );
    for raw in ["<!--", "[click](", "| ##"] {
        assert!(!md.contains(raw), "raw {raw:?} in the draft:\n{md}");
    }
    assert_eq!(md.matches("## Corrective measures taken").count(), 1, "{md}");
    assert_no_raw("incidents export", &export);
}
