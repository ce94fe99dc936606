//! Pulled manifests and components, kept on disk by digest: a plugin pinned by digest
//! loads with no registry reachable, and a tag already pulled costs one manifest
//! request. A file whose bytes no longer hash to its name is removed, not used.

use super::reference::Digest;
use std::path::{Path, PathBuf};

/// The blobs directory under the cache: `<cache>/oci/blobs/sha256/<hex>`.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// A store in `dir` (made on first write).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// `<cache>/oci` of the default cache directory, when there is one.
    pub fn default_dir() -> Option<PathBuf> {
        crate::runtime::Cache::default_dir().map(|d| d.join("oci"))
    }

    fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join("blobs").join("sha256").join(digest.hex())
    }

    /// The bytes stored for this digest, if any and intact.
    pub fn get(&self, digest: &Digest) -> Option<Vec<u8>> {
        let path = self.path(digest);
        let bytes = std::fs::read(&path).ok()?;
        if &Digest::of(&bytes) == digest {
            return Some(bytes);
        }
        tracing::warn!(path = %path.display(), "removing a cached blob that does not match its digest");
        let _ = std::fs::remove_file(&path);
        None
    }

    /// Keep these bytes under their digest.
    pub fn put(&self, bytes: &[u8]) {
        let path = self.path(&Digest::of(bytes));
        if !path.exists() {
            write(&path, bytes);
        }
    }

    /// What was kept under `name` by [`put_named`](Self::put_named): content that has
    /// no digest of its own to be found by (a tag's signatures).
    pub fn get_named(&self, name: &str) -> Option<Vec<u8>> {
        std::fs::read(self.named_path(name)).ok()
    }

    /// Keep `bytes` under `name`, replacing what was there.
    pub fn put_named(&self, name: &str, bytes: &[u8]) {
        write(&self.named_path(name), bytes);
    }

    fn named_path(&self, name: &str) -> PathBuf {
        self.dir.join("named").join(Digest::of(name.as_bytes()).hex())
    }
}

/// Write whole or not at all; a failure only costs a later download.
fn write(path: &Path, bytes: &[u8]) {
    if let Err(e) = crate::runtime::write_atomic(path, bytes) {
        tracing::warn!(path = %path.display(), "cannot write the OCI cache: {e:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_come_back_by_digest_and_a_tampered_one_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_owned());
        let digest = Digest::of(b"component");
        assert_eq!(store.get(&digest), None);
        store.put(b"component");
        assert_eq!(store.get(&digest).as_deref(), Some(&b"component"[..]));
        std::fs::write(store.path(&digest), b"tampered").unwrap();
        assert_eq!(store.get(&digest), None);
        assert!(!store.path(&digest).exists());
    }
}
