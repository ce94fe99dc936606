//! The incident store: one SQLite file holding what aiir has seen and done.
//!
//! Events and the findings behind them, incidents ([`crate::correlate`] groups findings
//! into them), the actions responders proposed and what became of them, the model
//! registry (versions — each an artifact: label and digest —, known-good flags, the
//! serving alias and its history), blocked principals, source checkpoints, and an
//! append-only audit log of every change.
//!
//! Everything that belongs together is written in one transaction with
//! `synchronous=FULL`, so a process killed at any moment leaves the file as it was
//! before or after a change, never between: the next run opens it and goes on.
//!
//! ```no_run
//! use aiir_host::store::Store;
//! let mut store = Store::open("aiir.db".as_ref())?;
//! for incident in store.incidents(aiir_host::store::Filter::Active)? {
//!     println!("{} {} {}", incident.id, incident.state, incident.title);
//! }
//! # Ok::<(), aiir_host::store::StoreError>(())
//! ```

mod actions;
mod incidents;
mod ingest;
mod lineage;
mod registry;
mod schema;
mod state;
mod types;

pub use ingest::{Batch, Ingested, NewFinding, Observation, PluginFinding};
pub use lineage::{Affected, Impact, PoisonedBatch, Run, RunInput, Served, Serving, Traffic, Version};
pub use schema::SCHEMA_VERSION;
pub use state::PluginWrite;
pub use types::{
    ActionKind, ActionRecord, ActionStatus, AliasChange, AliasMove, Artifact, AuditEntry, Checkpoint, Filter,
    IncidentDetail, IncidentRecord, Mode, ModelRow, ModelVersionRow, NewAction, State, StoredFinding, TimelineEntry,
    TimelineItem,
};

use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The actor of what aiir does on its own.
pub const AIIR: &str = "aiir";

/// How long a writer waits for another process holding the file's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store's folder is missing and could not be made.
    #[error("cannot make the folder {} for the store: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file could not be opened or set up.
    #[error("cannot open the store {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The file was written by a newer aiir.
    #[error(
        "the store {} has schema version {found}, newer than the {known} this aiir knows: use a newer aiir or another --store",
        path.display()
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// The file's schema version.
        found: u32,
        /// The newest version this binary knows.
        known: u32,
    },
    /// A migration step failed.
    #[error("cannot migrate the store {} to schema version {version}: {source}", path.display())]
    Migrate {
        /// The file.
        path: PathBuf,
        /// The step that failed.
        version: u32,
        /// Why.
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("store: {0}")]
    Sql(#[from] rusqlite::Error),
    /// No incident has this id.
    #[error("no incident {0:?}")]
    NoIncident(String),
    /// No action has this id.
    #[error("no action {0}")]
    NoAction(i64),
    /// The registry has no such model version.
    #[error("model {model:?} has no version {version:?}{} in the registry", digest.as_ref().map(|d| format!(" with digest {d}")).unwrap_or_default())]
    NoVersion {
        /// The model.
        model: String,
        /// The version.
        version: String,
        /// The digest asked for, if one was.
        digest: Option<String>,
    },
    /// A version label names several artifacts and no digest says which.
    #[error("model {model:?} version {version:?} names {} artifacts ({}): give the digest", digests.len(), digests.join(", "))]
    Ambiguous {
        /// The model.
        model: String,
        /// The version.
        version: String,
        /// The digests of its artifacts (`''` for an unknown one).
        digests: Vec<String>,
    },
    /// A lifecycle step that does not go forward.
    #[error("incident {id} cannot go from {from} to {to}: states only move forward (or to closed)")]
    Transition {
        /// The incident.
        id: String,
        /// Its state.
        from: State,
        /// The state asked for.
        to: State,
    },
    /// A value in the file that this aiir cannot read.
    #[error("store: {0}")]
    Corrupt(String),
}

/// Results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    sync: Option<GroupSync>,
}

/// How often a long-running writer's commits reach the disk: see [`Store::group_sync`].
pub const SYNC_EVERY: Duration = Duration::from_millis(50);

/// Commits that sync to disk at most every `every`, the rest left to the OS.
#[derive(Debug)]
struct GroupSync {
    every: Duration,
    last: Instant,
    full: bool,
}

