//! Shared checks on plugin text.

use crate::Violation;
use std::borrow::Cow;

/// Whether `s` is a slug: `[a-z0-9][a-z0-9-]*`.
pub fn is_slug(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether a reader would not see `c` but a terminal or a renderer would act on it:
/// control characters (C0, DEL, C1), bidi controls that reorder text, and the Unicode
/// line and paragraph separators. One rule for the whole boundary: plugin text that
/// must be plain refuses these, and every human-facing rendering escapes them.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` cut to at most `max` bytes at a character boundary, saying how much was cut.
pub fn cap(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}… ({} more bytes cut)", &text[..end], text.len() - end))
}

/// Check that `text` (at `at`) is at most `max` bytes and has no [unsafe](is_unsafe)
/// character but those `allowed`; `required` text may not be blank.
pub(crate) fn check_text(at: &str, text: &str, max: usize, allowed: &[char], required: bool) -> Result<(), Violation> {
    if text.len() > max {
        return Err(Violation::new(at, format!("{} bytes, more than the cap of {max}", text.len())));
    }
    if required && text.trim().is_empty() {
        return Err(Violation::new(at, "is empty"));
    }
    match text.char_indices().find(|(_, c)| is_unsafe(*c) && !allowed.contains(c)) {
        Some((i, c)) => Err(Violation::new(at, format!("control character U+{:04X} at byte {i}", c as u32))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_digits_and_dashes() {
        assert!(is_slug("digest-changed") && is_slug("0day"));
        assert!(!is_slug("") && !is_slug("-x") && !is_slug("Direct") && !is_slug("a/b") && !is_slug("a_b"));
    }

    #[test]
    fn caps_cut_at_a_character_boundary_and_say_so() {
        assert_eq!(cap("short", 10), "short");
        assert_eq!(cap("ééé", 3), "é… (4 more bytes cut)");
    }

    #[test]
    fn text_checks_name_the_control_character() {
        assert!(check_text("t", "a\tb", 10, &['\t'], true).is_ok());
        let e = check_text("title", "a\x1b[2J", 10, &[], true).unwrap_err();
        assert_eq!(e.to_string(), "title: control character U+001B at byte 1");
        assert!(check_text("t", " ", 10, &[], true).is_err());
        assert!(check_text("t", "toolong", 3, &[], false).is_err());
        assert!(check_text("t", "gnp.exe\u{202e}", 20, &[], true).is_err(), "a bidi override");
        assert!(is_unsafe('\u{85}') && is_unsafe('\u{2066}') && !is_unsafe('é'));
    }
}
