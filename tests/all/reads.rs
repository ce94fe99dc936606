//! Issue 17: what aiir reads is bounded. An endless line is reported and passed over
//! in little memory; a config or plugin path that is a FIFO, a device, a directory or
//! too large is refused at once, unopened, with its TOML path; and the small things a
//! reader of the log or of stderr trips on: a byte order mark, a time past 2554, a
//! missing second input, colour escapes in a file.

use crate::support::{Contained, aiir_run, fresh_store, shared_cache, temp_file};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const GOOD: &str = r#"{"id":"e1","time":"2026-11-27T13:00:00Z","source":"api","payload":{"inference":{"input":[{"role":"user","content":"Where is my parcel?"}]}}}"#;

/// The message for a line over the cap.
const TOO_LONG: &str = "line longer than 16777216 bytes";

/// A config of one built-in detector, quick to start.
fn small_config(dir: &Path) -> String {
    let config = dir.join("one.toml");
    std::fs::write(&config, "[[detector]]\nname = \"prompt-injection\"\n").unwrap();
    config.to_str().unwrap().to_owned()
}

/// `aiir run ARGS…` with stderr to the file `err`.
fn spawn(err: &Path, args: &[&str], stdin: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_aiir"))
        .args(["run", "--cache-dir", shared_cache().to_str().unwrap()])
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(err).unwrap())
        .spawn()
        .expect("cannot run aiir")
}

/// Wait until its stderr, the file `err`, says `what`; the child's resident memory
/// then, in KiB.
fn rss_once_said(child: &mut Child, err: &Path, what: &str) -> u64 {
    let started = Instant::now();
    loop {
        let stderr = std::fs::read_to_string(err).unwrap_or_default();
        if stderr.contains(what) {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "aiir ended before saying {what:?}:\n{stderr}");
        assert!(started.elapsed() < Duration::from_secs(15), "no {what:?} within 15 s:\n{stderr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it read on a while past the cap.
    std::thread::sleep(Duration::from_millis(500));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let rss = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).expect("no VmRSS");
    rss.trim().trim_end_matches("kB").trim().parse().unwrap()
}

#[test]
fn issue_17_an_endless_line_is_reported_at_once_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let config = small_config(dir.path());
    let base = ["--no-store", "--config", config.as_str()];
    let zero = || Stdio::from(std::fs::File::open("/dev/zero").unwrap());
    for (name, args, stdin, said) in [
        ("file", [&base[..], &["/dev/zero"]].concat(), Stdio::null(), format!("/dev/zero:1: {TOO_LONG}")),
        ("stdin", base.to_vec(), zero(), format!("<stdin>:1: {TOO_LONG}")),
    ] {
        let err = dir.path().join(name);
        let mut child = spawn(&err, &args, stdin);
        let rss = rss_once_said(&mut child, &err, &said);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(rss < 200 << 10, "{name}: {rss} KiB resident after an endless line");
    }
}

#[test]
fn issue_17_a_long_line_is_skipped_to_its_end_and_counted_as_rejected() {
    let long = format!("{{\"id\":\"{}\"}}", "x".repeat(17 << 20));
    let (dir, log) = temp_file("long.jsonl", format!("{GOOD}\n{long}\n{GOOD}\n").as_bytes());
    let config = small_config(dir.path());
    let run = aiir_run(&["--no-store", "--config", &config, log.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("{}:2: {TOO_LONG}", log.display())), "{}", run.stderr);
    assert!(run.stderr.contains("2 events read, 1 lines rejected"), "{}", run.stderr);

    // Followed, the same; the checkpoint passes over it to the line after.
    let store = fresh_store();
    let args = ["--store", store.to_str().unwrap(), "--config", &config, "--follow", "--poll-interval", "20ms"];
    let err = dir.path().join("err");
    let mut child = spawn(&err, &[&args[..], &[log.to_str().unwrap()]].concat(), Stdio::null());
    let rss = rss_once_said(&mut child, &err, TOO_LONG);
    assert!(rss < 200 << 10, "{rss} KiB resident");
    let started = Instant::now();
    while crate::follow::checkpoint(&store).is_none_or(|c| c.line < 3) {
        assert!(started.elapsed() < Duration::from_secs(15), "the checkpoint did not pass the long line");
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::follow::terminate(child.id());
    child.wait().unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(stderr.contains("2 events read, 1 lines rejected"), "{stderr}");
}

/// `aiir run` with `config`, bounded in time.
fn run_config(dir: &Path, config: &str) -> Contained {
    let cache = shared_cache();
    let args = ["run", "--no-store", "--cache-dir", cache.to_str().unwrap(), "--config", config, "/dev/null"];
    crate::support::measured_in(dir, &args, Duration::from_secs(15))
}

#[test]
fn issue_17_special_and_oversized_files_are_refused_unread_with_their_toml_path() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.wasm");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::create_dir(dir.path().join("dir.wasm")).unwrap();
    // Sparse: a gigabyte on paper, nothing on disk.
    std::fs::File::create(dir.path().join("huge.wasm")).unwrap().set_len(1 << 30).unwrap();
    let cases = [
        ("detector", "/dev/zero", "detector[1].wasm: cannot read /dev/zero: a character device, not a regular file"),
        ("detector", "fifo.wasm", "detector[1].wasm: cannot read ./fifo.wasm: a FIFO, not a regular file"),
        ("responder", "fifo.wasm", "responder[0].wasm: cannot read ./fifo.wasm: a FIFO, not a regular file"),
        ("detector", "dir.wasm", "detector[1].wasm: cannot read ./dir.wasm: a directory, not a regular file"),
        (
            "detector",
            "huge.wasm",
            "detector[1].wasm: cannot read ./huge.wasm: over a load limit: 1073741824 bytes of component, more than the cap of 67108864",
        ),
    ];
    for (table, wasm, expected) in cases {
        let text =
            format!("[[detector]]\nname = \"prompt-injection\"\n[[{table}]]\nname = \"mine\"\nwasm = \"{wasm}\"\n");
        std::fs::write(dir.path().join("aiir.toml"), text).unwrap();
        let run = run_config(dir.path(), "./aiir.toml");
        assert_eq!(run.code, 2, "{wasm}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{wasm}: expected {expected:?} in\n{}", run.stderr);
        assert!(run.elapsed < Duration::from_secs(10) && run.max_rss_kib < 200 << 10, "{wasm}: {:?}", run.elapsed);
    }
    for (config, expected) in
        [("/dev/zero", "a character device"), ("fifo.wasm", "a FIFO"), ("dir.wasm", "a directory")]
    {
        let run = run_config(dir.path(), config);
        assert_eq!(run.code, 2, "{config}: {}", run.stderr);
        let said = format!("invalid configuration {config}: 1 problem\n  cannot read: {expected}, not a regular file");
        assert!(run.stderr.contains(&said), "{config}: expected {said:?} in\n{}", run.stderr);
        assert!(run.max_rss_kib < 200 << 10, "{config}: {} KiB", run.max_rss_kib);
    }
}

