//! The schema and its migrations: an ordered list of SQL steps, each applied in its
//! own transaction and recorded in `schema_migrations`.

use super::{Result, StoreError, int, now_unix_nano};
use rusqlite::{Connection, TransactionBehavior, params};
use std::path::Path;

/// One step of the schema.
struct Migration {
    version: u32,
    sql: &'static str,
}

/// Every step, in order; a new step is a new file, never an edit of a shipped one.
const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("migrations/0001_initial.sql") },
    Migration { version: 2, sql: include_str!("migrations/0002_plugin_state.sql") },
    Migration { version: 3, sql: include_str!("migrations/0003_lineage.sql") },
    Migration { version: 4, sql: include_str!("migrations/0004_registry_watch.sql") },
];

/// The schema version this aiir writes.
pub const SCHEMA_VERSION: u32 = 4;

/// Bring the file to [`SCHEMA_VERSION`], or refuse a file of a newer one.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let open_error = |source| StoreError::Open { path: path.to_owned(), source };
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(open_error)?;
    let found = version(conn).map_err(open_error)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::Newer { path: path.to_owned(), found, known: SCHEMA_VERSION });
    }
    for step in MIGRATIONS.iter().filter(|m| m.version > found) {
        apply(conn, step).map_err(|source| StoreError::Migrate {
            path: path.to_owned(),
            version: step.version,
            source,
        })?;
    }
    Ok(())
}

/// The newest step applied to the file, 0 for a new one.
pub(super) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))
}

fn apply(conn: &mut Connection, step: &Migration) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have applied it while this one waited for the lock.
    if version(&tx)? >= step.version {
        return Ok(());
    }
    tx.execute_batch(step.sql)?;
    tx.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
        params![step.version, int(now_unix_nano())],
    )?;
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_end_at_the_schema_version() {
        assert!(MIGRATIONS.iter().enumerate().all(|(i, m)| m.version as usize == i + 1));
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
