//! Detection spread over processes on a real nats-server (Debian's, JetStream on, on
//! loopback): `aiir run --publish`, three `aiir worker`s and one `aiir ingest` reach
//! exactly the findings and incidents of one `aiir run` over the same 100,000 events,
//! though a worker is killed with SIGKILL mid-stream (issue 15, item 1).

use crate::follow::{incidents, stored, terminate};
use crate::serve::{Server, send_spans};
use crate::support::{Run, aiir, root, shared_cache, start_server};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A JetStream server on an ephemeral loopback port, its storage in a temporary
/// directory; stopped when dropped.
struct Nats {
    child: Child,
    _storage: tempfile::TempDir,
    url: String,
}

impl Nats {
    fn start() -> Self {
        let storage = tempfile::tempdir().unwrap();
        let mut command = Command::new("nats-server");
        command.args(["-js", "-a", "127.0.0.1", "-p", "-1", "-sd"]).arg(storage.path());
        let missing = "cannot start nats-server: run tests/services.sh (Debian: apt-get install nats-server)";
        let (child, address) = start_server(command, "Listening for client connections on ", missing);
        Self { child, _storage: storage, url: format!("nats://{}", address.trim()) }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Processes killed when dropped: a failing test leaves no worker behind.
struct Running(Vec<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `aiir SUBCOMMAND ARGS…` in the background, with the tests' shared cache.
fn spawn(subcommand: &str, args: &[&str], log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_aiir"))
        .current_dir(root())
        .arg(subcommand)
        .args(["--cache-dir", shared_cache().to_str().unwrap()])
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("cannot start aiir")
}

/// The demo log, again and again, until `events` events, written to `path` a line at a
/// time (the test process's peak memory shows in the other tests' children): each pass
/// a day later, in sessions and principals of its own, on the same models and data
/// sets, so that the stateful detectors' state (by model, by data set, across
/// principals) spans passes.
fn write_long_log(path: &Path, events: usize) {
    use std::io::Write as _;
    let demo = std::fs::read_to_string(root().join("examples/logs/demo.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = demo.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for n in 0..events {
        let (pass, mut event) = (n / lines.len(), lines[n % lines.len()].clone());
        for key in ["id", "session", "principal"] {
            if let Some(v) = event[key].as_str() {
                event[key] = format!("{v}-p{pass}").into();
            }
        }
        let time = event["time"].as_str().unwrap();
        let day: u32 = time[8..10].parse().unwrap();
        let shifted = time::Date::from_calendar_date(2026, time::Month::November, u8::try_from(day).unwrap()).unwrap()
            + time::Duration::days(pass as i64);
        event["time"] = format!("{}T{}", shifted, &time[11..]).into();
        writeln!(out, "{event}").unwrap();
    }
    out.flush().unwrap();
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Assert that two sorted lists are equal, showing only where they differ.
fn same<T: Ord + std::fmt::Debug>(got: &[T], expected: &[T], what: &str) {
    fn only<'a, T: Ord>(a: &'a [T], b: &[T]) -> Vec<&'a T> {
        a.iter().filter(|x| b.binary_search(x).is_err()).take(3).collect()
    }
    assert!(
        got == expected,
        "{what} differ: {} against {} of one run; only here: {:?}; only in the run: {:?}",
        got.len(),
        expected.len(),
        only(got, expected),
        only(expected, got)
    );
}

fn ok(run: Run, what: &str) -> Run {
    assert_eq!(run.code, 0, "{what}: {}", run.stderr);
    run
}

#[test]
fn three_workers_and_an_ingest_find_what_one_run_finds_though_a_worker_is_killed() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    write_long_log(Path::new(&path("log.jsonl")), 100_000);
    let cache = shared_cache();
    let cache = cache.to_str().unwrap();

    let one = ["run", "--cache-dir", cache, "--store", &path("one.db"), "-o", &path("one.out"), &path("log.jsonl")];
    ok(aiir(&root(), &one), "one run");
    let publish = ["run", "--cache-dir", cache, "--publish", &nats.url, "--stream", "e2e", &path("log.jsonl")];
    let published = ok(aiir(&root(), &publish), "publish");
    assert!(published.stderr.contains("published 100000 lines (100000 events)"), "{}", published.stderr);

    let bus = ["--nats", nats.url.as_str(), "--stream", "e2e"];
    let mut workers = Running(
        (1..=3)
            .map(|n| {
                let name = format!("w{n}");
                spawn(
                    "worker",
                    &[&bus[..], &["--name", &name, "--lease", "2s"]].concat(),
                    &dir.path().join(format!("{name}.log")),
                )
            })
            .collect(),
    );
    let (two_db, two_out) = (path("two.db"), path("two.out"));
    let ingest_args = [&bus[..], &["--once", "--store", &two_db, "-o", &two_out]].concat();
    let mut ingest = Running(vec![spawn("ingest", &ingest_args, &dir.path().join("ingest.log"))]);
    let ingest = &mut ingest.0[0];

    // Mid-stream: once a fifth of the findings are stored, one worker dies at once.
    let expected = sorted_lines(Path::new(&path("one.out")));
    let started = Instant::now();
    while std::fs::read_to_string(path("two.out")).map_or(0, |t| t.lines().count()) < expected.len() / 5 {
        assert!(started.elapsed() < Duration::from_secs(300), "the ingest stored too little in 300 s");
        assert!(ingest.try_wait().unwrap().is_none(), "the ingest ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    workers.0[1].kill().unwrap();
    workers.0[1].wait().unwrap();

    let status = loop {
        if let Some(status) = ingest.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the ingest did not finish in 600 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(dir.path().join("ingest.log")).unwrap();
    assert!(status.success(), "ingest: {status}\n{log}");
    assert!(log.contains("100000 events read"), "{log}");
    for (n, worker) in workers.0.iter_mut().enumerate().filter(|(n, _)| *n != 1) {
        terminate(worker.id());
        let status = worker.wait().unwrap();
        let log = std::fs::read_to_string(dir.path().join(format!("w{}.log", n + 1))).unwrap();
        assert!(status.success(), "worker w{} on SIGTERM: {status}\n{log}", n + 1);
    }

    let (one, two) = (Path::new(&path("one.db")).to_owned(), Path::new(&path("two.db")).to_owned());
    assert!(expected.len() > 10_000, "too few findings to prove anything: {}", expected.len());
    same(&sorted_lines(Path::new(&path("two.out"))), &expected, "the findings written");
    same(&stored(&two), &stored(&one), "the findings stored");
    same(&incidents(&two), &incidents(&one), "the incidents");
}

#[test]
fn a_worker_whose_config_needs_partitions_the_stream_lacks_is_refused() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("aiir.toml");
    std::fs::write(&config, "[[detector]]\nname = \"prompt-injection\"\n").unwrap();
    let demo = root().join("examples/logs/demo.jsonl");
    let (config, demo) = (config.to_str().unwrap(), demo.to_str().unwrap());
    let cache = shared_cache();
    let publish = ["run", "--cache-dir", cache.to_str().unwrap(), "-c", config, "--publish", &nats.url, demo];
    ok(aiir(&root(), &publish), "publish");
    let worker = aiir(&root(), &["worker", "--cache-dir", cache.to_str().unwrap(), "--nats", &nats.url]);
    assert_eq!(worker.code, 2, "{}", worker.stderr);
    assert!(worker.stderr.contains("partitioned by model"), "{}", worker.stderr);
    assert!(worker.stderr.contains("run every process with the same config"), "{}", worker.stderr);
    let bad = aiir(&root(), &["worker", "--nats", "http://127.0.0.1:1"]);
    assert!(bad.code == 2 && bad.stderr.contains("is not a NATS URL"), "{}", bad.stderr);
}

#[test]
fn spans_the_opentelemetry_sdk_sends_to_serve_reach_the_ingest_through_a_worker() {
    let python = crate::support::test_python();
    let nats = Nats::start();
    let server = Server::start(&["--publish", &nats.url, "--stream", "spans"]);
    let ids = send_spans(&python, &server, &["--encoding", "json"]);
    let cache = shared_cache();
    let demo = root().join("examples/logs/demo.jsonl");
    let publish = ["run", "--cache-dir", cache.to_str().unwrap(), "--publish", &nats.url, "--stream", "spans"];
    let publish = [&publish[..], &[demo.to_str().unwrap()]].concat();
    let second = aiir(&root(), &publish);
    assert!(second.code == 2 && second.stderr.contains("has a publisher already"), "{}", second.stderr);
    let served = server.stop();
    assert_eq!(served.code, 0, "{}", served.stderr);
    assert!(served.stderr.contains("to stream spans on"), "{}", served.stderr);

    let dir = tempfile::tempdir().unwrap();
    let worker = Running(vec![spawn("worker", &["--nats", &nats.url, "--stream", "spans"], &dir.path().join("w.log"))]);
    let store = dir.path().join("spans.db");
    let ingest = ["ingest", "--cache-dir", cache.to_str().unwrap(), "--nats", &nats.url, "--stream", "spans"];
    let ingested =
        ok(aiir(&root(), &[&ingest[..], &["--once", "--store", store.to_str().unwrap()]].concat()), "ingest");
    drop(worker);
    let rules = ingested.event_rules();
    let of = |name: &str| -> Vec<String> {
        let id = ids[name].as_str().unwrap();
        rules.iter().filter(|(e, _)| e == id).map(|(_, r)| r.clone()).collect()
    };
    assert!(of("injection").contains(&"prompt-injection/direct".to_owned()), "{ids}: {rules:?}");
    assert_eq!(of("tool"), ["tool-abuse/injection"], "{ids}: {rules:?}");
    assert_eq!(of("benign"), Vec::<String>::new(), "{ids}");
    assert!(ingested.stderr.contains("4 events read"), "{}", ingested.stderr);
    // serve gave the stream back when it stopped: the next publisher may go on.
    ok(aiir(&root(), &publish), "the next publisher");
}
