//! Who may send: the `[serve]` table of the config. Once `aiir serve` drives responders,
//! a forged export could roll a model back, so each sender is named in the config with
//! the credential it proves itself by — a bearer token, kept only as its sha256, or a
//! client certificate (mutual TLS, [`super::tls`]), pinned by its sha256 — and bound
//! to the sources (`service.name`) it may send as.
//!
//! ```toml
//! [serve]
//! metrics = "open"                  # or "senders": /metrics, /healthz and /api/v1/shadow need a credential too
//!
//! [serve.tls]
//! cert = "server.pem"               # the server's certificate chain and key (PEM)
//! key = "server-key.pem"
//! client_ca = "clients-ca.pem"      # ask clients for certificates signed by this CA
//!
//! [[serve.sender]]
//! name = "shop"
//! token_sha256 = "5e88…"            # `aiir token` makes a token and prints this
//! sources = ["shop-api", "shop-*"]  # service.name values it may send as; "*" for any
//!
//! [[serve.sender]]
//! name = "batch-jobs"
//! certificate_sha256 = "a1b2…"      # the client certificate's (DER) sha256, colons allowed
//! sources = ["etl"]
//! ```
//!
//! With no sender, ingest is open, and `aiir serve` listens on loopback only.

use crate::config::{Problem, join, parse_lenient};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};

/// The `[serve]` table, resolved.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// The senders; none leaves ingest open.
    pub senders: Vec<Sender>,
    /// Whether `/metrics`, `/healthz` and `/api/v1/shadow` answer without a credential.
    pub metrics_open: bool,
    /// The server's TLS files, when it speaks TLS.
    pub tls: Option<TlsFiles>,
}

/// One `[[serve.sender]]`.
#[derive(Debug, Clone)]
pub struct Sender {
    /// Its name, for messages and metrics.
    pub name: String,
    token_sha256: Option<[u8; 32]>,
    certificate_sha256: Option<[u8; 32]>,
    sources: Vec<String>,
}

/// `[serve.tls]`: PEM files, resolved against the config's folder.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The server's certificate chain.
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
    /// The CA that client certificates must chain to; none asks for no certificate.
    pub client_ca: Option<PathBuf>,
}

/// Why a request is refused: no credential, or one that no sender has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

impl Access {
    /// Whether requests must prove who sends them.
    pub fn required(&self) -> bool {
        !self.senders.is_empty()
    }

    /// The sender a request proves to be, by its `Authorization` header or the
    /// fingerprint of its TLS client certificate; `None` when ingest is open.
    pub fn identify(
        &self,
        authorization: Option<&[u8]>,
        certificate: Option<&[u8; 32]>,
    ) -> Result<Option<&Sender>, Refusal> {
        if !self.required() {
            return Ok(None);
        }
        let token = authorization.and_then(bearer).map(|t| sha256(t.as_bytes()));
        let by_token = token.and_then(|t| self.senders.iter().find(|s| s.token_sha256.is_some_and(|h| same(&h, &t))));
        let by_certificate =
            certificate.and_then(|c| self.senders.iter().find(|s| s.certificate_sha256.is_some_and(|h| same(&h, c))));
        match (by_token.or(by_certificate), authorization, certificate) {
            (Some(sender), _, _) => Ok(Some(sender)),
            (None, None, None) => Err(Refusal("send a bearer token or a client certificate")),
            (None, _, _) => Err(Refusal("no sender has this token or certificate")),
        }
    }
}

impl Sender {
    /// Whether it may send events of `source` (`service.name`).
    pub fn may_send_as(&self, source: &str) -> bool {
        self.sources.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => source.starts_with(prefix),
            None => pattern == source,
        })
    }
}

