//! Recognising pickle-based model artifacts from a lifecycle event's attributes.
//!
//! Pickle (and the formats built on it: joblib, dill, `torch.save` files) runs code
//! while it loads, so an artifact in such a format can carry a backdoor that needs no
//! change to the weights at all.

use statekit::words;

/// Attributes that name the artifact's format.
const FORMAT_KEYS: [&str; 3] = ["format", "artifact_format", "serialization"];
/// Attributes that name the artifact's file.
const FILE_KEYS: [&str; 6] = ["artifact", "file", "filename", "path", "uri", "url"];

/// Format names that are pickle, and how sure that makes us.
const PICKLE_FORMATS: [(&str, f32); 10] = [
    ("pickle", 0.95),
    ("pkl", 0.95),
    ("cloudpickle", 0.95),
    ("dill", 0.95),
    ("joblib", 0.9),
    ("torch", 0.8),
    ("pytorch", 0.8),
    ("pt", 0.8),
    ("pth", 0.8),
    ("ckpt", 0.8),
];

/// Formats that load without running code; a value naming one is never flagged.
const SAFE_FORMATS: [&str; 3] = ["safetensors", "gguf", "onnx"];

/// A pickle-based artifact, as an attribute shows it.
#[derive(Debug, PartialEq)]
pub struct Pickle<'e> {
    /// The attribute's key, e.g. `artifact`.
    pub key: &'e str,
    /// Its value, with any query string (which may hold a signed URL's token) cut.
    pub shown: String,
    /// What gave it away, e.g. `.pt file` or `joblib format`.
    pub why: String,
    pub confidence: f32,
}

/// The first attribute that shows a pickle-based artifact.
pub fn find<'e>(attributes: &'e [(String, String)]) -> Option<Pickle<'e>> {
    attributes.iter().find_map(|(key, value)| {
        let (why, confidence) = if FORMAT_KEYS.contains(&key.as_str()) {
            format_of(value)?
        } else if FILE_KEYS.contains(&key.as_str()) {
            file_of(value)?
        } else {
            return None;
        };
        Some(Pickle { key, shown: without_query(value).to_owned(), why, confidence })
    })
}

fn format_of(value: &str) -> Option<(String, f32)> {
    let value = value.to_ascii_lowercase();
    if SAFE_FORMATS.iter().any(|safe| value.contains(safe)) {
        return None;
    }
    let (name, confidence) = words(&value).find_map(|w| PICKLE_FORMATS.iter().find(|(f, _)| *f == w))?;
    Some((format!("{name} format"), *confidence))
}

fn file_of(value: &str) -> Option<(String, f32)> {
    let path = without_query(value);
    let name = path.rsplit(['/', '\\']).next()?.to_ascii_lowercase();
    let (_, extension) = name.rsplit_once('.')?;
    let confidence = match extension {
        "pkl" | "pickle" | "dill" => 0.95,
        "joblib" => 0.9,
        "pt" | "pth" | "ckpt" => 0.85,
        // `.bin` is pickle when torch wrote it (`pytorch_model.bin`), not in general.
        "bin" if name.contains("torch") => 0.8,
        _ => return None,
    };
    Some((format!(".{extension} file"), confidence))
}

/// `value` up to its query string or fragment.
fn without_query(value: &str) -> &str {
    value.split(['?', '#']).next().unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn why(pairs: &[(&str, &str)]) -> Option<String> {
        find(&attrs(pairs)).map(|p| p.why)
    }

    #[test]
    fn pickle_files_and_formats_are_found() {
        assert_eq!(why(&[("artifact", "s3://ml/review-classifier/1.9.0/model.PT")]).as_deref(), Some(".pt file"));
        assert_eq!(why(&[("file", "weights/pytorch_model.bin")]).as_deref(), Some(".bin file"));
        assert_eq!(why(&[("format", "sklearn-joblib")]).as_deref(), Some("joblib format"));
        assert_eq!(why(&[("serialization", "pickle")]).as_deref(), Some("pickle format"));
    }

    #[test]
    fn safe_formats_and_other_keys_are_not() {
        for pairs in [
            &[("artifact", "s3://ml/model.safetensors")][..],
            &[("format", "pytorch-safetensors")],
            &[("file", "ggml-model-q4_0.bin")],
            &[("format", "gguf"), ("uri", "hf.co/x/model.gguf")],
            &[("notes", "converted from model.pkl")],
            &[("region", "eu-west-1")],
        ] {
            assert_eq!(why(pairs), None, "{pairs:?}");
        }
    }

    #[test]
    fn a_signed_urls_query_is_not_shown() {
        let attributes = attrs(&[("url", "https://b.example/m.pkl?X-Amz-Signature=abc123")]);
        let found = find(&attributes).unwrap();
        assert_eq!((found.key, found.shown.as_str()), ("url", "https://b.example/m.pkl"));
    }
}
