//! Values under a key that says what they are (`phone`, `telefono`, `電話番号`,
//! `tax_id`, `SecretAccessKey`), and values under a key that says they are not
//! personal data (`sku`, `tracking`, `ean`, `public_key`, `repository`): the first
//! are found with looser shapes than free text needs, the second are left alone.

use crate::checksum::luhn;
use crate::entity::{Entity, Kind};
use crate::mask;
use crate::secret::SecretKind;
use crate::structure;
use std::ops::Range;

/// What a key says its value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Phone,
    Address,
    Card,
    Iban,
    Ssn,
    AwsSecret,
    AzureKey,
    /// References, codes and public material: nothing under it is reported.
    NotPersonal,
}

/// Words of keys, in the languages of the locales the detector claims (English,
/// German, French, Spanish, Italian, Japanese), by class; the first class whose word a
/// key has wins. Words of several parts are matched as a phrase of the key's words;
/// Japanese ones as a part of the key.
const WORDS: &[(Class, &[&str])] = &[
    (
        Class::NotPersonal,
        &[
            "sku",
            "part",
            "item",
            "article",
            "artikel",
            "artikelnummer",
            "model",
            "serial",
            "order",
            "bestellnummer",
            "commande",
            "pedido",
            "ordine",
            "ref",
            "reference",
            "référence",
            "referencia",
            "codice articolo",
            "ean",
            "ean13",
            "upc",
            "gtin",
            "barcode",
            "code barre",
            "isbn",
            "tracking",
            "sendungsnummer",
            "suivi",
            "seguimiento",
            "spedizione",
            "awb",
            "invoice",
            "public",
            "publishable",
            "pubkey",
            "pk",
            "repository",
            "repo",
            "remote",
            "origin",
            "example",
            "service account",
            "client email",
            "run as",
            "品番",
            "注文",
            "追跡",
            "商品",
        ],
    ),
    (Class::AwsSecret, &["secret access key", "aws secret", "secret key"]),
    (
        Class::AzureKey,
        &["storage key", "account key", "storage account key", "primary key", "accountkey", "storagekey"],
    ),
    (
        Class::Phone,
        &[
            "phone",
            "phones",
            "telephone",
            "tel",
            "tfno",
            "mobile",
            "mob",
            "cell",
            "cellphone",
            "cellulare",
            "msisdn",
            "fax",
            "ph",
            "telefon",
            "telefonnummer",
            "handy",
            "handynummer",
            "mobil",
            "mobilnummer",
            "rufnummer",
            "festnetz",
            "téléphone",
            "portable",
            "fixe",
            "telefono",
            "teléfono",
            "movil",
            "móvil",
            "celular",
            "fijo",
            "fisso",
            "recapito",
            "callback",
            "whatsapp",
            "電話",
            "携帯",
            "ＴＥＬ",
        ],
    ),
    (
        Class::Card,
        &[
            "card",
            "cc",
            "pan",
            "creditcard",
            "kartennummer",
            "kreditkarte",
            "kreditkartennummer",
            "karte",
            "carte",
            "cb",
            "tarjeta",
            "carta",
            "visa",
            "mastercard",
            "amex",
            "カード",
        ],
    ),
    (Class::Iban, &["iban", "bank account", "bankverbindung", "kontonummer", "rib", "cuenta", "conto", "口座"]),
    (Class::Ssn, &["ssn", "social security", "tax id", "taxpayer", "tin", "ss number", "ssn#"]),
    (
        Class::Address,
        &[
            "address",
            "addr",
            "street",
            "ship to",
            "adresse",
            "anschrift",
            "strasse",
            "straße",
            "wohnadresse",
            "lieferadresse",
            "rechnungsadresse",
            "wohnort",
            "rue",
            "domicile",
            "livraison",
            "direccion",
            "dirección",
            "domicilio",
            "calle",
            "envío",
            "envio",
            "indirizzo",
            "residenza",
            "via",
            "spedire",
            "住所",
            "所在地",
            "お届け先",
            "送付先",
        ],
    ),
];

/// Values found under keys, and the ranges of values under keys of things that are
/// not personal data.
pub fn find(text: &str) -> (Vec<Entity>, Vec<Range<usize>>) {
    let (mut found, mut blocked) = (Vec::new(), Vec::new());
    for field in structure::fields(text) {
        let Some(class) = classify(field.key) else { continue };
        let value = &text[field.value.clone()];
        if class == Class::NotPersonal {
            blocked.push(field.value);
        } else if let Some(e) = entity(class, value, field.value.clone()) {
            found.push(e);
        }
    }
    (found, blocked)
}

fn classify(key: &str) -> Option<Class> {
    let words = words(key);
    let padded = format!(" {words} ");
    WORDS.iter().find_map(|(class, list)| {
        let hit =
            list.iter().any(|w| if w.is_ascii() { padded.contains(&format!(" {w} ")) } else { words.contains(w) });
        hit.then_some(*class)
    })
}

