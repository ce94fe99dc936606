//! Tool calls per session in a sliding window, for `tool-abuse/burst`.
//!
//! The windows are kept in the host's keyed state, by session: a session's count
//! survives a restart and moves with its partition to another worker. Each keeps at
//! most `calls + 1` timestamps; the host bounds them all (`max_state_bytes`), forgetting
//! the windows written longest ago first.

use serde::{Deserialize, Serialize};
use statekit::Kept;

const WINDOWS: Kept = Kept::new("burst");

/// One session's recent call times and whether its current burst was reported.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Window {
    times: Vec<u64>,
    reported: bool,
}

/// The limit: more than `calls` calls within the window.
#[derive(Debug, Clone, Copy)]
pub struct Bursts {
    calls: usize,
    window_nanos: u64,
}

impl Bursts {
    /// Fire beyond `calls` calls within `window_secs`.
    pub fn new(calls: usize, window_secs: u64) -> Self {
        Self { calls, window_nanos: window_secs.saturating_mul(1_000_000_000) }
    }

    /// Record a call of `session` at `time` (Unix nanoseconds). Returns the number of
    /// calls in the window when this call makes the session's rate cross the limit,
    /// once per burst; the burst ends when the window holds no more than the limit.
    pub fn record(&self, session: &str, time: u64) -> Option<usize> {
        let mut window: Window = WINDOWS.get(&[session]).unwrap_or_default();
        window.times.push(time);
        let newest = window.times.iter().copied().max().unwrap_or(time);
        window.times.retain(|&t| newest.saturating_sub(t) < self.window_nanos);
        // One more than the limit is all it takes to know the limit is passed.
        let extra = window.times.len().saturating_sub(self.calls + 1);
        window.times.drain(..extra);
        let over = window.times.len() > self.calls;
        let fire = over && !window.reported;
        window.reported = over;
        // A write the host refuses (over its caps) only costs this window its memory.
        let _ = WINDOWS.put(&[session], &window);
        fire.then_some(window.times.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiir_sdk::testkit::in_partition;

    const S: u64 = 1_000_000_000;

    #[test]
    fn fires_once_per_burst_and_rearms_after_the_rate_drops() {
        in_partition("s", || {
            let b = Bursts::new(3, 10);
            let fired: Vec<Option<usize>> = (0..6).map(|i| b.record("s", i * S)).collect();
            assert_eq!(fired, [None, None, None, Some(4), None, None]);
            assert_eq!(b.record("s", 100 * S), None, "a lone call after a pause");
            let again: Vec<Option<usize>> = (101..104).map(|i| b.record("s", i * S)).collect();
            assert_eq!(again, [None, None, Some(4)]);
        });
    }

    #[test]
    fn calls_spread_over_the_window_do_not_fire() {
        in_partition("s", || {
            let b = Bursts::new(3, 10);
            assert!((0..20).all(|i| b.record("s", i * 4 * S).is_none()));
        });
    }

    #[test]
    fn sessions_are_counted_apart_and_a_new_instance_goes_on_with_the_kept_count() {
        in_partition("s", || {
            let b = Bursts::new(2, 10);
            b.record("a", 0);
            b.record("b", 0);
            b.record("a", S);
            // Another instance (a restart, another worker) sees the same windows.
            let b = Bursts::new(2, 10);
            assert_eq!(b.record("a", 2 * S), Some(3), "a kept its count");
            assert_eq!(b.record("b", 2 * S), None, "b counts its own calls");
        });
    }
}
