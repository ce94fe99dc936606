//! Masks: enough of a datum to recognise it in a report, never enough to use it.

/// Longest run of `*` a mask writes; longer data say how much was cut instead.
const MAX_STARS: usize = 16;

/// `jane.doe@example.com` → `j***@e***.com`: first letter of the local part and of
/// the domain, and the top-level domain.
pub fn email(address: &str) -> String {
    let (local, domain) = address.split_once('@').unwrap_or((address, ""));
    let tld = domain.rsplit_once('.').map_or("", |(_, tld)| tld);
    format!("{}***@{}***.{tld}", first(local), first(domain))
}

/// Every digit but the last `keep` replaced by `*`, separators kept:
/// `+49 40 555 0142` → `+** ** *** **42`.
pub fn digits(value: &str, keep: usize) -> String {
    let total = value.bytes().filter(u8::is_ascii_digit).count();
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen > total.saturating_sub(keep) { c } else { '*' }
        })
        .collect()
}

/// A card number (digits only) as `4111 **** **** 1111`: the first four and last
/// four digits, the rest starred in groups of four.
pub fn card(digits: &str) -> String {
    let n = digits.len();
    let stars: Vec<String> = (0..n - 8).collect::<Vec<_>>().chunks(4).map(|c| "*".repeat(c.len())).collect();
    format!("{} {} {}", &digits[..4], stars.join(" "), &digits[n - 4..])
}

/// An IBAN (no spaces) as `GB82 **** **** 5432`: the country and check digits, and
/// the last four characters.
pub fn iban(iban: &str) -> String {
    let n = iban.len();
    format!("{} {} {}", &iban[..4], stars(n - 8), &iban[n - 4..])
}

/// A token: its first four characters (a public prefix such as `AKIA` or `ghp_`)
/// and, when it is long enough not to give much away, its last four:
/// `AKIAIOSFODNN7EXAMPLE` → `AKIA************MPLE`.
pub fn token(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let n = chars.len();
    if n < 12 {
        return stars(n);
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = if n >= 20 { chars[n - 4..].iter().collect() } else { String::new() };
    format!("{head}{}{tail}", stars(n - head.len() - tail.len()))
}

/// Each word's first character, the rest starred: `12 Crown Street` → `1* C**** S*****`.
pub fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        let alnum = c.is_alphanumeric();
        out.push(if alnum && in_word { '*' } else { c });
        in_word = alnum;
    }
    out
}

/// `n` stars, or a count when that would be long.
pub fn stars(n: usize) -> String {
    if n > MAX_STARS { format!("*[{n}]*") } else { "*".repeat(n) }
}

fn first(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_identifies_the_kind() {
        assert_eq!(email("jane.doe@example.com"), "j***@e***.com");
        assert_eq!(digits("+49 40 555 0142", 2), "+** ** *** **42");
        assert_eq!(card("4111111111111111"), "4111 **** **** 1111");
        assert_eq!(card("378282246310005"), "3782 **** *** 0005");
        assert_eq!(iban("GB82WEST12345698765432"), "GB82 ************** 5432");
        assert_eq!(token("AKIAIOSFODNN7EXAMPLE"), "AKIA************MPLE");
        assert_eq!(token("short"), "*****");
        assert_eq!(words("12 Crown Street"), "1* C**** S*****");
        assert_eq!(stars(40), "*[40]*");
    }
}
