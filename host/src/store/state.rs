//! Detectors' keyed state: kept with the batch whose events changed it, read back
//! when a run starts.

use super::{Result, Store, int, uint};
use crate::runtime::StateWrite;
use rusqlite::{Connection, OptionalExtension as _, params};

/// A change to the keyed state of the configured plugin `plugin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginWrite {
    /// The plugin's configured name.
    pub plugin: String,
    /// The change.
    pub write: StateWrite,
}

impl Store {
    /// Everything kept for `plugin`.
    pub fn plugin_state(&self, plugin: &str) -> Result<Vec<StateWrite>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT partition, key, value, written FROM plugin_state WHERE plugin = ?1")?;
        let rows = stmt.query_map([plugin], |r| {
            Ok(StateWrite { partition: r.get(0)?, key: r.get(1)?, value: Some(r.get(2)?), written: uint(r.get(3)?) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// What `aiir watch-registry` last saw of `registry`, as it saved it.
    pub fn registry_snapshot(&self, registry: &str) -> Result<Option<String>> {
        let q = "SELECT snapshot FROM registry_snapshots WHERE registry = ?1";
        Ok(self.conn.prepare_cached(q)?.query_row([registry], |r| r.get(0)).optional()?)
    }

    /// Keep what `aiir watch-registry` saw of `registry` now.
    pub fn save_registry_snapshot(&mut self, registry: &str, snapshot: &str, at: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO registry_snapshots (registry, snapshot, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (registry) DO UPDATE SET snapshot = ?2, at = ?3",
            )?
            .execute(params![registry, snapshot, int(at)])?;
        Ok(())
    }
}

/// Apply `writes` in order (in the caller's transaction).
pub(super) fn save(conn: &Connection, writes: &[PluginWrite]) -> Result<()> {
    let mut put = conn.prepare_cached(
        "INSERT INTO plugin_state (plugin, partition, key, value, written) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (plugin, partition, key) DO UPDATE SET value = ?4, written = ?5",
    )?;
    let mut forget =
        conn.prepare_cached("DELETE FROM plugin_state WHERE plugin = ?1 AND partition = ?2 AND key = ?3")?;
    for PluginWrite { plugin, write: w } in writes {
        match &w.value {
            Some(value) => put.execute(params![plugin, w.partition, w.key, value, int(w.written)])?,
            None => forget.execute(params![plugin, w.partition, w.key])?,
        };
    }
    Ok(())
}
