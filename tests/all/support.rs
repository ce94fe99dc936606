//! Running the binary and finding the components the tests need.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "../guests/artifacts.rs"]
mod artifacts;
pub use artifacts::guest;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The `(event, rule)` rows of the table in examples/logs/EXPECTED.md, sorted: the
/// findings the demo log tells its story in (the plugins' own tests replay the log
/// against the same table).
pub fn demo_findings() -> Vec<(String, String)> {
    let table = std::fs::read_to_string(root().join("examples/logs/EXPECTED.md")).unwrap();
    let rows = table.lines().filter_map(|line| {
        let cells: Vec<&str> = line.split('|').map(|c| c.trim().trim_matches('`')).collect();
        let (event, rule) = (*cells.get(1)?, *cells.get(2)?);
        event.starts_with("evt-").then(|| (event.to_owned(), rule.to_owned()))
    });
    let mut pairs: Vec<(String, String)> = rows.collect();
    pairs.sort();
    pairs
}

/// A built standard-pack component, e.g. `pack("prompt-injection")`.
pub fn pack(name: &str) -> PathBuf {
    Path::new(env!("AIIR_PACK_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}

/// A precompiled cache shared by the tests of this run.
pub fn shared_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("aiir-cache")
}

/// `aiir run` with these arguments, from the repository root, with the shared cache.
pub fn aiir_run(args: &[&str]) -> Run {
    aiir_cmd("run", args)
}

/// `aiir SUBCOMMAND` with these arguments, from the repository root, with the shared
/// cache; a `run` that names no store gets a fresh one of its own, so that tests
/// running at once share no incidents.
pub fn aiir_cmd(subcommand: &str, args: &[&str]) -> Run {
    let cache = shared_cache();
    let store = fresh_store();
    let mut all = vec![subcommand, "--cache-dir", cache.to_str().unwrap()];
    if subcommand == "run" && !args.iter().any(|a| a.starts_with("--store") || *a == "--no-store") {
        all.extend(["--store", store.to_str().unwrap()]);
    }
    all.extend_from_slice(args);
    aiir(&root(), &all)
}

/// `aiir incidents|models --store DB ARGS…`, from the repository root.
pub fn on_store(db: &str, command: &str, args: &[&str]) -> Run {
    let mut all = vec![command, "--store", db];
    all.extend_from_slice(args);
    aiir(&root(), &all)
}

/// What [`on_store`] printed, asserting it succeeded.
pub fn store_ok(db: &str, command: &str, args: &[&str]) -> String {
    let run = on_store(db, command, args);
    assert_eq!(run.code, 0, "aiir {command} {args:?}: {}", run.stderr);
    run.stdout
}

/// What [`on_store`] printed, as JSON, asserting it succeeded.
pub fn store_json(db: &str, command: &str, args: &[&str]) -> serde_json::Value {
    let out = store_ok(db, command, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("aiir {command} {args:?}: {e}\n{out}"))
}

/// `model`'s serving version by `aiir models list --json`, and its quarantined
/// versions, sorted.
pub fn serving_and_quarantined(db: &str, model: &str) -> (String, Vec<String>) {
    let models = store_json(db, "models", &["list", "--json"]);
    let found = models.as_array().unwrap().iter().find(|m| m["model"] == model);
    let found = found.unwrap_or_else(|| panic!("no {model} in {models:#}"));
    let versions = found["versions"].as_array().unwrap().iter();
    let quarantined = versions.filter(|v| v["quarantined"] == true).map(|v| v["version"].as_str().unwrap());
    let mut quarantined: Vec<String> = quarantined.map(str::to_owned).collect();
    quarantined.sort_unstable();
    (found["serving"]["version"].as_str().unwrap_or_default().to_owned(), quarantined)
}

/// An incident's actions, as `incidents show --json` lists them.
pub fn actions(db: &str, id: &str) -> Vec<Value> {
    store_json(db, "incidents", &["show", id, "--json"])["actions"].as_array().unwrap().clone()
}

/// The actions `responder` proposed for every incident.
pub fn actions_of(db: &str, responder: &str) -> Vec<Value> {
    let all = store_json(db, "incidents", &["list", "--state", "all", "--json"]);
    let ids = all.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned());
    ids.flat_map(|id| actions(db, &id)).filter(|a| a["responder"] == responder).collect()
}

/// A path for a new incident store, unique in this test run.
pub fn fresh_store() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    static STORES: OnceLock<tempfile::TempDir> = OnceLock::new();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    own_dir(&STORES, "stores-").join(format!("{n}.db"))
}

