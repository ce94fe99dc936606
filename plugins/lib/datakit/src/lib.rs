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

/// Build every table the recognizers use (some fifty regexes, the union automata, the
/// numbering plans' DFAs) now rather than on first use: what a plugin calls from its
/// `warm-up`, so that the host's pre-initialised instances start with them built.
pub fn warm_up() {
    address::warm_up();
    link::warm_up();
    phone::warm_up();
    pii::warm_up();
    secret::warm_up();
    structure::warm_up();
    // A search builds its regexes' caches and the automaton states the text leads to:
    // ordinary prose, a link, a record and a signature warm what most texts reach.
    scan(WARM_UP_TEXT);
    link::links(WARM_UP_TEXT);
}

/// What [`warm_up`] searches: an answer of the usual shapes, holding no datum that
/// passes its checks.
const WARM_UP_TEXT: &str = "Sure! Here is a summary of the report you asked for, with the next steps.\n\n\
1. The team reviewed the draft on Monday and agreed on the changes.\n\
2. See [the guide](https://docs.example.org/guide) and https://example.com/faq for details.\n\n\
```json\n{\"name\": \"Jane\", \"email\": \"user at example\", \"phone\": \"n/a\", \"id\": 42}\n```\n\n\
<item>value</item> INSERT INTO t (a, b) VALUES (1, 2);\n\
Best regards,\nThe support team";
