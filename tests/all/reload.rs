//! `aiir run --follow --watch -c CONFIG`: the chain is reloaded between events while a
//! steady stream goes on, when the config changes (within 2 s) or on SIGHUP. Every event
//! is inspected once, by the old chain or by the new one, never by both or neither; a
//! broken config is refused and the running chain goes on; an unchanged detector keeps
//! its keyed state and its warm instance, on one worker or several.

use crate::follow::{checkpoint, hangup, terminate};
use crate::support::{aiir_cmd, guest, root, shared_cache};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(300);
const EVENTS: usize = 1500;

/// prompt-injection watching for `alpha-marker`, and with `jailbreak` also for
/// `beta-marker`: every event holds both, so each chain finds every event.
fn config(with_jailbreak: bool) -> String {
    let mut config =
        "[[detector]]\nname = \"prompt-injection\"\n[detector.settings]\nextra_patterns = [\"alpha-marker\"]\n"
            .to_owned();
    if with_jailbreak {
        config
            .push_str("[[detector]]\nname = \"jailbreak\"\n[detector.settings]\nextra_patterns = [\"beta-marker\"]\n");
    }
    config
}

fn event(i: usize) -> String {
    let event = serde_json::json!({
        "id": format!("r-{i:05}"), "time": "2026-11-27T13:00:00Z", "source": "reload-test",
        "session": format!("s-{}", i % 50),
        "payload": {"inference": {"input": [{"role": "user", "content": format!("order {i}: alpha-marker beta-marker")}]}},
    });
    format!("{event}\n")
}

pub fn wait_until(what: &str, child: &mut std::process::Child, stderr: &Path, done: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        let err = std::fs::read_to_string(stderr).unwrap_or_default();
        assert!(child.try_wait().unwrap().is_none(), "aiir ended before {what}:\n{err}");
        assert!(started.elapsed() < PATIENCE, "no {what}:\n{err}");
        std::thread::sleep(Duration::from_millis(10));
    }
    started.elapsed()
}

#[test]
fn a_reload_under_a_steady_stream_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (conf, log, db) = (dir.path().join("aiir.toml"), dir.path().join("log.jsonl"), dir.path().join("aiir.db"));
    let (out, err) = (dir.path().join("out.jsonl"), dir.path().join("err.txt"));
    std::fs::write(&conf, config(false)).unwrap();
    std::fs::write(&log, "").unwrap();
    // Both chains compiled once beforehand, so that a reload is timed, not a compile.
    std::fs::write(dir.path().join("warm.toml"), config(true)).unwrap();
    let warm =
        aiir_cmd("run", &["--no-store", "-c", dir.path().join("warm.toml").to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(warm.code, 0, "{}", warm.stderr);

    let mut child = Command::new(env!("CARGO_BIN_EXE_aiir"))
        .args([
            "run",
            "--cache-dir",
            shared_cache().to_str().unwrap(),
            "--follow",
            "--watch",
            "--poll-interval",
            "20ms",
        ])
        .args(["-c", conf.to_str().unwrap(), "--store", db.to_str().unwrap(), "--output", out.to_str().unwrap()])
        .arg(&log)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let stderr = || std::fs::read_to_string(&err).unwrap_or_default();
    let writer = {
        let log = log.clone();
        std::thread::spawn(move || {
            for chunk in (0..EVENTS).collect::<Vec<_>>().chunks(10) {
                let text: String = chunk.iter().map(|&i| event(i)).collect();
                OpenOptions::new().append(true).open(&log).unwrap().write_all(text.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(8));
            }
        })
    };
    let read = |n: u64| {
        let db = db.clone();
        move || checkpoint(&db).is_some_and(|c| c.line >= n)
    };
    wait_until("the first events", &mut child, &err, read(200));

    // An edited config is picked up within 2 s, between events.
    std::fs::write(&conf, config(true)).unwrap();
    let took = wait_until("the reload", &mut child, &err, || stderr().contains("aiir: reloaded"));
    assert!(took < Duration::from_secs(2), "the edit took {took:?} to load:\n{}", stderr());
    assert!(stderr().contains("keeping their state: prompt-injection"), "{}", stderr());

    // A broken config is refused whole; the running chain goes on.
    std::fs::write(&conf, "[[detector]\nname = ").unwrap();
    wait_until("the refusal", &mut child, &err, || stderr().contains("refused, the running chain goes on"));
    // SIGHUP with the same broken file: refused again, nothing changes.
    hangup(child.id());
    wait_until("a second refusal", &mut child, &err, || {
        stderr().matches("refused, the running chain goes on").count() >= 2
    });

    writer.join().unwrap();
    wait_until("every event", &mut child, &err, read(EVENTS as u64));
    terminate(child.id());
    let status = child.wait().unwrap();
    assert!(status.code().is_some_and(|c| c <= 1), "{status}:\n{}", stderr());

    // Every event exactly once by prompt-injection; jailbreak from one event on, on
    // every later one: the chain changed once, between two events.
    let mut rules: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        rules.entry(f["event"].as_str().unwrap().to_owned()).or_default().push(f["rule"].as_str().unwrap().to_owned());
    }
    assert_eq!(rules.len(), EVENTS, "events with findings");
    let mut switched = None;
    for (n, (id, found)) in rules.iter().enumerate() {
        let injections = found.iter().filter(|r| r.starts_with("prompt-injection/")).count();
        assert_eq!(injections, 1, "{id}: {found:?}");
        let jailbreak = found.iter().any(|r| r.starts_with("jailbreak/"));
        match switched {
            None if jailbreak => switched = Some(n),
            Some(at) => assert!(jailbreak, "{id} after the switch at {at}: {found:?}"),
            None => {}
        }
    }
    let at = switched.expect("the new chain inspected events");
    assert!((200..EVENTS).contains(&at), "switched at {at}");
}

