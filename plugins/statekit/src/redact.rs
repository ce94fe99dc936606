//! Masking personal data and secrets in evidence: a finding's excerpt must show where
//! the cause lies without repeating an address, a card number or a key in clear.

/// `text` with e-mail addresses (`j***@e***.com`), card-like numbers of 13 to 19
/// digits (`4111 **** **** 1111`) and key-like tokens (`AKIA************MPLE`: 20
/// characters or more mixing letters and digits) masked; everything else unchanged.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_alphanumeric()) {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let (masked, used) = card(rest).or_else(|| email(rest)).unwrap_or_else(|| token(rest));
        out.push_str(&masked);
        rest = &rest[used..];
    }
    out.push_str(rest);
    out
}

/// A card-like run at the start: digits, single spaces or dashes between them.
fn card(text: &str) -> Option<(String, usize)> {
    let mut end = 0;
    let mut digits = 0;
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() {
            digits += 1;
            end = i + 1;
        } else if !(matches!(c, ' ' | '-') && end == i) {
            break;
        }
    }
    if !(13..=19).contains(&digits) || text[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut seen = 0;
    let masked = text[..end].chars().map(|c| {
        if !c.is_ascii_digit() {
            return c;
        }
        seen += 1;
        if seen <= 4 || seen > digits - 4 { c } else { '*' }
    });
    Some((masked.collect(), end))
}

/// An e-mail address at the start.
fn email(text: &str) -> Option<(String, usize)> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let at = text.find(|c: char| !is_part(c)).filter(|&i| text[i..].starts_with('@'))?;
    let domain_len = text[at + 1..].find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-')));
    let domain = text[at + 1..at + 1 + domain_len.unwrap_or(text.len() - at - 1)].trim_end_matches('.');
    let (host, tld) = domain.rsplit_once('.')?;
    let (first, host_first) = (text.chars().next()?, host.chars().next()?);
    Some((format!("{first}***@{host_first}***.{tld}"), at + 1 + domain.len()))
}

/// A word (letters, digits, `_`, `-`) at the start, masked when it looks like a key.
fn token(text: &str) -> (String, usize) {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))).unwrap_or(text.len());
    let word = &text[..end];
    let mixed = word.bytes().any(|b| b.is_ascii_digit()) && word.bytes().any(|b| b.is_ascii_alphabetic());
    if word.len() >= 20 && mixed {
        return (format!("{}{}{}", &word[..4], "*".repeat(word.len() - 8), &word[word.len() - 4..]), end);
    }
    (word.to_owned(), end)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn personal_data_and_keys_are_masked() {
        assert_eq!(redact("mail jane.doe@example.com now"), "mail j***@e***.com now");
        assert_eq!(redact("card 4111 1111 1111 1111, thanks"), "card 4111 **** **** 1111, thanks");
        assert_eq!(redact("key AKIAIOSFODNN7EXAMPLE."), "key AKIA************MPLE.");
    }

    #[test]
    fn ordinary_text_is_unchanged() {
        for text in ["For SKU NW-10231, give the spec sheet", "order A-10482 of 2026-11-27", "größe 42 — ok", ""] {
            assert_eq!(redact(text), text);
        }
        assert_eq!(redact("call 030 1234 5678"), "call 030 1234 5678", "eleven digits are a phone number");
    }
}
