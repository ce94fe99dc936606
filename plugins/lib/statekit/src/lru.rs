//! A map with a fixed capacity that forgets what was used least recently.

use std::collections::HashMap;
use std::hash::Hash;

/// At most `capacity` entries. Inserting into a full map first forgets the least
/// recently used eighth of it (at least one entry), so that eviction costs O(1)
/// amortised per insertion and needs no second index of the keys.
///
/// "Used" means inserted or reached through [`get_mut`](Lru::get_mut) or
/// [`get_or_insert_with`](Lru::get_or_insert_with); [`get`](Lru::get) only looks.
#[derive(Debug)]
pub struct Lru<K, V> {
    map: HashMap<K, (V, u64)>,
    clock: u64,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// An empty map holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), clock: 0, capacity: capacity.max(1) }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value of `key`, without counting as a use.
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key).map(|(v, _)| v)
    }

    /// The value of `key`, marked as just used.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let stamp = self.tick();
        self.map.get_mut(key).map(|(v, used)| {
            *used = stamp;
            v
        })
    }

    /// The value of `key`, inserting `make()` first when it is absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(&key) {
            self.make_room();
        }
        let stamp = self.tick();
        let (value, used) = self.map.entry(key).or_insert_with(|| (make(), stamp));
        *used = stamp;
        value
    }

    /// Insert `key` unless it is present; `true` when it was new. A present key keeps
    /// its value and counts as used.
    pub fn insert_new(&mut self, key: K, value: V) -> bool {
        if self.get_mut(&key).is_some() {
            return false;
        }
        self.get_or_insert_with(key, || value);
        true
    }

    /// Every key, in no particular order, without counting as a use.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }

    /// Every value, in no particular order, without counting as a use.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.map.values().map(|(v, _)| v)
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Forget the least recently used eighth when full.
    fn make_room(&mut self) {
        if self.map.len() < self.capacity {
            return;
        }
        let mut stamps: Vec<u64> = self.map.values().map(|(_, used)| *used).collect();
        let drop = (stamps.len() / 8).max(1);
        let (_, cutoff, _) = stamps.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        self.map.retain(|_, (_, used)| *used > cutoff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_value_of_a_key() {
        let mut m = Lru::new(4);
        assert!(m.insert_new("a", 1));
        assert!(!m.insert_new("a", 2));
        assert_eq!(m.get(&"a"), Some(&1));
    }

    #[test]
    fn forgets_the_least_recently_used_entry_when_full() {
        let mut m = Lru::new(2);
        m.insert_new("a", 1);
        m.insert_new("b", 2);
        m.get_mut(&"a");
        m.insert_new("c", 3);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&"b"), None);
        assert_eq!((m.get(&"a"), m.get(&"c")), (Some(&1), Some(&3)));
    }

    #[test]
    fn a_full_large_map_forgets_an_eighth_at_once() {
        let mut m = Lru::new(800);
        for n in 0..800 {
            m.insert_new(n, ());
        }
        m.insert_new(800, ());
        assert_eq!(m.len(), 701);
        assert!(m.get(&99).is_none() && m.get(&100).is_some());
    }

    #[test]
    fn never_grows_past_its_capacity() {
        let mut m = Lru::new(10);
        for n in 0..1000 {
            *m.get_or_insert_with(n % 37, || 0) += 1;
            assert!(m.len() <= 10);
        }
    }
}