#[test]
fn issue_17_a_byte_order_mark_is_dropped_and_a_time_past_2554_is_out_of_range() {
    let late = GOOD.replace("e1", "e2").replace("2026-11-27", "2600-01-01");
    let (_dir, log) = temp_file("bom.jsonl", format!("\u{feff}{GOOD}\n{late}\n").as_bytes());
    let run = aiir_run(&["--no-store", log.to_str().unwrap()]);
    let name = log.display();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains(&format!("{name}:1:")), "the BOM rejected line 1:\n{}", run.stderr);
    let expected = format!(
        "{name}:2: invalid event: `time` \"2600-01-01T13:00:00Z\" is after 2554-07-21T23:34:33Z, the latest time an event can hold"
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    assert!(run.stderr.contains("1 events read, 1 lines rejected"), "{}", run.stderr);
}

#[test]
fn issue_17_a_missing_second_input_stops_the_run_before_any_is_read() {
    let (dir, log) = temp_file("good.jsonl", GOOD.as_bytes());
    let missing = dir.path().join("missing.jsonl");
    let run = aiir_run(&["--no-store", log.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
    assert!(run.stderr.contains(&format!("cannot open {}", missing.display())), "{}", run.stderr);
    assert!(!run.stderr.contains("events read"), "an input was read:\n{}", run.stderr);
}

#[test]
fn issue_17_log_lines_carry_no_colour_escapes_in_a_file_or_with_no_color() {
    let (dir, log) = temp_file("good.jsonl", GOOD.as_bytes());
    // A cache folder that is a file: every plugin warns that it cannot be written.
    let cache = dir.path().join("cache-is-a-file");
    std::fs::write(&cache, "").unwrap();
    let config = small_config(dir.path());
    let cache = cache.to_str().unwrap();
    let args =
        ["run", "--no-store", "--no-progress", "--config", &config, "--cache-dir", cache, "--output", "/dev/null"];
    let to_file = Command::new(env!("CARGO_BIN_EXE_aiir")).args(args).arg(&log).output().unwrap();
    let stderr = String::from_utf8(to_file.stderr).unwrap();
    assert!(stderr.contains("WARN"), "no warning to look at:\n{stderr}");
    assert!(!stderr.contains('\u{1b}'), "escapes in a file:\n{stderr:?}");

    // On a terminal (a pseudo-terminal from `script`), colour unless NO_COLOR is set.
    let command = format!("{} {} {}", env!("CARGO_BIN_EXE_aiir"), args.join(" "), log.display());
    let on_terminal = |no_color: Option<&str>| {
        let mut script = Command::new("script");
        script.args(["-qec", &command, "/dev/null"]).stdin(Stdio::null()).env_remove("NO_COLOR");
        if let Some(v) = no_color {
            script.env("NO_COLOR", v);
        }
        let out = script.output().expect("cannot run script (util-linux)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let warns: Vec<String> = text.lines().filter(|l| l.contains("WARN")).map(str::to_owned).collect();
        assert!(!warns.is_empty(), "no warning on the terminal:\n{text}");
        warns.iter().any(|l| l.contains('\u{1b}'))
    };
    assert!(on_terminal(None), "no colour on a terminal");
    assert!(!on_terminal(Some("1")), "colour despite NO_COLOR");
}
