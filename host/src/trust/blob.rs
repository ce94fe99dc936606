//! Detached signatures of files: base64 of the ASN.1 DER ECDSA P-256 signature over
//! SHA-256 of the bytes, what `cosign sign-blob --key` prints and
//! `cosign verify-blob --key K --signature SIG FILE` checks.

use super::key::{KeyError, SigningKey};
use super::{KeyId, Keys, SignatureError};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The longest signature text read: a P-256 DER signature is at most 72 bytes, 96 in
/// base64; the margin is for whitespace.
const MAX_SIGNATURE_TEXT: usize = 1024;

/// The signature of `bytes`, in base64, as `cosign sign-blob --key` prints it.
pub fn sign_blob(key: &SigningKey, bytes: &[u8]) -> Result<String, KeyError> {
    Ok(STANDARD.encode(key.sign(bytes)?))
}

/// The trusted key whose signature `signature` (base64, with or without a trailing
/// newline) is of `bytes`.
pub fn verify_blob(keys: &Keys, bytes: &[u8], signature: &str) -> Result<KeyId, SignatureError> {
    keys.verify(bytes, &decode_signature(signature)?)
}

/// The DER of a base64 signature, as a signature file or registry annotation holds it.
pub(super) fn decode_signature(text: &str) -> Result<Vec<u8>, SignatureError> {
    if text.len() > MAX_SIGNATURE_TEXT {
        return Err(SignatureError::TooLarge(text.len()));
    }
    let text = text.trim_ascii();
    if text.is_empty() {
        return Err(SignatureError::Missing);
    }
    STANDARD.decode(text).map_err(|_| SignatureError::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trust::trusted_ops as ops;

    #[test]
    fn a_blob_signature_verifies_with_or_without_a_newline() {
        let (key, keys) = ops();
        let signature = sign_blob(&key, b"wasm").unwrap();
        assert_eq!(verify_blob(&keys, b"wasm", &signature).unwrap().name, "ops");
        assert_eq!(verify_blob(&keys, b"wasm", &format!("{signature}\n")).unwrap().name, "ops");
        assert_eq!(verify_blob(&keys, b"wasm", &format!("{signature}\r\n")).unwrap().name, "ops");
    }

    #[test]
    fn hostile_signatures_are_refused_by_name() {
        let (key, keys) = ops();
        let refused = |text: &str| verify_blob(&keys, b"wasm", text).unwrap_err();
        assert!(matches!(refused(""), SignatureError::Missing));
        assert!(matches!(refused(" \n"), SignatureError::Missing));
        assert!(matches!(refused("not base64!"), SignatureError::Base64));
        assert!(matches!(refused(&"A".repeat(10 << 20)), SignatureError::TooLarge(_)));
        let der = key.sign(b"wasm").unwrap();
        for len in 1..der.len() {
            assert!(matches!(refused(&STANDARD.encode(&der[..len])), SignatureError::Unverified(_)), "{len}");
        }
        let mut flipped = der.clone();
        flipped[10] ^= 1;
        assert!(matches!(refused(&STANDARD.encode(&flipped)), SignatureError::Unverified(_)));
        let other = SigningKey::generate().unwrap();
        assert!(matches!(refused(&sign_blob(&other, b"wasm").unwrap()), SignatureError::Unverified(_)));
    }
}
