//! Personal data with a fixed format: email addresses, payment cards, IBANs, SSNs.

use crate::checksum::{iban_length, iban_mod97, luhn};
use crate::entity::{Entity, Kind};
use crate::mask;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    Regex::new(&format!(r"[A-Za-z0-9._%+-]{{1,64}}@{label}(?:\.{label})*\.[A-Za-z]{{2,24}}(?-u:\b)")).unwrap()
});

/// Mailboxes of a role, not a person: an organisation's published contacts.
const ROLE_ACCOUNTS: &[&str] = &[
    "support",
    "help",
    "helpdesk",
    "info",
    "contact",
    "hello",
    "sales",
    "service",
    "customerservice",
    "care",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "privacy",
    "security",
    "abuse",
    "postmaster",
    "hostmaster",
    "webmaster",
    "billing",
    "orders",
    "returns",
    "press",
    "careers",
    "jobs",
    "feedback",
    "newsletter",
    "notifications",
    "hr",
    "admin",
    "team",
    "office",
    "kontakt",
    "contacto",
    "contatti",
    "accounts",
    "payable",
    "receivable",
    "it",
    "devops",
    "ops",
    "recruiting",
    "events",
    "marketing",
    "legal",
    "finance",
    "reception",
    "git",
    "root",
    "mailer-daemon",
];

/// Whether an email address is at a domain reserved for documentation and testing
/// (RFC 2606, RFC 6761: `example.com/.net/.org`, `.example`, `.test`, `.invalid`,
/// `.localhost`), where no person's mailbox is. Not applied by [`crate::scan`]: test
/// fixtures use such addresses for people; a detector decides.
pub fn documentation_address(email: &str) -> bool {
    let d = email.rsplit('@').next().unwrap_or_default().to_ascii_lowercase();
    let reserved = ["example", "test", "invalid", "localhost", "local"];
    let tld = d.rsplit('.').next().unwrap_or_default();
    let example =
        ["example.com", "example.org", "example.net"].iter().any(|e| d == *e || d.ends_with(&format!(".{e}")));
    reserved.contains(&tld) || example
}

/// Cloud service accounts: machines, not people.
fn service_domain(domain: &str) -> bool {
    domain.to_ascii_lowercase().ends_with(".gserviceaccount.com")
}

/// A role's mailbox: every part of the local part (split at `.`, `-`, `_`) is a role
/// word or a short region code (`sales-eu`), or a configured role mailbox.
fn role_local(local: &str) -> bool {
    let parts: Vec<&str> = local.split(['.', '-', '_']).filter(|p| !p.is_empty()).collect();
    ROLE_ACCOUNTS.contains(&local)
        || (!parts.is_empty() && parts.iter().all(|p| ROLE_ACCOUNTS.contains(p) || p.len() == 2 && parts.len() > 1))
        || local.starts_with("svc-")
        || local.starts_with("svc_")
}

/// Email addresses of people.
pub fn email(text: &str) -> Vec<Entity> {
    let found = EMAIL.find_iter(text).filter(|m| starts_clean(text, m.start()));
    found
        .filter(|m| {
            let (local, domain) = m.as_str().split_once('@').unwrap_or_default();
            let local = local.to_ascii_lowercase();
            let local = local.split('+').next().unwrap_or_default();
            let remote = text[m.end()..].starts_with(':') || text[..m.start()].ends_with("://");
            !role_local(local) && !service_domain(domain) && !remote
        })
        .map(|m| Entity::new(Kind::Email, m.range(), mask::email(m.as_str()), 0.9))
        .collect()
}

static CARD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d(?:[ -]?\d){11,18}").unwrap());
static CARD_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:card|cc|credit|debit|visa|master ?card|amex|payment|pan)\b").unwrap());

/// Payment card numbers: 12 to 19 digits, ungrouped or in the groups cards print,
/// Luhn-valid, and from an issuer's range or next to a word like "card".
pub fn credit_card(text: &str) -> Vec<Entity> {
    // Isolation is checked on the number that validates: "4111 1111 1111 1111 12/27"
    // runs on into the expiry date.
    CARD.find_iter(text).filter_map(|m| card_at(text, m.start(), m.as_str())).collect()
}

