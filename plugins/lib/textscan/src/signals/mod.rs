//! Built-in signals shared by several detectors. Each list is written for
//! [`Normalized`](crate::Normalized) text and compiled with [`Catalog::new`](crate::Catalog::new).
//!
//! Patterns are written narrowly: the phrases an attack needs ("ignore all previous
//! instructions"), not the words benign text shares with them ("ignore my previous
//! email").

mod extraction;
mod injection;

pub use extraction::EXTRACTION;
pub use injection::INJECTION;
