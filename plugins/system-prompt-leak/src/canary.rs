//! Canary tokens: strings planted in a system prompt that must never leave it.

use std::ops::Range;

/// Shortest canary accepted: shorter ones turn up in ordinary text.
pub const MIN_LEN: usize = 6;

/// Where `token` first occurs in `text`, ignoring ASCII case.
pub fn find(text: &str, token: &str) -> Option<Range<usize>> {
    let at = text.to_ascii_lowercase().find(&token.to_ascii_lowercase())?;
    Some(at..at + token.len())
}

/// `token` masked for evidence: a fifth of its characters kept at each end, so
/// that an analyst can tell canaries apart without the excerpt repeating one.
pub fn mask(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    let keep = chars.len() / 5;
    let hidden = chars.len() - 2 * keep;
    let (head, tail) = (&chars[..keep], &chars[chars.len() - keep..]);
    format!("{}{}{}", head.iter().collect::<String>(), "*".repeat(hidden), tail.iter().collect::<String>())
}

/// `excerpt` with every occurrence of each token masked.
pub fn mask_all(excerpt: &str, tokens: &[String]) -> String {
    let mut out = excerpt.to_owned();
    for token in tokens {
        let mut from = 0;
        while let Some(range) = find(&out[from..], token) {
            let masked = mask(token);
            out.replace_range(from + range.start..from + range.end, &masked);
            from += range.start + masked.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_ends() {
        assert_eq!(mask("AKIAIOSFODNN7EXAMPLE"), "AKIA************MPLE");
        assert_eq!(mask("XYZZY-42"), "X******2");
    }

    #[test]
    fn finds_and_masks_case_insensitively() {
        assert_eq!(find("code: xyzzy-42.", "XYZZY-42"), Some(6..14));
        assert_eq!(mask_all("a XYZZY-42 b xyzzy-42", &["XYZZY-42".into()]), "a X******2 b X******2");
    }
}
