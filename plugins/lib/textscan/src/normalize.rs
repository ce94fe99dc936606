//! Text normalisation before matching, keeping a map back to the original bytes.
//!
//! Attackers dodge naive patterns with case, extra spaces, line breaks, invisible
//! characters ("ig\u{200b}nore previous") and look-alike letters (Cyrillic `о` for
//! Latin `o`, fullwidth `ｉｇｎｏｒｅ`). Patterns therefore run on a canonical form,
//! while evidence must quote the original text: so every normalised byte remembers
//! where it came from.

use crate::fold::{fold, is_invisible, tag_ascii};
use std::ops::Range;

/// A normalised copy of a text: look-alike letters folded to ASCII, lowercase,
/// invisible characters removed, each run of whitespace collapsed to one space (or one
/// `\n` when the run held a line break, so line-anchored patterns such as `### system`
/// still work), typographic quotes made straight.
#[derive(Debug, Clone)]
pub struct Normalized {
    text: String,
    /// `origin[i]` is the byte offset in the original text of normalised byte `i`;
    /// one extra entry maps the end.
    origin: Vec<usize>,
}

impl Normalized {
    /// Normalise `original`.
    pub fn new(original: &str) -> Self {
        let chars = original.char_indices().map(|(at, c)| (at, if is_invisible(c) { None } else { Some(fold(c)) }));
        Self::build(chars, original.len())
    }

    /// The text smuggled in Unicode tag characters (U+E0020–U+E007E, invisible when
    /// rendered, each standing for one ASCII character), normalised; `None` when the
    /// text holds none. Visible text between tag runs becomes a space.
    pub fn tag_payload(original: &str) -> Option<Self> {
        original.chars().any(|c| tag_ascii(c).is_some()).then(|| {
            let chars = original.char_indices().map(|(at, c)| (at, Some(tag_ascii(c).unwrap_or(' '))));
            Self::build(chars, original.len())
        })
    }

    /// A text decoded from `span` of the original (say, a base64 run): every
    /// normalised byte maps to the start of the span, the end to its end.
    pub fn decoded(decoded: &str, span: Range<usize>) -> Self {
        let chars = decoded.chars().map(|c| (span.start, if is_invisible(c) { None } else { Some(fold(c)) }));
        let mut n = Self::build(chars, span.start);
        if let Some(end) = n.origin.last_mut() {
            *end = span.end;
        }
        n
    }

    /// This text with each ASCII byte replaced by `f` of it, keeping the map to the
    /// original; `None` when nothing changed.
    pub fn map_ascii(&self, f: impl Fn(&[u8], usize) -> u8) -> Option<Self> {
        let bytes = self.text.as_bytes();
        let mapped: Vec<u8> =
            (0..bytes.len()).map(|i| if bytes[i].is_ascii() { f(bytes, i) } else { bytes[i] }).collect();
        if mapped == bytes {
            return None;
        }
        let text = String::from_utf8(mapped).expect("ASCII for ASCII keeps UTF-8 valid");
        Some(Self { text, origin: self.origin.clone() })
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The byte range in the original text that `range` of the normalised text came from.
    pub fn original_range(&self, range: Range<usize>) -> Range<usize> {
        let start = self.origin[range.start];
        // The end maps to where the last matched byte's character ends, which is
        // where the next normalised byte starts (or the end of the text).
        let end = self.origin[range.end].max(start);
        start..end
    }

    /// Build from `(offset in the original, character or None to drop)` pairs.
    fn build(chars: impl Iterator<Item = (usize, Option<char>)>, end: usize) -> Self {
        let (lower, _) = chars.size_hint();
        let mut n = Self { text: String::with_capacity(lower), origin: Vec::with_capacity(lower + 1) };
        let mut pending_space: Option<(usize, char)> = None;
        for (at, c) in chars {
            let Some(c) = c else { continue };
            if c.is_whitespace() {
                let newline = c == '\n' || pending_space.is_some_and(|(_, s)| s == '\n');
                let start = pending_space.map_or(at, |(start, _)| start);
                pending_space = Some((start, if newline { '\n' } else { ' ' }));
                continue;
            }
            if let Some((start, space)) = pending_space.take() {
                n.push(start, space);
            }
            if c.is_ascii() {
                // Most text: one byte in, one byte out, without the general case's iterator.
                n.text.push(c.to_ascii_lowercase());
                n.origin.push(at);
            } else {
                c.to_lowercase().for_each(|lower| n.push(at, lower));
            }
        }
        if let Some((start, space)) = pending_space {
            n.push(start, space);
        }
        n.origin.push(end);
        n
    }

    fn push(&mut self, at: usize, c: char) {
        self.text.push(c);
        self.origin.extend(std::iter::repeat_n(at, c.len_utf8()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_collapses_whitespace() {
        let n = Normalized::new("  Ignore \t ALL   previous");
        assert_eq!(n.as_str(), " ignore all previous");
    }

    #[test]
    fn keeps_one_newline_for_runs_with_line_breaks() {
        assert_eq!(Normalized::new("a \n\n  b c").as_str(), "a\nb c");
    }

    #[test]
    fn strips_invisible_characters_and_straightens_quotes() {
        let n = Normalized::new("ig\u{200b}no\u{feff}re don\u{2019}t\u{e0041}");
        assert_eq!(n.as_str(), "ignore don't");
    }

    #[test]
    fn folds_look_alike_letters() {
        // Cyrillic о and е, fullwidth letters, mathematical bold.
        assert_eq!(
            Normalized::new("ign\u{43e}r\u{435} ＰＲＥＶＩＯＵＳ \u{1d422}\u{1d427}").as_str(),
            "ignore previous in"
        );
    }

    #[test]
    fn maps_ranges_back_to_the_original() {
        let original = "Hi,  I\u{200b}GNORE   Previous instructions!";
        let n = Normalized::new(original);
        let at = n.as_str().find("ignore previous").unwrap();
        let range = n.original_range(at..at + "ignore previous".len());
        assert_eq!(&original[range], "I\u{200b}GNORE   Previous");
    }

    #[test]
    fn maps_multibyte_lowercasing_back_to_whole_characters() {
        // `İ` lowercases to two characters; both map to the original one.
        let original = "xİy";
        let n = Normalized::new(original);
        let range = n.original_range(1..n.as_str().len() - 1);
        assert_eq!(&original[range], "İ");
    }

    #[test]
    fn decodes_tag_characters_and_maps_them_back() {
        let hidden: String = "Hi you".chars().map(|c| char::from_u32(0xe0000 + c as u32).unwrap()).collect();
        let original = format!("Great shoes!{hidden}");
        let n = Normalized::tag_payload(&original).unwrap();
        assert_eq!(n.as_str(), " hi you");
        assert_eq!(&original[n.original_range(1..7)], &hidden);
        assert!(Normalized::tag_payload("plain").is_none());
    }

    #[test]
    fn decoded_text_maps_to_its_whole_span() {
        let n = Normalized::decoded("Ignore", 10..18);
        assert_eq!(n.as_str(), "ignore");
        assert_eq!(n.original_range(0..6), 10..18);
    }
}
