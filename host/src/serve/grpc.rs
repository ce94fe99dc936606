//! OTLP/gRPC for `aiir serve`: the `Export` methods of
//! `opentelemetry.proto.collector.trace.v1.TraceService` and
//! `opentelemetry.proto.collector.logs.v1.LogsService`, on a listener of their own
//! (4317, beside OTLP/HTTP on 4318).
//!
//! tonic frames the messages, inflates gzip (`grpc-encoding: gzip`, as the exporters
//! send it) and writes the status trailers; hyper serves the HTTP/2 connection, so any
//! `AsyncRead + AsyncWrite` stream can carry it. A call's body is read whole first
//! ([`body`], cut off when too slow); its message is passed through as bytes and
//! decoded by [`proto`], as OTLP/HTTP's protobuf bodies are, and its calls go the same
//! way too: [`Shared::slot`], [`Shared::enqueue`], answered once the findings are
//! kept. The connection pings an idle client ([`KEEPALIVE`]) and closes on one that
//! does not answer.

use super::auth::{Refusal, Sender};
use super::body::{self, Unread};
use super::conn::{Io, Serving, answering, until_stopped};
use super::http::Shared;
use super::ingest::{Busy, Receipt};
use crate::decode::DecodeError;
use crate::decode::otel::{Records, proto};
use bytes::{Buf as _, BufMut as _, Bytes};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, HeaderValue};
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::SemaphorePermit;
use tonic::body::Body;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::server::{Grpc, UnaryService};
use tonic::{Code, Status};

/// A response of ours.
pub type Reply = hyper::Response<Body>;

/// The label of gRPC requests in metrics.
const FORMAT: &str = "otlp-grpc";
/// How long a connection may be silent before it is pinged, and how long the client
/// has to answer the ping.
pub const KEEPALIVE: (Duration, Duration) = (Duration::from_secs(30), Duration::from_secs(10));
/// Calls open at once on one connection.
const STREAMS: u32 = 32;

/// The served methods, by path (also their route label in metrics), and the decoder of
/// each one's request.
const METHODS: [(&str, Decode); 2] = [
    ("/opentelemetry.proto.collector.trace.v1.TraceService/Export", proto::decode_traces),
    ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", proto::decode_logs),
];

type Decode = fn(&[u8]) -> Result<Records, DecodeError>;

/// Serve one HTTP/2 connection of gRPC calls, whose client certificate, if any, has
/// this fingerprint.
pub(crate) async fn connection(io: Box<dyn Io>, peer: Option<[u8; 32]>, shared: Arc<Shared>, on: Serving) {
    let ticket = on.ticket.clone();
    let service = service_fn(move |req| {
        let (shared, ticket) = (shared.clone(), ticket.clone());
        async move {
            let answer = answering(&ticket, handle(req, &shared, peer.as_ref())).await;
            Ok::<_, Infallible>(answer.unwrap_or_else(|| Status::unavailable("connection shed; retry").into_http()))
        }
    });
    let conn = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .keep_alive_interval(KEEPALIVE.0)
        .keep_alive_timeout(KEEPALIVE.1)
        .max_concurrent_streams(STREAMS)
        .serve_connection(TokioIo::new(io), service);
    until_stopped(Box::pin(conn), on).await;
}

/// Answer one call and count it: route, gRPC status code. A call without a sender's
/// credential (`authorization` metadata, or the client certificate) is refused before
/// its message is read.
pub async fn handle(req: hyper::Request<Incoming>, shared: &Shared, peer: Option<&[u8; 32]>) -> Reply {
    let path = req.uri().path().to_owned();
    let authorization = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    let (route, reply) =
        match (METHODS.iter().find(|(method, _)| *method == path), shared.access.identify(authorization, peer)) {
            (Some(&(method, _)), Err(Refusal(why))) => (method, Status::unauthenticated(why).into_http()),
            (Some(&(method, decode)), Ok(sender)) => (method, export(req, decode, sender, shared).await),
            (None, _) => ("other", Status::unimplemented(format!("no such method {path:?}")).into_http()),
        };
    shared.metrics.request(route, code(&reply) as u16);
    reply
}