/// Two `counter` guests, `kept` and `changed`, the latter labelled `label`.
fn counters(label: &str) -> String {
    let wasm = guest("counter");
    let entry = |name: &str, label: &str| {
        format!("[[detector]]\nname = {name:?}\nwasm = {wasm:?}\n[detector.settings]\nlabel = {label:?}\n")
    };
    entry("kept", "kept") + &entry("changed", label)
}

/// The titles of each plugin's findings, in event order.
fn titles(out: &Path) -> BTreeMap<String, Vec<String>> {
    let mut titles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(out).unwrap_or_default().lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        titles
            .entry(f["plugin"].as_str().unwrap().to_owned())
            .or_default()
            .push(f["title"].as_str().unwrap().to_owned());
    }
    titles
}

/// Issue 14: a reload that changes one detector leaves the others in their warm
/// instances. `counter` counts its calls in instance memory: the unchanged one's count
/// goes on across the reload, the changed one's starts again, with one worker or two.
#[test]
fn issue_14_an_unchanged_detector_keeps_its_warm_instance_across_a_reload() {
    for workers in ["1", "2"] {
        let dir = tempfile::tempdir().unwrap();
        let (conf, log, out, err) = (
            dir.path().join("aiir.toml"),
            dir.path().join("log.jsonl"),
            dir.path().join("out.jsonl"),
            dir.path().join("err.txt"),
        );
        std::fs::write(&conf, counters("before")).unwrap();
        std::fs::write(&log, "").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_aiir"))
            .args(["run", "--cache-dir", shared_cache().to_str().unwrap(), "--follow", "--poll-interval", "20ms"])
            .args(["--workers", workers, "-c", conf.to_str().unwrap(), "--output", out.to_str().unwrap()])
            .args(["--store", dir.path().join("aiir.db").to_str().unwrap()])
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let append = |range: std::ops::Range<usize>| {
            // One session, so that with two workers every call of a plugin is on one of them.
            let text: String = range.map(|i| event(i * 50)).collect();
            OpenOptions::new().append(true).open(&log).unwrap().write_all(text.as_bytes()).unwrap();
        };
        let written = out.as_path();
        let found = |n: usize| move || titles(written).get("kept").is_some_and(|t| t.len() >= n);
        append(0..3);
        wait_until("the first findings", &mut child, &err, found(3));
        std::fs::write(&conf, counters("after")).unwrap();
        hangup(child.id());
        let stderr = || std::fs::read_to_string(&err).unwrap_or_default();
        wait_until("the reload", &mut child, &err, || stderr().contains("aiir: reloaded"));
        append(3..5);
        wait_until("the later findings", &mut child, &err, found(5));
        terminate(child.id());
        child.wait().unwrap();

        let calls = |label: &str, n: std::ops::RangeInclusive<u64>| -> Vec<String> {
            n.map(|n| format!("call {n} of instance {label}")).collect()
        };
        let titles = titles(&out);
        assert_eq!(titles["kept"], calls("kept", 1..=5), "{workers} workers:\n{}", stderr());
        assert_eq!(titles["changed"], [calls("before", 1..=3), calls("after", 1..=2)].concat(), "{workers} workers");
    }
}

