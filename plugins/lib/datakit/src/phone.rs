//! Telephone numbers, in the many national formats they come in.
//!
//! A run of digit groups is a phone number when its format alone says so (an
//! international `+` prefix, or the North American `(415) 555-0134` shapes), when
//! a word beside it does ("Phone:", "call me at", "… fax"), or when it is in national
//! format and valid in the numbering plan of a region the detector claims
//! ([`region`]: libphonenumber's metadata). Runs that are dates,
//! times, IP addresses, amounts or parts of references are not. An organisation's
//! own line ("call us on", "our hotline") is a published contact, not personal data.

use crate::checksum;
use crate::entity::{Entity, Kind};
use crate::mask;
use crate::pii::{free_after, free_before};
use regex::Regex;
use std::sync::LazyLock;

mod metadata;
mod plan;
mod region;

/// Digit groups with the separators and brackets phone numbers use, and an extension.
static CANDIDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\+|\b00|\b)?\(?\d[\d().\- ]{5,24}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?").unwrap());
static NORTH_AMERICAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:\+?1|001)[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])\d{3}[ .-]\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,6})?$",
    )
    .unwrap()
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])|(?:0?[1-9]|[12]\d|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)\d{2})").unwrap()
});
static IP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\d{1,3}(?:\.\d{1,3}){3}$").unwrap());
/// Words that say the number beside them is a phone number: before it …
static LABEL_BEFORE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:phone|phones|tel|telephone|mobile|mob|cell|cellphone|fax|desk|office|call|calling|called|ring|reach|text|sms|whatsapp|dial|contact|hotline|helpline|landline|answering|messages|registered|callback|telefon|tel|handy|mobil|anrufen|erreichen|erreichbar|téléphone|tél|portable|joindre|joignable|appelez|appeler|rappelez|teléfono|telefono|móvil|movil|llamar|llame|llama|cellulare|chiamare|chiama|richiamare|raggiungibile|contatta|numero)\b|電話|携帯|連絡").unwrap()
});
/// … or after it (`416 60 039 office`, `788-063-Office`).
static LABEL_AFTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^[\s,;:\-]{0,3}(?:office|fax|mobile|cell|home|work|desk|tel|phone|landline|erreichbar|as a (?:callback|contact) number)\b|^\s*(?:まで|へ)").unwrap()
});
/// The close of a letter or mail, in the languages the detector claims: the lines
/// after it are a signature, where a number alone on its line is a phone number.
static SIGN_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?im)^\s*(?:(?:best|kind|warm|many)?\s*regards|thanks|thank you|cheers|sincerely|yours|mit freundlichen grüßen|viele grüße|beste grüße|liebe grüße|mfg|cordialement|bien à vous|bonne journée|salutations|saludos|atentamente|un saludo|gracias|cordiali saluti|saluti|distinti saluti|grazie)\b[^\n]{0,20}$|よろしくお願い").unwrap()
});
/// Words for a reference, code or account that, right before a run of digits, say it
/// is not a phone number: `order 0114 496 0052`, `EAN: 036000291452`, `注文 0312345678`.
/// A list, not a pattern: compiling a pattern of them would cost more than all the
/// numbering plans on a plugin's first call.
const REFERENCE_WORDS: &[&str] = &[
    "sku",
    "part",
    "item",
    "article",
    "artikel",
    "model",
    "serial",
    "order",
    "ref",
    "reference",
    "référence",
    "referencia",
    "riferimento",
    "invoice",
    "rechnung",
    "facture",
    "factura",
    "fattura",
    "ean",
    "upc",
    "gtin",
    "barcode",
    "isbn",
    "tracking",
    "suivi",
    "seguimiento",
    "spedizione",
    "awb",
    "parcel",
    "shipment",
    "account",
    "konto",
    "compte",
    "cuenta",
    "conto",
    "id",
    "番号",
    "品番",
    "注文",
];
/// An organisation's own line: "our phone line", "call us on".
static OWN_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bour\b|\b(?:call|contact|reach|phone|ring|text|dial) us\b").unwrap());

