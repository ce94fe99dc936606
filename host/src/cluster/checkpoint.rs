//! A partition's saved state in the stream's key-value bucket.
//!
//! A state may outgrow one message (the server's 1 MiB by default), so it is kept in
//! chunks under a generation of their own, `chunk.PART.GEN.I`, and then made current
//! by one compare-and-set of the manifest `state.PART`: a reader sees a whole state or
//! the one before, and a worker that lost its partition cannot overwrite its new
//! owner's state (its compare-and-set fails).

use super::wire::{self, Snapshot};
use anyhow::{Context as _, bail};
use async_nats::jetstream::kv;
use serde::{Deserialize, Serialize};

/// Bytes per chunk: under the server's default cap on a message, with room for headers.
const CHUNK: usize = 768 << 10;

/// Which chunks hold a partition's current state.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    generation: String,
    chunks: usize,
}

/// The saved states of a stream's partitions.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    kv: kv::Store,
}

/// What became of a save.
#[derive(Debug, PartialEq, Eq)]
pub enum Saved {
    /// Current now, at this revision of the manifest.
    At(u64),
    /// Another worker saved the partition since this one read it: it is not ours.
    Lost,
}

impl Checkpoints {
    /// The states kept in `kv`.
    pub fn new(kv: kv::Store) -> Self {
        Self { kv }
    }

    /// The saved state of `part` and the manifest's revision; an empty state at 0.
    pub async fn load(&self, part: &str) -> anyhow::Result<(Snapshot, u64)> {
        let Some(entry) = self.kv.entry(manifest_key(part)).await? else { return Ok((Snapshot::default(), 0)) };
        if entry.operation != kv::Operation::Put {
            return Ok((Snapshot::default(), entry.revision));
        }
        let manifest: Manifest = wire::read("state manifest", &entry.value)?;
        let mut bytes = Vec::new();
        for i in 0..manifest.chunks {
            let key = chunk_key(part, &manifest.generation, i);
            let chunk = self.kv.get(&key).await?.with_context(|| format!("state chunk {key} is missing"))?;
            bytes.extend_from_slice(&chunk);
        }
        Ok((wire::read("state", &bytes)?, entry.revision))
    }

    /// Save `snapshot` as `part`'s state under the new `generation`, if the manifest is
    /// still at `revision`; the previous generation's chunks are then removed.
    pub async fn save(
        &self,
        part: &str,
        snapshot: &Snapshot,
        revision: u64,
        generation: &str,
    ) -> anyhow::Result<Saved> {
        let bytes = serde_json::to_vec(snapshot)?;
        let chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            self.kv.put(chunk_key(part, generation, i), bytes::Bytes::copy_from_slice(chunk)).await?;
        }
        let old = self.manifest(part).await?;
        let manifest = wire::write(&Manifest { generation: generation.to_owned(), chunks: chunks.len() })?;
        let swapped: Result<u64, (bool, anyhow::Error)> = match revision {
            0 => self
                .kv
                .create(manifest_key(part), manifest)
                .await
                .map_err(|e| (e.kind() == kv::CreateErrorKind::AlreadyExists, e.into())),
            r => self
                .kv
                .update(manifest_key(part), manifest, r)
                .await
                .map_err(|e| (e.kind() == kv::UpdateErrorKind::WrongLastRevision, e.into())),
        };
        let dead = match &swapped {
            Ok(_) => old,
            Err(_) => Some(Manifest { generation: generation.to_owned(), chunks: chunks.len() }),
        };
        if let Some(dead) = dead {
            for i in 0..dead.chunks {
                let _ = self.kv.purge(chunk_key(part, &dead.generation, i)).await;
            }
        }
        match swapped {
            Ok(revision) => Ok(Saved::At(revision)),
            Err((true, _)) => Ok(Saved::Lost),
            Err((false, e)) => bail!("cannot save the state of partition {part}: {e:#}"),
        }
    }

    async fn manifest(&self, part: &str) -> anyhow::Result<Option<Manifest>> {
        match self.kv.get(manifest_key(part)).await? {
            Some(bytes) => Ok(Some(wire::read("state manifest", &bytes)?)),
            None => Ok(None),
        }
    }
}

fn manifest_key(part: &str) -> String {
    format!("state.{part}")
}

fn chunk_key(part: &str, generation: &str, i: usize) -> String {
    format!("chunk.{part}.{generation}.{i}")
}
