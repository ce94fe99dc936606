//! Check digits of the identifiers that carry one.

/// The Luhn check (ISO/IEC 7812) over ASCII digits: payment card numbers pass it.
pub fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 { if d > 4 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The GS1 check digit of a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14) over ASCII digits:
/// weights 3 and 1 from the right, the last digit making the sum a multiple of 10.
pub fn gtin(digits: &[u8]) -> bool {
    let weighted = |(i, d): (usize, &u8)| u32::from(d - b'0') * if i % 2 == 1 { 3 } else { 1 };
    let sized = matches!(digits.len(), 8 | 12 | 13 | 14) && digits.iter().all(u8::is_ascii_digit);
    sized && digits.iter().rev().enumerate().map(weighted).sum::<u32>().is_multiple_of(10)
}

/// The ISO 13616 check of an IBAN (uppercase, no spaces): the country code and check
/// digits moved to the end, letters as 10..35, the number modulo 97 is 1.
pub fn iban_mod97(iban: &str) -> bool {
    let (head, tail) = iban.split_at(4.min(iban.len()));
    let mut rest = 0u32;
    for c in tail.chars().chain(head.chars()) {
        let Some(value) = c.to_digit(36) else { return false };
        rest = if value < 10 { (rest * 10 + value) % 97 } else { (rest * 100 + value) % 97 };
    }
    rest == 1
}

/// Length of the IBAN of each country in the SWIFT IBAN registry.
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
    ("BH", 22), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22),
    ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FO", 18), ("FR", 27),
    ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28),
    ("IE", 22), ("IL", 23), ("IQ", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20),
    ("LB", 28), ("LC", 32), ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("LY", 25), ("MC", 27),
    ("MD", 24), ("ME", 22), ("MK", 19), ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18), ("NO", 15),
    ("PK", 24), ("PL", 28), ("PS", 29), ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("SA", 24),
    ("SC", 31), ("SE", 24), ("SI", 19), ("SK", 24), ("SM", 27), ("ST", 25), ("SV", 28), ("TL", 23),
    ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
];

/// The IBAN length of a country, by its uppercase ISO code.
pub fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS.iter().find(|(c, _)| *c == country).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gtin_accepts_barcodes() {
        assert!(gtin(b"4006381333931") && gtin(b"036000291452") && gtin(b"96385074"));
        assert!(!gtin(b"4006381333932") && !gtin(b"01144960052"));
    }

    #[test]
    fn luhn_accepts_test_cards_and_rejects_typos() {
        assert!(luhn(b"4111111111111111"));
        assert!(luhn(b"378282246310005"));
        assert!(!luhn(b"4111111111111112"));
    }

    #[test]
    fn mod97_accepts_registry_examples() {
        assert!(iban_mod97("GB82WEST12345698765432"));
        assert!(iban_mod97("DE89370400440532013000"));
        assert!(!iban_mod97("GB82WEST12345698765433"));
        assert_eq!(iban_length("DE"), Some(22));
        assert_eq!(iban_length("US"), None);
    }
}
