//! `aiir serve`: OTLP ingest. AI applications export their OpenTelemetry traces
//! (`POST /v1/traces`) and logs (`POST /v1/logs`) here, as protobuf or JSON, or over
//! gRPC ([`grpc`]); the GenAI calls in them (joined across the two signals, see
//! [`crate::decode::otel::join`]) become events, and the events go down the same path
//! as `aiir run`'s lines: the detectors, the store with correlation and responders, the
//! findings' output.
//!
//! Both transports ([`http`], [`grpc`]) read a request's body whole ([`body`]: a body
//! sent too slowly is cut off), then decode it on the runtime's worker threads and put
//! its events on a queue bounded in requests, events and bytes ([`ingest`]); the job of
//! `aiir run` takes them off in order, and the request is answered once its findings
//! are written and stored. A full queue, or too many requests at once, is answered
//! with 503 and `Retry-After` (gRPC: `UNAVAILABLE`), so memory stays bounded when input
//! outruns the detectors. Each listener caps the connections of one address and of all
//! ([`peers`]), shedding idle ones before refusing anyone. `GET /metrics` serves
//! [`metrics`]. SIGINT or SIGTERM stops accepting, lets requests in flight finish, lets
//! go of the calls still waiting for their other records, inspects what is queued and
//! prints the summary.

pub mod auth;
pub mod body;
pub mod grpc;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod peers;
pub mod tls;

use crate::decode::otel::Joiner;
use crate::decode::{Decoded, Format};
use crate::output::diagnostic;
use crate::progress::Counters;
use crate::run::{Job, JobOptions, Outcome, Unit, read_config};
use crate::source::Position;
use anyhow::Context as _;
use auth::Access;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use ingest::{Bounds, Budget, Charge};
use metrics::Metrics;
use peers::Peers;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// What `aiir serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The chain, the store and the output, as for `aiir run`.
    pub job: JobOptions,
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The address to listen on for OTLP/gRPC, if at all.
    pub grpc_listen: Option<SocketAddr>,
    /// The largest request body, compressed or not.
    pub max_body: usize,
    /// What the queue holds before answering 503.
    pub queue: Bounds,
    /// How long a call's span or log records wait for the others.
    pub join_wait: Duration,
}

/// The default listening address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4318";
/// The default OTLP/gRPC address: loopback, the OTLP port for gRPC.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:4317";

/// The input name of OTLP requests in messages: `OTLP:12` is the 12th batch of events.
const INPUT: &str = "OTLP";

/// The events of one accepted export request, or of calls let go after their wait.
#[derive(Debug)]
pub struct Batch {
    /// Its number, counted from 1, for messages.
    pub number: u64,
    /// The events, in request order.
    pub decoded: Decoded,
    /// The bytes of the request body.
    pub bytes: u64,
    /// Its share of the queue, given back when the detectors take it.
    pub charge: Option<Charge>,
    /// Told once its findings are written and stored; dropped untold if they are not.
    pub stored: Option<oneshot::Sender<()>>,
}

impl Unit for Batch {
    fn input(&self) -> usize {
        0
    }

    fn at(&self) -> Position {
        Position { line: self.number, ..Position::default() }
    }

    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn decode(self, _: Format) -> Result<Decoded, String> {
        Ok(self.decoded)
    }

    fn receipt(&mut self) -> Option<oneshot::Sender<()>> {
        self.stored.take()
    }
}

/// Export requests decoded at once (their bodies read whole); more are answered 503.
const IN_FLIGHT: usize = 16;
/// How long requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(5);
/// Time allowed for a client's TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Time allowed for a request's headers, and for the next request on a kept-alive
/// connection.
const HEADERS: Duration = Duration::from_secs(10);
/// How long a shed connection may take to close.
const SHED: Duration = Duration::from_secs(1);
/// How often held calls are looked at when none is due sooner.
const TICK: Duration = Duration::from_millis(250);

