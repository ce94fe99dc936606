//! Failure policy: what happens to an event a plugin failed on, and when a plugin
//! that keeps failing is switched off.

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

/// `[detector.breaker]`: disable a plugin after `failures` failures within `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BreakerConfig {
    /// `failures = 5`: failures that open the breaker; 0 never opens it.
    pub failures: u32,
    /// `window_secs = 60`: how far back failures count.
    pub window_secs: u64,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failures: 5, window_secs: 60 }
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
        let mut b = Breaker::new(BreakerConfig { failures: 3, window_secs: 60 });
        let t0 = Instant::now();
        assert!(!b.record_failure(t0));
        assert!(!b.record_failure(t0 + Duration::from_secs(1)));
        assert!(b.record_failure(t0 + Duration::from_secs(2)));
        assert!(b.is_open());
        assert!(!b.record_failure(t0 + Duration::from_secs(3)), "opens once");
    }

    #[test]
    fn old_failures_fall_out_of_the_window() {
        let mut b = Breaker::new(BreakerConfig { failures: 2, window_secs: 10 });
        let t0 = Instant::now();
        b.record_failure(t0);
        assert!(!b.record_failure(t0 + Duration::from_secs(11)));
        assert!(b.record_failure(t0 + Duration::from_secs(12)));
    }

    #[test]
    fn zero_failures_never_opens() {
        let mut b = Breaker::new(BreakerConfig { failures: 0, window_secs: 10 });
        assert!(!(0..100).any(|_| b.record_failure(Instant::now())));
    }
}