/// The longest run of leading groups of `candidate` that makes a valid card number.
fn card_at(text: &str, start: usize, candidate: &str) -> Option<Entity> {
    let groups: Vec<&str> = candidate.split([' ', '-']).collect();
    let separators: Vec<char> = candidate.chars().filter(|c| !c.is_ascii_digit()).collect();
    if separators.windows(2).any(|w| w[0] != w[1]) {
        return None;
    }
    (1..=groups.len()).rev().find_map(|n| {
        let digits = groups[..n].concat();
        let len = groups[..n].iter().map(|g| g.len()).sum::<usize>() + n - 1;
        let valid = (12..=19).contains(&digits.len())
            && printed_grouping(&groups[..n])
            && luhn(digits.as_bytes())
            && !digits.bytes().all(|b| b == digits.as_bytes()[0])
            && (issuer_prefix(&digits) || near(text, start, &CARD_CONTEXT, 40));
        if !valid {
            return None;
        }
        let end = start + len;
        let confidence = if issuer_prefix(&digits) { 0.95 } else { 0.8 };
        isolated(text, start..end).then(|| Entity::new(Kind::CreditCard, start..end, mask::card(&digits), confidence))
    })
}

/// Card numbers are printed whole, in fours, or 4-6-4/4-6-5 (Amex, Diners); other
/// groupings are phone numbers or references.
fn printed_grouping(groups: &[&str]) -> bool {
    let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    match sizes.as_slice() {
        [_] => true,
        [4, 6, 4] | [4, 6, 5] => true,
        [init @ .., last] => init.iter().all(|&s| s == 4) && (1..=4).contains(last),
        [] => false,
    }
}

/// The issuer ranges of the card networks, with the lengths each issues: (digits of the
/// prefix, first, last, shortest, longest card number), from the networks' published
/// ranges (Visa, Mastercard, Amex, Discover, Diners, JCB, UnionPay, Maestro, Mir,
/// RuPay, and JCB's and UATP's older 15-digit ranges).
#[rustfmt::skip]
const ISSUERS: &[(usize, u32, u32, usize, usize)] = &[
    (1, 4, 4, 13, 19),                                          // Visa
    (2, 51, 55, 16, 16), (4, 2221, 2720, 16, 16),               // Mastercard
    (2, 34, 34, 15, 15), (2, 37, 37, 15, 15),                   // American Express
    (4, 6011, 6011, 16, 19), (3, 644, 649, 16, 19), (2, 65, 65, 16, 19), // Discover, RuPay
    (3, 300, 305, 14, 19), (4, 3095, 3095, 14, 19), (2, 36, 36, 14, 19), (2, 38, 39, 14, 19), // Diners
    (4, 3528, 3589, 16, 19), (4, 1800, 1800, 15, 15), (4, 2131, 2131, 15, 15), // JCB
    (2, 62, 62, 16, 19), (2, 81, 82, 16, 19),                   // UnionPay, RuPay
    (2, 50, 50, 12, 19), (2, 56, 69, 12, 19),                   // Maestro and national schemes
    (4, 2200, 2204, 16, 16),                                    // Mir
];

/// Whether the number is in an issuer range of a card network, at a length that
/// network issues: a Luhn-valid 16-digit number starting 34 is not an Amex card.
fn issuer_prefix(d: &str) -> bool {
    ISSUERS.iter().any(|&(digits, first, last, shortest, longest)| {
        let prefix = d.get(..digits).and_then(|p| p.parse::<u32>().ok());
        prefix.is_some_and(|p| (first..=last).contains(&p)) && (shortest..=longest).contains(&d.len())
    })
}

static SSN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b(\d{3})([- ]?)(\d{2})([- ]?)(\d{4})\b").unwrap());
static SSN_CONTEXT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:ssn|ss#|social security|social-security|taxpayer)\b").unwrap());