/// Phone numbers in `text`.
pub fn find(text: &str) -> Vec<Entity> {
    CANDIDATE.find_iter(text).filter_map(|m| check(text, m.start(), m.as_str().trim_end())).collect()
}

fn check(text: &str, start: usize, candidate: &str) -> Option<Entity> {
    let end = start + candidate.len();
    let digits = candidate.split(['x', 'e']).next()?.bytes().filter(u8::is_ascii_digit).count();
    // `788-063-Office`: a label may hang on with a dash.
    let free = free_before(text, start) && (free_after(text, end) || LABEL_AFTER.is_match(head(&text[end..], 40)));
    let shaped = (7..=15).contains(&digits) && well_formed(candidate) && free;
    if !shaped || not_a_phone(text, start, end, candidate) || OWN_LINE.is_match(sentence_before(text, start)) {
        return None;
    }
    let strong = (candidate.starts_with('+') && digits >= 8) || NORTH_AMERICAN.is_match(candidate);
    let confidence = if labelled(text, start, end) {
        0.85
    } else if strong {
        0.75
    } else if valid_national(text, start, candidate) {
        0.7
    } else {
        return None;
    };
    Some(Entity::new(Kind::Phone, start..end, mask::digits(candidate, 2), confidence))
}

/// A number in national format, its trunk prefix first, that is valid in one of the
/// regions the detector claims (libphonenumber's numbering plans), and neither a
/// barcode (an ungrouped run with a GTIN check digit) nor a reference a word names.
fn valid_national(text: &str, start: usize, candidate: &str) -> bool {
    let body = candidate.split(['x', 'e']).next().unwrap_or(candidate);
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    let barcode = digits.len() == body.len() && checksum::gtin(digits.as_bytes());
    let named = reference_before(tail(&text[..start], 30));
    !candidate.starts_with('+') && !barcode && !named && region::regions_of(&digits).next().is_some()
}

/// Whether the word that ends `before`, but for up to three separators, names a
/// reference ([`REFERENCE_WORDS`]).
fn reference_before(before: &str) -> bool {
    let word_end = before.trim_end_matches(|c: char| !c.is_alphanumeric());
    let word = word_end.rsplit(|c: char| !c.is_alphanumeric()).next().unwrap_or_default().to_lowercase();
    let near = before.len() - word_end.len() <= 3;
    near && REFERENCE_WORDS.iter().any(|w| word == *w || (!w.is_ascii() && word.ends_with(w)))
}

/// Brackets balanced and leading, no doubled separators, groups of sane length.
fn well_formed(candidate: &str) -> bool {
    let opens = candidate.matches('(').count();
    let brackets_ok = opens == candidate.matches(')').count()
        && opens <= 1
        && candidate.find('(').is_none_or(|i| i < candidate.find(')').unwrap_or(0) && i <= 4);
    let body = candidate.split(['x', 'e']).next().unwrap_or(candidate);
    let doubled = body.as_bytes().windows(2).any(|w| matches!(w, [b' ' | b'-' | b'.', b' ' | b'-' | b'.']));
    let kinds: Vec<char> = {
        let mut seps: Vec<char> = body.chars().filter(|c| matches!(c, '-' | '.')).collect();
        seps.dedup();
        seps
    };
    brackets_ok && !doubled && kinds.len() <= 1
}

/// Dates, times, IP addresses and dotted numbers that only look like phone numbers.
fn not_a_phone(text: &str, start: usize, end: usize, candidate: &str) -> bool {
    let bare = candidate.trim_start_matches('+');
    let time_after = text[end..].starts_with(':') && text[end + 1..].starts_with(|c: char| c.is_ascii_digit());
    let time_before = text[..start].ends_with(':') && text[..start - 1].ends_with(|c: char| c.is_ascii_digit());
    DATE.is_match(bare) || IP.is_match(bare) || time_after || time_before
}