/// Serve until SIGINT or SIGTERM; then print the summary.
pub async fn serve(opts: &ServeOptions) -> anyhow::Result<Outcome> {
    let config = read_config(opts.job.config.as_deref())?;
    let access = config.serve.clone();
    let tls = access.tls.as_ref().map(|files| tls::acceptor(files, &[b"http/1.1"])).transpose()?;
    let grpc_tls = access.tls.as_ref().map(|files| tls::acceptor(files, &[b"h2"])).transpose()?;
    let mut job = Job::start(&opts.job, &config, Arc::new(Counters::default())).await?;
    let metrics = Arc::new(Metrics::new(job.plugin_names(), opts.queue));
    job.count_with(metrics.clone());
    let signal = shutdown_signal()?;
    let listener = listen(opts.listen, &access, |bound| {
        let scheme = if tls.is_some() { "https" } else { "http" };
        format!(
            "aiir: listening on {bound} ({scheme}; POST /v1/traces, POST /v1/logs, GET /metrics, GET /healthz{})",
            who(&access)
        )
    })
    .await?;
    let grpc_listener = match opts.grpc_listen {
        Some(addr) => Some(
            listen(addr, &access, |bound| {
                format!(
                    "aiir: listening for OTLP/gRPC on {bound} ({}{})",
                    if tls.is_some() { "TLS" } else { "plaintext" },
                    who(&access)
                )
            })
            .await?,
        ),
        None => None,
    };
    let (queue, batches) = mpsc::channel(opts.queue.requests.max(1));
    let shared = Arc::new(http::Shared {
        queue,
        budget: Budget::new(opts.queue),
        metrics,
        in_flight: Semaphore::new(IN_FLIGHT),
        max_body: opts.max_body,
        joiner: Mutex::new(Joiner::new(opts.join_wait)),
        batches: AtomicU64::new(0),
        access,
    });
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(accept(listener, shared.clone(), tls, stopped.clone(), Protocol::Http));
    let grpc =
        grpc_listener.map(|l| tokio::spawn(accept(l, shared.clone(), grpc_tls, stopped.clone(), Protocol::Grpc)));
    let ticker = tokio::spawn(let_go(shared.clone(), stopped));
    let stopper = async move {
        signal.await;
        diagnostic("aiir: stopping: finishing requests in flight and the queue");
        let _ = stop.send(true);
        let _ = tokio::join!(server, ticker);
        if let Some(grpc) = grpc {
            let _ = grpc.await;
        }
        let held = shared.joiner().flush();
        shared.send(held).await;
        // The last sender goes with `shared`: the queue ends once it is drained.
    };
    let inputs = [PathBuf::from(INPUT)];
    let result = {
        let drain = job.drain(batches, &inputs, Format::OtelJson, std::future::pending());
        tokio::pin!(drain);
        tokio::select! {
            // Only an error ends the drain before a stop: the senders live until then.
            result = &mut drain => result,
            () = stopper => drain.await,
        }
    };
    job.finish(result)
}

/// Let go, as they fall due, the calls held for their other records.
async fn let_go(shared: Arc<http::Shared>, mut stop: watch::Receiver<bool>) {
    loop {
        let due = shared.joiner().next_deadline().map_or(TICK, |at| at.saturating_duration_since(Instant::now()));
        tokio::select! {
            () = tokio::time::sleep(due.min(TICK)) => {}
            _ = stop.changed() => return,
        }
        let expired = shared.joiner().expired(Instant::now());
        shared.send(expired).await;
    }
}

impl http::Shared {
    fn joiner(&self) -> std::sync::MutexGuard<'_, Joiner> {
        // A panic elsewhere must not stop the joining.
        self.joiner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue calls let go outside a request, waiting for room.
    async fn send(&self, decoded: Decoded) {
        if decoded.events.is_empty() && decoded.blind.is_empty() {
            return;
        }
        self.metrics.accepted("held", &decoded.events, 0, 0);
        let batch = self.batch(decoded, 0, None);
        let _ = self.queue.send(Ok(batch)).await;
    }
}

/// Bind and say where with `announce` (tests read the line to use port 0). Off
/// loopback, only senders who prove themselves may send: without any, refuse to start.
async fn listen(
    addr: SocketAddr,
    access: &Access,
    announce: impl FnOnce(SocketAddr) -> String,
) -> anyhow::Result<TcpListener> {
    anyhow::ensure!(
        addr.ip().is_loopback() || access.required(),
        "refusing to listen on {addr}: other machines could send events that open incidents and drive \
         responders; name the senders and their tokens or certificates in the config's [[serve.sender]] \
         (README, \"Who may send\"), or listen on loopback"
    );
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    diagnostic(&announce(listener.local_addr()?));
    Ok(listener)
}

/// Who may send, for the listening line.
fn who(access: &Access) -> String {
    match access.senders.len() {
        0 => "; from anyone on this machine".into(),
        n => format!("; from {n} senders"),
    }
}

/// An accepted connection, plain or TLS.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

/// What a listener speaks.
#[derive(Debug, Clone, Copy)]
enum Protocol {
    /// OTLP/HTTP, `/metrics` and `/healthz` over HTTP/1.1.
    Http,
    /// OTLP/gRPC over HTTP/2.
    Grpc,
}

