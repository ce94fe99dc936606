//! A map kept in the host's keyed state ([`aiir_sdk::state`]) instead of in the
//! instance: it survives restarts, and a resumed run sees what an uninterrupted one
//! would. Keys are hashed, so any name fits the host's cap on a key's length.

use crate::stable_hash;
use aiir_sdk::state;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The entries under one prefix of the state.
#[derive(Debug, Clone, Copy)]
pub struct Kept {
    prefix: &'static str,
}

impl Kept {
    /// The map under `prefix` (a short name, distinct per map of a plugin).
    pub const fn new(prefix: &'static str) -> Self {
        Self { prefix }
    }

    /// The state key of `parts`, each part kept apart from the next.
    fn key(&self, parts: &[&str]) -> String {
        let joined = parts.join("\u{1f}");
        format!("{}/{:016x}", self.prefix, stable_hash(joined.as_bytes()))
    }

    /// The value under `parts`.
    pub fn get<V: DeserializeOwned>(&self, parts: &[&str]) -> Option<V> {
        state::load(&self.key(parts))
    }

    /// Keep `value` under `parts`.
    pub fn put<V: Serialize>(&self, parts: &[&str], value: &V) -> Result<(), String> {
        state::save(&self.key(parts), value)
    }

    /// Keep `value` under `parts` unless something is kept there: whether it was new.
    pub fn insert_new<V: Serialize>(&self, parts: &[&str], value: &V) -> Result<bool, String> {
        let key = self.key(parts);
        if state::get(&key).is_some() {
            return Ok(false);
        }
        state::save(&key, value).map(|()| true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiir_sdk::testkit::in_partition;

    #[test]
    fn a_value_is_kept_once_under_its_parts() {
        in_partition("m", || {
            let seen = Kept::new("seen");
            assert!(seen.insert_new(&["a", "1"], &"x").unwrap());
            assert!(!seen.insert_new(&["a", "1"], &"y").unwrap());
            assert_eq!(seen.get::<String>(&["a", "1"]).as_deref(), Some("x"));
            assert_eq!(seen.get::<String>(&["a1"]), None, "parts are kept apart");
            assert_eq!(Kept::new("other").get::<String>(&["a", "1"]), None, "prefixes are kept apart");
        });
    }
}
