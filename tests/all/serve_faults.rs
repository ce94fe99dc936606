//! `aiir serve` under faults (issue 17): clients that hold connections open or trickle
//! their requests, a bad span among good ones, a queue filled by large requests, and an
//! output that fails. It sheds the abuser, not the client.

use crate::serve::{Server, TRACES, at_once, field, fixture_line, metric, slow_config, span, traces_request};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One JSON export on a fresh connection: the status, or `None` when the connection
/// failed before an answer.
fn try_post(addr: SocketAddr, path: &str, body: &[u8]) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(15))).ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()))
}

fn attr(key: &str, value: &str) -> Value {
    json!({"key": key, "value": {"stringValue": value}})
}

/// A GenAI tool span in OTLP/JSON.
fn tool_span(id: &str, tool: &str, arguments: &str) -> Value {
    json!({"spanId": id, "startTimeUnixNano": "1795788000000000000",
        "attributes": [attr("gen_ai.tool.name", tool), attr("gen_ai.tool.call.arguments", arguments)]})
}

fn traces(spans: Vec<Value>) -> Vec<u8> {
    json!({"resourceSpans": [{"resource": {"attributes": [attr("service.name", "shop")]}, "scopeSpans": [{"spans": spans}]}]})
        .to_string()
        .into_bytes()
}

/// Whether an encoded `ExportTraceServiceResponse` counts `n` (< 128) rejected spans:
/// `partial_success` (field 1, its length a varint) opens with `rejected_spans` (field 1).
fn rejected_spans(response: &[u8], n: u8) -> bool {
    let after_length = response.iter().skip(1).position(|b| b & 0x80 == 0).map(|i| i + 2);
    response.first() == Some(&0x0a) && after_length.is_some_and(|at| response.get(at..at + 2) == Some(&[0x08, n][..]))
}

/// Arguments the standard pack's `tool-abuse` flags.
const INJECTION: &str = r#"{"order_id": "A-10482' OR '1'='1"}"#;

/// How an abusive client holds a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Abuse {
    /// It trickles a request's headers, a byte a second.
    Headers,
    /// It sends whole headers, then trickles the body.
    Body,
    /// It sends nothing.
    Idle,
}

