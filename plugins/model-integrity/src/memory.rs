//! A map that forgets its oldest entries, so that the state a detector keeps across
//! events stays bounded however many models a log names.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

/// At most `capacity` entries; inserting beyond that evicts the entry inserted first.
#[derive(Debug)]
pub struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Bounded<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), order: VecDeque::new(), capacity }
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }

    /// Insert `key` unless it is present; `true` when it was new.
    pub fn insert_new(&mut self, key: K, value: V) -> bool {
        if self.map.contains_key(&key) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.map.remove(&oldest);
        }
        self.order.push_back(key.clone());
        self.map.insert(key, value);
        true
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_first_value_of_a_key() {
        let mut m = Bounded::new(4);
        assert!(m.insert_new("a", 1));
        assert!(!m.insert_new("a", 2));
        assert_eq!(m.get(&"a"), Some(&1));
    }

    #[test]
    fn evicts_the_oldest_entry_beyond_capacity() {
        let mut m = Bounded::new(2);
        for (key, value) in [("a", 1), ("b", 2), ("c", 3)] {
            m.insert_new(key, value);
        }
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&"a"), None);
        assert_eq!(m.get(&"c"), Some(&3));
    }
}
