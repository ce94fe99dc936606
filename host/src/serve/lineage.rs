//! `POST /api/v1/lineage`: OpenLineage run events, as the OpenLineage HTTP transport
//! sends them — one `RunEvent` a request, `application/json`, gzipped when its
//! `compression` says so, with `Authorization: Bearer API_KEY` when it has an `api_key`
//! (checked like any sender's token, before the body is read). Each becomes one
//! training-run event ([`crate::decode::openlineage`]) and goes the way of OTLP's: the
//! queue, the detectors, the store.
//!
//! Answers, in JSON `{"code", "message"}` when an error: `201` once the event's findings
//! are written and stored (as Marquez, the reference server, answers; the clients take
//! any `2xx`); `400` with the decode error for a body that is no usable `RunEvent`;
//! `403` for a job namespace (source `openlineage:NAMESPACE`) the sender may not send as;
//! `413`, `415` and `408` as for OTLP; `503` with `Retry-After` when busy, which the
//! clients' HTTP transports retry.

use super::auth::Sender;
use super::http::{Reply, Shared, Untaken, take_body, text};
use super::ingest::{Busy, Receipt};
use crate::decode::{DecodeError, openlineage};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Request, StatusCode};
use serde_json::json;

/// The path the OpenLineage HTTP transport posts to by default.
pub const ROUTE: &str = "/api/v1/lineage";
/// The `format` label of these events in metrics.
const FORMAT: &str = "openlineage";

/// Take one run event and answer once it is stored.
pub async fn post(req: Request<Incoming>, sender: Option<&Sender>, shared: &Shared) -> Reply {
    let receipt = match receive(req, sender, shared).await {
        Ok(receipt) => receipt,
        Err(reply) => return reply,
    };
    match receipt.kept().await {
        Ok(_) => text(StatusCode::CREATED, "application/json", "{}".into()),
        Err(e) => busy(e),
    }
}

/// Read and decode the body and queue its event: the receipt, or the error answer.
async fn receive(req: Request<Incoming>, sender: Option<&Sender>, shared: &Shared) -> Result<Receipt, Reply> {
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("application/json") {
        let why =
            format!("unsupported content type {content_type:?}: send an OpenLineage RunEvent as application/json");
        return Err(problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, &why));
    }
    let (_permit, body) = take_body(req, shared).await.map_err(|e| match e {
        Untaken::Failed(status, message) => problem(status, &message),
        Untaken::Busy(e) => busy(e),
    })?;
    let decoded = std::str::from_utf8(&body)
        .map_err(|e| DecodeError::new(format!("invalid JSON: {e}")))
        .and_then(openlineage::decode_line);
    let event = decoded.map_err(|e| {
        shared.metrics.accepted(FORMAT, &[], 0, 1);
        problem(StatusCode::BAD_REQUEST, &e.message)
    })?;
    if let Some(sender) = sender
        && !sender.may_send_as(&event.source)
    {
        shared.metrics.accepted(FORMAT, &[], 0, 1);
        let why = format!("sender {:?} may not send as source {:?} (id {:?})", sender.name, event.source, event.id);
        return Err(problem(StatusCode::FORBIDDEN, &why));
    }
    shared.enqueue_event(FORMAT, event, body.len() as u64).map_err(busy)
}

/// An error answer: `{"code": STATUS, "message": WHY}`.
fn problem(status: StatusCode, message: &str) -> Reply {
    let body = json!({ "code": status.as_u16(), "message": message }).to_string();
    text(status, "application/json", body)
}

/// 503 with `Retry-After`.
fn busy(why: Busy) -> Reply {
    let mut reply = problem(StatusCode::SERVICE_UNAVAILABLE, why.message());
    reply.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    reply
}
