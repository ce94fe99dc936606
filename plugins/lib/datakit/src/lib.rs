//! What the pack's data-protection detectors (`sensitive-data-leak`, `exfiltration`,
//! `tool-abuse`) share: recognizers for personal data and secrets, masking fit for
//! evidence, the links in a text, the strings inside a tool call's arguments, and the
//! targets (addresses, accounts, hosts) an action can be aimed at.
//!
//! ```
//! let text = "Card 4111 1111 1111 1111, mail jane.doe@example.com";
//! let found = datakit::scan(text);
//! let kinds: Vec<&str> = found.iter().map(|e| e.kind.id()).collect();
//! assert_eq!(kinds, ["credit-card", "email"]);
//! let redacted = datakit::Redacted::new(text, &found);
//! assert_eq!(redacted.text, "Card 4111 **** **** 1111, mail j***@e***.com");
//! assert_eq!(&redacted.text[redacted.ranges[1].clone()], "j***@e***.com");
//! ```
//!
//! Every recognizer favours precision: formats are checked (Luhn for payment cards,
//! mod-97 for IBANs, the ranges the SSA never issues for SSNs), and the weaker phone
//! formats count only beside a word that says "phone" or when a claimed region's
//! numbering plan (libphonenumber's metadata) holds them in national format.
//!
//! Text is also read as structure ([`structure`]): a key, column or label that names a
//! type (`telefono`, `電話番号`, `tax_id`, `SecretAccessKey`) is context for every value
//! under it, and values under keys of references and public material (`sku`, `ean`,
//! `tracking`, `public_key`) are not data. Whether an email address is at a
//! documentation domain, or a credential a documented example or placeholder, is left to
//! each detector ([`documentation_address`], [`known_non_secret`]).
#![deny(missing_docs)]

mod address;
pub mod args;
mod checksum;
mod entity;
mod keyed;
pub mod link;
mod mask;
mod phone;
mod pii;
mod secret;
mod spans;
pub mod structure;
pub mod target;
mod union;

pub use entity::{Entity, Kind, Redacted, scan};
pub use pii::documentation_address;

/// Evidence entries a finding keeps; its title still counts every occurrence. Keeps a
/// text dense with data under the host's default output cap.
pub const MAX_EVIDENCE: usize = 50;
/// Findings one event may give, under the host's default `max_findings` of 100.
pub const MAX_FINDINGS: usize = 50;
pub use secret::{SecretKind, known_non_secret};
