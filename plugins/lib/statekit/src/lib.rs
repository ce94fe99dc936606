//! What the stateful detectors of the standard pack share: a map that stays bounded
//! however many keys a log names, hashes that are the same on every run, the
//! splitting of text into words, and the personal data a session's user gave.
//!
//! ```
//! use statekit::{Lru, stable_hash, words};
//!
//! let mut counts: Lru<u64, u32> = Lru::new(2);
//! for word in words("boots, boots; parka") {
//!     *counts.get_or_insert_with(stable_hash(word.as_bytes()), || 0) += 1;
//! }
//! assert_eq!(counts.get(&stable_hash(b"boots")), Some(&2));
//! counts.get_or_insert_with(stable_hash(b"tent"), || 1); // full: forgets the least recently used
//! assert_eq!(counts.get(&stable_hash(b"boots")), None);
//! ```
#![deny(missing_docs)]

mod kept;
mod lru;
pub mod supplied;
mod text;

pub use kept::Kept;
pub use lru::Lru;
pub use text::{sorted_jaccard, stable_hash, stable_hash_chars, stable_hash_lowercase, words};
