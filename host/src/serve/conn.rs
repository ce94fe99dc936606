//! The connections of a listener: accepted while [`peers`] has room, through the TLS
//! handshake when the server speaks TLS, then served in the listener's protocol until
//! they end, a stop signal closes them gracefully, or they are shed.

use super::peers::Peers;
use super::{grpc, http, peers, tls};
use crate::output::diagnostic;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// How long requests in flight may take to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(5);
/// Time allowed for a client's TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// Time allowed for a request's headers, and for the next request on a kept-alive
/// connection.
const HEADERS: Duration = Duration::from_secs(10);
/// How long a shed connection may take to close.
const SHED: Duration = Duration::from_secs(1);

/// An accepted connection, plain or TLS.
pub trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

/// What a listener speaks.
#[derive(Debug, Clone, Copy)]
pub(super) enum Protocol {
    /// OTLP/HTTP, `/metrics` and `/healthz` over HTTP/1.1.
    Http,
    /// OTLP/gRPC over HTTP/2.
    Grpc,
}

/// Accept connections until told to stop, each served in `protocol` (after its TLS
/// handshake when the server speaks TLS); then let each finish its requests in flight.
pub(super) async fn accept(
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
                    // Out of file descriptors, say: a pause, not a spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
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
pub(super) async fn until_stopped(mut conn: Connection, on: Serving) {
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
