//! `aiir serve`: OTLP ingest. AI applications export their OpenTelemetry traces
//! (`POST /v1/traces`) and logs (`POST /v1/logs`) here, as protobuf or JSON, or over
//! gRPC ([`grpc`]); the GenAI calls in them (joined across the two signals, see
//! [`crate::decode::otel::join`]) become events, and the events go down the same path
//! as `aiir run`'s lines: the detectors, the store with correlation and responders, the
//! findings' output. Training pipelines send their OpenLineage run events the same way
//! ([`lineage`]: `POST /api/v1/lineage`).
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
mod conn;
pub mod grpc;
pub mod http;
pub mod ingest;
pub mod lineage;
pub mod metrics;
pub mod peers;
pub mod tls;

use crate::decode::otel::Joiner;
use crate::decode::{Decoded, Format};
use crate::output::diagnostic;
use crate::progress::Counters;
use crate::run::{Job, JobOptions, Outcome, State, Unit, load_config};
use crate::source::Position;
use anyhow::Context as _;
use auth::Access;
use conn::Protocol;
use ingest::{Bounds, Budget, Charge};
use metrics::Metrics;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

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
    /// Send the events to this stream for `aiir worker`s instead of the detectors.
    pub publish: Option<crate::cluster::publish::Target>,
    /// With a config: reload it when it or a plugin file changes, not only on SIGHUP.
    pub watch: bool,
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
/// How often held calls are looked at when none is due sooner.
const TICK: Duration = Duration::from_millis(250);

/// Serve until SIGINT or SIGTERM; then print the summary.
pub async fn serve(opts: &ServeOptions) -> anyhow::Result<Outcome> {
    let config = load_config(opts.job.config.as_deref(), opts.job.cache_dir.clone(), !opts.job.no_store).await?;
    let access = config.serve.clone();
    let tls = access.tls.as_ref().map(|files| tls::acceptor(files, &[b"http/1.1"])).transpose()?;
    let grpc_tls = access.tls.as_ref().map(|files| tls::acceptor(files, &[b"h2"])).transpose()?;
    let mut job = Job::start(&opts.job, &config, State::Kept, Arc::new(Counters::default())).await?;
    if let Some(target) = &opts.publish {
        job.publish_to(crate::cluster::publish::Publisher::connect(target, &config).await?);
    }
    let metrics = Arc::new(Metrics::new(job.plugin_names(), opts.queue));
    job.count_with(metrics.clone());
    if opts.job.config.is_some() {
        job.reload_on(opts.job.clone(), opts.watch);
    }
    let signal = shutdown_signal()?;
    let listener = listen(opts.listen, &access, |bound| {
        let scheme = if tls.is_some() { "https" } else { "http" };
        format!(
            "aiir: listening on {bound} ({scheme}; POST /v1/traces, POST /v1/logs, POST /api/v1/lineage, GET /metrics, GET /healthz, GET /api/v1/shadow{})",
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
    let server = tokio::spawn(conn::accept(listener, shared.clone(), tls, stopped.clone(), Protocol::Http));
    let grpc =
        grpc_listener.map(|l| tokio::spawn(conn::accept(l, shared.clone(), grpc_tls, stopped.clone(), Protocol::Grpc)));
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
        let drain = job.drain(batches, &inputs, Format::OtelJson, true, std::future::pending());
        tokio::pin!(drain);
        tokio::select! {
            // Only an error ends the drain before a stop: the senders live until then.
            result = &mut drain => result,
            () = stopper => drain.await,
        }
    };
    let result = match result {
        Ok(()) => job.unpublish().await,
        Err(e) => Err(e),
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
