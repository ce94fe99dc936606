//! Keyed state: what a detector keeps through the `state` imports, held by the host
//! under (partition, key) so that it outlives the instance and the process.
//!
//! A plugin's [`KeyedState`] is shared by its instances in every worker; each
//! partition is only ever touched by the one worker its events go to. A call writes
//! into a [`Draft`]; the writes reach the shared state only when the call succeeded
//! (the instance is kept), and come back as [`StateWrite`]s for the store to keep in
//! the same transaction as the checkpoint. Entries are ordered by a write counter:
//! `keys` lists a partition oldest-written first, and past the byte cap the entries
//! written longest ago are forgotten (and the forgetting is a write too). The
//! (plugin, partition, key) → (value, written) shape is what a distributed key-value
//! store keeps as well.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

/// The longest key, in bytes.
pub const MAX_KEY_BYTES: usize = 256;
/// The largest value, in bytes.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// One change to a plugin's state: a value kept, or (`None`) a key forgotten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateWrite {
    /// The partition key of the event it was written for.
    pub partition: String,
    /// The plugin's key.
    pub key: String,
    /// The new value, or `None` when the key was removed or forgotten.
    pub value: Option<Vec<u8>>,
    /// Its place in the order of the plugin's writes.
    pub written: u64,
}

/// A plugin's keyed state, shared by its instances.
#[derive(Clone)]
pub struct KeyedState(Arc<Mutex<Entries>>);

impl std::fmt::Debug for KeyedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self.lock();
        f.debug_struct("KeyedState").field("entries", &e.values.len()).field("bytes", &e.bytes).finish()
    }
}

impl Default for KeyedState {
    fn default() -> Self {
        Self::new(crate::runtime::Limits::default().max_state_bytes)
    }
}

type Slot = (String, String);

#[derive(Debug)]
struct Entries {
    values: HashMap<Slot, (Vec<u8>, u64)>,
    /// The slots by write counter, for the order of `keys` and for forgetting.
    order: BTreeMap<u64, Slot>,
    bytes: usize,
    cap: usize,
    next: u64,
}