/// A folder of this test process's own under the target's temporary folder, made on
/// first use with a random name: one named by the process id alone is an earlier run's
/// folder, stores and all, when the id comes round again.
fn own_dir(cell: &'static OnceLock<tempfile::TempDir>, prefix: &str) -> &'static Path {
    let made = || tempfile::Builder::new().prefix(prefix).tempdir_in(env!("CARGO_TARGET_TMPDIR"));
    cell.get_or_init(|| made().expect("cannot create a test folder")).path()
}

/// `aiir` with exactly these arguments, in `dir`; a store it makes by default goes to
/// a state directory of this test run, never the user's.
pub fn aiir(dir: &Path, args: &[&str]) -> Run {
    static STATE: OnceLock<tempfile::TempDir> = OnceLock::new();
    aiir_in_state(dir, own_dir(&STATE, "state-"), args)
}

/// `aiir` with exactly these arguments, in `dir`, with `state` as `$XDG_STATE_HOME`.
pub fn aiir_in_state(dir: &Path, state: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_aiir"))
        .current_dir(dir)
        .env("XDG_STATE_HOME", state)
        .args(args)
        .output()
        .expect("cannot run aiir");
    Run::from(output)
}

/// Start a server that logs where it listens on stderr: the child, and the rest of the
/// first line that holds `says`; its log is drained from then on, so that it never
/// blocks on a full pipe.
pub fn start_server(mut command: Command, says: &str, missing: &str) -> (Child, String) {
    use std::io::{BufRead as _, BufReader};
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect(missing);
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let rest = lines.by_ref().map_while(Result::ok).find_map(|l| l.split(says).nth(1).map(str::to_owned));
    let rest = rest.unwrap_or_else(|| panic!("the server never said where it listens ({says:?})"));
    std::thread::spawn(move || lines.for_each(drop));
    (child, rest)
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
        }
    }
}

impl Run {
    /// The findings on stdout, parsed.
    pub fn findings(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad output line {l}: {e}")))
            .collect()
    }

    /// (event id, rule id) of every finding, in output order.
    pub fn event_rules(&self) -> Vec<(String, String)> {
        let s = |v: &Value| v.as_str().unwrap().to_owned();
        self.findings().iter().map(|f| (s(&f["event"]), s(&f["rule"]))).collect()
    }
}

/// Write `text` to a new file in a fresh temporary directory.
pub fn temp_file(name: &str, text: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// A finished run of the real binary, with what it cost.
pub struct Contained {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub max_rss_kib: i64,
    /// Wall-clock time from spawn to exit.
    pub elapsed: Duration,
    /// CPU time it spent, user and system.
    pub cpu: Duration,
}

/// Wait for the child, reading its output; kill it and fail if it outlives `bound`.
pub fn wait_bounded(mut child: Child, bound: Duration) -> Contained {
    let started = Instant::now();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            r.read_to_string(&mut s).unwrap();
            s
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let (code, max_rss_kib, cpu) = loop {
        if let Some(done) = try_wait4(child.id()) {
            break done;
        }
        if started.elapsed() > bound {
            child.kill().unwrap();
            panic!("aiir still running after {bound:?}: a plugin was not contained");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    Contained { code, stdout: out.join().unwrap(), stderr: err.join().unwrap(), max_rss_kib, elapsed, cpu }
}

/// The exit code, peak resident memory and CPU time of a finished child, if it has
/// finished.
#[allow(unsafe_code)]
fn try_wait4(pid: u32) -> Option<(i32, i64, Duration)> {
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with valid pointers; WNOHANG never blocks.
    let pid = unsafe { libc::wait4(pid as i32, &mut status, libc::WNOHANG, &mut usage) };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    (pid > 0).then(|| (libc::WEXITSTATUS(status), usage.ru_maxrss, time(usage.ru_utime) + time(usage.ru_stime)))
}

/// `aiir ARGS…` in `dir`, timed and measured; killed past `bound`.
///
/// Its peak memory is read by a small Python parent: Linux charges a child spawned
/// straight from this test process with the test process's own peak (the address
/// space it was spawned from), which says nothing about `aiir`.
pub fn measured_in(dir: &Path, args: &[&str], bound: Duration) -> Contained {
    let report = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new("python3")
        .current_dir(dir)
        .args(["-c", PEAK_RSS, report.path().to_str().unwrap(), env!("CARGO_BIN_EXE_aiir")])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 measures the peak memory of aiir");
    let mut run = wait_bounded(child, bound);
    run.max_rss_kib = std::fs::read_to_string(report.path()).unwrap().trim().parse().unwrap();
    run
}

/// Run argv[2:], write the peak resident memory of that child (KiB) to argv[1], exit as it did.
const PEAK_RSS: &str = "import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)";

/// The Python of the venv tests/otel/setup.sh installs from PyPI: the OpenTelemetry
/// SDK and the `openai`, `anthropic` and `openlineage-python` clients, pinned in
/// tests/otel/requirements.txt.
pub fn test_python() -> String {
    let setup = root().join("tests/otel/setup.sh");
    let out = Command::new("bash").arg(&setup).output().expect("cannot run bash");
    assert!(
        out.status.success(),
        "cannot install the test's Python packages (tests/otel/requirements.txt): {}\nInstall it with `bash tests/otel/setup.sh` \
         (needs python3 with the venv module, e.g. `apt-get install python3-venv`, and access to PyPI)",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
