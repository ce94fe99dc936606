//! The OCI distribution API, the calls a plugin needs: manifests and blobs, read and
//! written, with the registries' anonymous (or credentialed) bearer-token handshake.
//!
//! Registries on loopback are spoken to in plain HTTP, as Docker does; any other host
//! over HTTPS unless `AIIR_REGISTRY_PLAIN_HTTP` lists it. Credentials, when a registry
//! asks for them, come from `AIIR_REGISTRY_USERNAME` and `AIIR_REGISTRY_PASSWORD`.
//! Every byte read is checked against the digest it was asked by.

use super::reference::Digest;
use crate::net::{self, Endpoint, percent_encode};
use crate::output::terminal::quoted;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode, Uri};
use std::sync::Mutex;
use std::time::Duration;

/// The manifest kinds aiir reads, in the `Accept` header.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// The distribution spec's ceiling on a manifest.
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

/// Redirects followed for one blob (registries hand blobs to a storage host).
const MAX_REDIRECTS: usize = 5;

/// Why a registry call failed; the message names the registry and the call.
#[derive(Debug, thiserror::Error)]
#[error("{call}: {cause}")]
pub struct RegistryError {
    /// `GET 127.0.0.1:5000/v2/team/canary/manifests/1.0`.
    pub call: String,
    /// What happened: `connection refused`, `404 Not Found: manifest unknown`, ….
    pub cause: String,
    /// The status, when the registry answered.
    pub status: Option<StatusCode>,
}

/// One registry: its endpoint and the bearer token it last gave.
#[derive(Debug)]
pub struct Client {
    endpoint: Endpoint,
    registry: String,
    /// The bearer token the registry last gave, sent with every call.
    token: Mutex<Option<String>>,
    connect_timeout: Duration,
    read_timeout: Duration,
}

/// A request before it is sent: what [`Client::send`] may repeat after a token handshake.
struct Call<'a> {
    method: Method,
    path: String,
    headers: Vec<(header::HeaderName, &'a str)>,
    body: Bytes,
    max: usize,
}

impl Client {
    /// A client for `HOST[:PORT]`.
    pub fn new(registry: &str) -> Self {
        let (host, port) = split_host_port(registry);
        let tls = !plain_http(&host);
        let port = port.unwrap_or(if tls { 443 } else { 80 });
        Self {
            endpoint: Endpoint { host, port, tls },
            registry: registry.to_owned(),
            token: Mutex::new(None),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
        }
    }

    /// The manifest at a tag or digest: its bytes, its digest and its media type. A
    /// manifest asked for by digest must hash to it.
    pub async fn manifest(&self, repository: &str, target: &str) -> Result<(Bytes, Digest, String), RegistryError> {
        let path = format!("/v2/{repository}/manifests/{target}");
        let call = Call::get(path, MAX_MANIFEST_BYTES).header(header::ACCEPT, MANIFEST_TYPES);
        let response = self.expect(call, StatusCode::OK).await?;
        let digest = Digest::of(response.body());
        if target.starts_with("sha256:") && digest.as_str() != target {
            return Err(self.error("GET", &format!("/v2/{repository}/manifests/{target}"), mismatch(target, &digest)));
        }
        let media_type = text_header(response.headers(), header::CONTENT_TYPE).unwrap_or_default();
        Ok((response.into_body(), digest, media_type))
    }

    /// Whether the registry has the manifest at `target` (absent: `Ok(None)`).
    pub async fn try_manifest(
        &self,
        repository: &str,
        target: &str,
    ) -> Result<Option<(Bytes, Digest, String)>, RegistryError> {
        match self.manifest(repository, target).await {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.status == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A blob, at most `max` bytes, checked against its digest; redirects to a storage
    /// host are followed.
    pub async fn blob(&self, repository: &str, digest: &Digest, max: usize) -> Result<Bytes, RegistryError> {
        let path = format!("/v2/{repository}/blobs/{digest}");
        let mut response = self.send(Call::get(path.clone(), max)).await?;
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                break;
            }
            let location = text_header(response.headers(), header::LOCATION)
                .ok_or_else(|| self.error("GET", &path, "a redirect without a Location".into()))?;
            response = self.follow(&location, max).await.map_err(|cause| self.error("GET", &path, cause))?;
        }
        if response.status() != StatusCode::OK {
            return Err(self.status_error("GET", &path, &response));
        }
        let actual = Digest::of(response.body());
        if &actual != digest {
            return Err(self.error("GET", &path, mismatch(digest.as_str(), &actual)));
        }
        Ok(response.into_body())
    }

