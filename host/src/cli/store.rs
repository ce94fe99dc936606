//! What the store commands share: finding and opening the store, the operator's name,
//! aligned tables.

use crate::output::terminal;
use crate::store::Store;
use anyhow::{Context as _, bail};
use clap::Args;
use std::borrow::Cow;
use std::path::PathBuf;

/// Where the store is.
#[derive(Debug, Args)]
pub(super) struct StoreArgs {
    /// The incident store (SQLite file) [default: `[store] path` of --config, else
    /// $XDG_STATE_HOME/aiir/aiir.db, else ~/.local/state/aiir/aiir.db].
    #[arg(long, value_name = "PATH", global = true)]
    store: Option<PathBuf>,
    /// Take the store's path from this config file's `[store]` table.
    #[arg(short, long, value_name = "FILE", global = true, conflicts_with = "store")]
    config: Option<PathBuf>,
}

/// Whether a command may create the store when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    /// Say it is missing: reading an empty store would only hide a wrong path.
    Refuse,
    /// Create it: the command records something worth keeping.
    Create,
}

impl StoreArgs {
    /// The store's file: `--store`, else the config's `[store] path`, else the
    /// user's (see [`crate::config::default_store`]), the one `aiir run` fills.
    fn path(&self) -> anyhow::Result<PathBuf> {
        if let Some(path) = &self.store {
            return Ok(path.clone());
        }
        match &self.config {
            Some(file) => Ok(crate::config::load(file)?.store),
            None => Ok(crate::config::default_store()),
        }
    }

    /// The webhook hosts the config lets `responder` notify; none without a config.
    pub(super) fn allow_hosts(&self, responder: &str) -> anyhow::Result<Vec<String>> {
        let Some(file) = &self.config else { return Ok(Vec::new()) };
        let config = crate::config::load(file)?;
        Ok(config.responders.into_iter().find(|r| r.setup.name == responder).map(|r| r.allow_hosts).unwrap_or_default())
    }

    /// Where models live, as the config's `[registry]` says; the store's own without
    /// a config.
    pub(super) fn registry(&self) -> anyhow::Result<crate::registry::Registry> {
        let Some(file) = &self.config else { return Ok(crate::registry::Registry::Embedded) };
        Ok(crate::config::load(file)?.registry)
    }

    /// The responders the config grants `reports`; `None` without a config (then
    /// an executed report shows that its responder held the grant when it filed).
    pub(super) fn reporting_responders(&self) -> anyhow::Result<Option<Vec<String>>> {
        let Some(file) = &self.config else { return Ok(None) };
        let config = crate::config::load(file)?;
        Ok(Some(config.responders.into_iter().filter(|r| r.grants.reports).map(|r| r.setup.name).collect()))
    }

    /// Open the store if it exists: a command that reads a registry beyond it shows
    /// what the store adds (known-good marks) where there is one.
    pub(super) fn open_existing(&self) -> anyhow::Result<Option<Store>> {
        if self.path()?.exists() { self.open(Missing::Refuse).map(Some) } else { Ok(None) }
    }

    /// Open the store.
    pub(super) fn open(&self, missing: Missing) -> anyhow::Result<Store> {
        let path = self.path()?;
        if missing == Missing::Refuse && !path.exists() {
            bail!(
                "no incident store at {}: give --store PATH or --config FILE, or let `aiir run` create one",
                path.display()
            );
        }
        Store::open(&path).with_context(|| format!("store {}", path.display()))
    }
}

/// The actor an operator's command is recorded as: `operator:$USER`.
pub(super) fn operator() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    format!("operator:{user}")
}

/// Rows aligned in columns under a header, two spaces in, like the run summary; the
/// last column is not padded. Cells often carry a plugin's or a log's text, so each is
/// shown on one line with its controls escaped.
pub(super) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> = rows.iter().map(|r| r.iter().map(|c| terminal::line(c)).collect()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| if i == last { (*c).to_owned() } else { format!("{c:<w$}", w = widths[i]) })
            .collect();
        format!("  {}", padded.join(" "))
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(rows.iter().map(|r| line(r.iter().map(AsRef::as_ref).collect())));
    out.join("\n")
}