/// A client that holds connections from `from` to `server` as `how` says, reconnecting
/// whenever one is closed, until `stop`.
async fn abuse(server: SocketAddr, from: IpAddr, how: Abuse, stop: Arc<AtomicBool>) {
    let head =
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
    let trickle = match how {
        Abuse::Headers => "POST /v1/traces HTTP/1.1\r\nX-Pad: y\r\n",
        Abuse::Body => " ",
        Abuse::Idle => "",
    };
    while !stop.load(Ordering::Relaxed) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from, 0)).unwrap();
        if let Ok(mut stream) = socket.connect(server).await
            && (how != Abuse::Body || stream.write_all(head.as_bytes()).await.is_ok())
        {
            let mut bytes = trickle.bytes().cycle();
            while !stop.load(Ordering::Relaxed) {
                if let Some(byte) = bytes.next()
                    && stream.write_all(&[byte]).await.is_err()
                {
                    break;
                }
                // A second a byte; any answer or the end of the stream means it was closed.
                let mut answer = [0; 512];
                if tokio::time::timeout(Duration::from_secs(1), stream.read(&mut answer)).await.is_ok() {
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the abusers of issue 17 come from, and how: 300 trickling headers, 50 of them
/// from the normal client's own address, and 20 trickling bodies.
fn abusers() -> impl Iterator<Item = (IpAddr, Abuse)> {
    (0..320u16).map(|n| match n {
        0..50 => (IpAddr::from([127, 0, 0, 1]), Abuse::Headers),
        50..300 => (IpAddr::from([127, 0, 0, 2 + (n % 5) as u8]), Abuse::Headers),
        _ => (IpAddr::from([127, 0, 0, 9]), Abuse::Body),
    })
}

#[test]
fn issue_17_slow_and_idle_connections_are_shed_and_a_normal_client_still_exports() {
    let server = Server::start(&["--no-store"]);
    let (addr, grpc) = (server.addr(), server.grpc_endpoint().trim_start_matches("http://").parse().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for (from, how) in abusers() {
        runtime.spawn(abuse(addr, from, how, stop.clone()));
        // The gRPC listener is held by as many connections that say nothing.
        runtime.spawn(abuse(grpc, from, Abuse::Idle, stop.clone()));
    }
    std::thread::sleep(Duration::from_secs(2));
    let exports = 200;
    let ok = (0..exports)
        .filter(|i| {
            let body = traces(vec![tool_span(&format!("{i:016x}"), "search", r#"{"q":"shoes"}"#)]);
            try_post(addr, "/v1/traces", &body).is_some_and(|(status, _)| status == 200)
        })
        .count();
    let calls = 50;
    let called = (0..calls)
        .filter(|i| {
            let request = traces_request(&[span(*i as u8, &[("gen_ai.tool.name", "search")])]);
            server.grpc_call(TRACES, &request, None).0 == 0
        })
        .count();
    let text = server.metrics_when(|_| true);
    stop.store(true, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_secs(2));
    assert!(ok * 100 >= exports * 99, "only {ok} of {exports} exports succeeded");
    assert_eq!(called, calls, "gRPC calls failed");
    let shed = metric(&text, r#"aiir_connections_closed_total{reason="shed"}"#);
    assert!(shed.is_some_and(|n| n >= 1.0), "no connection was shed:\n{text}");
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn one_bad_span_or_record_is_rejected_alone_over_json_protobuf_and_grpc() {
    let server = Server::start(&["--no-store"]);
    let addr = server.addr();

    let mut no_id = tool_span("", "lookup_order", INJECTION);
    no_id.as_object_mut().unwrap().remove("spanId");
    let mut no_time = tool_span("a2a2a2a2a2a2a2a2", "lookup_order", INJECTION);
    no_time.as_object_mut().unwrap().remove("startTimeUnixNano");
    let mut not_a_list = tool_span("a3a3a3a3a3a3a3a3", "lookup_order", INJECTION);
    not_a_list["attributes"] = json!(5);
    let good = tool_span("a1a1a1a1a1a1a1a1", "lookup_order", INJECTION);
    let (status, body) = try_post(addr, "/v1/traces", &traces(vec![no_id, no_time, good, not_a_list])).unwrap();
    assert_eq!(status, 200, "{body}");
    let partial: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(partial["partialSuccess"]["rejectedSpans"], "3", "{body}");
    let why = partial["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(why.contains("missing field `spanId` (span 1)"), "{why}");
    assert!(why.contains("missing field `startTimeUnixNano` (span \"a2a2a2a2a2a2a2a2\")"), "{why}");

    let record = |body: Value| json!({"eventName": "gen_ai.user.message", "timeUnixNano": "7", "body": body});
    let content = json!({"kvlistValue": {"values": [{"key": "content", "value": {"stringValue": "hello"}}]}});
    let logs = json!({"resourceLogs": [{"scopeLogs": [{"logRecords": [record(content), {"eventName": 5}]}]}]});
    let (status, body) = try_post(addr, "/v1/logs", logs.to_string().as_bytes()).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(r#""rejectedLogRecords":"1""#) && body.contains("(log record 2)"), "{body}");

    let tool = [("gen_ai.tool.name", "lookup_order"), ("gen_ai.tool.call.arguments", INJECTION)];
    let bad_name = field(5, b"\xff\xfe");
    let without_id = span(0xb2, &tool)[10..].to_vec();
    let request = traces_request(&[bad_name.clone(), span(0xb1, &tool), without_id.clone()]);
    let (status, body) = server.post("application/x-protobuf", "", &request);
    assert_eq!(status, 200, "{body}");
    // ExportTraceServiceResponse { partial_success { rejected_spans: 2, error_message } }
    assert!(rejected_spans(body.as_bytes(), 2), "{body:?}");
    assert!(body.contains("invalid protobuf") && body.contains("(span 3)"), "{body:?}");

    let request = traces_request(&[bad_name, without_id, span(0xc1, &tool)]);
    let (code, text, response) = server.grpc_call(TRACES, &request, None);
    assert_eq!(code, 0, "{text}");
    assert!(rejected_spans(&response, 2), "{response:?}");

    server.metrics_when(|t| t.contains("aiir_findings_total{"));
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rules = run.event_rules();
    for id in ["a1a1a1a1a1a1a1a1", "b1b1b1b1b1b1b1b1", "c1c1c1c1c1c1c1c1"] {
        assert!(rules.contains(&(id.into(), "tool-abuse/injection".into())), "{id}: {rules:?}");
    }
    assert_eq!(rules.iter().filter(|(_, r)| r == "tool-abuse/injection").count(), 3, "{rules:?}");
}

#[test]
fn the_queue_is_bounded_in_events_and_in_bytes_not_only_in_requests() {
    // The breaker never disables the detector: each event keeps it for 400 ms.
    let (_dir, config) = slow_config("failures = 0");
    let bounds = ["--queue", "64", "--queue-events", "4", "--queue-bytes", "2000", "-w", "1"];
    let server =
        Server::start(&[&["--no-grpc", "--no-store", "--config", config.to_str().unwrap()][..], &bounds].concat());
    let addr = server.addr();
    // Each event holds the detectors for 400 ms. Requests of two small events: the
    // queue takes two of them, though --queue would take 64.
    let n = std::sync::atomic::AtomicUsize::new(0);
    let small = || {
        let i = n.fetch_add(1, Ordering::Relaxed);
        let spans = (0..2).map(|j| tool_span(&format!("e{i}{j}"), "x", "{}")).collect();
        try_post(addr, "/v1/traces", &traces(spans)).unwrap()
    };
    let replies = at_once(8, small);
    let busy: Vec<_> = replies.iter().filter(|(status, _)| *status == 503).collect();
    assert!(busy.len() >= 3, "the event bound turned none away: {replies:?}");
    assert!(busy[0].1.contains("queue is full"), "{busy:?}");
    // Requests of one event of 1,500 bytes: one fits, the next would pass 2,000 bytes.
    let large = || {
        let i = n.fetch_add(1, Ordering::Relaxed);
        try_post(addr, "/v1/traces", &traces(vec![tool_span(&format!("b{i}"), "x", &"y".repeat(1500))])).unwrap()
    };
    let replies = at_once(6, large);
    let busy = replies.iter().filter(|(status, _)| *status == 503).count();
    assert!(busy >= 2, "the byte bound turned none away: {replies:?}");
    let text = server.metrics_when(|_| true);
    assert!(text.contains("aiir_queue_capacity_events 4\n") && text.contains("aiir_queue_capacity_bytes 2000\n"));
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn an_export_whose_findings_cannot_be_written_is_not_answered_200() {
    let server = Server::start(&["--no-grpc", "-o", "/dev/full"]);
    let addr = server.addr();
    let benign = traces(vec![tool_span("d1d1d1d1d1d1d1d1", "search", r#"{"q":"shoes"}"#)]);
    assert_eq!(try_post(addr, "/v1/traces", &benign).map(|r| r.0), Some(200), "no findings, nothing to write");
    let answer = try_post(addr, "/v1/traces", fixture_line().as_bytes());
    assert!(answer.as_ref().is_none_or(|(status, _)| *status == 503), "{answer:?}");
    let run = server.stop();
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("cannot write findings"), "{}", run.stderr);
}

#[test]
fn a_body_sent_a_byte_a_second_is_cut_off_with_408() {
    let server = Server::start(&["--no-grpc", "--no-store"]);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let head = "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        while stream.write_all(b" ").is_ok() {
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let mut response = [0; 512];
    let n = reader.read(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response[..n]);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains("request body not received in time"), "{response}");
    // The server may have closed the connection already; either way the trickle stops.
    let _ = reader.shutdown(std::net::Shutdown::Both);
    trickle.join().unwrap();
    let run = server.stop();
    assert_eq!(run.code, 0, "{}", run.stderr);
}