impl Store {
    /// Open the store at `path`, creating it (and its folder) when absent and migrating it to
    /// [`SCHEMA_VERSION`]; a file of a newer schema is refused.
    pub fn open(path: &Path) -> Result<Self> {
        // The default store's folder, in the user's state directory, may not be there yet.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder { path: dir.to_owned(), source })?;
        }
        let open_error = |source| StoreError::Open { path: path.to_owned(), source };
        let mut conn = Connection::open(path).map_err(open_error)?;
        configure(&conn).map_err(open_error)?;
        schema::migrate(&mut conn, path)?;
        Ok(Self { conn, path: path.to_owned(), sync: None })
    }

    /// The file it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A write transaction that takes the file's write lock at once, so reads and
    /// writes in it see one state (ids numbered from it are not taken by another run).
    fn write(&mut self) -> Result<Transaction<'_>> {
        self.pace_sync()?;
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Sync to disk at most once per `every` instead of at every commit, for a writer
    /// that commits many small transactions (`aiir run`'s ledger). A commit is still
    /// atomic and survives the process being killed at any point (it is in the OS's
    /// hands); a power cut or an OS crash may take back what was committed within the
    /// last `every`, never part of a transaction. [`sync`](Self::sync) makes
    /// everything committed durable now.
    pub fn group_sync(&mut self, every: Duration) -> Result<()> {
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        self.sync = Some(GroupSync { every, last: Instant::now(), full: false });
        Ok(())
    }

    /// Make every commit so far durable (a no-op without [`group_sync`](Self::group_sync):
    /// each commit already was). The WAL is synced by the checkpoint.
    pub fn sync(&mut self) -> Result<()> {
        let Some(g) = &mut self.sync else { return Ok(()) };
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        g.last = Instant::now();
        Ok(())
    }

    /// Under [`group_sync`](Self::group_sync), make the next commit a syncing one when
    /// the last sync is `every` old.
    fn pace_sync(&mut self) -> Result<()> {
        let Some(g) = &mut self.sync else { return Ok(()) };
        let due = g.last.elapsed() >= g.every;
        if due != g.full {
            self.conn.execute_batch(if due { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" })?;
            g.full = due;
        }
        if due {
            g.last = Instant::now();
        }
        Ok(())
    }

    /// Make several changes as one: all of them are stored, or none (an error from `f`,
    /// a crash). An actuator uses it to record an action's outcome with the change it
    /// made: the alias moved, the action `executed`, the incident `recovered`.
    pub fn atomically<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.atomically_or(f)
    }

    /// What `f` would change, with nothing changed: its transaction is rolled back. An
    /// actuator plans a change of a registry beyond the store with it, so that no
    /// transaction stays open across the network call that makes the change there.
    pub fn preview<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self.write()?;
        f(&Tx { conn: &tx })
    }

    /// [`atomically`](Self::atomically) with `f`'s own error type: `f` may do what is
    /// not the store's (write records out) before the commit, and an error of its
    /// own rolls everything back.
    pub fn atomically_or<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E> {
        let tx = self.write()?;
        let out = f(&Tx { conn: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// The changes that can be made together in [`Store::atomically`]; each `Store`
/// method of the same name makes one alone.
#[derive(Debug)]
pub struct Tx<'a> {
    conn: &'a Connection,
}

impl Tx<'_> {
    /// Append a row to the audit log, for what has no method of its own (a webhook
    /// called, a report written).
    pub fn audit(&self, actor: &str, incident: Option<&str>, what: &str, detail: serde_json::Value) -> Result<()> {
        audit(self.conn, now_unix_nano(), actor, incident, what, detail)
    }
}

/// More than the statements the store has, so none is parsed twice.
const STATEMENTS: usize = 128;

/// WAL for readers beside one writer, FULL sync so a committed change survives a
/// kill or a power cut, foreign keys checked; every statement the store runs kept
/// prepared, since parsing SQL would otherwise cost more than running it. The query
/// planner's stability guarantee keeps them so: without it SQLite prepares a
/// statement again whenever a parameter is bound anew.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENTS);
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(mode, "the store's file system does not support WAL; using its journal mode");
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
}

/// Now, in nanoseconds since the Unix epoch.
pub fn now_unix_nano() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A time or count as SQLite stores it (signed 64 bits).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A stored time or count back as unsigned.
fn uint(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Append to the audit log.
fn audit(
    conn: &Connection,
    at: u64,
    actor: &str,
    incident: Option<&str>,
    what: &str,
    detail: serde_json::Value,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit (at_unix_nano, actor, incident_id, what, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![int(at), actor, incident, what, detail.to_string()])?;
    Ok(())
}

impl Store {
    /// The audit log, oldest first: all of it, or one incident's.
    pub fn audit(&self, incident: Option<&str>) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at_unix_nano, actor, incident_id, what, detail FROM audit
             WHERE ?1 IS NULL OR incident_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([incident], AuditEntry::from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Where reading `source` stopped last time, if it was ever read.
    pub fn checkpoint(&self, source: &str) -> Result<Option<Checkpoint>> {
        let row = self
            .conn
            .prepare_cached("SELECT source, file, byte_offset, line_number FROM checkpoints WHERE source = ?1")?
            .query_row([source], |r| {
                Ok(Checkpoint {
                    source: r.get(0)?,
                    file: r.get(1)?,
                    byte_offset: uint(r.get(2)?),
                    line_number: uint(r.get(3)?),
                })
            })
            .optional()?;
        Ok(row)
    }
}

/// Save a checkpoint (in the caller's transaction).
fn save_checkpoint(conn: &Connection, c: &Checkpoint, now: u64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (source, file, byte_offset, line_number, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (source) DO UPDATE SET file = ?2, byte_offset = ?3, line_number = ?4, updated_at = ?5",
    )?
    .execute(params![c.source, c.file, int(c.byte_offset), int(c.line_number), int(now)])?;
    Ok(())
}

#[cfg(test)]
mod tests;