    /// Upload a blob unless the registry has it; its digest.
    pub async fn put_blob(&self, repository: &str, bytes: Bytes) -> Result<Digest, RegistryError> {
        let digest = Digest::of(&bytes);
        let head = Call { method: Method::HEAD, ..Call::get(format!("/v2/{repository}/blobs/{digest}"), 0) };
        if self.send(head).await?.status() == StatusCode::OK {
            return Ok(digest);
        }
        let start = Call { method: Method::POST, ..Call::get(format!("/v2/{repository}/blobs/uploads/"), 64 << 10) };
        let started = self.expect(start, StatusCode::ACCEPTED).await?;
        let location = text_header(started.headers(), header::LOCATION).ok_or_else(|| {
            self.error("POST", &format!("/v2/{repository}/blobs/uploads/"), "no upload Location in the answer".into())
        })?;
        let uploads = format!("/v2/{repository}/blobs/uploads/");
        let path = upload_path(&location, &digest).map_err(|cause| self.error("PUT", &uploads, cause))?;
        let put = Call { method: Method::PUT, body: bytes, ..Call::get(path, 64 << 10) }
            .header(header::CONTENT_TYPE, "application/octet-stream");
        self.expect(put, StatusCode::CREATED).await?;
        Ok(digest)
    }

    /// Store a manifest at a tag (or at its own digest); its digest.
    pub async fn put_manifest(
        &self,
        repository: &str,
        target: &str,
        media_type: &str,
        bytes: Bytes,
    ) -> Result<Digest, RegistryError> {
        let digest = Digest::of(&bytes);
        let path = format!("/v2/{repository}/manifests/{target}");
        let put = Call { method: Method::PUT, body: bytes, ..Call::get(path, 64 << 10) }
            .header(header::CONTENT_TYPE, media_type);
        self.expect(put, StatusCode::CREATED).await?;
        Ok(digest)
    }

    /// Send and require one status.
    async fn expect(&self, call: Call<'_>, status: StatusCode) -> Result<Response<Bytes>, RegistryError> {
        let (method, path) = (call.method.clone(), call.path.clone());
        let response = self.send(call).await?;
        if response.status() == status {
            Ok(response)
        } else {
            Err(self.status_error(method.as_str(), &path, &response))
        }
    }

    /// Send a call with the current token; on a `401` with a bearer challenge, fetch a
    /// token and send it once more.
    async fn send(&self, call: Call<'_>) -> Result<Response<Bytes>, RegistryError> {
        let response = self.send_once(&call).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let challenge = text_header(response.headers(), header::WWW_AUTHENTICATE).unwrap_or_default();
        let token =
            self.token_for(&challenge).await.map_err(|cause| self.error(call.method.as_str(), &call.path, cause))?;
        *self.token.lock().expect("token lock") = Some(token);
        self.send_once(&call).await
    }

