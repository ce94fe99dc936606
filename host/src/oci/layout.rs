//! The manifests aiir writes and reads: a plugin as the Wasm OCI artifact the wider
//! ecosystem uses (CNCF TAG Runtime's layout, as `wkg oci push` writes it: a
//! `application/vnd.wasm.config.v0+json` config and one `application/wasm` layer), and
//! cosign's signature manifest beside it.

use super::reference::Digest;
use crate::output::terminal::quoted;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The OCI image manifest's media type, which both artifacts use.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The Wasm artifact's config.
pub const WASM_CONFIG_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The Wasm artifact's layer: the component's bytes.
pub const WASM_LAYER_TYPE: &str = "application/wasm";
/// The config of cosign's signature manifest.
pub const SIGNATURE_CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// The annotation that names the file a layer was pushed from.
const TITLE: &str = "org.opencontainers.image.title";

/// A reference from a manifest to a blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the blob is.
    pub media_type: String,
    /// Its digest.
    pub digest: String,
    /// Its length in bytes.
    pub size: u64,
    /// Free-form key/values; cosign keeps the signature here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest, the fields aiir reads or writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// [`MANIFEST_TYPE`]; an index or another kind is refused.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// The layers.
    pub layers: Vec<Descriptor>,
}

impl Descriptor {
    /// A descriptor of these bytes.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest: Digest::of(bytes).to_string(),
            size: bytes.len() as u64,
            annotations: BTreeMap::new(),
        }
    }

    /// Its digest, checked.
    pub fn digest(&self) -> Result<Digest, String> {
        Digest::parse(&self.digest)
    }
}

impl Manifest {
    /// A manifest of this config and these layers.
    pub fn new(config: Descriptor, layers: Vec<Descriptor>) -> Self {
        Self { schema_version: 2, media_type: Some(MANIFEST_TYPE.to_owned()), config, layers }
    }

    /// Parse a manifest's bytes; an image index (several platforms) is refused.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Self = serde_json::from_slice(bytes).map_err(|e| format!("the manifest does not parse: {e}"))?;
        match manifest.media_type.as_deref() {
            None | Some(MANIFEST_TYPE) => Ok(manifest),
            Some(other) => Err(format!("the manifest is a {}, not an OCI image manifest", quoted(other))),
        }
    }

    /// Its JSON bytes, as pushed: the same manifest always has the same digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a manifest serialises")
    }

    /// The one `application/wasm` layer of a plugin's manifest.
    pub fn wasm_layer(&self) -> Result<&Descriptor, String> {
        let mut wasm = self.layers.iter().filter(|l| l.media_type == WASM_LAYER_TYPE);
        match (wasm.next(), wasm.next()) {
            (Some(layer), None) => Ok(layer),
            (None, _) => {
                let types: Vec<String> = self.layers.iter().take(8).map(|l| quoted(&l.media_type)).collect();
                let types = types.join(", ");
                Err(format!("the manifest has no {WASM_LAYER_TYPE} layer (its layers: {types}): it is not a plugin"))
            }
            (Some(_), Some(_)) => {
                Err(format!("the manifest has several {WASM_LAYER_TYPE} layers: which is the plugin?"))
            }
        }
    }
}

/// The config of a plugin's artifact: what the component imports and exports, so that
/// registries and tools can show it without fetching the layer. `created` is fixed, so
/// pushing the same component twice gives the same digest.
pub fn wasm_config(wasm: &[u8], shape: &crate::runtime::Shape) -> Vec<u8> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Config<'a> {
        created: &'a str,
        architecture: &'a str,
        os: &'a str,
        layer_digests: [String; 1],
        component: Component<'a>,
    }
    #[derive(Serialize)]
    struct Component<'a> {
        exports: &'a [String],
        imports: &'a [String],
    }
    let config = Config {
        created: "1970-01-01T00:00:00Z",
        architecture: "wasm",
        os: "wasip2",
        layer_digests: [Digest::of(wasm).to_string()],
        component: Component { exports: &shape.exports, imports: &shape.imports },
    };
    serde_json::to_vec(&config).expect("a config serialises")
}

/// The manifest of a plugin: its config and its one layer, titled after its file.
pub fn wasm_manifest(config: &[u8], wasm: &[u8], title: Option<&str>) -> Manifest {
    let mut layer = Descriptor::of(WASM_LAYER_TYPE, wasm);
    if let Some(title) = title {
        layer.annotations.insert(TITLE.to_owned(), title.to_owned());
    }
    Manifest::new(Descriptor::of(WASM_CONFIG_TYPE, config), vec![layer])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_manifest_names_its_config_and_its_wasm_layer() {
        let shape =
            crate::runtime::Shape { imports: vec!["aiir:plugin/host@0.3.0".into()], exports: vec!["inspect".into()] };
        let config = wasm_config(b"\0asm", &shape);
        let text = String::from_utf8(config.clone()).unwrap();
        assert!(text.contains(r#""architecture":"wasm","os":"wasip2""#), "{text}");
        assert!(text.contains(r#""component":{"exports":["inspect"],"imports":["aiir:plugin/host@0.3.0"]}"#), "{text}");
        let manifest = wasm_manifest(&config, b"\0asm", Some("canary.wasm"));
        let again = Manifest::parse(&manifest.to_bytes()).unwrap();
        assert_eq!(again.wasm_layer().unwrap().digest, Digest::of(b"\0asm").to_string());
        assert_eq!(again.config.media_type, WASM_CONFIG_TYPE);
        assert_eq!(manifest.to_bytes(), wasm_manifest(&config, b"\0asm", Some("canary.wasm")).to_bytes());
    }

    #[test]
    fn an_index_or_a_manifest_without_one_wasm_layer_is_refused() {
        let index = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[],"config":{"mediaType":"x","digest":"d","size":0},"layers":[]}"#;
        assert!(Manifest::parse(index).unwrap_err().contains("index"));
        let image = Manifest::new(
            Descriptor::of("x", b"{}"),
            vec![Descriptor::of("application/vnd.oci.image.layer.v1.tar+gzip", b"t")],
        );
        assert!(image.wasm_layer().unwrap_err().contains("not a plugin"));
        // A registry's strings reach the operator cut short and escaped.
        let hostile = format!("\u{1b}[31m{}", "x".repeat(100_000));
        let index = serde_json::json!({"schemaVersion": 2, "mediaType": hostile, "config": {"mediaType": "x", "digest": "d", "size": 0}, "layers": []});
        let message = Manifest::parse(index.to_string().as_bytes()).unwrap_err();
        assert!(message.len() < 300 && !message.contains('\u{1b}'), "{message}");
        let layers = (0..100).map(|_| Descriptor::of(&hostile, b"t")).collect();
        let message = Manifest::new(Descriptor::of("x", b"{}"), layers).wasm_layer().unwrap_err();
        assert!(message.len() < 2000 && !message.contains('\u{1b}'), "{}", message.len());
        let two = Manifest::new(
            Descriptor::of("x", b"{}"),
            vec![Descriptor::of(WASM_LAYER_TYPE, b"a"), Descriptor::of(WASM_LAYER_TYPE, b"b")],
        );
        assert!(two.wasm_layer().unwrap_err().contains("several"));
    }
}
