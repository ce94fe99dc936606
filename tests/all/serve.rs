//! `aiir serve`: OTLP/HTTP and OTLP/gRPC ingest over real sockets on loopback, from plain
//! HTTP/1.1 and HTTP/2 clients and from the OpenTelemetry Python SDK's own exporters.

use crate::support::{Run, fresh_store, root, shared_cache, test_python};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running `aiir serve`, on free loopback ports.
pub struct Server {
    child: Child,
    addr: SocketAddr,
    /// Where it listens for OTLP/gRPC, unless started with `--no-grpc`.
    grpc: Option<SocketAddr>,
    stderr: JoinHandle<String>,
}

/// The lines that say where `aiir serve` listens: OTLP/HTTP, OTLP/gRPC.
const LISTENING: [&str; 2] = ["aiir: listening on ", "aiir: listening for OTLP/gRPC on "];

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
        let grpc = !args.contains(&"--no-grpc");
        if grpc {
            command.args(["--grpc-listen", "127.0.0.1:0"]);
        }
        let mut child =
            command.args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("cannot run aiir serve");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                for (i, prefix) in LISTENING.iter().enumerate() {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        let _ = tx.send((i, rest.split(' ').next().unwrap().to_owned()));
                    }
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        });
        let mut addrs: [Option<SocketAddr>; 2] = [None, None];
        while addrs[0].is_none() || (grpc && addrs[1].is_none()) {
            let Ok((i, addr)) = rx.recv_timeout(Duration::from_secs(120)) else {
                let _ = child.kill();
                panic!("aiir serve did not say where it listens:\n{}", stderr.join().unwrap());
            };
            addrs[i] = Some(addr.parse().unwrap());
        }
        Self { child, addr: addrs[0].unwrap(), grpc: addrs[1], stderr }
    }

    pub fn post(&self, content_type: &str, extra: &str, body: &[u8]) -> (u16, String) {
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

    /// Where it listens for OTLP/HTTP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OTLP/gRPC endpoint, `http://127.0.0.1:PORT`.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://{}", self.grpc.expect("serving gRPC"))
    }

    /// One gRPC call to `method` on a fresh HTTP/2 connection, its message compressed
    /// (as is) with `encoding` if any: the status code, the status message and the
    /// response message.
    pub fn grpc_call(&self, method: &str, message: &[u8], encoding: Option<&str>) -> (i32, String, Vec<u8>) {
        use http_body_util::{BodyExt as _, Full};
        let addr = self.grpc.expect("serving gRPC");
        let mut frame = vec![u8::from(encoding.is_some())];
        frame.extend((message.len() as u32).to_be_bytes());
        frame.extend(message);
        let mut request = hyper::Request::post(format!("http://{addr}{method}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(encoding) = encoding {
            request = request.header("grpc-encoding", encoding);
        }
        let request = request.body(Full::new(bytes::Bytes::from(frame))).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let io = hyper_util::rt::TokioIo::new(tokio::net::TcpStream::connect(addr).await.unwrap());
            let executor = hyper_util::rt::TokioExecutor::new();
            let (mut sender, connection) = hyper::client::conn::http2::handshake(executor, io).await.unwrap();
            tokio::spawn(connection);
            let (head, body) = sender.send_request(request).await.unwrap().into_parts();
            let body = body.collect().await.unwrap();
            let trailers = body.trailers().cloned().unwrap_or_default();
            let field = |name: &str| {
                let value = head.headers.get(name).or_else(|| trailers.get(name));
                value.map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
            };
            let (code, text) = (field("grpc-status").parse().unwrap(), percent_decoded(&field("grpc-message")));
            (code, text, body.to_bytes().get(5..).unwrap_or_default().to_vec())
        })
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

pub fn fixture_line() -> String {
    let text = std::fs::read_to_string(root().join("tests/fixtures/otel-genai.jsonl")).unwrap();
    text.lines().next().unwrap().to_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A `grpc-message` as sent: percent-encoded.
fn percent_decoded(text: &str) -> String {
    let mut out = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        let hex = |h: &[u8]| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok();
        let escaped = if b == b'%' { tail.get(..2).and_then(hex) } else { None };
        rest = if escaped.is_some() { &tail[2..] } else { tail };
        out.push(escaped.unwrap_or(b));
    }
    String::from_utf8(out).unwrap()
}

/// The OTLP/gRPC methods.
pub const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const LOGS: &str = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

/// A protobuf length-delimited field: tag, varint length, bytes.
pub fn field(number: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![number << 3 | 2];
    let mut n = bytes.len();
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend(bytes);
    out
}

