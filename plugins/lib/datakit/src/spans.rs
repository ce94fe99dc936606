//! Non-overlapping byte ranges, for settling which of two overlapping finds wins.

use std::collections::BTreeMap;
use std::ops::Range;

/// Ranges taken so far, none overlapping another; O(log n) per check, so that a
/// text dense with data does not cost quadratic time.
#[derive(Debug, Default)]
pub(crate) struct Taken {
    /// Start → end of each taken range.
    ranges: BTreeMap<usize, usize>,
}

impl Taken {
    /// Take `range` unless it overlaps a range taken before; `true` when taken.
    pub(crate) fn take(&mut self, range: &Range<usize>) -> bool {
        // The last range starting before `range` ends is the only one that can overlap.
        let before_end = self.ranges.range(..range.end.max(range.start + 1)).next_back();
        if before_end.is_some_and(|(_, &end)| end > range.start) {
            return false;
        }
        self.ranges.insert(range.start, range.end);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_ranges_are_refused() {
        let mut t = Taken::default();
        assert!(t.take(&(10..20)));
        assert!(!t.take(&(15..25)) && !t.take(&(5..11)) && !t.take(&(12..13)) && !t.take(&(0..30)));
        assert!(t.take(&(20..25)) && t.take(&(0..10)));
    }
}
