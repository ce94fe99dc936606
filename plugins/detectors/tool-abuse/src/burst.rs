//! Tool calls per session in a sliding window, for `tool-abuse/burst`.
//!
//! State is bounded: at most `max_sessions` sessions, each keeping at most
//! `calls + 1` timestamps. A new session beyond the bound evicts the least recently
//! active one, whose count starts again from zero if it comes back.

use std::collections::{BTreeMap, HashMap, VecDeque};

/// One session's recent call times and whether its current burst was reported.
#[derive(Debug, Default)]
struct Window {
    times: VecDeque<u64>,
    reported: bool,
    /// When it was last used, in `Bursts::tick`s: its key in `Bursts::by_use`.
    used: u64,
}

/// Sliding windows of call times, by session, least recently used evicted first.
#[derive(Debug)]
pub struct Bursts {
    calls: usize,
    window_nanos: u64,
    capacity: usize,
    sessions: HashMap<String, Window>,
    /// Sessions by last use, oldest first.
    by_use: BTreeMap<u64, String>,
    tick: u64,
}

impl Bursts {
    /// Fire beyond `calls` calls within `window_secs`; track at most `capacity` sessions.
    pub fn new(calls: usize, window_secs: u64, capacity: usize) -> Self {
        let window_nanos = window_secs.saturating_mul(1_000_000_000);
        Self { calls, window_nanos, capacity, sessions: HashMap::new(), by_use: BTreeMap::new(), tick: 0 }
    }

    /// Record a call of `session` at `time` (Unix nanoseconds). Returns the number of
    /// calls in the window when this call makes the session's rate cross the limit,
    /// once per burst; the burst ends when the window holds no more than the limit.
    pub fn record(&mut self, session: &str, time: u64) -> Option<usize> {
        let (calls, window_nanos) = (self.calls, self.window_nanos);
        let window = self.touch(session);
        window.times.push_back(time);
        let newest = window.times.iter().copied().max().unwrap_or(time);
        window.times.retain(|&t| newest.saturating_sub(t) < window_nanos);
        // One more than the limit is all it takes to know the limit is passed.
        while window.times.len() > calls + 1 {
            window.times.pop_front();
        }
        let over = window.times.len() > calls;
        let fire = over && !window.reported;
        window.reported = over;
        fire.then_some(window.times.len())
    }

    /// The session's window, created (evicting the least recently used) if new, and
    /// marked as used now.
    fn touch(&mut self, session: &str) -> &mut Window {
        self.tick += 1;
        if let Some(w) = self.sessions.get_mut(session) {
            self.by_use.remove(&w.used);
        } else {
            if self.sessions.len() >= self.capacity
                && let Some((_, oldest)) = self.by_use.pop_first()
            {
                self.sessions.remove(&oldest);
            }
            self.sessions.insert(session.to_owned(), Window::default());
        }
        self.by_use.insert(self.tick, session.to_owned());
        let window = self.sessions.get_mut(session).expect("inserted above");
        window.used = self.tick;
        window
    }

    #[cfg(test)]
    pub fn tracked(&self) -> usize {
        self.sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn fires_once_per_burst_and_rearms_after_the_rate_drops() {
        let mut b = Bursts::new(3, 10, 8);
        let fired: Vec<Option<usize>> = (0..6).map(|i| b.record("s", i * S)).collect();
        assert_eq!(fired, [None, None, None, Some(4), None, None]);
        assert_eq!(b.record("s", 100 * S), None, "a lone call after a pause");
        let again: Vec<Option<usize>> = (101..104).map(|i| b.record("s", i * S)).collect();
        assert_eq!(again, [None, None, Some(4)]);
    }

    #[test]
    fn calls_spread_over_the_window_do_not_fire() {
        let mut b = Bursts::new(3, 10, 8);
        assert!((0..20).all(|i| b.record("s", i * 4 * S).is_none()));
    }

    #[test]
    fn sessions_are_counted_apart_and_evicted_least_recently_used_first() {
        let mut b = Bursts::new(2, 10, 2);
        b.record("a", 0);
        b.record("b", 0);
        b.record("a", S);
        b.record("c", S); // evicts b, the least recently used
        assert_eq!(b.tracked(), 2);
        assert_eq!(b.record("a", 2 * S), Some(3), "a kept its count");
        assert_eq!(b.record("b", 2 * S), None, "b starts again from zero");
    }
}
