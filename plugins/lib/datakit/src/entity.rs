//! What the recognizers find, how overlapping finds are settled, and redaction.

use crate::secret::SecretKind;
use crate::spans::Taken;
use crate::{address, keyed, phone, pii, secret};
use std::ops::Range;

/// A kind of sensitive datum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An email address of a person (role accounts such as `support@` are not).
    Email,
    /// A telephone number.
    Phone,
    /// A payment card number (Luhn-valid).
    CreditCard,
    /// An international bank account number (mod-97-valid).
    Iban,
    /// A US social security number in an issuable range.
    UsSsn,
    /// A street address: house number, street name and street type.
    StreetAddress,
    /// A credential: cloud and API keys, tokens, private keys, passwords in URLs.
    Secret(SecretKind),
}

impl Kind {
    /// The kinds of personal data, in the order reports list them.
    pub const PII: [Kind; 6] =
        [Kind::Email, Kind::Phone, Kind::CreditCard, Kind::Iban, Kind::UsSsn, Kind::StreetAddress];

    /// A stable id: `email`, `phone`, `credit-card`, `iban`, `us-ssn`,
    /// `street-address`, or `secret-<kind>` such as `secret-aws-access-key`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::CreditCard => "credit-card",
            Kind::Iban => "iban",
            Kind::UsSsn => "us-ssn",
            Kind::StreetAddress => "street-address",
            Kind::Secret(s) => s.id(),
        }
    }

    /// What it is, for a human: `payment card number`, `AWS access key`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Email => "email address",
            Kind::Phone => "phone number",
            Kind::CreditCard => "payment card number",
            Kind::Iban => "IBAN",
            Kind::UsSsn => "US social security number",
            Kind::StreetAddress => "street address",
            Kind::Secret(s) => s.label(),
        }
    }

    /// Whether it is a credential rather than personal data.
    pub fn is_secret(self) -> bool {
        matches!(self, Kind::Secret(_))
    }
}

/// One sensitive datum found in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    /// What it is.
    pub kind: Kind,
    /// Where it is, in bytes.
    pub range: Range<usize>,
    /// The datum masked, safe to show: `4111 **** **** 1111`, `j***@e***.com`.
    pub masked: String,
    /// How sure the recognizer is, 0.0 to 1.0.
    pub confidence: f32,
}

impl Entity {
    pub(crate) fn new(kind: Kind, range: Range<usize>, masked: String, confidence: f32) -> Self {
        Self { kind, range, masked, confidence }
    }
}

/// The recognizers, most specific first: where two finds overlap, the earlier wins,
/// so that a card number is not also a phone number, a password in a URL not an
/// email address, and the house number in `17031 2202 Rissik St` not a phone number.
const RECOGNIZERS: [fn(&str) -> Vec<Entity>; 7] =
    [secret::find, pii::iban, pii::credit_card, pii::us_ssn, pii::email, address::find, phone::find];

/// Every sensitive datum in `text`, in order, none overlapping another. Values under
/// keys that say what they hold come first; values under keys of references, codes and
/// public material are not looked at.
pub fn scan(text: &str) -> Vec<Entity> {
    let mut taken = Taken::default();
    let (keyed, blocked) = keyed::find(text);
    for range in &blocked {
        taken.take(range);
    }
    let mut found: Vec<Entity> = keyed.into_iter().filter(|e| taken.take(&e.range)).collect();
    for recognize in RECOGNIZERS {
        found.extend(recognize(text).into_iter().filter(|e| taken.take(&e.range)));
    }
    found.sort_by_key(|e| e.range.start);
    found
}

/// A text with sensitive data replaced by their masks, for excerpts that show context
/// without repeating any datum in clear.
#[derive(Debug, Clone, PartialEq)]
pub struct Redacted {
    /// The text, each entity replaced by its mask.
    pub text: String,
    /// Where each entity's mask is in `text`, in the order of the entities.
    pub ranges: Vec<Range<usize>>,
}

impl Redacted {
    /// Redact `entities` (as `scan` returns them: in order, not overlapping) in `text`.
    pub fn new(text: &str, entities: &[Entity]) -> Self {
        let mut out = String::with_capacity(text.len());
        let mut ranges = Vec::with_capacity(entities.len());
        let mut at = 0;
        for e in entities {
            out.push_str(&text[at..e.range.start]);
            ranges.push(out.len()..out.len() + e.masked.len());
            out.push_str(&e.masked);
            at = e.range.end;
        }
        out.push_str(&text[at..]);
        Self { text: out, ranges }
    }

    /// `text` with everything `scan` finds in it masked.
    pub fn all(text: &str) -> String {
        Self::new(text, &scan(text)).text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<&'static str> {
        scan(text).iter().map(|e| e.kind.id()).collect()
    }

    #[test]
    fn overlapping_finds_keep_the_most_specific() {
        assert_eq!(kinds("card 4111-1111-1111-1111 please"), ["credit-card"]);
        assert_eq!(kinds("postgres://app:s3cr3t-Pw@db.internal:5432/shop"), ["secret-connection-string"]);
        assert_eq!(kinds("Here's my SSN: 460-89-9847"), ["us-ssn"]);
    }

    #[test]
    fn redaction_leaves_no_datum_in_clear() {
        let text = "Mail jane.doe@example.com or call me at +1 415-555-0134.";
        let redacted = Redacted::all(text);
        assert!(!redacted.contains("jane.doe") && !redacted.contains("555-0134"), "{redacted}");
        assert!(redacted.starts_with("Mail j***@e***.com or call me at +"), "{redacted}");
    }

    #[test]
    fn benign_support_text_has_nothing() {
        let texts = [
            "Your order A-10482 is in transit with DHL and should arrive tomorrow, 28 November.",
            "Refunds take 5 to 7 business days; express costs EUR 9.90 and is rated 20,000 mm.",
            "{\"order_id\":\"A-10482\",\"last_scan\":\"Leipzig hub, 2026-11-27 08:14\",\"eta\":\"2026-11-28\"}",
            "Version 2.3.1 on 10.0.12.7, build 20261127-0815, tracking 00340434161094042557.",
            "Write to support@northwind.example for help.",
        ];
        for text in texts {
            assert_eq!(kinds(text), Vec::<&str>::new(), "{text}");
        }
    }
}

#[cfg(test)]
mod fuzz {
    /// A detector that panics on an odd input is a detector an attacker can switch off.
    #[test]
    fn random_text_never_panics() {
        let alphabet: Vec<char> =
            "0123456789 +-().:/@\n\tabcxyzAKIA_=%é€ü中-----BEGIN PRIVATE KEY-----eyJ.#?&![]<>\"'sk_live_GB82hxps://"
                .chars()
                .collect();
        let mut seed: u64 = 0x9E3779B97F4A7C15;
        for _ in 0..20_000 {
            let len = (seed % 60) as usize;
            let s: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    alphabet[(seed % alphabet.len() as u64) as usize]
                })
                .collect();
            let found = super::scan(&s);
            let _ = super::Redacted::new(&s, &found);
            for l in crate::link::links(&s) {
                let _ = crate::link::parse(l.url);
            }
            let _ = crate::link::parse(&s);
            let _ = crate::args::strings(&s);
        }
    }
}