/// A phone label on the same line, or alone on the line before (`Phone:\n…`). Only
/// the 80 bytes around the number are looked at, so that a long text without line
/// breaks costs linear time.
fn labelled(text: &str, start: usize, end: usize) -> bool {
    let near = tail(&text[..start], 80);
    let line = near.rsplit('\n').next().unwrap_or_default();
    let mut before = line;
    if line.trim().is_empty() {
        let prev = near.rsplit('\n').nth(1).unwrap_or_default().trim_end();
        before = if prev.ends_with(':') { prev } else { "" };
    }
    let after_line = head(&text[end..], 40).split('\n').next().unwrap_or_default();
    let alone = line.trim().is_empty() && after_line.trim().is_empty();
    let signed = alone && SIGN_OFF.is_match(tail(&text[..start], 300));
    LABEL_BEFORE.is_match(tail(before, 40)) || LABEL_AFTER.is_match(after_line) || signed
}

/// The text from the start of the sentence (or 80 bytes back) to `at`.
fn sentence_before(text: &str, at: usize) -> &str {
    let window = tail(&text[..at], 80);
    let cut = window.rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
    &window[cut..]
}

/// The first `n` bytes of `s`, narrowed to a character boundary.
fn head(s: &str, n: usize) -> &str {
    let mut to = n.min(s.len());
    while !s.is_char_boundary(to) {
        to -= 1;
    }
    &s[..to]
}

/// The last `n` bytes of `s`, widened to a character boundary.
fn tail(s: &str, n: usize) -> &str {
    let mut from = s.len().saturating_sub(n);
    while !s.is_char_boundary(from) {
        from += 1;
    }
    &s[from..]
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    crate::union::force(&[&CANDIDATE, &NORTH_AMERICAN, &DATE, &IP, &LABEL_BEFORE, &LABEL_AFTER, &SIGN_OFF, &OWN_LINE]);
    region::warm_up();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|e| &text[e.range]).collect()
    }

    #[test]
    fn international_and_north_american_formats_stand_alone() {
        assert_eq!(found("reach Dana on +44 7700 900123 tonight"), ["+44 7700 900123"]);
        assert_eq!(found("it was (415) 555-0134 and 212.555.0188x12."), ["(415) 555-0134", "212.555.0188x12"]);
    }

    #[test]
    fn other_formats_need_a_label() {
        assert_eq!(found("Phone:\n467 3395\n"), ["467 3395"]);
        assert_eq!(found("They're not answering at 78 651 450"), ["78 651 450"]);
        assert_eq!(found("416 60 039 office\n(37) 788-063-Office"), ["416 60 039", "(37) 788-063"]);
        assert!(found("Hungary 34796\n55470 72 Acheron Road").is_empty());
        assert_eq!(found("Paul ist unter 0171 2345678 erreichbar."), ["0171 2345678"]);
        assert_eq!(found("Puoi chiamare Anna al 3311809223."), ["3311809223"]);
        assert_eq!(found("鈴木さんの電話は080-2879-3743です。"), ["080-2879-3743"]);
        assert_eq!(found("Merci.\n\nCordialement,\nChantal\n04 97 02 93 16\n"), ["04 97 02 93 16"]);
        assert!(found("Chantal\n00 97 02 93 16\n").is_empty(), "no sign-off, valid nowhere");
    }

    #[test]
    fn national_numbers_valid_in_a_claimed_region_stand_alone() {
        assert_eq!(found("Priya Shah, 01144 960052, and Raj, 09876 543210."), ["01144 960052", "09876 543210"]);
        assert!(found("batch 01000 000000, lot 01009 876543").is_empty(), "valid in no region");
        assert!(found("the scanner read 036000291452 twice").is_empty(), "a barcode");
        assert!(found("order 0114 496 0052 shipped; 注文 0312345678").is_empty(), "references");
    }

    #[test]
    fn dates_times_addresses_and_own_lines_are_not_phones() {
        let texts = [
            "Date: 1978-04-13 12:20:39",
            "call back on 2026-11-28 please",
            "the server 192.168.100.201 answers calls",
            "Our phone line is open 9:00 to 18:00 CET on +49 40 555 0142.",
            "Call us at (415) 555-0134.",
            "order A-1048 2231 99 phone",
        ];
        for text in texts {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
