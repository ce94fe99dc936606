//! One HTTP request of `aiir serve`: OTLP/HTTP export of traces (`POST /v1/traces`)
//! and logs (`POST /v1/logs`), answered as the OTLP/HTTP specification says; OpenLineage
//! run events (`POST /api/v1/lineage`, [`lineage`]); `GET /metrics`, `GET /healthz`
//! and `GET /api/v1/shadow`, the shadow entries' divergence.

use super::Batch;
use super::auth::{Access, Refusal, Sender};
use super::body::{self, Unread};
use super::ingest::{Budget, Busy, Rejected};
use super::lineage;
use super::metrics::{self, Metrics};
use crate::decode::DecodeError;
use crate::decode::otel::{self, Joiner, Records, proto};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;
use std::io::Read as _;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::sync::{Semaphore, SemaphorePermit, mpsc};

/// A response of ours: the whole body in memory.
pub type Reply = Response<Full<Bytes>>;

/// What every request handler shares.
#[derive(Debug)]
pub struct Shared {
    /// Where decoded requests go to the detectors.
    pub queue: mpsc::Sender<anyhow::Result<Batch>>,
    /// The events and bytes the queue holds, against its bounds.
    pub budget: Arc<Budget>,
    /// The counters.
    pub metrics: Arc<Metrics>,
    /// Export requests being decoded at once, their bodies read whole; past it, 503.
    pub in_flight: Semaphore,
    /// The largest request body, before and after decompression.
    pub max_body: usize,
    /// Spans and log records of calls not yet whole.
    pub joiner: Mutex<Joiner>,
    /// Batches queued so far, to number them.
    pub batches: AtomicU64,
    /// Who may send.
    pub access: Access,
}

/// gRPC status codes used in OTLP/HTTP error bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;
const UNAVAILABLE: i32 = 14;
const UNAUTHENTICATED: i32 = 16;

/// Answer one request and count it. `peer` is the fingerprint of the client's TLS
/// certificate, when it sent one.
pub async fn handle(req: Request<Incoming>, shared: &Shared, peer: Option<&[u8; 32]>) -> Reply {
    let path = req.uri().path().to_owned();
    let route = route(&path);
    // The shadows' divergence is operator data like the metrics it is also part of.
    let operator = matches!(route, "/metrics" | "/healthz" | SHADOW);
    let open = route == "other" || (shared.access.metrics_open && operator);
    let authorization = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    let sender = match shared.access.identify(authorization, peer) {
        Ok(sender) => sender,
        Err(_) if open => None,
        Err(Refusal(why)) => {
            let reply = unauthorized(&req, why);
            shared.metrics.request(route, reply.status().as_u16());
            return reply;
        }
    };
    let reply = match (req.method(), route) {
        (&Method::POST, "/v1/traces") => export(req, Signal::Traces, sender, shared).await,
        (&Method::POST, "/v1/logs") => export(req, Signal::Logs, sender, shared).await,
        (&Method::POST, lineage::ROUTE) => lineage::post(req, sender, shared).await,
        (&Method::GET, "/metrics") => text(StatusCode::OK, metrics::CONTENT_TYPE, shared.metrics.render()),
        (&Method::GET, "/healthz") => text(StatusCode::OK, "text/plain", "ok\n".into()),
        (&Method::GET, SHADOW) => shadow(shared),
        (_, "other") => text(StatusCode::NOT_FOUND, "text/plain", format!("no such path {path:?}\n")),
        (method, _) => text(StatusCode::METHOD_NOT_ALLOWED, "text/plain", format!("{method} not allowed here\n")),
    };
    shared.metrics.request(route, reply.status().as_u16());
    reply
}

/// 401 with `WWW-Authenticate`, in the request's encoding when it names one.
fn unauthorized(req: &Request<Incoming>, why: &str) -> Reply {
    let mut reply = match Encoding::of(req) {
        Ok(encoding) => encoding.error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED, why),
        Err(_) => text(StatusCode::UNAUTHORIZED, "text/plain", format!("{why}\n")),
    };
    reply.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    reply
}