    async fn send_once(&self, call: &Call<'_>) -> Result<Response<Bytes>, RegistryError> {
        let mut request = Request::builder()
            .method(call.method.clone())
            .uri(call.path.as_str())
            .header(header::HOST, self.endpoint.authority())
            .header(header::USER_AGENT, concat!("aiir/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &call.headers {
            request = request.header(name, *value);
        }
        if let Some(token) = self.token.lock().expect("token lock").as_deref() {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        } else if let Some(basic) = basic_credentials() {
            request = request.header(header::AUTHORIZATION, basic);
        }
        let request = request
            .body(Full::new(call.body.clone()))
            .map_err(|e| self.error(call.method.as_str(), &call.path, e.to_string()))?;
        self.round_trip(&self.endpoint, request, call.max)
            .await
            .map_err(|cause| self.error(call.method.as_str(), &call.path, cause))
    }

    async fn round_trip(
        &self,
        endpoint: &Endpoint,
        request: Request<Full<Bytes>>,
        max: usize,
    ) -> Result<Response<Bytes>, String> {
        let io = net::connect(endpoint, self.connect_timeout).await?;
        match tokio::time::timeout(self.read_timeout, net::exchange(io, request, max)).await {
            Ok(result) => result,
            Err(_) => Err(format!("no response within {:?}", self.read_timeout)),
        }
    }

    /// A redirect's target, fetched without the registry's credentials when it is
    /// another host.
    async fn follow(&self, location: &str, max: usize) -> Result<Response<Bytes>, String> {
        let uri: Uri = location.parse().map_err(|e| format!("a redirect to {}: {e}", quoted(location)))?;
        let endpoint = match uri.authority() {
            Some(authority) => {
                let tls = uri.scheme_str() != Some("http");
                let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
                Endpoint { host: authority.host().to_owned(), port, tls }
            }
            None => self.endpoint.clone(),
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let request = Request::get(path)
            .header(header::HOST, endpoint.authority())
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        self.round_trip(&endpoint, request, max).await
    }

    /// The token a `Bearer realm=…,service=…,scope=…` challenge leads to.
    async fn token_for(&self, challenge: &str) -> Result<String, String> {
        let Some(params) = challenge.strip_prefix("Bearer ") else {
            return Err(match basic_credentials() {
                Some(_) => "the credentials in AIIR_REGISTRY_USERNAME / AIIR_REGISTRY_PASSWORD were refused".into(),
                None => {
                    "the registry asks for credentials: set AIIR_REGISTRY_USERNAME and AIIR_REGISTRY_PASSWORD".into()
                }
            });
        };
        let params = challenge_params(params);
        let realm = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|(_, v)| v.as_str())
            .ok_or("a bearer challenge without a realm")?;
        let query: Vec<String> = params
            .iter()
            .filter(|(k, _)| k == "service" || k == "scope")
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let url = if query.is_empty() { realm.to_owned() } else { format!("{realm}?{}", query.join("&")) };
        let uri: Uri = url.parse().map_err(|e| format!("the token realm {}: {e}", quoted(realm)))?;
        let authority = uri.authority().ok_or("the token realm has no host")?;
        let tls = uri.scheme_str() != Some("http");
        let endpoint = Endpoint {
            host: authority.host().to_owned(),
            port: authority.port_u16().unwrap_or(if tls { 443 } else { 80 }),
            tls,
        };
        let mut request =
            Request::get(uri.path_and_query().map_or("/", |p| p.as_str())).header(header::HOST, endpoint.authority());
        if let Some(basic) = basic_credentials() {
            request = request.header(header::AUTHORIZATION, basic);
        }
        let request = request.body(Full::new(Bytes::new())).map_err(|e| e.to_string())?;
        let response = self.round_trip(&endpoint, request, 1 << 20).await?;
        if response.status() != StatusCode::OK {
            return Err(format!("the token service answered {}", response.status()));
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            token: Option<String>,
            access_token: Option<String>,
        }
        let answer: TokenAnswer =
            serde_json::from_slice(response.body()).map_err(|e| format!("the token service's answer: {e}"))?;
        answer.token.or(answer.access_token).ok_or_else(|| "the token service gave no token".into())
    }

    fn error(&self, method: &str, path: &str, cause: String) -> RegistryError {
        RegistryError { call: format!("{method} {}{path}", self.registry), cause, status: None }
    }

    /// An unexpected status, with the registry's own error code and message if it sent them.
    fn status_error(&self, method: &str, path: &str, response: &Response<Bytes>) -> RegistryError {
        let status = response.status();
        let mut cause = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
        if let Some(detail) = registry_errors(response.body()) {
            cause = format!("{cause}: {detail}");
        }
        RegistryError { status: Some(status), ..self.error(method, path, cause) }
    }
}

impl<'a> Call<'a> {
    fn get(path: String, max: usize) -> Self {
        Self { method: Method::GET, path, headers: Vec::new(), body: Bytes::new(), max }
    }