impl KeyedState {
    /// Empty state holding at most `cap` bytes of keys and values.
    pub fn new(cap: usize) -> Self {
        let entries = Entries { values: HashMap::new(), order: BTreeMap::new(), bytes: 0, cap, next: 1 };
        Self(Arc::new(Mutex::new(entries)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // No code holding the lock can panic half-way through an update.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Put back what a store kept (its rows in any order, or writes in their order);
    /// the write counter goes on after it.
    pub fn restore(&self, kept: impl IntoIterator<Item = StateWrite>) {
        let mut e = self.lock();
        for w in kept {
            e.next = e.next.max(w.written + 1);
            let slot = (w.partition, w.key);
            match w.value {
                Some(value) => e.put(slot, value, w.written),
                None => e.forget(&slot),
            }
        }
    }

    /// Take in entries written by another process (`aiir worker`s hand partitions
    /// over): renumbered after this state's own writes, in their order, since their
    /// write counter is another's.
    pub fn adopt(&self, mut entries: Vec<StateWrite>) {
        entries.sort_by_key(|w| w.written);
        let next = self.lock().next;
        for (n, w) in entries.iter_mut().enumerate() {
            w.written = next + n as u64;
        }
        self.restore(entries);
    }

    /// The value under `key` in `partition`.
    pub fn get(&self, partition: &str, key: &str) -> Option<Vec<u8>> {
        let e = self.lock();
        e.values.get(&(partition.to_owned(), key.to_owned())).map(|(v, _)| v.clone())
    }

    /// The keys of `partition`, oldest written first.
    pub fn keys(&self, partition: &str) -> Vec<String> {
        let e = self.lock();
        e.order.values().filter(|(p, _)| p == partition).map(|(_, k)| k.clone()).collect()
    }

    /// The entries whose partition key `within` accepts, oldest written first.
    pub fn export(&self, within: impl Fn(&str) -> bool) -> Vec<StateWrite> {
        let e = self.lock();
        let rows = e.order.iter().filter(|(_, (p, _))| within(p));
        rows.map(|(&written, slot)| {
            let value = e.values.get(slot).map(|(v, _)| v.clone());
            StateWrite { partition: slot.0.clone(), key: slot.1.clone(), value, written }
        })
        .collect()
    }

    /// Forget, without a trace, the entries whose partition key `within` accepts: the
    /// state of a partition another process now owns.
    pub fn drop_where(&self, within: impl Fn(&str) -> bool) {
        let mut e = self.lock();
        let slots: Vec<Slot> = e.values.keys().filter(|(p, _)| within(p)).cloned().collect();
        slots.iter().for_each(|slot| e.forget(slot));
    }

    /// Apply a successful call's writes in `partition`, then forget the oldest
    /// entries while over the cap; every change made, in order.
    pub fn commit(&self, partition: &str, draft: Draft) -> Vec<StateWrite> {
        let mut e = self.lock();
        let mut out = Vec::with_capacity(draft.writes.len());
        for (key, value) in draft.writes {
            let written = e.next;
            e.next += 1;
            let slot = (partition.to_owned(), key.clone());
            match &value {
                Some(v) => e.put(slot, v.clone(), written),
                None => e.forget(&slot),
            }
            out.push(StateWrite { partition: partition.to_owned(), key, value, written });
        }
        let mut forgotten = 0;
        while e.bytes > e.cap {
            let Some((_, slot)) = e.order.pop_first() else { break };
            e.forget(&slot);
            let written = e.next;
            e.next += 1;
            forgotten += 1;
            out.push(StateWrite { partition: slot.0, key: slot.1, value: None, written });
        }
        if forgotten > 0 {
            // One line per call, naming no key: keys are the plugin's text.
            tracing::warn!(
                forgotten,
                cap = e.cap,
                "plugin state over max_state_bytes: the oldest entries are forgotten"
            );
        }
        out
    }
}

impl Entries {
    fn put(&mut self, slot: Slot, value: Vec<u8>, written: u64) {
        self.forget(&slot);
        self.bytes += slot.0.len() + slot.1.len() + value.len();
        self.order.insert(written, slot.clone());
        self.values.insert(slot, (value, written));
    }

    fn forget(&mut self, slot: &Slot) {
        if let Some((value, written)) = self.values.remove(slot) {
            self.bytes -= slot.0.len() + slot.1.len() + value.len();
            self.order.remove(&written);
        }
    }
}

/// The writes of the call in progress, latest last; read before the shared state.
#[derive(Debug, Default)]
pub struct Draft {
    writes: Vec<(String, Option<Vec<u8>>)>,
    bytes: usize,
}

impl Draft {
    /// What the call wrote under `key` last: `Some(None)` when it removed it.
    pub fn get(&self, key: &str) -> Option<Option<&[u8]>> {
        self.writes.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_deref())
    }

    /// Record a write; refused when it is too large, or when the call's writes would
    /// pass `cap` bytes together.
    pub fn set(&mut self, key: String, value: Vec<u8>, cap: usize) -> Result<(), String> {
        self.push(key, Some(value), cap)
    }

    /// Record that `key` is removed; refused past `cap` bytes of writes in the call.
    pub fn remove(&mut self, key: String, cap: usize) -> Result<(), String> {
        self.push(key, None, cap)
    }

    /// Record a write, within the caps on a key, a value and the call's writes.
    fn push(&mut self, key: String, value: Option<Vec<u8>>, cap: usize) -> Result<(), String> {
        let size = value.as_ref().map_or(0, Vec::len);
        if key.len() > MAX_KEY_BYTES {
            return Err(format!("a key of {} bytes, over the cap of {MAX_KEY_BYTES}", key.len()));
        }
        if size > MAX_VALUE_BYTES {
            return Err(format!("a value of {size} bytes, over the cap of {MAX_VALUE_BYTES}"));
        }
        let bytes = self.bytes + key.len() + size;
        if bytes > cap {
            return Err(format!("{bytes} bytes written in one call, over max_state_bytes of {cap}"));
        }
        self.bytes = bytes;
        self.writes.push((key, value));
        Ok(())
    }

    /// The partition's keys as `shared` lists them, with this call's writes applied:
    /// a key written now moves to the end.
    pub fn keys(&self, shared: Vec<String>) -> Vec<String> {
        let touched = |k: &String| self.writes.iter().any(|(w, _)| w == k);
        let mut keys: Vec<String> = shared.into_iter().filter(|k| !touched(k)).collect();
        for (n, (key, value)) in self.writes.iter().enumerate() {
            let last = !self.writes[n + 1..].iter().any(|(w, _)| w == key);
            if last && value.is_some() {
                keys.push(key.clone());
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(writes: &[(&str, Option<&str>)]) -> Draft {
        let mut d = Draft::default();
        for (k, v) in writes {
            match v {
                Some(v) => d.set((*k).into(), v.as_bytes().to_vec(), 1 << 20).unwrap(),
                None => d.remove((*k).into(), 1 << 20).unwrap(),
            }
        }
        d
    }

    #[test]
    fn writes_reach_the_state_in_order_and_come_back_to_be_stored() {
        let s = KeyedState::new(1 << 20);
        let out = s.commit("p", draft(&[("a", Some("1")), ("b", Some("2")), ("a", Some("3"))]));
        assert_eq!(out.iter().map(|w| w.written).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(s.get("p", "a").as_deref(), Some(&b"3"[..]));
        assert_eq!(s.keys("p"), ["b", "a"]);
        assert_eq!(s.keys("q"), Vec::<String>::new());
        assert_eq!(s.get("q", "a"), None, "partitions are apart");
    }

    #[test]
    fn a_restored_state_is_the_state_that_was_kept() {
        let s = KeyedState::new(1 << 20);
        let kept = s.commit("p", draft(&[("a", Some("1")), ("b", Some("2")), ("a", None)]));
        let back = KeyedState::new(1 << 20);
        back.restore(kept);
        assert_eq!(back.keys("p"), ["b"]);
        assert_eq!(back.commit("p", draft(&[("c", Some("3"))]))[0].written, 4, "the counter goes on");
    }

    #[test]
    fn adopted_entries_keep_their_order_and_collide_with_nothing() {
        let s = KeyedState::new(1 << 20);
        s.commit("p", draft(&[("a", Some("1")), ("b", Some("2"))]));
        let other = KeyedState::new(1 << 20);
        other.commit("q", draft(&[("y", Some("1")), ("x", Some("2"))]));
        s.adopt(other.export(|p| p == "q"));
        assert_eq!((s.keys("p"), s.keys("q")), (vec!["a".to_owned(), "b".into()], vec!["y".to_owned(), "x".into()]));
        s.drop_where(|p| p == "q");
        assert!(s.keys("q").is_empty() && s.get("p", "a").is_some());
    }

    #[test]
    fn past_the_cap_the_oldest_entries_are_forgotten() {
        let s = KeyedState::new(10);
        s.commit("p", draft(&[("a", Some("1234"))]));
        let out = s.commit("p", draft(&[("b", Some("1234"))]));
        assert_eq!(out.last().map(|w| (w.key.as_str(), w.value.is_none())), Some(("a", true)));
        assert_eq!(s.keys("p"), ["b"]);
    }

    #[test]
    fn a_draft_is_read_before_the_state_and_bounded() {
        let d = draft(&[("a", Some("1")), ("b", None), ("c", Some("2"))]);
        assert_eq!(d.get("a"), Some(Some(&b"1"[..])));
        assert_eq!(d.get("b"), Some(None));
        assert_eq!(d.get("z"), None);
        assert_eq!(d.keys(vec!["b".into(), "x".into(), "a".into()]), ["x", "a", "c"]);
        let mut d = Draft::default();
        assert!(d.set("k".repeat(MAX_KEY_BYTES + 1), Vec::new(), 1 << 20).is_err());
        assert!(d.set("k".into(), vec![0; 8], 8).is_err(), "over the call's cap");
    }
}