/// US social security numbers: `123-45-6789` (or with spaces, or bare beside "SSN"),
/// outside the ranges never issued (area 000, 666, 900–999; group 00; serial 0000)
/// and not one of the numbers printed in advertisements.
pub fn us_ssn(text: &str) -> Vec<Entity> {
    let found = SSN.captures_iter(text).filter_map(|c| {
        let all = c.get(0)?;
        let (area, group, serial) = (&c[1], &c[3], &c[5]);
        let dashed = !c[2].is_empty() && c[2] == c[4];
        let bare = c[2].is_empty() && c[4].is_empty();
        let shaped = dashed || (bare && near(text, all.start(), &SSN_CONTEXT, 40));
        let issued = !matches!(area, "000" | "666") && !area.starts_with('9') && group != "00" && serial != "0000";
        let advertised = matches!(all.as_str(), "078-05-1120" | "219-09-9999" | "123-45-6789");
        let ok = shaped && issued && !advertised && isolated(text, all.range());
        ok.then(|| Entity::new(Kind::UsSsn, all.range(), format!("***-**-{serial}"), if dashed { 0.85 } else { 0.7 }))
    });
    found.collect()
}

static IBAN_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b[A-Za-z]{2}\d{2}").unwrap());

/// IBANs: a registered country code, the country's length, mod-97-valid; written
/// whole or in groups of four, in one case.
pub fn iban(text: &str) -> Vec<Entity> {
    IBAN_START.find_iter(text).filter_map(|m| iban_at(text, m.start())).collect()
}

fn iban_at(text: &str, start: usize) -> Option<Entity> {
    let country = text[start..start + 2].to_ascii_uppercase();
    let want = iban_length(&country)?;
    let mut compact = String::with_capacity(want);
    let mut end = start;
    for (i, c) in text[start..].char_indices() {
        if compact.len() == want {
            break;
        }
        match c {
            c if c.is_ascii_alphanumeric() => compact.push(c),
            ' ' if compact.len().is_multiple_of(4) => continue,
            _ => return None,
        }
        end = start + i + 1;
    }
    let letters = compact.bytes().filter(u8::is_ascii_alphabetic);
    let one_case = letters.clone().all(|b| b.is_ascii_uppercase()) || letters.clone().all(|b| b.is_ascii_lowercase());
    let upper = compact.to_ascii_uppercase();
    let ok = compact.len() == want && one_case && iban_mod97(&upper) && isolated(text, start..end);
    ok.then(|| Entity::new(Kind::Iban, start..end, mask::iban(&upper), 0.95))
}

/// Whether `range` is a token of its own: not glued to letters or digits, nor part
/// of a reference such as `A-1048` or `v2.3.1` or a URL path.
pub(crate) fn isolated(text: &str, range: Range<usize>) -> bool {
    free_before(text, range.start) && free_after(text, range.end)
}

/// Nothing before `at` continues the token: a letter, a digit, or a joiner after one.
pub(crate) fn free_before(text: &str, at: usize) -> bool {
    let mut before = text[..at].chars().rev();
    let (c1, c2) = (before.next(), before.next());
    let joiner = |c: Option<char>| c.is_some_and(|c| matches!(c, '-' | '.' | '/' | '+' | '@' | '$' | '€' | '£'));
    !glued(c1) && !(joiner(c1) && (glued(c2) || c1 == Some('+')))
}

/// Nothing after `at` continues the token: a letter, a digit, or a joiner before one.
pub(crate) fn free_after(text: &str, at: usize) -> bool {
    let mut after = text[at..].chars();
    let (c1, c2) = (after.next(), after.next());
    let joiner = c1.is_some_and(|c| matches!(c, '-' | '.' | '/' | ','));
    !(glued(c1) || joiner && glued(c2))
}

/// Whether `c` continues a token. Chinese and Japanese write no spaces between words,
/// so their characters do not: `電話は080-1234-5678です`.
fn glued(c: Option<char>) -> bool {
    let cjk = |c: char| matches!(c, '\u{3000}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}');
    c.is_some_and(|c| (c.is_alphanumeric() && !cjk(c)) || c == '_')
}

