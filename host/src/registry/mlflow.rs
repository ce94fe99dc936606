//! MLflow's Model Registry through its REST API (`/api/2.0/mlflow/…`): the calls aiir
//! needs to read registered models, their versions and aliases, move an alias and tag
//! a version. One connection per call, over [`crate::net`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), aiir_host::registry::mlflow::MlflowError> {
//! use aiir_host::registry::mlflow::Client;
//! let mlflow = Client::new("http://127.0.0.1:5000").expect("a valid url");
//! for version in mlflow.versions("support-assistant").await? {
//!     println!("{} {:?}", version.version, version.digest());
//! }
//! mlflow.set_alias("support-assistant", "champion", "1").await?;
//! # Ok(()) }
//! ```

use crate::net::{self, Endpoint, percent_encode};
use crate::output::terminal::quoted;
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, StatusCode, Uri, header};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The tag aiir puts on a version it quarantines; its value is the incident's id.
pub const QUARANTINE_TAG: &str = "aiir.quarantined";

/// The version tag that holds an artifact's digest (`sha256:…`), as the team's
/// pipeline records it when it registers the version.
pub const DIGEST_TAG: &str = "digest";

/// The version tag that holds the team's own version label (`2.3.1`); without it a
/// version is labelled by MLflow's version number.
pub const LABEL_TAG: &str = "version";

/// The largest answer read: searches are paged, so a page stays well below it.
const MAX_ANSWER: usize = 8 << 20;

/// Results asked for per page of a search.
const PAGE: u32 = 200;

/// Pages read at most in one search: 200,000 versions, a bound on a runaway server.
const MAX_PAGES: usize = 1000;

/// Why an MLflow call failed; the message names the URL and MLflow's `error_code`.
#[derive(Debug, thiserror::Error)]
#[error("MLflow {call}: {cause}")]
pub struct MlflowError {
    /// `GET http://127.0.0.1:5000/api/2.0/mlflow/registered-models/search`.
    pub call: String,
    /// What happened: `connection refused`, `404 Not Found: RESOURCE_DOES_NOT_EXIST (…)`.
    pub cause: String,
}

/// One MLflow tracking server.
#[derive(Debug, Clone)]
pub struct Client {
    url: String,
    endpoint: Endpoint,
    /// The path the server is mounted under, without a trailing `/` (usually empty).
    prefix: String,
    connect_timeout: Duration,
    read_timeout: Duration,
}

/// A registered model and its aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisteredModel {
    /// Its name.
    pub name: String,
    /// Alias → MLflow version number.
    pub aliases: BTreeMap<String, String>,
}

/// One version of a registered model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelVersion {
    /// The model's name.
    pub name: String,
    /// MLflow's version number, `"1"`, `"2"`…
    pub version: String,
    /// Where its files are (`s3://…`, `models:/…`).
    pub source: String,
    /// When it was registered, milliseconds since the epoch.
    pub created_ms: u64,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
}

impl ModelVersion {
    /// The artifact's digest, from its `digest` tag.
    pub fn digest(&self) -> Option<&str> {
        self.tags.get(DIGEST_TAG).map(String::as_str).filter(|d| !d.is_empty())
    }

    /// The team's version label (`version` tag), else MLflow's version number.
    pub fn label(&self) -> &str {
        self.tags.get(LABEL_TAG).map_or(self.version.as_str(), String::as_str)
    }

    /// The incident that quarantined it, when aiir's tag is on it.
    pub fn quarantined(&self) -> Option<&str> {
        self.tags.get(QUARANTINE_TAG).map(String::as_str)
    }

    /// Whether it is the artifact of this label and digest: the same digest when both
    /// know one, else the same label (its tag or its MLflow number).
    pub fn stands_for(&self, label: &str, digest: Option<&str>) -> bool {
        match (self.digest(), digest) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => self.label() == label || self.version == label,
        }
    }
}