async fn export(req: hyper::Request<Incoming>, decode: Decode, sender: Option<&Sender>, shared: &Shared) -> Reply {
    let (head, body) = req.into_parts();
    // The message in its frame: a flag and a length before it.
    let body = match body::collect(body, shared.max_body + 5).await {
        Ok(body) => body,
        Err(Unread::TooLarge) => return Status::resource_exhausted("message larger than allowed").into_http(),
        Err(Unread::TooSlow) => return Status::deadline_exceeded("request not received in time").into_http(),
        Err(Unread::Broken(e)) => return Status::invalid_argument(format!("cannot read request: {e}")).into_http(),
    };
    let permit = match shared.slot() {
        Ok(permit) => Some(permit),
        Err(e) => return unavailable(e).into_http(),
    };
    let mut grpc =
        Grpc::new(Raw).accept_compressed(CompressionEncoding::Gzip).max_decoding_message_size(shared.max_body);
    let req = hyper::Request::from_parts(head, Full::new(body));
    as_otlp_says(grpc.unary(Call { decode, sender, shared, permit }, req).await)
}

/// The call itself, once its message is read: decode and queue in the slot taken,
/// then answer once the findings are kept.
struct Call<'a> {
    decode: Decode,
    sender: Option<&'a Sender>,
    shared: &'a Shared,
    permit: Option<SemaphorePermit<'a>>,
}

impl<'a> UnaryService<Bytes> for Call<'a> {
    type Response = Vec<u8>;
    type Future = Pin<Box<dyn Future<Output = Result<tonic::Response<Vec<u8>>, Status>> + Send + 'a>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let body = request.into_inner();
        let receipt: Result<Receipt, Status> =
            (self.decode)(&body).map_err(|e| Status::invalid_argument(e.message)).and_then(|records| {
                self.shared.enqueue(FORMAT, records, body.len() as u64, self.sender).map_err(unavailable)
            });
        self.permit.take();
        Box::pin(async move {
            let rejected = receipt?.kept().await.map_err(unavailable)?;
            // The response messages of both services have the same fields.
            Ok(tonic::Response::new(proto::encode_response(rejected.count, &rejected.message)))
        })
    }
}

/// `UNAVAILABLE`, which the exporters retry with backoff.
fn unavailable(why: Busy) -> Status {
    Status::unavailable(why.message())
}

/// tonic answers a request message it cannot read with `OUT_OF_RANGE` when it is over
/// the size limit and `INTERNAL` when its frame or gzip is broken; OTLP says
/// `RESOURCE_EXHAUSTED` and `INVALID_ARGUMENT`, which the exporters do not retry. Such
/// answers are trailers-only, so the status is in the headers; ours never uses either.
fn as_otlp_says(mut reply: Reply) -> Reply {
    let code = match code(&reply) {
        Code::OutOfRange => Code::ResourceExhausted,
        Code::Internal => Code::InvalidArgument,
        _ => return reply,
    };
    reply.headers_mut().insert("grpc-status", HeaderValue::from(code as i32));
    reply
}

/// The status of an answer: in its headers when it is an error, else `OK` (in the
/// trailers).
fn code(reply: &Reply) -> Code {
    let status = reply.headers().get("grpc-status").and_then(|v| v.to_str().ok()?.parse::<i32>().ok());
    status.map_or(Code::Ok, Code::from)
}

/// The codec of a message passed through as bytes: decoding is [`proto`]'s, so that a
/// body that does not decode is `INVALID_ARGUMENT`, named as OTLP/HTTP names it.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Bytes;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        Self
    }

    fn decoder(&mut self) -> Self {
        Self
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}
