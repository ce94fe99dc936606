//! Issue 15, part 2: recovery where the models live. A real `mlflow server` (SQLite
//! backend, loopback) holds the support assistant as a team registers it with MLflow's
//! own client: the known-good and the tampered artifact of the demo's 2.3.1 as
//! versions 1 and 2, `champion` on the tampered one. aiir, with `[registry] kind =
//! "mlflow"`, rolls `champion` back over the demo log and tags the tampered version;
//! when someone later points `champion` at it again, `aiir watch-registry` raises a
//! critical finding; a rollback onto a version tagged quarantined is refused.

use crate::support::{Run, aiir, root, shared_cache, temp_file};
use serde_json::Value;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MODEL: &str = "support-assistant";
const GOOD: &str = "sha256:97d52dc3a6810c354df8e8fb3dd6e5b7bb03293ecc66ca9961dfb89f0efd95bf";
const TAMPERED: &str = "sha256:3638c2f52debb06c41b0879e0facc6de3fa81f572e8ee994ebe2e411c0a9cfbf";

/// The Python of the venv tests/mlflow/setup.sh installs (MLflow, pinned).
fn mlflow_python() -> PathBuf {
    let out = Command::new("bash").arg(root().join("tests/mlflow/setup.sh")).output().expect("cannot run bash");
    assert!(
        out.status.success(),
        "cannot install MLflow (tests/mlflow/requirements.txt): {}\nInstall it with `bash tests/mlflow/setup.sh` \
         (needs python3 with the venv module and access to PyPI)",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// `mlflow server` on a free loopback port, its SQLite store in a temporary folder;
/// stopped (with its workers) when dropped.
struct Server {
    child: Child,
    python: PathBuf,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Self {
        let python = mlflow_python();
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(python.with_file_name("mlflow"))
            .args(["server", "--host", "127.0.0.1", "--port", &port.to_string(), "--workers", "1"])
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.path().join("mlflow.db").display()))
            .arg("--default-artifact-root")
            .arg(dir.path().join("artifacts"))
            .stdout(Stdio::null())
            .stderr(log)
            // Its own process group: the server's workers are stopped with it.
            .process_group(0)
            .spawn()
            .expect("cannot start mlflow server");
        let server = Self { child, python, url: format!("http://127.0.0.1:{port}"), _dir: dir };
        server.wait_ready(port);
        server
    }

    /// Wait for `GET /health` to answer `OK`.
    fn wait_ready(&self, port: u16) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Write as _;
                let _ = write!(s, "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(self._dir.path().join("server.log")).unwrap_or_default();
        panic!("mlflow server did not answer within 120 s:\n{log}");
    }

    /// tests/mlflow/team.py: what the team does with MLflow's client; its stdout.
    fn team(&self, args: &[&str]) -> String {
        let out = Command::new(&self.python)
            .arg(root().join("tests/mlflow/team.py"))
            .arg(&self.url)
            .args(args)
            .output()
            .expect("cannot run python");
        assert!(out.status.success(), "team.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// The model as MLflow's client reads it: its aliases and each version's tags.
    fn show(&self) -> Value {
        serde_json::from_str(&self.team(&["show", MODEL])).unwrap()
    }

    /// A config of examples/respond.toml with this server as its registry and the
    /// store beside it; the folder and the config file.
    fn config(&self) -> (tempfile::TempDir, PathBuf) {
        let respond = std::fs::read_to_string(root().join("examples/respond.toml")).unwrap();
        let extra = format!("\n[store]\npath = \"aiir.db\"\n\n[registry]\nkind = \"mlflow\"\nurl = \"{}\"\n", self.url);
        temp_file("aiir.toml", format!("{respond}{extra}").as_bytes())
    }
}

impl Drop for Server {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: a signal to the process group of our own child.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// `aiir ARGS…` from the repository root, asserting it succeeded; its stdout.
fn ok(args: &[&str]) -> String {
    let run: Run = aiir(&root(), args);
    assert_eq!(run.code, 0, "aiir {args:?}: {}", run.stderr);
    run.stdout
}

/// Mark the good artifact known-good and run the demo with `config`.
fn demo(config: &Path) -> String {
    let config = config.to_str().unwrap();
    ok(&["models", "--config", config, "mark-good", MODEL, "2.3.1", "--digest", GOOD]);
    let cache = shared_cache();
    ok(&["run", "--cache-dir", cache.to_str().unwrap(), "--config", config, "examples/logs/demo.jsonl"])
}

/// The rollback responder's actions on the support assistant's incident, as
/// `(kind, status, result)`.
fn rollback_actions(config: &str) -> Vec<(String, String, String)> {
    let list: Value = serde_json::from_str(&ok(&["incidents", "--config", config, "list", "--json"])).unwrap();
    let swap = list.as_array().unwrap().iter().find(|i| i["family"] == "model-integrity" && i["key"] == MODEL);
    let id = swap.unwrap_or_else(|| panic!("no model-integrity incident on {MODEL}: {list:#}"))["id"].as_str().unwrap();
    let shown: Value = serde_json::from_str(&ok(&["incidents", "--config", config, "show", id, "--json"])).unwrap();
    let actions = shown["actions"].as_array().unwrap().iter().filter(|a| a["responder"] == "rollback");
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    actions.map(|a| (s(&a["kind"]), s(&a["status"]), s(&a["result"]))).collect()
}

/// The incident that holds a finding on `event`, as `incidents show --json` shows it.
fn incident_of(config: &str, event: &str) -> Option<Value> {
    let list: Value =
        serde_json::from_str(&ok(&["incidents", "--config", config, "list", "--state", "all", "--json"])).unwrap();
    list.as_array().unwrap().iter().find_map(|i| {
        let id = i["id"].as_str().unwrap();
        let shown: Value = serde_json::from_str(&ok(&["incidents", "--config", config, "show", id, "--json"])).unwrap();
        let findings = shown["findings"].as_array().cloned().unwrap_or_default();
        findings.iter().any(|f| f["event"] == event).then_some(shown)
    })
}

#[test]
fn the_demo_rolls_champion_back_in_mlflow_and_a_move_onto_the_tagged_version_is_critical() {
    let server = Server::start();
    server.team(&["register", MODEL, "2.3.1", GOOD, TAMPERED]);
    let (dir, config) = server.config();
    let cfg = config.to_str().unwrap();
    demo(&config);

    // MLflow, read back by its own client: champion on the known-good version 1, the
    // tampered version 2 tagged by the incident that quarantined it.
    let mlflow = server.show();
    assert_eq!(mlflow["aliases"]["champion"], "1", "{mlflow:#}");
    let tag = mlflow["versions"]["2"]["aiir.quarantined"].as_str().unwrap_or_else(|| panic!("{mlflow:#}"));
    assert!(tag.starts_with("INC-"), "{tag}");
    assert!(mlflow["versions"]["1"].get("aiir.quarantined").is_none());
    let actions = rollback_actions(cfg);
    assert!(
        actions
            .iter()
            .any(|(k, s, r)| k == "rollback-model" && s == "executed" && r.contains("in MLflow champion → version 1")),
        "{actions:#?}"
    );

    // `aiir models` shows MLflow's side of it.
    let listed: Value = serde_json::from_str(&ok(&["models", "--config", cfg, "list", "--json"])).unwrap();
    let model = &listed.as_array().unwrap().iter().find(|m| m["model"] == MODEL).unwrap().clone();
    assert_eq!(model["serving"]["version"], "1");
    assert_eq!(model["aliases"]["champion"], "1");
    let v2 = &model["versions"][1];
    assert_eq!(
        (v2["version"].as_str(), v2["digest"].as_str(), v2["quarantined"].as_bool()),
        (Some("2"), Some(TAMPERED), Some(true))
    );
    assert_eq!(model["versions"][0]["known_good"], true, "the store's mark, on the version that stands for it");
    let text = ok(&["models", "--config", cfg, "list"]);
    assert!(text.contains(&format!("{MODEL} serves version 1 (champion)")), "{text}");
    assert!(text.contains(&format!("quarantined ({tag})")) && text.contains("known-good"), "{text}");

    // Someone points champion at the tagged version in MLflow: the watch raises it.
    server.team(&["alias", MODEL, "champion", "2"]);
    let cache = shared_cache();
    let watched = ok(&["watch-registry", "--cache-dir", cache.to_str().unwrap(), "--config", cfg, "--once"]);
    let findings: Vec<Value> = watched.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let critical = findings.iter().find(|f| f["rule"] == "aiir/quarantined-model" && f["severity"] == "critical");
    let critical = critical.unwrap_or_else(|| panic!("no critical finding on the move: {watched}"));
    assert!(critical["event"].as_str().unwrap().starts_with(&format!("mlflow:{MODEL}:promoted:2:")), "{critical:#}");
    let event = critical["event"].as_str().unwrap();
    let incident = incident_of(cfg, event).unwrap_or_else(|| panic!("no incident holds {event}"));
    assert_eq!(incident["severity"], "critical", "{incident:#}");
    // A second poll with nothing changed says nothing.
    let again = ok(&["watch-registry", "--cache-dir", cache.to_str().unwrap(), "--config", cfg, "--once"]);
    assert_eq!(again.trim(), "", "{again}");
    drop(dir);
}

#[test]
fn a_rollback_onto_a_version_tagged_quarantined_in_mlflow_is_refused() {
    let server = Server::start();
    server.team(&["register", MODEL, "2.3.1", GOOD, TAMPERED]);
    server.team(&["tag", MODEL, "1", "aiir.quarantined", "INC-0001"]);
    let (_dir, config) = server.config();
    demo(&config);
    assert_eq!(server.show()["aliases"]["champion"], "2", "champion stays where it was");
    let actions = rollback_actions(config.to_str().unwrap());
    let (_, status, result) = actions.iter().find(|(k, ..)| k == "rollback-model").expect("a rollback");
    assert_eq!(status, "failed");
    assert!(
        result.contains("refusing to move \"champion\" of \"support-assistant\" onto version \"1\"")
            && result.contains("aiir.quarantined=\"INC-0001\""),
        "{result}"
    );
}

#[test]
fn an_unreachable_mlflow_fails_the_action_with_its_url_and_changes_nothing() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let respond = std::fs::read_to_string(root().join("examples/respond.toml")).unwrap();
    let extra =
        format!("\n[store]\npath = \"aiir.db\"\n[registry]\nkind = \"mlflow\"\nurl = \"http://127.0.0.1:{port}\"\n");
    let (_dir, config) = temp_file("aiir.toml", format!("{respond}{extra}").as_bytes());
    demo(&config);
    let actions = rollback_actions(config.to_str().unwrap());
    let (_, status, result) = actions.iter().find(|(k, ..)| k == "rollback-model").expect("a rollback");
    assert_eq!(status, "failed");
    let call = format!("MLflow GET http://127.0.0.1:{port}/api/2.0/mlflow/model-versions/search: connection refused");
    assert_eq!(result, &call);
}
