//! Plugins in OCI registries: `aiir push`, `aiir pull`, and `wasm = "oci://…"` in the
//! config.
//!
//! A plugin travels as the Wasm OCI artifact (see [`layout`]); a tag is resolved to
//! the digest of its manifest on every load and that digest is what runs, is logged
//! and is shown in the run's summary; manifests and components are cached by digest
//! ([`store`]), so a plugin pinned by digest needs no registry once pulled. Cosign's
//! signatures live beside the artifact, at the tag `sha256-<hex>.sig`
//! ([`signatures`], [`attach_signature`]).

pub mod client;
pub mod layout;
pub mod reference;
pub mod store;

use crate::trust::{MAX_PAYLOAD_BYTES, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, signature_tag};
use anyhow::Context as _;
use bytes::Bytes;
pub use client::{Client, RegistryError};
use layout::{Descriptor, MANIFEST_TYPE, Manifest};
pub use reference::{Digest, Reference};
use std::collections::BTreeMap;
use std::future::Future;
pub use store::Store;

/// Signatures read for one artifact.
const MAX_SIGNATURES: usize = 64;

/// A plugin fetched from a registry (or the cache).
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The reference as asked, pinned to the digest it resolved to.
    pub reference: Reference,
    /// The manifest's digest: the artifact's identity, the one signatures sign.
    pub digest: Digest,
    /// The component's bytes, checked against the manifest's layer digest.
    pub wasm: Vec<u8>,
}

/// One cosign signature of an artifact: the payload as stored and its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The simple-signing payload's bytes, exactly as signed.
    pub payload: Vec<u8>,
    /// The base64 ECDSA signature over them.
    pub signature: String,
}

/// Fetch a plugin: the manifest by digest from the cache when it is there, else from
/// the registry (a tag always from the registry), then its one wasm layer.
pub async fn pull(reference: &Reference, store: Option<&Store>) -> anyhow::Result<Pulled> {
    let client = Client::new(&reference.registry);
    let cached = reference.digest.as_ref().and_then(|d| store.and_then(|s| s.get(d)).map(|b| (b, d.clone())));
    let (manifest_bytes, digest) = match cached {
        Some(found) => found,
        None => {
            let (bytes, digest, _) = client.manifest(&reference.repository, reference.target()).await?;
            (bytes.to_vec(), digest)
        }
    };
    let manifest = Manifest::parse(&manifest_bytes).map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    let layer = manifest.wasm_layer().map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    let layer_digest = layer.digest().map_err(|e| anyhow::anyhow!("{reference}: the layer's {e}"))?;
    let cap = crate::runtime::Limit::FileBytes.cap();
    anyhow::ensure!(layer.size <= cap, "{reference}: the component is {} bytes, over the {cap}-byte cap", layer.size);
    let wasm = match store.and_then(|s| s.get(&layer_digest)) {
        Some(wasm) => wasm,
        None => client.blob(&reference.repository, &layer_digest, cap as usize).await?.to_vec(),
    };
    if let Some(store) = store {
        store.put(&manifest_bytes);
        store.put(&wasm);
    }
    Ok(Pulled { reference: reference.pinned(&digest), digest, wasm })
}

/// Push a component as a Wasm artifact to `reference` (its tag, else by digest
/// alone); the manifest's digest. The component must be one aiir can load.
pub async fn push(wasm: &[u8], reference: &Reference, title: Option<&str>) -> anyhow::Result<Digest> {
    let shape = crate::runtime::shape(wasm).context("it is not a component aiir can load")?;
    let config = layout::wasm_config(wasm, &shape);
    let manifest = layout::wasm_manifest(&config, wasm, title).to_bytes();
    let digest = Digest::of(&manifest);
    if let Some(asked) = reference.digest.as_ref().filter(|d| **d != digest) {
        anyhow::bail!("the artifact's digest is {digest}, not the {asked} in the reference");
    }
    let client = Client::new(&reference.registry);
    client.put_blob(&reference.repository, Bytes::from(config)).await?;
    client.put_blob(&reference.repository, Bytes::copy_from_slice(wasm)).await?;
    let target = reference.tag.clone().unwrap_or_else(|| digest.to_string());
    client.put_manifest(&reference.repository, &target, MANIFEST_TYPE, Bytes::from(manifest)).await?;
    Ok(digest)
}