/// Accept connections until told to stop, each served in `protocol` (after its TLS
/// handshake when the server speaks TLS); then let each finish its requests in flight.
async fn accept(
    listener: TcpListener,
    shared: Arc<http::Shared>,
    tls: Option<TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
    protocol: Protocol,
) {
    let peers = Peers::new(peers::PER_PEER, peers::TOTAL);
    let mut connections = JoinSet::new();
    loop {
        let (stream, from) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Some(ticket) = admit(&peers, from.ip(), &shared) else { continue };
        let (tls, shared, stop) = (tls.clone(), shared.clone(), stop.clone());
        connections.spawn(async move {
            let ticket = Arc::new(ticket);
            let handshaken = tokio::select! {
                handshaken = handshake(stream, tls) => handshaken,
                () = ticket.shed() => return,
            };
            let on = Serving { ticket, stop };
            match handshaken {
                Ok((io, peer)) => match protocol {
                    Protocol::Http => serve_http(io, peer, shared, on).await,
                    Protocol::Grpc => grpc::connection(io, peer, shared, on).await,
                },
                Err(why) => shared.metrics.handshake_failed(&why),
            }
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        diagnostic("aiir: some connections did not finish in time and were closed");
    }
}

/// Let a connection from `peer` in, counting a shed or a refusal.
fn admit(peers: &Arc<Peers>, peer: IpAddr, shared: &http::Shared) -> Option<peers::Ticket> {
    match peers.admit(peer) {
        Some((ticket, peers::Admitted::Room)) => Some(ticket),
        Some((ticket, peers::Admitted::Shed)) => {
            shared.metrics.connection_closed("shed");
            Some(ticket)
        }
        None => {
            shared.metrics.connection_closed("refused");
            None
        }
    }
}

/// What a connection is served under: its place among the listener's connections,
/// and the stop signal.
pub(crate) struct Serving {
    /// Its place; shed when others need it.
    pub ticket: Arc<peers::Ticket>,
    /// The stop signal.
    pub stop: watch::Receiver<bool>,
}

/// Answer one request with `answer`, the connection marked busy meanwhile: it is not
/// shed while it answers. `None` when it was shed already.
pub(crate) async fn answering<T>(ticket: &peers::Ticket, answer: impl Future<Output = T>) -> Option<T> {
    let busy = ticket.begin()?;
    let reply = answer.await;
    drop(busy);
    Some(reply)
}

/// The connection to serve, after its TLS handshake when the server speaks TLS, and the
/// fingerprint of the client's certificate, if it sent one; or why the handshake failed.
async fn handshake(stream: TcpStream, tls: Option<TlsAcceptor>) -> Result<(Box<dyn Io>, Option<[u8; 32]>), String> {
    let Some(tls) = tls else { return Ok((Box::new(stream), None)) };
    match tokio::time::timeout(HANDSHAKE, tls.accept(stream)).await {
        Ok(Ok(stream)) => {
            let peer = tls::client_fingerprint(stream.get_ref().1);
            Ok((Box::new(stream), peer))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Serve HTTP/1.1 on a connection whose client certificate, if any, has this
/// fingerprint.
async fn serve_http(io: Box<dyn Io>, peer: Option<[u8; 32]>, shared: Arc<http::Shared>, on: Serving) {
    let ticket = on.ticket.clone();
    let service = service_fn(move |req| {
        let (shared, ticket) = (shared.clone(), ticket.clone());
        async move {
            let answer = answering(&ticket, http::handle(req, &shared, peer.as_ref())).await;
            Ok::<_, Infallible>(answer.unwrap_or_else(http::shed))
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADERS)
        .serve_connection(TokioIo::new(io), service);
    until_stopped(Box::pin(conn), on).await;
}

/// A connection being served, HTTP/1.1 or HTTP/2.
pub(crate) type Connection =
    std::pin::Pin<Box<dyn GracefulConnection<Error = hyper::Error, Output = Result<(), hyper::Error>> + Send>>;

/// Serve a connection to its end, or close it gracefully on a stop signal: requests in
/// flight are answered, new ones refused; or close it when it is shed (it is idle
/// then). (Boxed, not generic: rustc cannot prove a generic connection future `Send`
/// here.)
async fn until_stopped(mut conn: Connection, on: Serving) {
    let Serving { ticket, mut stop } = on;
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended");
            }
        }
        _ = stop.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
        () = ticket.shed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHED, conn).await;
        }
    }
}

/// SIGINT (Ctrl-C) or SIGTERM. The handlers are installed now, before the address is
/// announced, so a signal sent as soon as it is listening is not fatal.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