/// The route of the shadows' divergence report.
pub const SHADOW: &str = "/api/v1/shadow";

/// `GET /api/v1/shadow`: each shadow entry's comparison, as `aiir shadow --json` writes
/// one, with the names of its two entries.
fn shadow(shared: &Shared) -> Reply {
    let body = json!({ "shadows": shared.metrics.shadows().snapshot() });
    bytes(StatusCode::OK, "application/json", body.to_string().into_bytes())
}

/// The route's label in metrics; `other` for unknown paths, so clients cannot add labels.
fn route(path: &str) -> &'static str {
    ["/v1/traces", "/v1/logs", lineage::ROUTE, "/metrics", "/healthz", SHADOW]
        .into_iter()
        .find(|r| *r == path)
        .unwrap_or("other")
}

/// The two OTLP signals served: where GenAI calls are told.
#[derive(Debug, Clone, Copy)]
enum Signal {
    Traces,
    Logs,
}

impl Signal {
    /// The partial-success field that counts what was rejected.
    fn rejected_field(self) -> &'static str {
        match self {
            Self::Traces => "rejectedSpans",
            Self::Logs => "rejectedLogRecords",
        }
    }
}

/// The two OTLP/HTTP encodings.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Json,
    Protobuf,
}

impl Encoding {
    fn of(req: &Request<Incoming>) -> Result<Self, String> {
        let value = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        match value.split(';').next().unwrap_or("").trim().to_ascii_lowercase().as_str() {
            "application/json" => Ok(Self::Json),
            "application/x-protobuf" => Ok(Self::Protobuf),
            _ => Err(format!("unsupported content type {value:?}: send application/x-protobuf or application/json\n")),
        }
    }

    /// The label in metrics.
    fn label(self) -> &'static str {
        match self {
            Self::Json => "otlp-json",
            Self::Protobuf => "otlp-protobuf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Protobuf => "application/x-protobuf",
        }
    }

    fn decode(self, signal: Signal, body: &[u8]) -> Result<Records, DecodeError> {
        let text = || std::str::from_utf8(body).map_err(|e| DecodeError::new(format!("invalid JSON: {e}")));
        match (self, signal) {
            (Self::Json, Signal::Traces) => otel::decode_traces_json(text()?),
            (Self::Json, Signal::Logs) => otel::decode_logs_json(text()?),
            (Self::Protobuf, Signal::Traces) => proto::decode_traces(body),
            (Self::Protobuf, Signal::Logs) => proto::decode_logs(body),
        }
    }

    /// An export response, with a partial success when spans or records were rejected.
    fn success(self, signal: Signal, rejected: &Rejected) -> Reply {
        let Rejected { count, message } = rejected;
        let body = match self {
            Self::Protobuf => proto::encode_response(*count, message),
            Self::Json if *count == 0 => b"{}".to_vec(),
            Self::Json => {
                json!({"partialSuccess": {signal.rejected_field(): count.to_string(), "errorMessage": message}})
                    .to_string()
                    .into()
            }
        };
        bytes(StatusCode::OK, self.content_type(), body)
    }

    /// An error answer: a `google.rpc.Status` in the request's encoding.
    fn error(self, status: StatusCode, code: i32, message: &str) -> Reply {
        let body = match self {
            Self::Protobuf => proto::encode_status(code, message),
            Self::Json => json!({ "code": code, "message": message }).to_string().into(),
        };
        bytes(status, self.content_type(), body)
    }
}

async fn export(req: Request<Incoming>, signal: Signal, sender: Option<&Sender>, shared: &Shared) -> Reply {
    let encoding = match Encoding::of(&req) {
        Ok(e) => e,
        Err(message) => return text(StatusCode::UNSUPPORTED_MEDIA_TYPE, "text/plain", message),
    };
    let receipt = match accept(req, encoding, signal, sender, shared).await {
        Ok(receipt) => receipt,
        Err(reply) => return reply,
    };
    match receipt.kept().await {
        Ok(rejected) => encoding.success(signal, &rejected),
        Err(e) => busy(encoding, e),
    }
}

