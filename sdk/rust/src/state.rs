//! State the host keeps for a detector: what it must remember across events, kept
//! outside the instance so that it survives a restart of the plugin or of the host.
//!
//! Keys live within the partition of the event being inspected (its session or
//! principal, its model, its data set, or one partition for all, as configured), and
//! a call's writes count only when the call succeeds. Keep what decides a finding
//! here and nothing in the struct but settings and caches of this state: a resumed
//! run then finds exactly what an uninterrupted one would have.
//!
//! ```
//! use aiir_sdk::state;
//!
//! # aiir_sdk::testkit::in_partition("", || {
//! let seen: u32 = state::load("count").unwrap_or(0);
//! state::save("count", &(seen + 1)).unwrap();
//! assert_eq!(state::load::<u32>("count"), Some(seen + 1));
//! # });
//! ```
//!
//! Inside the host these go through the `state` imports; in native tests,
//! [`testkit`](crate::testkit) keeps them in memory for the thread.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The partition key of the event being inspected.
pub fn partition() -> String {
    imp::partition()
}

/// The bytes under `key`.
pub fn get(key: &str) -> Option<Vec<u8>> {
    imp::get(key)
}

/// Keep `value` under `key`; refused past the host's caps (a key of 256 bytes, a
/// value of 1 MiB, the plugin's `max_state_bytes`) or outside `inspect`.
pub fn set(key: &str, value: &[u8]) -> Result<(), String> {
    imp::set(key, value)
}

/// Forget `key`.
pub fn remove(key: &str) {
    imp::remove(key);
}

/// The keys of the partition, the one written longest ago first.
pub fn keys() -> Vec<String> {
    imp::keys()
}

/// The value under `key`, as JSON; `None` when absent or no longer of type `T`
/// (written by an older version of the plugin, say).
pub fn load<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_slice(&get(key)?).ok()
}

/// Keep `value` under `key`, as JSON.
pub fn save<T: Serialize>(key: &str, value: &T) -> Result<(), String> {
    let bytes = serde_json::to_vec(value).map_err(|e| format!("cannot encode the state under {key:?}: {e}"))?;
    set(key, &bytes)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::bindings::aiir::plugin::state::{get, keys, partition, remove, set};
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native as imp;

/// The native stand-in: one map per thread, by (partition, key), ordered by write.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod native {
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    struct Kept {
        partition: String,
        /// (partition, key) → (write number, value).
        values: BTreeMap<(String, String), (u64, Vec<u8>)>,
        next: u64,
    }

    thread_local! {
        static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
    }

    /// Run `f` with `partition` as the event's partition.
    pub(crate) fn with_partition<R>(partition: &str, f: impl FnOnce() -> R) -> R {
        let before = KEPT.with_borrow_mut(|k| std::mem::replace(&mut k.partition, partition.to_owned()));
        let out = f();
        KEPT.with_borrow_mut(|k| k.partition = before);
        out
    }

    /// Forget everything kept on this thread.
    pub(crate) fn clear() {
        KEPT.with_borrow_mut(|k| *k = Kept::default());
    }

    pub(crate) fn partition() -> String {
        KEPT.with_borrow(|k| k.partition.clone())
    }

    pub(crate) fn get(key: &str) -> Option<Vec<u8>> {
        KEPT.with_borrow(|k| k.values.get(&(k.partition.clone(), key.to_owned())).map(|(_, v)| v.clone()))
    }

    /// With the host's caps on a key and a value.
    pub(crate) fn set(key: &str, value: &[u8]) -> Result<(), String> {
        if key.len() > 256 || value.len() > 1 << 20 {
            return Err(format!(
                "a key of {} bytes or a value of {} bytes, over the host's caps",
                key.len(),
                value.len()
            ));
        }
        KEPT.with_borrow_mut(|k| {
            k.next += 1;
            let slot = (k.partition.clone(), key.to_owned());
            k.values.insert(slot, (k.next, value.to_vec()));
        });
        Ok(())
    }

    pub(crate) fn remove(key: &str) {
        KEPT.with_borrow_mut(|k| k.values.remove(&(k.partition.clone(), key.to_owned())));
    }

    pub(crate) fn keys() -> Vec<String> {
        KEPT.with_borrow(|k| {
            let mut mine: Vec<(u64, String)> = k
                .values
                .iter()
                .filter(|((p, _), _)| *p == k.partition)
                .map(|((_, key), (n, _))| (*n, key.clone()))
                .collect();
            mine.sort();
            mine.into_iter().map(|(_, key)| key).collect()
        })
    }
}
