//! `aiir serve`: OTLP/HTTP ingest over real sockets on loopback, from a plain TCP client
//! and from the OpenTelemetry Python SDK's own exporters.

use crate::support::{Run, fresh_store, root, shared_cache, test_python};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running `aiir serve`, on a free loopback port.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: JoinHandle<String>,
}

impl Server {
    /// `aiir serve ARGS`; with a fresh store of its own unless `args` name one.
    pub fn start(args: &[&str]) -> Self {
        let cache = shared_cache();
        let store = fresh_store();
        let mut command = Command::new(env!("CARGO_BIN_EXE_aiir"));
        command.current_dir(root()).args(["serve", "--cache-dir", cache.to_str().unwrap()]);
        if !args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        if !args.iter().any(|a| *a == "--store" || *a == "--no-store") {
            command.args(["--store", store.to_str().unwrap()]);
        }
        let mut child =
            command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("cannot run aiir serve");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("aiir: listening on ") {
                    let _ = tx.send(rest.split(' ').next().unwrap().to_owned());
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => addr.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("aiir serve did not say where it listens:\n{}", stderr.join().unwrap());
            }
        };
        Self { child, addr, stderr }
    }

    fn post(&self, content_type: &str, extra: &str, body: &[u8]) -> (u16, String) {
        let head = format!("POST /v1/traces HTTP/1.1\r\nContent-Type: {content_type}\r\n{extra}");
        self.request(&head, body)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.request(&format!("GET {path} HTTP/1.1\r\n"), b"")
    }

    /// One request on a fresh connection; the status and the body (lossy UTF-8).
    pub fn request(&self, head: &str, body: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let head = format!("{head}Host: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", self.addr, body.len());
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("bad reply {text}"));
        (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
    }

    /// `/metrics` once the queue is empty and `done` holds for the text.
    pub fn metrics_when(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, text) = self.get("/metrics");
            assert_eq!(status, 200);
            if text.lines().any(|l| l == "aiir_queue_depth 0") && done(&text) {
                return text;
            }
            assert!(Instant::now() < deadline, "metrics never settled:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM, then what it printed.
    pub fn stop(mut self) -> Run {
        // SAFETY: signalling our own child process.
        #[allow(unsafe_code)]
        let sent = unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        assert_eq!(sent, 0);
        let mut stdout = String::new();
        self.child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
        let status = self.child.wait().unwrap();
        Run { code: status.code().unwrap_or(-1), stdout, stderr: self.stderr.join().unwrap() }
    }
}