#[test]
fn a_detector_that_fails_the_cases_its_config_names_does_not_start() {
    let demo = root().join("examples/logs/demo.jsonl");
    let with = |cases: &Path| {
        let config = format!("[[detector]]\nname = \"prompt-injection\"\ncases = {:?}\n", cases);
        let (dir, path) = crate::support::temp_file("aiir.toml", config.as_bytes());
        (dir, aiir_cmd("run", &["--no-store", "-c", path.to_str().unwrap(), demo.to_str().unwrap()]))
    };
    let (_dir, refused) = with(&root().join("tests/fixtures/wrong-cases.toml"));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("detector[0].cases: fails 3 of the cases of"), "{}", refused.stderr);
    assert!(refused.stderr.contains("counts one direct injection twice"), "{}", refused.stderr);
    let (_dir, passed) = with(&root().join("plugins/detectors/prompt-injection/cases.toml"));
    assert_eq!(passed.code, 0, "{}", passed.stderr);
}

#[test]
fn serve_with_watch_picks_up_an_edited_setting_within_two_seconds() {
    use crate::serve::{Server, fixture_line, metric};
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("aiir.toml");
    std::fs::write(&conf, "[[detector]]\nname = \"prompt-injection\"\n").unwrap();
    let server = Server::start(&["--watch", "--no-grpc", "-c", conf.to_str().unwrap()]);
    assert_eq!(server.post("application/json", "", fixture_line().as_bytes()).0, 200);
    let findings = |text: &str| metric(text, r#"aiir_findings_total{plugin="prompt-injection",severity="medium"}"#);
    let before = findings(&server.metrics_when(|t| findings(t).is_some())).unwrap();

    // An edited setting: running within 2 s, the plugin's counters carried over.
    let edited = Instant::now();
    std::fs::write(&conf, "[[detector]]\nname = \"prompt-injection\"\n[detector.settings]\nmin_confidence = 0.6\n")
        .unwrap();
    let reloaded = |t: &str| metric(t, r#"aiir_reloads_total{result="done"}"#) == Some(1.0);
    let text = server.metrics_when(reloaded);
    let took = edited.elapsed();
    assert!(took < Duration::from_secs(2), "the edit took {took:?} to load");
    assert_eq!(findings(&text), Some(before), "{text}");
    assert_eq!(metric(&text, "aiir_reload_refused"), Some(0.0));

    // A broken one is refused; the running chain still inspects what comes.
    std::fs::write(&conf, "[[detector]]\nname = 5\n").unwrap();
    let refused = |t: &str| metric(t, r#"aiir_reloads_total{result="refused"}"#) == Some(1.0);
    let text = server.metrics_when(refused);
    assert_eq!(metric(&text, "aiir_reload_refused"), Some(1.0));
    assert_eq!(server.post("application/json", "", fixture_line().as_bytes()).0, 200);
    let text = server.metrics_when(|t| findings(t) > Some(before));
    assert!(findings(&text) > Some(before), "{text}");

    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("aiir: reloaded"), "{}", run.stderr);
    assert!(run.stderr.contains("refused, the running chain goes on: invalid configuration"), "{}", run.stderr);
}