/// Whether the email regex's match starts at a token start (not mid-word).
fn starts_clean(text: &str, start: usize) -> bool {
    text[..start].chars().next_back().is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '.'))
}

/// Whether `context` matches in the `window` bytes before `at`.
pub(crate) fn near(text: &str, at: usize, context: &Regex, window: usize) -> bool {
    let mut from = at.saturating_sub(window);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    context.is_match(&text[from..at])
}

/// Build this module's tables now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn warm_up() {
    crate::union::force(&[&EMAIL, &CARD, &CARD_CONTEXT, &SSN, &SSN_CONTEXT, &IBAN_START]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masks(found: Vec<Entity>) -> Vec<String> {
        found.into_iter().map(|e| e.masked).collect()
    }

    #[test]
    fn emails_of_people_not_of_roles() {
        assert_eq!(masks(email("write to Jane.Doe+shop@mail.example.co.uk today")), ["J***@m***.uk"]);
        assert!(email("write to support@northwind.example or no-reply@x.example").is_empty());
        for other in ["accounts-payable@acme.de", "sales-eu@acme.de", "ci@p-1.iam.gserviceaccount.com"] {
            assert!(email(other).is_empty(), "{other}");
        }
        assert_eq!(masks(email("メールはkaori14@gmail.comです")), ["k***@g***.com"]);
        assert!(email("git@github.com:acme/web.git and ssh://git@bitbucket.org/a/b.git").is_empty());
        assert!(documentation_address("jane.doe@example.com") && documentation_address("a@shop.test"));
        assert!(!documentation_address("jane.doe@examples.de"));
    }

    #[test]
    fn cards_need_luhn_and_a_printed_grouping() {
        assert_eq!(masks(credit_card("card 4111 1111 1111 1111 exp 12/27")), ["4111 **** **** 1111"]);
        assert_eq!(masks(credit_card("amex 3782-822463-10005.")), ["3782 **** *** 0005"]);
        assert!(credit_card("4111 1111 1111 1112").is_empty(), "fails Luhn");
        assert!(credit_card("call 21 284 698 2548").is_empty(), "phone grouping");
        assert!(credit_card("ref A-4111111111111111").is_empty(), "part of a reference");
        assert!(credit_card("0000000000000000").is_empty());
        assert_eq!(credit_card("credit card 060426070011").len(), 1, "unknown issuer, but named a card");
    }

    #[test]
    fn an_issuer_range_counts_only_at_the_lengths_its_network_issues() {
        assert!(credit_card("ref 3400000000000000").is_empty(), "Amex numbers have 15 digits, not 16");
        assert_eq!(credit_card("card 3400000000000000").len(), 1, "named a card, any issuer");
        assert!(credit_card("batch 411111111117").is_empty(), "Visa numbers have 13 to 19 digits");
        assert_eq!(masks(credit_card("ref 378282246310005")), ["3782 **** *** 0005"]);
    }

    #[test]
    fn ssns_outside_the_unissued_ranges() {
        assert_eq!(masks(us_ssn("Here's my SSN: 460-89-9847")), ["***-**-9847"]);
        assert_eq!(us_ssn("SSN 460899847").len(), 1);
        for bad in ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "123-45-6789"] {
            assert!(us_ssn(bad).is_empty(), "{bad}");
        }
        assert!(us_ssn("order 460899847").is_empty(), "bare digits need context");
        assert!(us_ssn("460-89-98470").is_empty());
    }

    #[test]
    fn ibans_are_checked_by_country_length_and_mod97() {
        assert_eq!(masks(iban("My IBAN is GB82 WEST 1234 5698 7654 32, thanks")), ["GB82 ************** 5432"]);
        assert_eq!(iban("from gb82west12345698765432 to").len(), 1);
        assert!(iban("GB82WEST12345698765433").is_empty(), "bad check digits");
        assert!(iban("GB82WEST123456987654321").is_empty(), "too long");
        assert!(iban("Gb82WeSt12345698765432").is_empty(), "mixed case");
    }
}
