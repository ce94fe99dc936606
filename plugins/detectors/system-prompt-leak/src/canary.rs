//! Canary tokens: strings planted in a system prompt that must never leave it, and
//! the masking that keeps them (and secrets) out of evidence. Finding them in any form
//! is [`crate::reveal`]'s work; here they are matched as written, to be masked.

use std::ops::Range;

/// Shortest canary accepted. Short ones are matched as whole words only, so that
/// `Q7Z` is found in "code Q7Z" but not in "Q7Zebra".
pub const MIN_LEN: usize = 3;

/// Where `token` first occurs in `text` at `from` or later, as a whole word (not
/// inside a longer run of letters and digits), ignoring ASCII case.
fn find_from(text: &str, token: &str, from: usize) -> Option<Range<usize>> {
    let (haystack, needle) = (text.to_ascii_lowercase(), token.to_ascii_lowercase());
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let (first, last) = (token.chars().next(), token.chars().next_back());
    let mut found = haystack.match_indices(&needle).map(|(at, _)| at..at + needle.len());
    found.find(|r| {
        let (before, after) = (text[..r.start].chars().next_back(), text[r.end..].chars().next());
        r.start >= from && !(word(first) && word(before)) && !(word(last) && word(after))
    })
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
        while let Some(range) = find_from(&out, token, from) {
            let masked = mask(token);
            from = range.start + masked.len();
            out.replace_range(range, &masked);
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

    fn find(text: &str, token: &str) -> Option<Range<usize>> {
        find_from(text, token, 0)
    }

    #[test]
    fn a_short_canary_matches_whole_words_only() {
        assert_eq!(find("the code is q7z.", "Q7Z"), Some(12..15));
        assert_eq!(find("Q7Zebra and aQ7Z", "Q7Z"), None);
        assert_eq!(find("Q7Zebra, then Q7Z", "Q7Z"), Some(14..17));
        // A token that ends in punctuation may touch a word there.
        assert_eq!(find("key:#42!x", "#42!"), Some(4..8));
    }

    #[test]
    fn finds_and_masks_case_insensitively() {
        assert_eq!(find("code: xyzzy-42.", "XYZZY-42"), Some(6..14));
        assert_eq!(mask_all("a XYZZY-42 b xyzzy-42", &["XYZZY-42".into()]), "a X******2 b X******2");
        assert_eq!(mask_all("Q7Z, Q7Zebra, q7z", &["Q7Z".into()]), "***, Q7Zebra, ***");
    }
}
