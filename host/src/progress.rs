//! The progress line of `aiir run` on a terminal: bytes read of the total, events a
//! second, findings and the time left. The run only bumps atomic counters; a task of
//! its own redraws the line ten times a second once the input is large (over 8 MB) or
//! slow (over 2 s), and erases it at the end.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

const LARGE: u64 = 8 << 20;
const SLOW: Duration = Duration::from_secs(2);
const TICK: Duration = Duration::from_millis(100);

/// Whether a progress line is on the screen, so that a diagnostic erases it first.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// What the run has done so far.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes of input inspected.
    pub bytes: AtomicU64,
    /// Events decoded.
    pub events: AtomicU64,
    /// Findings written.
    pub findings: AtomicU64,
}

/// The progress line, drawn by a task while the run goes on.
#[derive(Debug)]
pub struct Progress {
    counters: Arc<Counters>,
    drawer: Option<JoinHandle<()>>,
}

impl Progress {
    /// Start drawing when `wanted` and stderr is a terminal; `total` is the input's
    /// size in bytes when known.
    pub fn start(wanted: bool, total: Option<u64>) -> Self {
        let counters = Arc::new(Counters::default());
        let drawer = (wanted && std::io::stderr().is_terminal()).then(|| tokio::spawn(draw(counters.clone(), total)));
        Self { counters, drawer }
    }

    /// The counters the run bumps.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Stop drawing and erase the line.
    pub fn finish(self) {
        if let Some(drawer) = self.drawer {
            drawer.abort();
        }
        write_line(None);
    }
}

async fn draw(counters: Arc<Counters>, total: Option<u64>) {
    let start = Instant::now();
    let mut tick = tokio::time::interval(TICK);
    loop {
        tick.tick().await;
        let elapsed = start.elapsed();
        if total.is_some_and(|t| t > LARGE) || elapsed > SLOW {
            write_line(Some(&line(&counters, total, elapsed)));
        }
    }
}

/// The text of the progress line.
fn line(c: &Counters, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-3);
    let bytes = c.bytes.load(Ordering::Relaxed);
    let events = c.events.load(Ordering::Relaxed) as f64 / secs;
    let findings = c.findings.load(Ordering::Relaxed);
    let read = match total {
        Some(total) if total > 0 && bytes > 0 => {
            let left = total.saturating_sub(bytes) as f64 / (bytes as f64 / secs);
            let pct = bytes as f64 * 100.0 / total as f64;
            format!("{} / {} ({pct:.0}%), ETA {}", megabytes(bytes), megabytes(total), clock(left))
        }
        Some(total) if total > 0 => format!("{} / {}", megabytes(bytes), megabytes(total)),
        _ => megabytes(bytes),
    };
    format!("aiir: {read}, {events:.0} events/s, {findings} findings")
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Replace the progress line with `text`, or erase it.
fn write_line(text: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let _ = match text {
        Some(text) => write!(err, "\r\x1b[2K{text}"),
        None if SHOWN.load(Ordering::Relaxed) => write!(err, "\r\x1b[2K"),
        None => Ok(()),
    };
    let _ = err.flush();
    SHOWN.store(text.is_some(), Ordering::Relaxed);
}

/// Write a line of text to stderr, erasing the progress line first if it is shown;
/// the next tick draws it again below.
pub fn eprint_line(text: &str) {
    let mut err = std::io::stderr().lock();
    erase_on(&mut err);
    let _ = writeln!(err, "{text}");
}

/// Erase the progress line if it is shown, before a finding goes to the same
/// terminal on stdout; the next tick draws it again below.
pub fn erase() {
    erase_on(&mut std::io::stderr().lock());
}

fn erase_on(err: &mut std::io::StderrLock<'_>) {
    if SHOWN.swap(false, Ordering::Relaxed) {
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_share_rate_and_time_left() {
        let c = Counters::default();
        c.bytes.store(10_000_000, Ordering::Relaxed);
        c.events.store(20_000, Ordering::Relaxed);
        c.findings.store(7, Ordering::Relaxed);
        let text = line(&c, Some(40_000_000), Duration::from_secs(2));
        assert_eq!(text, "aiir: 10.0 MB / 40.0 MB (25%), ETA 0:06, 10000 events/s, 7 findings");
        assert_eq!(line(&c, None, Duration::from_secs(2)), "aiir: 10.0 MB, 10000 events/s, 7 findings");
    }
}
