//! `[trust]` in the config, and the check a plugin passes before it loads when the
//! config asks for a signature.
//!
//! ```toml
//! [trust]
//! keys = ["keys/ops.pub", "keys/release.pub"]  # relative to the config; named by stem
//! require = true          # every plugin not built in must be signed by one of them
//!
//! [[detector]]
//! name = "acme-exfil"
//! wasm = "oci://registry.example/acme/exfil:1.4"
//! signed_by = ["release"] # this one only by these keys (and signed even without require)
//! ```
//!
//! A plugin file is signed by `FILE.sig` beside it (`aiir sign-blob`, `cosign
//! sign-blob`); a plugin in a registry by a cosign signature of its manifest digest,
//! stored beside it (`aiir sign`, `cosign sign --key`). Both are checked offline,
//! against the keys alone: no transparency log, no certificate authority.

use super::key::PublicKey;
use super::reference::Repository;
use super::{KeyId, Keys, verify_blob, verify_payload};
use crate::config::{Problem, parse_lenient};
use crate::oci::{self, Pulled};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The most a signature file may take: a base64 ECDSA signature is about 100 bytes.
const MAX_SIGNATURE_FILE_BYTES: u64 = 64 << 10;

/// `[trust]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    /// `keys = ["ops.pub"]`: public keys (SPKI PEM), relative to the config file.
    #[serde(default)]
    keys: Vec<PathBuf>,
    /// `require = true`: every plugin that is not built in must be signed.
    #[serde(default)]
    require: bool,
}

/// What the config trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The operator's keys.
    pub keys: Keys,
    /// Whether every plugin that is not built in must be signed.
    pub require: bool,
}

/// Parse `[trust]`; every key file that cannot be read is a problem at its path.
pub fn parse(value: Option<toml::Value>, base: &Path, problems: &mut Vec<Problem>) -> Trust {
    let Some(raw) = value.and_then(|v| parse_lenient::<RawTrust>(v, "trust", problems)) else {
        return Trust::default();
    };
    let mut keys = Keys::default();
    for (i, file) in raw.keys.iter().enumerate() {
        let path = base.join(file);
        let name = path.file_stem().unwrap_or(path.as_os_str()).to_string_lossy().into_owned();
        if let Err(e) = PublicKey::read(&path).and_then(|key| keys.add(name, key)) {
            problems.push(Problem::new(format!("trust.keys[{i}]"), e.to_string()));
        }
    }
    if raw.require && raw.keys.is_empty() {
        problems.push(Problem::new("trust.require", "signatures are required but [trust] keys names no key"));
    }
    Trust { keys, require: raw.require }
}

impl Trust {
    /// The keys the plugin at `path` must be signed by: `None` when it need not be
    /// signed; a problem at `{path}.signed_by` for a name no key has.
    pub fn keys_for(&self, signed_by: &[String], path: &str, problems: &mut Vec<Problem>) -> Option<Keys> {
        if signed_by.is_empty() {
            return self.require.then(|| self.keys.clone());
        }
        match self.keys.only(signed_by) {
            Ok(keys) => Some(keys),
            Err(name) => {
                let known = if self.keys.is_empty() { "[trust] keys names none".to_owned() } else { self.keys.names() };
                problems.push(Problem::new(
                    format!("{path}.signed_by"),
                    format!("no trusted key is named {name:?} ({known})"),
                ));
                None
            }
        }
    }
}

/// The signer of a plugin file: its `FILE.sig`, checked against `keys`.
pub fn check_file(keys: &Keys, file: &Path, wasm: &[u8]) -> Result<KeyId, String> {
    let mut sig = file.as_os_str().to_owned();
    sig.push(".sig");
    let sig = PathBuf::from(sig);
    let signature = crate::file::read_text_capped(&sig, MAX_SIGNATURE_FILE_BYTES)
        .map_err(|e| format!("it must be signed ({}) but {} cannot be read: {e}", keys.names(), sig.display()))?;
    verify_blob(keys, wasm, &signature).map_err(|e| format!("{}: {e}", sig.display()))
}

/// The signer of a pulled plugin: a cosign signature of its manifest digest, made
/// for its repository, checked against `keys`. The first that verifies wins; when
/// none does, the reason of the first is given.
pub fn check_pulled(keys: &Keys, pulled: &Pulled, store: Option<&oci::Store>) -> Result<KeyId, String> {
    let reference = &pulled.reference;
    let repository = Repository::parse(&reference.name()).map_err(|e| e.to_string())?;
    let signatures = oci::blocking(oci::signatures(reference, &pulled.digest, store))
        .map_err(|e| format!("cannot read its signatures: {e:#}"))?;
    let mut first = None;
    for signed in &signatures {
        match verify_payload(keys, &signed.payload, &signed.signature, &repository, &pulled.digest) {
            Ok(signer) => return Ok(signer),
            Err(e) => first = first.or(Some(e.to_string())),
        }
    }
    Err(match first {
        Some(reason) => format!("no signature of {} verifies: {reason}", pulled.digest),
        None => format!(
            "it must be signed ({}) but the registry holds no signature of {} (tag {})",
            keys.names(),
            pulled.digest,
            super::signature_tag(&pulled.digest)
        ),
    })
}