/// An OTLP `Span` with id `[id; 8]` and these string attributes.
pub fn span(id: u8, attributes: &[(&str, &str)]) -> Vec<u8> {
    let mut span = field(2, &[id; 8]);
    span.push(7 << 3 | 1); // start_time_unix_nano, fixed64
    span.extend(1_795_788_000_000_000_000u64.to_le_bytes());
    for (key, value) in attributes {
        span.extend(field(9, &[field(1, key.as_bytes()), field(2, &field(1, value.as_bytes()))].concat()));
    }
    span
}

/// An `ExportTraceServiceRequest` of these spans: one resource, one scope.
pub fn traces_request(spans: &[Vec<u8>]) -> Vec<u8> {
    field(1, &field(2, &spans.iter().flat_map(|s| field(2, s)).collect::<Vec<u8>>()))
}

pub fn metric(text: &str, line_start: &str) -> Option<f64> {
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

#[test]
fn otlp_grpc_calls_reach_the_detectors_and_bad_calls_get_the_status_otlp_names() {
    let server = Server::start(&["--max-body-bytes", "65536"]);
    let rejected = span(2, &[("gen_ai.input.messages", "nope")]);
    let arguments = r#"{"order_id": "A-10482' OR '1'='1"}"#;
    let tool = span(3, &[("gen_ai.tool.name", "lookup_order"), ("gen_ai.tool.call.arguments", arguments)]);
    let request = traces_request(&[rejected, tool]);
    let (code, text, response) = server.grpc_call(TRACES, &gzip(&request), Some("gzip"));
    assert_eq!(code, 0, "{text}");
    // ExportTraceServiceResponse { partial_success { rejected_spans: 1, error_message } }
    assert_eq!(response.get(2..4), Some(&[0x08, 1][..]), "{response:?}");
    assert!(String::from_utf8_lossy(&response).contains("(span \"0202020202020202\")"), "{response:?}");
    assert_eq!(server.grpc_call(LOGS, b"", None), (0, String::new(), vec![]), "an empty request is whole");

    let status = |method: &str, message: &[u8], encoding: Option<&str>| {
        let (code, text, _) = server.grpc_call(method, message, encoding);
        (code, text)
    };
    let (code, text) = status(TRACES, b"\x0a\xff\xff\xff", None);
    assert_eq!(code, 3, "INVALID_ARGUMENT: {text}");
    assert!(text.contains("invalid protobuf ExportTraceServiceRequest"), "{text}");
    assert_eq!(status(LOGS, b"not gzip", Some("gzip")).0, 3, "a broken gzip body is INVALID_ARGUMENT");
    assert_eq!(status(LOGS, b"", Some("br")).0, 12, "an unknown encoding is UNIMPLEMENTED");
    let (code, text) = status(TRACES, &vec![0; 70_000], None);
    assert_eq!(code, 8, "RESOURCE_EXHAUSTED past --max-body-bytes: {text}");
    assert_eq!(status(TRACES, &gzip(&vec![0; 1 << 20]), Some("gzip")).0, 8, "decompressed size is capped");
    assert_eq!(status("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", b"", None).0, 12);

    let text = server.metrics_when(|t| t.contains("aiir_findings_total{"));
    let count = |l: &str| metric(&text, l).unwrap_or_else(|| panic!("no {l} in\n{text}"));
    assert_eq!(count(r#"aiir_events_received_total{source="unknown_service",format="otlp-grpc"}"#), 1.0);
    assert_eq!(count(r#"aiir_events_rejected_total{format="otlp-grpc"}"#), 1.0);
    assert_eq!(count(&format!(r#"aiir_http_requests_total{{route="{TRACES}",status="0"}}"#)), 1.0);
    assert_eq!(count(&format!(r#"aiir_http_requests_total{{route="{TRACES}",status="3"}}"#)), 1.0);
    assert_eq!(count(&format!(r#"aiir_http_requests_total{{route="{TRACES}",status="8"}}"#)), 2.0);
    assert_eq!(count(&format!(r#"aiir_http_requests_total{{route="{LOGS}",status="12"}}"#)), 1.0);
    assert_eq!(count(r#"aiir_http_requests_total{route="other",status="12"}"#), 1.0);

    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules = run.event_rules();
    assert!(rules.contains(&("0303030303030303".into(), "tool-abuse/injection".into())), "{rules:?}");
    assert!(run.stderr.contains("aiir: 1 events read"), "{}", run.stderr);
}

/// Send the spans of tests/otel/send_spans.py; their ids by name.
pub fn send_spans(python: &str, server: &Server, args: &[&str]) -> serde_json::Value {
    let endpoint =
        if args.contains(&"grpc") { server.grpc_endpoint() } else { format!("{}/v1/traces", server.endpoint()) };
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
fn opentelemetry_python_sdk_spans_over_protobuf_json_and_grpc_are_inspected() {
    let python = test_python();
    let server = Server::start(&[]);
    let protobuf = send_spans(&python, &server, &["--encoding", "protobuf", "--gzip"]);
    let json = send_spans(&python, &server, &["--encoding", "json"]);
    let grpc = send_spans(&python, &server, &["--encoding", "grpc", "--gzip"]);
    let text = server.metrics_when(|t| t.contains(r#"format="otlp-json""#) && t.contains(r#"format="otlp-grpc""#));
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);

    let rules = run.event_rules();
    for ids in [&protobuf, &json, &grpc] {
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
    for format in ["otlp-protobuf", "otlp-json", "otlp-grpc"] {
        assert_eq!(count(&format!(r#"aiir_events_received_total{{source="otel-test-app",format="{format}"}}"#)), 4.0);
        assert_eq!(count(&format!(r#"aiir_spans_skipped_total{{format="{format}"}}"#)), 1.0);
    }
    assert_eq!(count(r#"aiir_findings_total{plugin="tool-abuse",severity="high"}"#), 3.0, "{text}");
    assert_eq!(count(r#"aiir_http_requests_total{route="/v1/traces",status="200"}"#), 2.0);
    assert_eq!(count(&format!(r#"aiir_http_requests_total{{route="{TRACES}",status="0"}}"#)), 1.0);
    assert!(run.stderr.contains("aiir: 12 events read"), "{}", run.stderr);
}

/// A config whose one detector spins each event until its 400 ms deadline, with
/// `breaker` (TOML lines) in its `[detector.breaker]` table.
pub fn slow_config(breaker: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let wasm = crate::support::guest("hostile");
    let config = format!(
        "[[detector]]\nname = \"hostile\"\nwasm = {:?}\n[detector.limits]\ntimeout_ms = 400\n[detector.breaker]\n{breaker}\n[detector.settings]\nattack = \"loop\"\n",
        wasm.to_str().unwrap()
    );
    crate::support::temp_file("aiir.toml", config.as_bytes())
}

#[test]
fn a_flood_past_the_queue_gets_503_or_unavailable_and_plugin_errors_are_counted() {
    let (_dir, config) = slow_config("");
    let server = Server::start(&["--queue", "1", "--config", config.to_str().unwrap()]);
    let span = r#"{"spanId":"f1","startTimeUnixNano":"1795788000000000000","attributes":[{"key":"gen_ai.tool.name","value":{"stringValue":"x"}}]}"#;
    let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#);
    // Each event holds the detectors for 400 ms; the queue holds one request. A request
    // is answered once inspected, so the flood comes at once.
    let replies: Vec<(u16, String)> = at_once(6, || server.post("application/json", "", body.as_bytes()));
    assert!(replies.contains(&(200, "{}".into())), "{replies:?}");
    let busy = replies.iter().find(|(status, _)| *status == 503).unwrap_or_else(|| panic!("no 503: {replies:?}"));
    assert!(busy.1.contains(r#""code":14"#) && busy.1.contains("queue is full"), "{busy:?}");
    let request = traces_request(&[self::span(0xf1, &[("gen_ai.tool.name", "x")])]);
    let calls: Vec<(i32, String, Vec<u8>)> = at_once(6, || server.grpc_call(TRACES, &request, None));
    let busy = calls.iter().find(|(code, ..)| *code == 14).unwrap_or_else(|| panic!("no UNAVAILABLE: {calls:?}"));
    assert!(busy.1.contains("queue is full"), "{busy:?}");
    let text = server.metrics_when(|_| true);
    let rejected = metric(&text, r#"aiir_http_requests_total{route="/v1/traces",status="503"}"#);
    assert!(rejected.is_some_and(|n| n >= 1.0), "{text}");
    let errors = metric(&text, r#"aiir_plugin_errors_total{plugin="hostile",reason="deadline"}"#);
    assert!(errors.is_some_and(|n| n >= 1.0), "{text}");
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `n` calls of `call` from as many threads at once; their results.
pub fn at_once<T: Send>(n: usize, call: impl Fn() -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..n).map(|_| s.spawn(&call)).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}
