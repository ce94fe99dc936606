//! Outbound HTTP/1.1, one connection per request, shared by the `notify` actuator and
//! the OCI registry client.
//!
//! We open the TCP connection (and, for `https`, the TLS session) ourselves and hand
//! it to hyper's HTTP/1 client: hyper is shared with the OTLP server, and owning the
//! connect step keeps the timeouts, the allow-lists and the "connection refused"
//! message in plain sight instead of behind a pooled client's connector. TLS trusts
//! the system's roots (`SSL_CERT_FILE`, else Debian's bundle).

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// Where the system keeps its trusted roots when `SSL_CERT_FILE` is not set.
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A host to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The host name or address; IPv6 in brackets, as in a URL.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Whether the connection is TLS (`https`).
    pub tls: bool,
}

impl Endpoint {
    /// The `Host` header: the host, with the port unless it is the scheme's default.
    pub fn authority(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        if self.port == default { self.host.clone() } else { format!("{}:{}", self.host, self.port) }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }
}

/// A byte stream a request can go over: plain TCP or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Open a connection within `timeout`; the error is a short cause for a message.
pub async fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<Box<dyn Io>, String> {
    let host = endpoint.host.trim_start_matches('[').trim_end_matches(']');
    let open = async {
        let tcp = TcpStream::connect((host, endpoint.port)).await.map_err(|e| io_cause(&e))?;
        if !endpoint.tls {
            return Ok(Box::new(tcp) as Box<dyn Io>);
        }
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(tls_config()?).connect(name, tcp).await;
        Ok(Box::new(tls.map_err(|e| format!("TLS: {e}"))?) as Box<dyn Io>)
    };
    match tokio::time::timeout(timeout, open).await {
        Ok(result) => result,
        Err(_) => Err(format!("no connection within {timeout:?}")),
    }
}

/// Send `request` over `io` and read the response, its body at most `max_body` bytes.
pub async fn exchange(
    io: Box<dyn Io>,
    request: Request<Full<Bytes>>,
    max_body: usize,
) -> Result<Response<Bytes>, String> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await.map_err(cause)?;
    // The connection runs until the response is read and `sender` is dropped.
    let driver = tokio::spawn(connection);
    let result = async {
        let response = sender.send_request(request).await.map_err(cause)?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, max_body)
            .collect()
            .await
            .map_err(|e| match e.downcast::<hyper::Error>() {
                Ok(e) => cause(*e),
                Err(_) => format!("the response is over {max_body} bytes"),
            })?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
    .await;
    drop(sender);
    driver.abort();
    result
}

/// The client TLS settings, built once: the system's roots, ring's crypto.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG.get_or_init(build_tls_config).clone()
}

fn build_tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject as _};
    let file = std::env::var_os("SSL_CERT_FILE").map_or_else(|| SYSTEM_ROOTS.into(), std::path::PathBuf::from);
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    roots.add_parsable_certificates(certs.flatten());
    if roots.is_empty() {
        return Err(format!("{} holds no trusted root certificate", file.display()));
    }
    let config = rustls::ClientConfig::builder_with_provider(tls_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The crypto behind every TLS session, served and opened: ring, which builds with cc
/// alone; aws-lc-rs, which adds post-quantum key exchange, needs cmake and doubles the
/// TLS build. Classical key exchange is the trade.
pub fn tls_provider() -> Arc<rustls::crypto::CryptoProvider> {
    #[expect(deprecated, reason = "ring offers no post-quantum key exchange; see above")]
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A connect error, lowercase, without the OS error number.
pub fn io_cause(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        ErrorKind::ConnectionReset => "connection reset".to_owned(),
        ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => "host unreachable".to_owned(),
        _ => e.to_string(),
    }
}

/// A hyper error with its source, which says what actually happened.
fn cause(e: hyper::Error) -> String {
    match std::error::Error::source(&e) {
        Some(source) => format!("{e}: {source}"),
        None => e.to_string(),
    }
}

/// Percent-encode everything but the unreserved characters, for a query value.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
