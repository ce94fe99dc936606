//! Finding the generations of a rotated log: with numbered rotation (`log` becomes
//! `log.1`, `log.1` becomes `log.2`, …) the files rotated after one that was being read
//! are those numbered below it. A follower that falls behind by several rotations reads
//! them, oldest first, before the file now at the path; one rotated and compressed
//! before it was read (`log.2.gz`) cannot be, and is named with the bytes it holds.

use super::FileId;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The most numbered generations looked at.
const MAX_GENERATIONS: u32 = 100;

/// What compressed generations end with.
const COMPRESSED: [&str; 5] = ["gz", "bz2", "xz", "zst", "lz4"];

/// A rotated generation of a log, newer than the one that was being read.
#[derive(Debug, PartialEq, Eq)]
pub struct Generation {
    /// Its file.
    pub path: PathBuf,
    /// Its size when found, for a warning when it cannot be read.
    pub size: u64,
    /// Whether it is compressed, and so cannot be read.
    pub compressed: bool,
}

/// A numbered file beside `path`, with its identity and time.
struct Numbered {
    generation: Generation,
    id: FileId,
    modified: Option<SystemTime>,
}

/// The generations of `path` rotated after the file `old`, oldest first. When `old`
/// is among the numbered files, those numbered below it; otherwise (it was removed or
/// compressed) those modified since `since`, the last time `old` was seen at the path.
pub fn newer(path: &Path, old: FileId, since: Option<SystemTime>) -> Vec<Generation> {
    let numbered = numbered(path);
    let newer: Vec<Numbered> = match numbered.iter().position(|n| n.id == old) {
        Some(at) => numbered.into_iter().take(at).collect(),
        None => match since {
            Some(since) => numbered.into_iter().filter(|n| n.modified.is_some_and(|m| m >= since)).collect(),
            None => Vec::new(),
        },
    };
    newer.into_iter().rev().map(|n| n.generation).collect()
}

/// Where the file `id` is among the numbered generations of `path`, and the
/// generations newer than it, oldest first: where a checkpoint of a rotated file
/// resumes.
pub fn find(path: &Path, id: FileId) -> Option<(PathBuf, Vec<Generation>)> {
    let mut numbered = numbered(path);
    let at = numbered.iter().position(|n| n.id == id)?;
    let found = numbered.remove(at).generation;
    if found.compressed {
        return None;
    }
    Some((found.path, numbered.into_iter().take(at).rev().map(|n| n.generation).collect()))
}

/// `path.1`, `path.2`, … (each possibly compressed) up to the first number missing.
fn numbered(path: &Path) -> Vec<Numbered> {
    let mut found = Vec::new();
    for n in 1..=MAX_GENERATIONS {
        let plain = with_suffix(path, &n.to_string());
        let compressed = COMPRESSED.iter().map(|ext| with_suffix(&plain, ext));
        let Some((file, meta)) = std::iter::once(plain.clone())
            .chain(compressed)
            .find_map(|p| std::fs::metadata(&p).ok().filter(std::fs::Metadata::is_file).map(|m| (p, m)))
        else {
            break;
        };
        let generation = Generation { compressed: file != plain, path: file, size: meta.len() };
        found.push(Numbered { generation, id: FileId::of(&meta), modified: meta.modified().ok() });
    }
    found
}

/// `path` with `.suffix` appended to its name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &Path) -> FileId {
        FileId::of(&std::fs::metadata(path).unwrap())
    }

    #[test]
    fn the_generations_numbered_below_the_old_file_are_newer() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        for name in ["log.1", "log.2", "log.3", "log.4.gz", "log.6"] {
            std::fs::write(dir.path().join(name), name).unwrap();
        }
        let p = |name: &str| Generation { path: dir.path().join(name), size: 5, compressed: false };
        let old = id(&dir.path().join("log.3"));
        assert_eq!(newer(&log, old, None), [p("log.2"), p("log.1")]);
        let gz = || Generation { path: dir.path().join("log.4.gz"), size: 8, compressed: true };
        assert_eq!(newer(&log, id(&dir.path().join("log.4.gz")), None), [p("log.3"), p("log.2"), p("log.1")]);
        assert_eq!(find(&log, old), Some((dir.path().join("log.3"), vec![p("log.2"), p("log.1")])));
        // Not found: only those modified since it was last seen; `log.6` is past a gap.
        let gone = FileId { dev: old.dev, ino: u64::MAX };
        assert_eq!(newer(&log, gone, None), []);
        let all = newer(&log, gone, Some(SystemTime::UNIX_EPOCH));
        assert_eq!(all, [gz(), p("log.3"), p("log.2"), p("log.1")]);
        assert_eq!(find(&log, gone), None);
    }
}
