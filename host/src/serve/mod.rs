//! `aiir serve`: OTLP/HTTP trace ingest. AI applications export their OpenTelemetry
//! GenAI spans here (JSON or protobuf); each GenAI span becomes an event and goes
//! through the detector chain, and findings are written as `aiir run` writes them.
//!
//! The HTTP side ([`http`]) decodes requests on the runtime's worker threads and puts
//! their events on a bounded queue; one loop here takes them off in order and runs the
//! chain. A full queue, or too many requests at once, is answered with 503 and
//! `Retry-After`, so memory stays bounded when input outruns the detectors. `GET
//! /metrics` serves [`metrics`]. SIGINT or SIGTERM stops accepting, lets requests in
//! flight finish, inspects what is queued and prints the summary.

pub mod http;
pub mod metrics;

use crate::chain::Chain;
use crate::output::{Sink, Summary, diagnostic};
use crate::run::{self, start_chain};
use crate::runtime::Event;
use anyhow::Context as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics::Metrics;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

/// What `aiir serve` was asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The config file; the standard pack when absent.
    pub config: Option<PathBuf>,
    /// Where findings go; stdout when absent.
    pub output: Option<PathBuf>,
    /// The precompiled-component cache; none disables it.
    pub cache_dir: Option<PathBuf>,
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// The largest request body, compressed or not.
    pub max_body: usize,
    /// Export requests the queue holds before answering 503.
    pub queue: usize,
}

/// The default listening address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4318";

/// The events of one accepted export request.
#[derive(Debug)]
pub struct Batch {
    /// The events, in request order.
    pub events: Vec<Event>,
    /// The encoding it came in, for messages.
    pub format: &'static str,
}

/// Export requests decoded at once; more are answered 503.
const IN_FLIGHT: usize = 16;
/// Open connections; more are closed at once.
const CONNECTIONS: usize = 256;
/// How long requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(5);

/// Serve until SIGINT or SIGTERM; then print the summary.
pub async fn serve(opts: &ServeOptions) -> anyhow::Result<()> {
    let chain = start_chain(opts.config.as_deref(), opts.cache_dir.clone()).await?;
    let sink = Sink::open(opts.output.as_deref(), crate::output::Style::Aiir)
        .with_context(|| format!("cannot write {}", run::display(opts.output.as_deref())))?;
    let signal = shutdown_signal()?;
    let listener = listen(opts.listen).await?;
    let names = chain.plugins().iter().map(|p| p.name().to_owned()).collect();
    let metrics = Arc::new(Metrics::new(names, opts.queue));
    let (queue, mut batches) = mpsc::channel(opts.queue.max(1));
    let in_flight = Semaphore::new(IN_FLIGHT);
    let shared = Arc::new(http::Shared { queue, metrics: metrics.clone(), in_flight, max_body: opts.max_body });
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(accept(listener, shared, stopped));
    let mut detect = Detect { summary: Summary::new(chain.plugins().len()), chain, sink, metrics, requests: 0 };
    tokio::pin!(signal);
    loop {
        tokio::select! {
            batch = batches.recv() => match batch {
                Some(batch) => detect.inspect(batch).await?,
                None => break,
            },
            () = &mut signal => break,
        }
    }
    diagnostic("aiir: stopping: finishing requests in flight and the queue");
    let _ = stop.send(true);
    let _ = server.await;
    batches.close();
    while let Some(batch) = batches.recv().await {
        detect.inspect(batch).await?;
    }
    detect.summary.print(&detect.chain.plugins());
    Ok(())
}

/// Bind, say where (tests read the line to use port 0), and warn off loopback.
async fn listen(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    if !bound.ip().is_loopback() {
        diagnostic(&format!(
            "aiir: warning: listening on {bound}, reachable from other machines; OTLP ingest has no authentication"
        ));
    }
    diagnostic(&format!("aiir: listening on {bound} (POST /v1/traces, GET /metrics, GET /healthz)"));
    Ok(listener)
}

/// The detector side: takes batches off the queue in order.
struct Detect {
    chain: Chain,
    sink: Sink,
    summary: Summary,
    metrics: Arc<Metrics>,
    requests: u64,
}

impl Detect {
    /// Push one request's events through the chain and write the findings.
    async fn inspect(&mut self, batch: Batch) -> anyhow::Result<()> {
        self.requests += 1;
        let at = format!("{} request {}", batch.format, self.requests);
        for event in batch.events {
            self.summary.events += 1;
            for reply in self.chain.inspect(&event, &at).await {
                self.metrics.reply(&reply, self.chain.fails_closed(reply.plugin));
                run::write(reply, &event, &self.chain, &mut self.sink, &mut self.summary)?;
            }
            self.metrics.dequeued();
        }
        Ok(())
    }
}

/// Accept connections until told to stop; then let each finish its request in flight.
async fn accept(listener: TcpListener, shared: Arc<http::Shared>, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else { continue };
        connections.spawn(connection(stream, shared.clone(), stop.clone(), slot));
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        diagnostic("aiir: some connections did not finish in time and were closed");
    }
}

/// Serve one connection, closing it gracefully on a stop signal.
async fn connection(
    stream: tokio::net::TcpStream,
    shared: Arc<http::Shared>,
    mut stop: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(http::handle(req, &shared).await) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(10))
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
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