    fn header(mut self, name: header::HeaderName, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}` as `MANIFEST_UNKNOWN (…)`,
/// shown escaped and cut: it is the far end's text.
fn registry_errors(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        code: String,
        #[serde(default)]
        message: String,
    }
    let errors: Errors = serde_json::from_slice(body).ok()?;
    let text: Vec<String> = errors.errors.iter().take(3).map(|e| format!("{} ({})", e.code, e.message)).collect();
    let joined = text.join("; ");
    Some(crate::output::terminal::line(&joined.chars().take(300).collect::<String>()).into_owned())
}

fn mismatch(expected: &str, actual: &Digest) -> String {
    format!("the content's digest is {actual}, not the {expected} asked for: refusing it")
}

fn text_header(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned)
}

/// The upload URL's path and query with `digest=` added; an absolute Location must
/// stay on the registry's own path space (we keep our endpoint and its credentials).
fn upload_path(location: &str, digest: &Digest) -> Result<String, String> {
    let uri: Uri = location.parse().map_err(|e| format!("the upload Location {}: {e}", quoted(location)))?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let separator = if path.contains('?') { '&' } else { '?' };
    Ok(format!("{path}{separator}digest={}", percent_encode(digest.as_str())))
}

/// `HOST[:PORT]` split; IPv6 in brackets keeps its brackets.
fn split_host_port(registry: &str) -> (String, Option<u16>) {
    match registry.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host.to_owned(), port.parse().ok()),
        _ => (registry.to_owned(), None),
    }
}

/// Loopback hosts, and those `AIIR_REGISTRY_PLAIN_HTTP` lists (comma-separated), are
/// spoken to without TLS.
fn plain_http(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare == "localhost" || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let listed = std::env::var("AIIR_REGISTRY_PLAIN_HTTP")
        .is_ok_and(|list| list.split(',').any(|h| h.trim().eq_ignore_ascii_case(host)));
    loopback || listed
}

/// `Basic …` from `AIIR_REGISTRY_USERNAME` and `AIIR_REGISTRY_PASSWORD`, when both are set.
fn basic_credentials() -> Option<String> {
    use base64::Engine as _;
    let user = std::env::var("AIIR_REGISTRY_USERNAME").ok().filter(|u| !u.is_empty())?;
    let password = std::env::var("AIIR_REGISTRY_PASSWORD").ok()?;
    Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))))
}

/// `realm="…",service="…"` as pairs, quotes removed.
fn challenge_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (value, next) = match after.strip_prefix('"') {
            Some(inner) => inner.split_once('"').unwrap_or((inner, "")),
            None => after.split_once(',').unwrap_or((after, "")),
        };
        params.push((key, value.to_owned()));
        rest = next.trim_start_matches(',').trim();
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_challenge_reads_as_its_parameters() {
        let params = challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(get("realm"), Some("https://auth.example/token"));
        assert_eq!(get("service"), Some("registry.example"));
        assert_eq!(get("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(percent_encode("repository:a/b:pull,push"), "repository%3Aa%2Fb%3Apull%2Cpush");
    }

    #[test]
    fn loopback_is_plain_http_and_other_hosts_are_tls() {
        assert!(
            Client::new("127.0.0.1:5000").endpoint == Endpoint { host: "127.0.0.1".into(), port: 5000, tls: false }
        );
        assert!(!Client::new("[::1]:5000").endpoint.tls);
        assert!(!Client::new("localhost").endpoint.tls);
        assert_eq!(Client::new("ghcr.io").endpoint, Endpoint { host: "ghcr.io".into(), port: 443, tls: true });
    }

    #[test]
    fn an_upload_location_gets_the_digest() {
        let digest = Digest::of(b"x");
        let hex = digest.hex();
        assert_eq!(
            upload_path("http://127.0.0.1:5000/v2/r/blobs/uploads/u1?_state=abc", &digest).unwrap(),
            format!("/v2/r/blobs/uploads/u1?_state=abc&digest=sha256%3A{hex}")
        );
        assert_eq!(
            upload_path("/v2/r/blobs/uploads/u1", &digest).unwrap(),
            format!("/v2/r/blobs/uploads/u1?digest=sha256%3A{hex}")
        );
    }

    #[test]
    fn a_registry_error_body_is_shown_short_and_escaped() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown\u001b[31m"}]}"#;
        let shown = registry_errors(body).unwrap();
        assert!(shown.starts_with("MANIFEST_UNKNOWN (manifest unknown"), "{shown}");
        assert!(!shown.contains('\u{1b}'), "{shown}");
        assert_eq!(registry_errors(b"<html>"), None);
    }
}
