//! Signatures of plugin artifacts in cosign's keyed format, verified offline against
//! the operator's keys: ECDSA P-256 over SHA-256, the signature in ASN.1 DER, written
//! as base64.
//!
//! A plugin kept as a file has a detached blob signature ([`sign_blob`],
//! [`verify_blob`]): the one `cosign sign-blob --key` makes and
//! `cosign verify-blob --key` checks. A plugin in an OCI registry is signed as cosign
//! signs an image: the key signs a small JSON "simple signing" [`payload`] naming the
//! repository and the manifest digest, and [`verify_payload`] checks both the
//! signature and what the payload names. [`key`] reads and writes the key files,
//! [`Keys`] is the set the operator trusts, and [`reference`](mod@reference) validates what a
//! payload names.
//!
//! ```
//! use aiir_host::trust::{Keys, key::SigningKey, sign_blob, verify_blob};
//!
//! let key = SigningKey::generate()?;
//! let mut keys = Keys::default();
//! keys.add("ops".into(), key.public_key())?;
//! let signature = sign_blob(&key, b"plugin bytes")?;
//! assert_eq!(verify_blob(&keys, b"plugin bytes", &signature)?.name, "ops");
//! assert!(verify_blob(&keys, b"other bytes", &signature).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blob;
mod cosign;
pub mod key;
mod keys;
mod pem;
pub mod policy;
pub mod reference;

pub use blob::{sign_blob, verify_blob};
pub use cosign::{
    COSIGN_SIGNATURE_TYPE, MAX_PAYLOAD_BYTES, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, payload, sign_payload,
    signature_tag, verify_payload,
};
pub use keys::{KeyId, Keys};

/// Why a signature was not accepted. The signature and the payload may come from
/// anyone who can write to a registry: any text of theirs in a message is cut short
/// and escaped.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// An empty signature.
    #[error("no signature")]
    Missing,
    /// Far longer than an ECDSA P-256 signature.
    #[error("the signature is {0} bytes, far more than an ECDSA P-256 signature takes")]
    TooLarge(usize),
    /// Not base64.
    #[error("the signature is not base64 (cosign writes a signature as one line of base64)")]
    Base64,
    /// Nothing to verify with.
    #[error("no trusted keys to verify the signature with")]
    NoKeys,
    /// No trusted key made it: another key did, or the signed bytes differ.
    #[error("signature does not verify with any of the trusted keys ({0})")]
    Unverified(String),
    /// A payload larger than any cosign writes.
    #[error("the signed payload is {0} bytes, more than the {MAX_PAYLOAD_BYTES} a cosign payload may have")]
    PayloadTooLarge(usize),
    /// A signed payload that is not a simple-signing document.
    #[error("the signed payload is not a cosign image signature: {0}")]
    Payload(String),
    /// A simple-signing document of another type.
    #[error("the signed payload is of type {0}, not {COSIGN_SIGNATURE_TYPE:?}")]
    Type(String),
    /// Signed for another artifact.
    #[error("signed for {signed}, not for this artifact {actual}")]
    Digest {
        /// The digest the payload names.
        signed: String,
        /// The digest of what was pulled.
        actual: crate::oci::Digest,
    },
    /// Signed under another repository's name.
    #[error("signed for repository {signed}, pulled from {actual}")]
    Repository {
        /// The repository the payload names.
        signed: String,
        /// The repository expected.
        actual: reference::Repository,
    },
}

/// Someone else's text, for a message: cut short and escaped.
pub(crate) use crate::output::terminal::quoted as shown;

/// A fresh key and the set trusting it alone, as `ops`.
#[cfg(test)]
fn trusted_ops() -> (key::SigningKey, Keys) {
    let key = key::SigningKey::generate().unwrap();
    let mut keys = Keys::default();
    keys.add("ops".into(), key.public_key()).unwrap();
    (key, keys)
}

#[cfg(test)]
mod tests {
    #[test]
    fn foreign_text_is_cut_and_escaped() {
        assert_eq!(super::shown("a\u{1b}[2J\"b"), r#""a\u{1b}[2J\"b""#);
        assert_eq!(super::shown(&"x".repeat(500)), format!("\"{}…\"", "x".repeat(100)));
    }
}
