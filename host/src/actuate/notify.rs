//! The `notify` actuator: POST a JSON notice to a webhook whose host the operator
//! allowed, with timeouts and retries.
//!
//! `http://` and `https://` URLs (the system's trusted roots); the client is
//! [`crate::net`]'s: one connection we open ourselves per attempt.
//!
//! ```no_run
//! # async fn demo() -> Result<(), aiir_host::actuate::notify::NotifyError> {
//! use aiir_host::actuate::notify::Notifier;
//! let notifier = Notifier::new(vec!["127.0.0.1:8080".into()]);
//! let delivered = notifier.post("http://127.0.0.1:8080/hooks/aiir", r#"{"incident":"INC-0001"}"#).await?;
//! assert!(delivered.status < 300);
//! # Ok(()) }
//! ```

use crate::net::{self, Endpoint};
use crate::output::terminal;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, StatusCode, Uri};
use std::time::Duration;

/// Where and how notices may be posted. The defaults: nothing allowed, 2 s to
/// connect, 5 s for the response, 3 attempts 0.2 s then 0.4 s apart.
#[derive(Debug, Clone)]
pub struct Notifier {
    /// Hosts a notice may go to, from `allow_hosts`: `hooks.example.com` allows
    /// any port of that host, `127.0.0.1:8080` only that port, `[::1]:8080` for IPv6.
    pub allow_hosts: Vec<String>,
    /// Time to open the connection.
    pub connect_timeout: Duration,
    /// Time from sending the request to reading the whole response.
    pub read_timeout: Duration,
    /// Attempts in all, the first included; at least one is made.
    pub attempts: u32,
    /// Wait before the second attempt, doubled before each later one.
    pub backoff: Duration,
}

/// A notice that reached its webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The HTTP status the webhook answered, 2xx.
    pub status: u16,
    /// Attempts it took.
    pub attempts: u32,
}

/// Why a notice was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The URL cannot be used.
    #[error("cannot notify {url}: {reason}")]
    BadUrl {
        /// The URL as proposed.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body is not JSON.
    #[error("cannot notify {url}: the body is not JSON: {reason}")]
    BadBody {
        /// The URL as proposed.
        url: String,
        /// The JSON parser's complaint.
        reason: String,
    },
    /// The URL's host is not on the allow-list; no connection was made.
    #[error("cannot notify {url}: {host} is not on the allow-list ({allowed})")]
    NotAllowed {
        /// The URL as proposed.
        url: String,
        /// Its host and port.
        host: String,
        /// The allow-list, for the operator.
        allowed: String,
    },
    /// The webhook refused the notice with a status that retrying will not change.
    #[error("POST {url} was refused with {status} (not retried)")]
    Refused {
        /// The URL.
        url: String,
        /// The status line's code and reason, e.g. `404 Not Found`.
        status: String,
    },
    /// Every attempt failed to connect, timed out or got a 5xx.
    #[error("POST {url} failed after {attempts} attempt(s): {cause}")]
    Failed {
        /// The URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// What went wrong the last time, e.g. `connection refused`.
        cause: String,
    },
}

/// A checked URL: where to connect and what to ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    endpoint: Endpoint,
    path: String,
}

/// How one attempt ended, when it did not deliver.
enum Attempt {
    /// Worth another try: no connection, a timeout, a broken connection, a 5xx.
    Retry(String),
    /// Not worth another: a 3xx or 4xx.
    Final(StatusCode),
}