/// The cosign signatures stored beside the artifact `digest` in `reference`'s
/// repository, none when there is no signature manifest; kept in `store`, and read
/// from it when the registry cannot be reached (they are checked against the keys
/// either way, so a cached copy can only lose a signature added since, not forge one).
pub async fn signatures(reference: &Reference, digest: &Digest, store: Option<&Store>) -> anyhow::Result<Vec<Signed>> {
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    let name = format!("{}@{}", reference.name(), signature_tag(digest));
    let encode = |found: &[Signed]| {
        let list: Vec<[String; 2]> = found.iter().map(|s| [STANDARD.encode(&s.payload), s.signature.clone()]).collect();
        serde_json::to_vec(&list).expect("strings serialise")
    };
    let decode = |bytes: Vec<u8>| -> Option<Vec<Signed>> {
        let list: Vec<[String; 2]> = serde_json::from_slice(&bytes).ok()?;
        list.into_iter()
            .map(|[payload, signature]| Some(Signed { payload: STANDARD.decode(payload).ok()?, signature }))
            .collect()
    };
    match fetch_signatures(reference, digest).await {
        Ok(found) => {
            if let Some(store) = store {
                store.put_named(&name, &encode(&found));
            }
            Ok(found)
        }
        Err(e) => match store.and_then(|s| s.get_named(&name)).and_then(decode) {
            Some(cached) => {
                tracing::warn!(%reference, "reading the signatures kept from the last pull: {e:#}");
                Ok(cached)
            }
            None => Err(e),
        },
    }
}

/// The signatures in the registry: layers that are not signatures are skipped; at
/// most [`MAX_SIGNATURES`] are read.
async fn fetch_signatures(reference: &Reference, digest: &Digest) -> anyhow::Result<Vec<Signed>> {
    let client = Client::new(&reference.registry);
    let Some((bytes, _, _)) = client.try_manifest(&reference.repository, &signature_tag(digest)).await? else {
        return Ok(Vec::new());
    };
    let manifest = Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("the signature manifest of {digest}: {e}"))?;
    let mut found = Vec::new();
    for layer in manifest.layers.iter().filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE).take(MAX_SIGNATURES) {
        let (Some(signature), Ok(layer_digest)) = (layer.annotations.get(SIGNATURE_ANNOTATION), layer.digest()) else {
            continue;
        };
        let payload = client.blob(&reference.repository, &layer_digest, MAX_PAYLOAD_BYTES).await?;
        found.push(Signed { payload: payload.to_vec(), signature: signature.clone() });
    }
    Ok(found)
}

/// Add a signature to the artifact's signature manifest (made when there is none),
/// as cosign does: one layer per signature, the payload as its blob, the signature in
/// its annotation. A signature already there is not added twice.
pub async fn attach_signature(reference: &Reference, digest: &Digest, signed: &Signed) -> anyhow::Result<Digest> {
    let client = Client::new(&reference.registry);
    let tag = signature_tag(digest);
    let mut layers = match client.try_manifest(&reference.repository, &tag).await? {
        Some((bytes, _, _)) => {
            Manifest::parse(&bytes).map_err(|e| anyhow::anyhow!("the signature manifest: {e}"))?.layers
        }
        None => Vec::new(),
    };
    let mut layer = Descriptor::of(SIMPLE_SIGNING_MEDIA_TYPE, &signed.payload);
    layer.annotations = BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), signed.signature.clone())]);
    if !layers.contains(&layer) {
        layers.push(layer);
    }
    client.put_blob(&reference.repository, Bytes::copy_from_slice(&signed.payload)).await?;
    let config = signature_config(&layers);
    let manifest = Manifest::new(Descriptor::of(layout::SIGNATURE_CONFIG_TYPE, &config), layers);
    client.put_blob(&reference.repository, Bytes::from(config)).await?;
    Ok(client.put_manifest(&reference.repository, &tag, MANIFEST_TYPE, Bytes::from(manifest.to_bytes())).await?)
}

/// The image config cosign writes for a signature manifest: its layers as the root
/// file system, zero times.
fn signature_config(layers: &[Descriptor]) -> Vec<u8> {
    let diff_ids: Vec<&str> = layers.iter().map(|l| l.digest.as_str()).collect();
    let config = serde_json::json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{ "created": "0001-01-01T00:00:00Z" }],
        "os": "",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "config": {},
    });
    serde_json::to_vec(&config).expect("a config serialises")
}

/// Run a registry call to its end from synchronous code (the config is parsed
/// outside any async context, and maybe inside one): on a thread of its own with a
/// runtime of its own.
pub fn blocking<T: Send>(future: impl Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
                runtime.expect("a current-thread runtime starts").block_on(future)
            })
            .join()
            .expect("the registry thread does not panic")
    })
}
