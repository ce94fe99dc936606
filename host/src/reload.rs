//! When to reload the chain of a running `aiir run --follow`: on SIGHUP and, with
//! `--watch`, when the config file or a plugin file it names changes (polled, so it
//! works on every file system). The reload itself is [`Job::reload`](crate::run): all
//! that the new config changes is started and checked before the running chain is
//! renewed with it; unchanged detectors go on in their warm instances.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// How often `--watch` looks at the watched files.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(250);

/// The files `--watch` looks at: the config and the plugin files of the chain running
/// now (replaced after each reload that succeeds).
pub type Watched = Arc<Mutex<Vec<PathBuf>>>;

/// A reload request for every SIGHUP and, when `watched` is given, every change of one
/// of its files. Requests that arrive while one waits are merged into it.
pub fn triggers(watched: Option<Watched>) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel(1);
    #[cfg(unix)]
    if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        let tx = tx.clone();
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                let _ = tx.try_send(());
            }
        });
    }
    if let Some(watched) = watched {
        tokio::spawn(async move {
            let mut seen = stamps(&watched);
            loop {
                tokio::time::sleep(WATCH_INTERVAL).await;
                let now = stamps(&watched);
                if now != seen {
                    seen = now;
                    if tx.send(()).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
    rx
}

/// Each watched file's modification time and length (none when it cannot be read).
fn stamps(watched: &Watched) -> Vec<Option<(SystemTime, u64)>> {
    let files = watched.lock().unwrap_or_else(|e| e.into_inner()).clone();
    files.iter().map(|f| std::fs::metadata(f).ok().and_then(|m| Some((m.modified().ok()?, m.len())))).collect()
}