/// Read the body whole, then, in a slot, decode it and queue its events; the receipt,
/// or the error answer.
async fn accept(
    req: Request<Incoming>,
    encoding: Encoding,
    signal: Signal,
    sender: Option<&Sender>,
    shared: &Shared,
) -> Result<super::ingest::Receipt, Reply> {
    let (_permit, body) = take_body(req, shared).await.map_err(|e| match e {
        Untaken::Failed(status, message) => {
            let code = if status == StatusCode::PAYLOAD_TOO_LARGE { RESOURCE_EXHAUSTED } else { INVALID_ARGUMENT };
            encoding.error(status, code, &message)
        }
        Untaken::Busy(e) => busy(encoding, e),
    })?;
    let records = encoding
        .decode(signal, &body)
        .map_err(|e| encoding.error(StatusCode::BAD_REQUEST, INVALID_ARGUMENT, &e.message))?;
    shared.enqueue(encoding.label(), records, body.len() as u64, sender).map_err(|e| busy(encoding, e))
}

/// Why a request body was not taken in.
pub(super) enum Untaken {
    /// It could not be read: the status to answer, and why.
    Failed(StatusCode, String),
    /// No slot to decode it in.
    Busy(Busy),
}

/// Read the body whole ([`read_body`]), then take a slot to decode it in, and inflate it
/// when gzipped: the slot and the body.
pub(super) async fn take_body(
    req: Request<Incoming>,
    shared: &Shared,
) -> Result<(SemaphorePermit<'_>, Bytes), Untaken> {
    let failed = |(status, message)| Untaken::Failed(status, message);
    let (gzip, body) = read_body(req, shared.max_body).await.map_err(failed)?;
    let permit = shared.slot().map_err(Untaken::Busy)?;
    let body = if gzip { inflate(&body, shared.max_body).map_err(failed)?.into() } else { body };
    Ok((permit, body))
}

/// 503 with `Retry-After`, which the OTLP exporters honour.
fn busy(encoding: Encoding, why: Busy) -> Reply {
    let mut reply = encoding.error(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE, why.message());
    reply.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    reply
}

/// The answer on a connection shed just as its request arrived: 503, try again.
pub(super) fn shed() -> Reply {
    let mut reply = text(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "connection shed; retry\n".into());
    reply.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    reply
}

/// Whether the body is gzipped, and the body as sent, no larger than `max` bytes, if
/// it arrives fast enough ([`body`]).
async fn read_body(req: Request<Incoming>, max: usize) -> Result<(bool, Bytes), (StatusCode, String)> {
    let too_large = || (StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {max} bytes"));
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let gzip = match req.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap_or("?").trim().to_owned()) {
        None => false,
        Some(e) if e.is_empty() || e.eq_ignore_ascii_case("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") => true,
        Some(e) => {
            return Err((StatusCode::BAD_REQUEST, format!("unsupported content encoding {e:?}: send gzip or none")));
        }
    };
    match body::collect(req.into_body(), max).await {
        Ok(body) => Ok((gzip, body)),
        Err(Unread::TooLarge) => Err(too_large()),
        Err(Unread::TooSlow) => Err((StatusCode::REQUEST_TIMEOUT, "request body not received in time".into())),
        Err(Unread::Broken(e)) => Err((StatusCode::BAD_REQUEST, format!("cannot read request body: {e}"))),
    }
}

/// A gzipped body inflated, no larger than `max` bytes.
fn inflate(body: &[u8], max: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::GzDecoder::new(body).take(max as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| (StatusCode::BAD_REQUEST, format!("invalid gzip body: {e}")))?;
    if out.len() > max {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than {max} bytes")));
    }
    Ok(out)
}

pub(super) fn text(status: StatusCode, content_type: &'static str, body: String) -> Reply {
    bytes(status, content_type, body.into_bytes())
}

fn bytes(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
}
