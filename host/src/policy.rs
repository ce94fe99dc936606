//! Failure policy: what happens to an event a plugin failed on, when a plugin that
//! keeps failing is switched off, and when a plugin is too slow to keep.

use serde::Deserialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `on_error = "skip" | "fail-closed"`: what an event a plugin could not inspect becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Count it and go on: the event has no findings from this plugin.
    #[default]
    Skip,
    /// The event gets a synthetic high-severity finding saying it was not inspected,
    /// so that an attacker who crashes a detector does not pass unseen.
    FailClosed,
}

/// `[detector.breaker]`: disable a plugin after `failures` failures within
/// `window_secs`; a call is a failure (`slow`) when the plugin's calls keep taking
/// more than `slow_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// `failures = 5`: failures that open the breaker; 0 never opens it.
    pub failures: u32,
    /// `window_secs = 60`: how far back failures count.
    pub window_secs: u64,
    /// `slow_ms = 250`: the time budget of a call, held to the median of the last
    /// [`PACE_CALLS`] calls; 0 sets no budget.
    pub slow_ms: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failures: 5, window_secs: 60, slow_ms: 250 }
    }
}

/// How many recent calls the time budget looks at.
pub const PACE_CALLS: usize = 5;
/// How many calls it waits for before it judges: a first call that builds its tables
/// is not a slow plugin.
const PACE_MIN_CALLS: usize = 3;

/// A plugin's pace: the wall time of its last [`PACE_CALLS`] calls against its budget.
/// One slow call is noise; a median over the budget is a plugin that slows every
/// event it sees, which a per-call deadline never catches.
#[derive(Debug, Clone)]
pub struct Pace {
    budget: Duration,
    recent: VecDeque<Duration>,
}

impl Pace {
    /// A pace with no calls yet, held to `config.slow_ms`.
    pub fn new(config: BreakerConfig) -> Self {
        Self { budget: Duration::from_millis(config.slow_ms), recent: VecDeque::with_capacity(PACE_CALLS) }
    }

    /// Record a call's wall time; the median of the recent calls when it is over the budget.
    pub fn record(&mut self, wall: Duration) -> Option<Duration> {
        if self.budget.is_zero() {
            return None;
        }
        if self.recent.len() == PACE_CALLS {
            self.recent.pop_front();
        }
        self.recent.push_back(wall);
        if self.recent.len() < PACE_MIN_CALLS {
            return None;
        }
        // On every call: sort a copy on the stack, no allocation.
        let mut sorted = [Duration::ZERO; PACE_CALLS];
        let n = self.recent.len();
        for (slot, wall) in sorted.iter_mut().zip(&self.recent) {
            *slot = *wall;
        }
        sorted[..n].sort_unstable();
        let median = sorted[(n - 1) / 2];
        (median > self.budget).then_some(median)
    }

    /// The budget, for messages.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}

/// A circuit breaker for one plugin: once open, it stays open for the run.
#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    recent: VecDeque<Instant>,
    open: bool,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, recent: VecDeque::new(), open: false }
    }

    /// Whether the plugin is disabled.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Record a failure at `now`; true when this one opens the breaker.
    pub fn record_failure(&mut self, now: Instant) -> bool {
        if self.open || self.config.failures == 0 {
            return false;
        }
        let window = Duration::from_secs(self.config.window_secs);
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|&t| now.duration_since(t) > window) {
            self.recent.pop_front();
        }
        self.open = self.recent.len() >= self.config.failures as usize;
        self.open
    }

    /// Its settings, for messages.
    pub fn config(&self) -> BreakerConfig {
        self.config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_the_nth_failure_within_the_window() {
        let mut b = Breaker::new(BreakerConfig { failures: 3, window_secs: 60, slow_ms: 0 });
        let t0 = Instant::now();
        assert!(!b.record_failure(t0));
        assert!(!b.record_failure(t0 + Duration::from_secs(1)));
        assert!(b.record_failure(t0 + Duration::from_secs(2)));
        assert!(b.is_open());
        assert!(!b.record_failure(t0 + Duration::from_secs(3)), "opens once");
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let mut b = Breaker::new(BreakerConfig { failures: 2, window_secs: 10, slow_ms: 0 });
        let t0 = Instant::now();
        b.record_failure(t0);
        assert!(!b.record_failure(t0 + Duration::from_secs(11)));
        assert!(b.record_failure(t0 + Duration::from_secs(12)));
    }

    #[test]
    fn a_slow_median_is_over_the_budget_one_slow_call_is_not() {
        let ms = Duration::from_millis;
        let mut pace = Pace::new(BreakerConfig { slow_ms: 100, ..BreakerConfig::default() });
        assert_eq!(pace.record(ms(900)), None, "a first call that builds its tables");
        assert_eq!(pace.record(ms(1)), None);
        assert_eq!(pace.record(ms(2)), None, "median 2 ms");
        assert_eq!(pace.record(ms(950)), None, "median 2 ms of 900, 1, 2, 950");
        assert_eq!(pace.record(ms(950)), Some(ms(900)));
        let mut off = Pace::new(BreakerConfig { slow_ms: 0, ..BreakerConfig::default() });
        assert!((0..10).all(|_| off.record(ms(10_000)).is_none()));
    }

    #[test]
    fn zero_failures_never_opens() {
        let mut b = Breaker::new(BreakerConfig { failures: 0, window_secs: 10, slow_ms: 0 });
        assert!(!(0..100).any(|_| b.record_failure(Instant::now())));
    }
}