impl Client {
    /// A client for the server at `url` (`http://HOST:PORT`, optionally with the path
    /// it is mounted under); the error says what is wrong with the URL.
    pub fn new(url: &str) -> Result<Self, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{} is not a URL: {e}", quoted(url)))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => return Err(format!("{} is not an http:// or https:// URL", quoted(url))),
        };
        let authority = uri.authority().ok_or_else(|| format!("{} names no host", quoted(url)))?;
        if authority.as_str().contains('@') || uri.query().is_some() {
            return Err(format!("{} must be the server's address alone, without credentials or query", quoted(url)));
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let endpoint = Endpoint { host: authority.host().to_owned(), port, tls };
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            endpoint,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
        })
    }

    /// The server's URL, as configured.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every registered model with its aliases, by name.
    pub async fn models(&self) -> Result<Vec<RegisteredModel>, MlflowError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            registered_models: Vec<RawModel>,
            next_page_token: Option<String>,
        }
        let mut all = Vec::new();
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let query = page_query(&[], token.as_deref());
            let page: Page = self.get("registered-models/search", &query).await?;
            all.extend(page.registered_models.into_iter().map(RawModel::into_model));
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    /// Every version of a model, oldest first.
    pub async fn versions(&self, model: &str) -> Result<Vec<ModelVersion>, MlflowError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            model_versions: Vec<RawVersion>,
            next_page_token: Option<String>,
        }
        // MLflow's filter grammar quotes with `'`, and has no escape for it.
        let filter = format!("name='{}'", model.replace('\'', ""));
        let mut all = Vec::new();
        let mut token = None;
        for _ in 0..MAX_PAGES {
            let query = page_query(&[("filter", &filter)], token.as_deref());
            let page: Page = self.get("model-versions/search", &query).await?;
            all.extend(page.model_versions.into_iter().map(RawVersion::into_version).filter(|v| v.name == model));
            token = page.next_page_token.filter(|t| !t.is_empty());
            if token.is_none() {
                break;
            }
        }
        all.sort_by_key(|v| (v.version.parse::<u64>().unwrap_or(u64::MAX), v.version.clone()));
        Ok(all)
    }

    /// Point `alias` of `model` at `version` (MLflow's number).
    pub async fn set_alias(&self, model: &str, alias: &str, version: &str) -> Result<(), MlflowError> {
        let body = json!({ "name": model, "alias": alias, "version": version });
        self.post("registered-models/alias", &body).await.map(drop)
    }

    /// Set a tag on a version.
    pub async fn set_tag(&self, model: &str, version: &str, key: &str, value: &str) -> Result<(), MlflowError> {
        let body = json!({ "name": model, "version": version, "key": key, "value": value });
        self.post("model-versions/set-tag", &body).await.map(drop)
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, call: &str, query: &str) -> Result<T, MlflowError> {
        let path = format!("{}/api/2.0/mlflow/{call}?{query}", self.prefix);
        let answer = self.send(Method::GET, &path, Bytes::new()).await?;
        serde_json::from_slice(&answer)
            .map_err(|e| self.error(&Method::GET, &path, format!("the answer is not what MLflow sends: {e}")))
    }

    async fn post(&self, call: &str, body: &Value) -> Result<Bytes, MlflowError> {
        let path = format!("{}/api/2.0/mlflow/{call}", self.prefix);
        self.send(Method::POST, &path, Bytes::from(body.to_string())).await
    }

    /// One request; its body when MLflow answered 200, else the error it gave.
    async fn send(&self, method: Method, path: &str, body: Bytes) -> Result<Bytes, MlflowError> {
        let request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, self.endpoint.authority())
            .header(header::USER_AGENT, concat!("aiir/", env!("CARGO_PKG_VERSION")))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .map_err(|e| self.error(&method, path, e.to_string()))?;
        let exchange = async {
            let io = net::connect(&self.endpoint, self.connect_timeout).await?;
            match tokio::time::timeout(self.read_timeout, net::exchange(io, request, MAX_ANSWER)).await {
                Ok(result) => result,
                Err(_) => Err(format!("no response within {:?}", self.read_timeout)),
            }
        };
        let response = exchange.await.map_err(|cause| self.error(&method, path, cause))?;
        if response.status() == StatusCode::OK {
            return Ok(response.into_body());
        }
        let status = response.status();
        let mut cause = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
        if let Some(detail) = mlflow_error(response.body()) {
            cause = format!("{cause}: {detail}");
        }
        Err(self.error(&method, path, cause))
    }

    fn error(&self, method: &Method, path: &str, cause: String) -> MlflowError {
        let path = path.split('?').next().unwrap_or(path);
        let origin = format!("{}://{}", self.endpoint.scheme(), self.endpoint.authority());
        MlflowError { call: format!("{method} {origin}{path}"), cause }
    }
}

