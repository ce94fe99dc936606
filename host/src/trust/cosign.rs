//! cosign's signatures of registry artifacts: the key signs a "simple signing" JSON
//! payload that names the repository and the manifest digest, and the signature is
//! stored beside the artifact, in the same repository, under a tag made of the digest.
//!
//! Verifying checks the signature over the payload bytes as stored (never
//! re-serialised) before the payload is parsed, then its type, its digest and its
//! repository. The payload is parsed strictly, as containers/image's signature format
//! asks (`containers-signature(5)`): an unknown or duplicated member in `critical` is
//! refused, where cosign, which decodes with Go's `encoding/json`, would ignore it;
//! what cosign writes has neither, so every signature cosign makes is read.
//!
//! cosign itself compares only the digest (`SimpleClaimVerifier`), so under cosign a
//! signature made for `ops/pii-detector` also passes for the same manifest pushed to
//! `attacker/anything`. aiir also compares the repository, as containers/image's
//! `matchRepository` does: a config names a plugin by its repository, and a key that
//! signed a plugin for one name has not vouched for it under another. A plugin pulled
//! through a mirror is checked against the repository it was signed for: the caller
//! passes that as the expected repository (see [`super::reference`] for what
//! compares equal).

use super::blob::decode_signature;
use super::key::{KeyError, SigningKey};
use super::reference::Repository;
use super::{KeyId, Keys, SignatureError, shown};
use crate::oci::Digest;
use serde::{Deserialize, Serialize};

/// `critical.type` of a cosign image signature payload.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// The media type of the layer that holds a payload in a signature manifest.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The annotation of that layer's descriptor that holds the base64 signature of the
/// payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The most a payload may hold before it is verified: cosign's are a few hundred
/// bytes, more with `-a key=value` annotations.
pub const MAX_PAYLOAD_BYTES: usize = 64 << 10;

/// The tag under which cosign stores the signatures of the manifest `digest`, in the
/// artifact's own repository: `sha256-HEX.sig`.
pub fn signature_tag(digest: &Digest) -> String {
    format!("sha256-{}.sig", digest.hex())
}

/// The simple-signing document, member for member as cosign writes it (Go's
/// `json.Marshal` keeps declaration order: critical {identity, image, type}, optional).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SimpleSigning {
    critical: Critical,
    /// Free-form claims (`cosign sign -a`): not read, `null` when there are none.
    #[serde(default)]
    optional: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Critical {
    identity: Identity,
    image: Image,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// The payload cosign signs for `repository` at `digest`, byte for byte:
/// `{"critical":{"identity":{"docker-reference":"ghcr.io/ops/x"},"image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},"optional":null}`.
pub fn payload(repository: &Repository, digest: &Digest) -> Vec<u8> {
    let document = SimpleSigning {
        critical: Critical {
            identity: Identity { docker_reference: repository.to_string() },
            image: Image { docker_manifest_digest: digest.to_string() },
            kind: COSIGN_SIGNATURE_TYPE.into(),
        },
        optional: None,
    };
    // Strings and an absent value: nothing here can fail to serialise, and the
    // validated repository and digest hold no character JSON or Go would escape.
    serde_json::to_vec(&document).unwrap_or_default()
}

/// The base64 signature of `payload`, for the layer's [`SIGNATURE_ANNOTATION`]: the
/// same signature as [`super::sign_blob`] makes of the payload bytes.
pub fn sign_payload(key: &SigningKey, payload: &[u8]) -> Result<String, KeyError> {
    super::sign_blob(key, payload)
}

/// The trusted key that signed `payload` (the layer's bytes, as pulled) with
/// `signature` (the annotation's base64), when the payload names `repository` and
/// `digest`.
pub fn verify_payload(
    keys: &Keys,
    payload: &[u8],
    signature: &str,
    repository: &Repository,
    digest: &Digest,
) -> Result<KeyId, SignatureError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(SignatureError::PayloadTooLarge(payload.len()));
    }
    let signer = keys.verify(payload, &decode_signature(signature)?)?;
    check_claims(&parse(payload)?, repository, digest)?;
    Ok(signer)
}

fn parse(payload: &[u8]) -> Result<Critical, SignatureError> {
    let document: SimpleSigning =
        serde_json::from_slice(payload).map_err(|e| SignatureError::Payload(shown(&e.to_string())))?;
    Ok(document.critical)
}

/// Refused unless the payload is an image signature for `digest` in `repository`.
fn check_claims(critical: &Critical, repository: &Repository, digest: &Digest) -> Result<(), SignatureError> {
    if critical.kind != COSIGN_SIGNATURE_TYPE {
        return Err(SignatureError::Type(shown(&critical.kind)));
    }
    let signed_digest = &critical.image.docker_manifest_digest;
    if signed_digest != digest.as_str() {
        return Err(SignatureError::Digest { signed: shown(signed_digest), actual: digest.clone() });
    }
    let reference = &critical.identity.docker_reference;
    let signed = Repository::parse(reference).map_err(|e| SignatureError::Payload(e.to_string()))?;
    if signed != *repository {
        return Err(SignatureError::Repository { signed: shown(reference), actual: repository.clone() });
    }
    Ok(())
}

#[cfg(test)]
#[path = "cosign_tests.rs"]
mod tests;
