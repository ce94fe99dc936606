//! The on-disk cache of precompiled components.
//!
//! Compiling a component takes about a second; loading its precompiled form takes a
//! fraction of a millisecond. An entry is keyed by the wasm's sha256 (with `-prepared`
//! for a component pre-initialised from it), the wasmtime version and a hash of the
//! engine settings that affect code generation, so a change of any of them misses
//! instead of loading incompatible code.
//!
//! Only components that passed every load check are stored, and the directory is
//! kept under [`MAX_CACHE_BYTES`]: after each store, the oldest entries go first.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The most the cache's entries may take on disk together: 1 GiB, room for the
/// standard pack many times over and for a few componentize-py detectors (~100 MB each).
pub const MAX_CACHE_BYTES: u64 = 1 << 30;

/// Where precompiled components live, for one engine configuration.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    engine_key: String,
}

impl Cache {
    /// A cache in `dir` (created on first store) for components compiled by `engine`.
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut hasher = Sha256Hasher::default();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = hex(&hasher.0.finalize()[..8]);
        Self { dir, engine_key }
    }

    /// The default directory: `$AIIR_CACHE_DIR`, else `$XDG_CACHE_HOME/aiir`, else
    /// `~/.cache/aiir`; `None` when none of them is set.
    pub fn default_dir() -> Option<PathBuf> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        var("AIIR_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("aiir")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("aiir")))
    }

    fn path(&self, key: &str) -> PathBuf {
        let version = env!("AIIR_WASMTIME_VERSION");
        self.dir.join(format!("{key}-wasmtime{version}-{}.cwasm", self.engine_key))
    }

    /// The precompiled component for this wasm, if cached and loadable.
    pub fn load(&self, engine: &Engine, key: &str) -> Option<Component> {
        let path = self.path(key);
        if !path.exists() {
            return None;
        }
        // SAFETY: only files this cache wrote are read, named after the exact engine
        // settings and wasmtime version that produced them; wasmtime re-checks both.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        loaded.inspect_err(|e| tracing::warn!(path = %path.display(), "ignoring unusable cache entry: {e:#}")).ok()
    }

    /// Store a compiled component; failures only cost the next run a compile.
    pub fn store(&self, key: &str, component: &Component) {
        let path = self.path(key);
        if let Err(e) = component.serialize().map_err(anyhow::Error::from).and_then(|bytes| write_atomic(&path, &bytes))
        {
            tracing::warn!(path = %path.display(), "cannot write the precompiled cache: {e:#}");
            return;
        }
        if let Err(e) = evict(&self.dir, MAX_CACHE_BYTES) {
            tracing::warn!(dir = %self.dir.display(), "cannot bound the precompiled cache: {e:#}");
        }
    }
}

/// Remove the oldest entries until those left take at most `cap` bytes.
fn evict(dir: &Path, cap: u64) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "cwasm") {
            let metadata = entry.metadata()?;
            entries.push((metadata.modified()?, metadata.len(), path));
        }
    }
    entries.sort();
    let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
    for (_, len, path) in entries {
        if total <= cap {
            break;
        }
        std::fs::remove_file(&path)?;
        tracing::info!(path = %path.display(), "evicted from the precompiled cache");
        total -= len;
    }
    Ok(())
}

/// Write through a temporary file and rename, so a crash never leaves half an entry.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().expect("cache entries live in a directory");
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().expect("cache entries have names").to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::File::create(&tmp)?.write_all(bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The sha256 of some bytes, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `Hash` into sha256: stable across runs, unlike `DefaultHasher`.
#[derive(Default)]
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        unreachable!("only the sha256 digest is read")
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn eviction_removes_the_oldest_entries_first() {
        let dir = tempfile::tempdir().unwrap();
        let epoch = SystemTime::UNIX_EPOCH;
        for (name, age) in [("old", 3), ("mid", 2), ("new", 1)] {
            let path = dir.path().join(format!("{name}.cwasm"));
            std::fs::write(&path, [0; 10]).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(epoch + Duration::from_secs(100 - age)).unwrap();
        }
        std::fs::write(dir.path().join("other"), [0; 100]).unwrap();
        evict(dir.path(), 20).unwrap();
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, ["mid.cwasm", "new.cwasm", "other"]);
    }
}