/// `max_results=…` with the other parameters and the page token, encoded.
fn page_query(params: &[(&str, &str)], token: Option<&str>) -> String {
    let mut query = vec![format!("max_results={PAGE}")];
    query.extend(params.iter().map(|(k, v)| format!("{k}={}", percent_encode(v))));
    query.extend(token.map(|t| format!("page_token={}", percent_encode(t))));
    query.join("&")
}

/// `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "…"}` as
/// `RESOURCE_DOES_NOT_EXIST ("…")`: the far end's text, escaped and cut.
fn mlflow_error(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Error {
        error_code: String,
        #[serde(default)]
        message: String,
    }
    let e: Error = serde_json::from_slice(body).ok()?;
    Some(format!("{} ({})", quoted(&e.error_code), quoted(&e.message)))
}

#[derive(Deserialize)]
struct RawModel {
    name: String,
    #[serde(default)]
    aliases: Vec<RawAlias>,
}

#[derive(Deserialize)]
struct RawAlias {
    alias: String,
    version: String,
}

impl RawModel {
    fn into_model(self) -> RegisteredModel {
        let aliases = self.aliases.into_iter().map(|a| (a.alias, a.version)).collect();
        RegisteredModel { name: self.name, aliases }
    }
}

#[derive(Deserialize)]
struct RawVersion {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    creation_timestamp: u64,
    #[serde(default)]
    tags: Vec<RawTag>,
}

#[derive(Deserialize)]
struct RawTag {
    key: String,
    #[serde(default)]
    value: String,
}

impl RawVersion {
    fn into_version(self) -> ModelVersion {
        let tags = self.tags.into_iter().map(|t| (t.key, t.value)).collect();
        ModelVersion {
            name: self.name,
            version: self.version,
            source: self.source,
            created_ms: self.creation_timestamp,
            tags,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_an_http_address_with_an_optional_mount_path() {
        let c = Client::new("http://127.0.0.1:5000").unwrap();
        assert_eq!((c.endpoint.port, c.endpoint.tls, c.prefix.as_str()), (5000, false, ""));
        let c = Client::new("https://mlflow.example/tracking/").unwrap();
        assert_eq!((c.endpoint.port, c.endpoint.tls, c.prefix.as_str()), (443, true, "/tracking"));
        for bad in ["127.0.0.1:5000", "ftp://h/", "http://u:p@h/", "http://h/?x=1", "not a url"] {
            assert!(Client::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_version_stands_for_its_digest_else_its_label() {
        let tags = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let v = ModelVersion {
            version: "2".into(),
            tags: tags(&[(DIGEST_TAG, "sha256:b"), (LABEL_TAG, "2.3.1")]),
            ..ModelVersion::default()
        };
        assert!(v.stands_for("2.3.1", Some("sha256:b")));
        assert!(!v.stands_for("2.3.1", Some("sha256:a")), "a swapped artifact under the same label");
        assert!(v.stands_for("2.3.1", None) && v.stands_for("2", None));
        let bare = ModelVersion { version: "3".into(), ..ModelVersion::default() };
        assert!(bare.stands_for("3", Some("sha256:c")) && !bare.stands_for("2.3.1", None));
    }

    #[test]
    fn mlflows_error_is_named_by_its_code_and_escaped() {
        let body = br#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no \u001b[31mmodel"}"#;
        assert_eq!(mlflow_error(body).unwrap(), r#""RESOURCE_DOES_NOT_EXIST" ("no \u{1b}[31mmodel")"#);
    }
}