/// A key as lowercase words: `SecretAccessKey` and `secret_access_key` both give
/// `secret access key`.
fn words(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase();
        if c.is_alphanumeric() || c == '#' {
            out.extend(c.to_lowercase());
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn entity(class: Class, value: &str, range: Range<usize>) -> Option<Entity> {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let (kind, masked) = match class {
        Class::Phone if phone_shaped(value) => (Kind::Phone, mask::digits(value, 2)),
        Class::Card if card_shaped(value, &digits) => (Kind::CreditCard, mask::card(&digits)),
        Class::Iban => {
            return crate::pii::iban(value)
                .into_iter()
                .find(|e| e.range == (0..value.len()))
                .map(|e| Entity::new(e.kind, range, e.masked, 0.9));
        }
        Class::Ssn if ssn_shaped(value, &digits) => (Kind::UsSsn, format!("***-**-{}", &digits[5..])),
        Class::Address if address_shaped(value) => (Kind::StreetAddress, mask::words(value)),
        Class::AwsSecret if token_shaped(value, 40, "/+") => {
            (Kind::Secret(SecretKind::AwsSecretKey), mask::token(value))
        }
        Class::AzureKey if value.len() == 88 && value.ends_with("==") && token_shaped(&value[..86], 86, "/+") => {
            (Kind::Secret(SecretKind::AzureStorageKey), mask::token(value))
        }
        _ => return None,
    };
    Some(Entity::new(kind, range, masked, 0.85))
}

/// Digits with the separators, brackets, `+` and extension of phone numbers: 6 to 15
/// digits before the extension.
fn phone_shaped(value: &str) -> bool {
    let body = value.split(['x', 'X']).next().unwrap_or(value).split("ext").next().unwrap_or(value);
    let n = body.bytes().filter(u8::is_ascii_digit).count();
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-().//xXext".contains(c));
    allowed && (6..=15).contains(&n) && !value.trim_start().starts_with(['-', '.', '/'])
}

fn card_shaped(value: &str, digits: &str) -> bool {
    let allowed = value.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
    let same = digits.bytes().all(|b| Some(b) == digits.bytes().next());
    allowed && (12..=19).contains(&digits.len()) && luhn(digits.as_bytes()) && !same
}

/// `123-45-6789` or nine digits, in a range the SSA issues.
fn ssn_shaped(value: &str, digits: &str) -> bool {
    let allowed = value.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
    let (area, group, serial) =
        if digits.len() == 9 { (&digits[..3], &digits[3..5], &digits[5..]) } else { return false };
    allowed && !matches!(area, "000" | "666") && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// Words and a house number (or, in Japanese, the 丁目/番/号 or block numbers).
fn address_shaped(value: &str) -> bool {
    let letters = value.chars().filter(|c| c.is_alphabetic()).count();
    let digit = value.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
    let url_or_mail = value.contains('@') || value.contains("://");
    let street = digit || crate::address::names_a_street(value);
    letters >= 3 && street && value.chars().count() >= 6 && !url_or_mail
}

/// `n` characters of the base64 alphabet (letters, digits and `extra`), of mixed
/// case with digits, and not a documented example.
fn token_shaped(value: &str, n: usize, extra: &str) -> bool {
    let ok = value.len() == n && value.chars().all(|c| c.is_ascii_alphanumeric() || extra.contains(c));
    let mixed = value.bytes().any(|b| b.is_ascii_uppercase())
        && value.bytes().any(|b| b.is_ascii_lowercase())
        && value.bytes().any(|b| b.is_ascii_digit());
    ok && mixed && !value.contains("EXAMPLE")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&'static str, &str)> {
        find(text).0.into_iter().map(|e| (e.kind.id(), &text[e.range])).collect()
    }

    #[test]
    fn keys_name_their_values_in_several_languages() {
        assert_eq!(words("SecretAccessKey"), "secret access key");
        assert_eq!(kinds("telefono: 333 1234567"), [("phone", "333 1234567")]);
        assert_eq!(kinds("<電話番号>080-1701-0890</電話番号>"), [("phone", "080-1701-0890")]);
        assert_eq!(kinds("tax_id,name\n683194788,Jo\n"), [("us-ssn", "683194788")]);
        assert_eq!(kinds("iban,name\nGB82WEST12345698765432,Jo\n"), [("iban", "GB82WEST12345698765432")]);
        assert_eq!(kinds("{\"adresse\": \"8, rue Jeanne Henry\"}"), [("street-address", "8, rue Jeanne Henry")]);
        let aws = r#"{"SecretAccessKey": "c6jpbui+J+g/R9r1sw0IBC0xnjx74bCTf1DFkp7l"}"#;
        assert_eq!(kinds(aws)[0].0, "secret-aws-secret-key");
    }

    #[test]
    fn references_codes_and_examples_are_left_alone() {
        let (found, blocked) = find("sku: 424-01-9206\ntracking: 9400 1000 0000 0000 0000 00\ncustomer: Jo");
        assert!(found.is_empty());
        assert_eq!(blocked.len(), 2);
        assert_eq!(kinds("adresse: rue Chevalier"), [("street-address", "rue Chevalier")]);
        assert!(kinds("address: see below").is_empty());
        assert!(kinds("tel: call me").is_empty() && kinds("ssn: 912-12-3456").is_empty());
        assert!(kinds("aws_secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY").is_empty());
    }
}