/// `Bearer TOKEN` (the scheme in any case).
fn bearer(header: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(header).ok()?.trim();
    let (scheme, token) = text.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Equal in time that does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The sha256 of a DER certificate, as [`Access::identify`] takes it.
pub fn fingerprint(der: &[u8]) -> [u8; 32] {
    sha256(der)
}

/// A new bearer token (32 random bytes, hex) and the `token_sha256` that names it.
pub fn new_token() -> std::io::Result<(String, String)> {
    use std::io::Read as _;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    let token = hex(&bytes);
    let hash = hex(&sha256(token.as_bytes()));
    Ok((token, hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// --- the table as written -----------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServe {
    #[serde(default)]
    metrics: MetricsAccess,
    tls: Option<RawTls>,
    #[serde(default)]
    sender: Vec<RawSender>,
}

#[derive(Debug, Deserialize, Default, PartialEq)]
#[serde(rename_all = "kebab-case")]
enum MetricsAccess {
    #[default]
    Open,
    Senders,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSender {
    name: String,
    token_sha256: Option<String>,
    certificate_sha256: Option<String>,
    sources: Vec<String>,
}

/// Read the `[serve]` table; paths are taken from `base`.
pub(crate) fn parse(value: Option<toml::Value>, base: &Path, problems: &mut Vec<Problem>) -> Access {
    let Some(raw) = value.and_then(|v| parse_lenient::<RawServe>(v, "serve", problems)) else {
        return Access { metrics_open: true, ..Access::default() };
    };
    let tls = raw.tls.map(|t| TlsFiles {
        cert: base.join(t.cert),
        key: base.join(t.key),
        client_ca: t.client_ca.map(|c| base.join(c)),
    });
    let senders =
        raw.sender.into_iter().enumerate().filter_map(|(i, s)| sender(s, &format!("serve.sender[{i}]"), problems));
    let senders: Vec<Sender> = senders.collect();
    let client_ca = tls.as_ref().is_some_and(|t| t.client_ca.is_some());
    let by_certificate = senders.iter().any(|s| s.certificate_sha256.is_some());
    if by_certificate && !client_ca {
        let message = "a sender proves itself by certificate: name the CA that signs client certificates";
        problems.push(Problem::new("serve.tls.client_ca", message));
    }
    if client_ca && !by_certificate {
        let message = "no sender proves itself by certificate: add `certificate_sha256` to the senders it signs for";
        problems.push(Problem::new("serve.tls.client_ca", message));
    }
    Access { senders, metrics_open: raw.metrics == MetricsAccess::Open, tls }
}

fn sender(raw: RawSender, path: &str, problems: &mut Vec<Problem>) -> Option<Sender> {
    let before = problems.len();
    let mut digest = |field: &str, value: Option<String>| {
        let value = value?;
        let parsed = parse_sha256(&value);
        if parsed.is_none() {
            problems.push(Problem::new(join(path, field), format!("{value:?} is not a sha256 (64 hex digits)")));
        }
        parsed
    };
    let token_sha256 = digest("token_sha256", raw.token_sha256);
    let certificate_sha256 = digest("certificate_sha256", raw.certificate_sha256);
    if token_sha256.is_none() && certificate_sha256.is_none() && problems.len() == before {
        problems.push(Problem::new(path, "a sender needs `token_sha256` or `certificate_sha256`"));
    }
    if raw.sources.is_empty() {
        problems.push(Problem::new(join(path, "sources"), "name the sources it may send as (\"*\" for any)"));
    }
    (problems.len() == before).then_some(Sender {
        name: raw.name,
        token_sha256,
        certificate_sha256,
        sources: raw.sources,
    })
}

/// 64 hex digits, in either case, colons allowed (as `openssl x509 -fingerprint` prints).
fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    if digits.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(text: &str) -> Result<Access, Vec<Problem>> {
        let mut problems = Vec::new();
        let value: toml::Value = toml::from_str(text).unwrap();
        let access = parse(value.get("serve").cloned(), Path::new("/etc/aiir"), &mut problems);
        if problems.is_empty() { Ok(access) } else { Err(problems) }
    }

    #[test]
    fn a_token_names_its_sender_and_binds_its_sources() {
        let hash = hex(&sha256(b"s3cret"));
        let access = access(&format!(
            "[[serve.sender]]\nname = \"shop\"\ntoken_sha256 = \"{}\"\nsources = [\"shop-*\", \"api\"]\n",
            hash.to_uppercase()
        ))
        .unwrap();
        let shop = access.identify(Some(b"Bearer s3cret"), None).unwrap().unwrap();
        assert_eq!(shop.name, "shop");
        assert!(shop.may_send_as("shop-eu") && shop.may_send_as("api") && !shop.may_send_as("apix"));
        assert!(access.identify(Some(b"bearer  s3cret "), None).is_ok());
        for header in [&b"Bearer nope"[..], b"Basic s3cret", b"s3cret"] {
            assert!(access.identify(Some(header), None).is_err(), "{header:?}");
        }
        assert_eq!(access.identify(None, None).unwrap_err(), Refusal("send a bearer token or a client certificate"));
        assert!(access.metrics_open, "metrics stay open unless `metrics = \"senders\"`");
    }

    #[test]
    fn without_senders_ingest_is_open() {
        let open = access("").unwrap();
        assert!(!open.required() && open.metrics_open);
        assert_eq!(open.identify(None, None).map(|s| s.is_none()), Ok(true));
    }

    #[test]
    fn problems_are_named_by_path() {
        let certificate = "ab".repeat(32);
        let problems = access(&format!(
            "[serve]\nmetrics = \"maybe\"\n[[serve.sender]]\nname = \"a\"\ntoken_sha256 = \"xyz\"\nsources = []\n\
             [[serve.sender]]\nname = \"b\"\nsources = [\"*\"]\n\
             [[serve.sender]]\nname = \"c\"\ncertificate_sha256 = \"{certificate}\"\nsources = [\"*\"]\n"
        ))
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| format!("{}: {}", p.path, p.message)).collect();
        let text = text.join("\n");
        for expected in [
            "serve.metrics: unknown variant `maybe`",
            "serve.sender[0].token_sha256: \"xyz\" is not a sha256",
            "serve.sender[0].sources: name the sources",
            "serve.sender[1]: a sender needs `token_sha256` or `certificate_sha256`",
            "serve.tls.client_ca: a sender proves itself by certificate",
        ] {
            assert!(text.contains(expected), "{expected}\n{text}");
        }
    }
}
