//! Counts over a sliding window, kept as a few time buckets so that memory does not
//! grow with the request rate.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Buckets per window: the window slides in steps of a sixth of its length.
pub const BUCKETS: u64 = 6;

/// `N` counters per bucket, for the buckets of the last window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(bound(serialize = "[u64; N]: Serialize", deserialize = "[u64; N]: Deserialize<'de>"))]
pub struct Recent<const N: usize> {
    /// (bucket index, counters), oldest first; at most [`BUCKETS`] of them.
    buckets: VecDeque<(u64, [u64; N])>,
}

impl<const N: usize> Recent<N> {
    /// Add `values` to bucket `now`, forgetting buckets that left the window.
    pub fn add(&mut self, now: u64, values: [u64; N]) {
        self.buckets.retain(|(at, _)| at + BUCKETS > now);
        match self.buckets.back_mut() {
            Some((at, counts)) if *at == now => counts.iter_mut().zip(values).for_each(|(c, v)| *c += v),
            _ => self.buckets.push_back((now, values)),
        }
    }

    /// The counters summed over the window that ends with bucket `now`.
    pub fn sum(&self, now: u64) -> [u64; N] {
        let mut total = [0; N];
        for (_, counts) in self.buckets.iter().filter(|(at, _)| at + BUCKETS > now && *at <= now) {
            total.iter_mut().zip(counts).for_each(|(t, c)| *t += c);
        }
        total
    }

    /// The buckets from index `from` up to, not including, `until`, oldest first.
    pub fn closed(&self, from: u64, until: u64) -> impl Iterator<Item = &(u64, [u64; N])> {
        self.buckets.iter().filter(move |(at, _)| *at >= from && *at < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_only_the_last_window() {
        let mut r = Recent::<2>::default();
        r.add(10, [1, 100]);
        r.add(10, [1, 50]);
        r.add(13, [1, 10]);
        assert_eq!(r.sum(13), [3, 160]);
        assert_eq!(r.sum(16), [1, 10], "bucket 10 left the window");
        r.add(20, [1, 1]);
        assert_eq!(r.sum(20), [1, 1]);
        assert_eq!(r.buckets.len(), 1, "old buckets are dropped");
    }

    #[test]
    fn closed_buckets_exclude_the_current_one() {
        let mut r = Recent::<1>::default();
        for at in [3, 4, 6] {
            r.add(at, [at]);
        }
        let closed: Vec<u64> = r.closed(4, 6).map(|(at, _)| *at).collect();
        assert_eq!(closed, [4]);
    }
}