fn fixture_line() -> String {
    let text = std::fs::read_to_string(root().join("tests/fixtures/otel-genai.jsonl")).unwrap();
    text.lines().next().unwrap().to_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn otlp_json_and_gzip_reach_the_detectors_and_bad_requests_are_named() {
    let server = Server::start(&["--max-body-bytes", "65536"]);
    assert_eq!(server.get("/healthz"), (200, "ok\n".into()));
    let line = fixture_line();
    assert_eq!(server.post("application/json", "", line.as_bytes()), (200, "{}".into()));
    let bad_span = line.replace("\"startTimeUnixNano\":\"1795788002000000000\"", "\"startTimeUnixNano\":\"soon\"");
    let (status, body) =
        server.post("application/json; charset=utf-8", "Content-Encoding: gzip\r\n", &gzip(bad_span.as_bytes()));
    assert_eq!(status, 200, "{body}");
    let partial: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(partial["partialSuccess"]["rejectedSpans"], "1", "{body}");
    assert!(
        partial["partialSuccess"]["errorMessage"].as_str().unwrap().contains("span \"a3c9e1f07b2d4e65\""),
        "{body}"
    );

    let (status, body) = server.post("application/json", "", b"{\"resourceSpans\": [");
    assert_eq!(status, 400);
    assert!(body.contains("\"code\":3") && body.contains("invalid JSON"), "{body}");
    let (status, body) = server.post("application/x-protobuf", "", b"\x0a\xff\xff\xff");
    assert_eq!(status, 400);
    assert!(body.contains("invalid protobuf ExportTraceServiceRequest"), "{body}");
    let (status, body) = server.post("text/plain", "", b"hello");
    assert_eq!(status, 415);
    assert!(body.contains("send application/x-protobuf or application/json"), "{body}");
    let (status, body) = server.post("application/json", "Content-Encoding: gzip\r\n", b"not gzip");
    assert_eq!(status, 400);
    assert!(body.contains("invalid gzip body"), "{body}");
    assert_eq!(server.post("application/json", "", &vec![b' '; 70_000]).0, 413);
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert_eq!(
        server.post("application/json", "Content-Encoding: gzip\r\n", &bomb).0,
        413,
        "decompressed size is capped"
    );
    assert_eq!(server.get("/nope").0, 404);

    let text = server.metrics_when(|t| t.contains("aiir_findings_total"));
    let count = |l: &str| metric(&text, l).unwrap_or_else(|| panic!("no {l} in\n{text}"));
    assert_eq!(count(r#"aiir_events_received_total{source="support-api",format="otlp-json"}"#), 3.0);
    assert_eq!(count(r#"aiir_events_rejected_total{format="otlp-json"}"#), 1.0);
    assert_eq!(count(r#"aiir_spans_skipped_total{format="otlp-json"}"#), 2.0);
    assert_eq!(count(r#"aiir_findings_total{plugin="prompt-injection",severity="medium"}"#), 2.0);
    assert_eq!(count(r#"aiir_http_requests_total{route="/v1/traces",status="400"}"#), 3.0);
    assert_eq!(count(r#"aiir_http_requests_total{route="/v1/traces",status="415"}"#), 1.0);
    assert_eq!(count(r#"aiir_http_requests_total{route="/v1/traces",status="413"}"#), 2.0);
    assert!(count(r#"aiir_plugin_call_duration_seconds_count{plugin="prompt-injection"}"#) >= 2.0);

    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules = run.event_rules();
    let direct = ("5fb397be34d26b51".to_owned(), "prompt-injection/direct".to_owned());
    assert_eq!(rules.iter().filter(|r| **r == direct).count(), 2, "{rules:?}");
    let tool = ("a3c9e1f07b2d4e65".to_owned(), "tool-abuse/injection".to_owned());
    assert_eq!(rules.iter().filter(|r| **r == tool).count(), 1, "the rejected span is not inspected: {rules:?}");
    assert!(run.stderr.contains("aiir: 3 events read"), "{}", run.stderr);
}

/// Send the spans of tests/otel/send_spans.py; their ids by name.
fn send_spans(python: &str, server: &Server, args: &[&str]) -> serde_json::Value {
    let endpoint = format!("http://{}/v1/traces", server.addr);
    let out = Command::new(python)
        .arg(root().join("tests/otel/send_spans.py"))
        .args(["--endpoint", &endpoint])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "send_spans.py {args:?} failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("send_spans.py printed no ids ({e}): {stderr}"))
}

#[test]
fn opentelemetry_python_sdk_spans_over_protobuf_and_json_are_inspected() {
    let python = test_python();
    let server = Server::start(&[]);
    let protobuf = send_spans(&python, &server, &["--encoding", "protobuf", "--gzip"]);
    let json = send_spans(&python, &server, &["--encoding", "json"]);
    let text = server.metrics_when(|t| t.contains(r#"format="otlp-json""#));
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);

    let rules = run.event_rules();
    for ids in [&protobuf, &json] {
        let of = |name: &str| -> Vec<String> {
            let id = ids[name].as_str().unwrap();
            rules.iter().filter(|(e, _)| e == id).map(|(_, r)| r.clone()).collect()
        };
        assert!(of("injection").contains(&"prompt-injection/direct".to_owned()), "{ids}: {rules:?}");
        assert!(of("events").contains(&"prompt-injection/direct".to_owned()), "{ids}: {rules:?}");
        assert_eq!(of("tool"), ["tool-abuse/injection"], "{ids}: {rules:?}");
        assert_eq!(of("benign"), Vec::<String>::new(), "{ids}");
    }
    let injection = run.findings().into_iter().find(|f| f["event"] == protobuf["injection"]).unwrap();
    assert_eq!(injection["source"], "otel-test-app");
    assert_eq!(injection["model"]["name"], "gpt-4o");
    assert_eq!(injection["principal"], "user:mallory");
    assert_eq!(injection["session"], "conv-protobuf");

    let count = |l: &str| metric(&text, l).unwrap_or_else(|| panic!("no {l} in\n{text}"));
    for format in ["otlp-protobuf", "otlp-json"] {
        assert_eq!(count(&format!(r#"aiir_events_received_total{{source="otel-test-app",format="{format}"}}"#)), 4.0);
        assert_eq!(count(&format!(r#"aiir_spans_skipped_total{{format="{format}"}}"#)), 1.0);
    }
    assert_eq!(count(r#"aiir_findings_total{plugin="tool-abuse",severity="high"}"#), 2.0, "{text}");
    assert_eq!(count(r#"aiir_http_requests_total{route="/v1/traces",status="200"}"#), 2.0);
    assert!(run.stderr.contains("aiir: 8 events read"), "{}", run.stderr);
}

#[test]
fn a_flood_past_the_queue_gets_503_and_plugin_errors_are_counted() {
    let wasm = crate::support::guest("hostile");
    let config = format!(
        "[[detector]]\nname = \"hostile\"\nwasm = {:?}\n[detector.limits]\ntimeout_ms = 400\n[detector.settings]\nattack = \"loop\"\n",
        wasm.to_str().unwrap()
    );
    let (_dir, config) = crate::support::temp_file("aiir.toml", config.as_bytes());
    let server = Server::start(&["--queue", "1", "--config", config.to_str().unwrap()]);
    let span = r#"{"spanId":"f1","startTimeUnixNano":"1795788000000000000","attributes":[{"key":"gen_ai.tool.name","value":{"stringValue":"x"}}]}"#;
    let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#);
    // Each event holds the detectors for 400 ms; the queue holds one request.
    let replies: Vec<(u16, String)> = (0..6).map(|_| server.post("application/json", "", body.as_bytes())).collect();
    assert_eq!(replies[0], (200, "{}".into()));
    let busy = replies.iter().find(|(status, _)| *status == 503).unwrap_or_else(|| panic!("no 503: {replies:?}"));
    assert!(busy.1.contains(r#""code":14"#) && busy.1.contains("queue is full"), "{busy:?}");
    let text = server.metrics_when(|_| true);
    let rejected = metric(&text, r#"aiir_http_requests_total{route="/v1/traces",status="503"}"#);
    assert!(rejected.is_some_and(|n| n >= 1.0), "{text}");
    let errors = metric(&text, r#"aiir_plugin_errors_total{plugin="hostile",reason="deadline"}"#);
    assert!(errors.is_some_and(|n| n >= 1.0), "{text}");
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}