impl Default for Notifier {
    fn default() -> Self {
        Self {
            allow_hosts: Vec::new(),
            connect_timeout: Duration::from_secs(2),
            read_timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

impl Notifier {
    /// A notifier that may post to these hosts, with the default timeouts and retries.
    pub fn new(allow_hosts: Vec<String>) -> Self {
        Self { allow_hosts, ..Self::default() }
    }

    /// Check a URL without connecting: `http://`, a host, on the allow-list. What a
    /// dry run records, and the first step of [`post`](Self::post).
    pub fn check(&self, url: &str) -> Result<(), NotifyError> {
        self.target(url).map(drop)
    }

    /// POST `json` to `url`, retrying connection failures, timeouts and 5xx with
    /// exponential backoff; a 3xx or 4xx is final.
    pub async fn post(&self, url: &str, json: &str) -> Result<Delivered, NotifyError> {
        let target = self.target(url)?;
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
            return Err(NotifyError::BadBody { url: url.to_owned(), reason: e.to_string() });
        }
        let body = Bytes::copy_from_slice(json.as_bytes());
        let attempts = self.attempts.max(1);
        let mut cause = String::new();
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff * 2u32.saturating_pow(attempt - 2)).await;
            }
            match self.attempt(&target, body.clone()).await {
                Ok(status) => return Ok(Delivered { status: status.as_u16(), attempts: attempt }),
                Err(Attempt::Final(status)) => {
                    return Err(NotifyError::Refused { url: url.to_owned(), status: status_line(status) });
                }
                Err(Attempt::Retry(why)) => {
                    // The URL came from a responder and the cause from the far end: shown escaped.
                    let (url, shown) = (terminal::line(url), terminal::line(&why));
                    tracing::warn!(%url, attempt, "notify attempt failed: {shown}");
                    cause = why;
                }
            }
        }
        Err(NotifyError::Failed { url: url.to_owned(), attempts, cause })
    }

    /// Parse the URL and check its host against the allow-list.
    fn target(&self, url: &str) -> Result<Target, NotifyError> {
        let bad = |reason: &str| NotifyError::BadUrl { url: url.to_owned(), reason: reason.to_owned() };
        let uri: Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(bad("only http:// and https:// URLs are supported")),
        };
        let authority = uri.authority().ok_or_else(|| bad("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user names and passwords in the URL are not supported"));
        }
        let host = authority.host().to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        if !self.allows(&host, port) {
            let allowed = if self.allow_hosts.is_empty() {
                "allow_hosts is empty".to_owned()
            } else {
                format!("allow_hosts = {:?}", self.allow_hosts)
            };
            return Err(NotifyError::NotAllowed { url: url.to_owned(), host: format!("{host}:{port}"), allowed });
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        Ok(Target { endpoint: Endpoint { host, port, tls }, path })
    }

    /// Whether an entry of the allow-list names this host, with this port or none.
    fn allows(&self, host: &str, port: u16) -> bool {
        let with_port = format!("{host}:{port}");
        self.allow_hosts.iter().map(|a| a.trim().to_ascii_lowercase()).any(|a| a == host || a == with_port)
    }

    /// One connection, one request, the whole response.
    async fn attempt(&self, target: &Target, body: Bytes) -> Result<StatusCode, Attempt> {
        let io = net::connect(&target.endpoint, self.connect_timeout).await.map_err(Attempt::Retry)?;
        let request = Request::post(target.path.as_str())
            .header(hyper::header::HOST, target.endpoint.authority())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, concat!("aiir/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(body))
            .expect("a request from a checked URL is valid");
        let status = match tokio::time::timeout(self.read_timeout, net::exchange(io, request, MAX_ANSWER)).await {
            Ok(Ok(response)) => response.status(),
            Ok(Err(cause)) => return Err(Attempt::Retry(cause)),
            Err(_) => return Err(Attempt::Retry(format!("no response within {:?}", self.read_timeout))),
        };
        match status {
            s if s.is_success() => Ok(s),
            s if s.is_server_error() => Err(Attempt::Retry(format!("the webhook answered {}", status_line(s)))),
            s => Err(Attempt::Final(s)),
        }
    }
}

/// The most of a webhook's answer that is read: its body is not used.
const MAX_ANSWER: usize = 64 * 1024;

fn status_line(status: StatusCode) -> String {
    format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
