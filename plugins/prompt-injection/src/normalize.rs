//! Text normalisation before matching, keeping a map back to the original bytes.
//!
//! Attackers dodge naive patterns with case, extra spaces, line breaks and invisible
//! characters ("ig\u{200b}nore previous"). Patterns therefore run on a canonical form,
//! while evidence must quote the original text: so every normalised byte remembers
//! where it came from.

use std::ops::Range;

/// A normalised copy of a text: lowercase, invisible characters removed, each run of
/// whitespace collapsed to one space (or one `\n` when the run held a line break, so
/// line-anchored patterns such as `### system` still work), typographic quotes
/// made straight.
#[derive(Debug)]
pub struct Normalized {
    text: String,
    /// `origin[i]` is the byte offset in the original text of normalised byte `i`;
    /// one extra entry maps the end.
    origin: Vec<usize>,
}

impl Normalized {
    /// Normalise `original`.
    pub fn new(original: &str) -> Self {
        let mut n =
            Self { text: String::with_capacity(original.len()), origin: Vec::with_capacity(original.len() + 1) };
        let mut pending_space: Option<(usize, char)> = None;
        for (at, c) in original.char_indices() {
            if is_invisible(c) {
                continue;
            }
            if c.is_whitespace() {
                let newline = c == '\n' || pending_space.is_some_and(|(_, s)| s == '\n');
                let start = pending_space.map_or(at, |(start, _)| start);
                pending_space = Some((start, if newline { '\n' } else { ' ' }));
                continue;
            }
            if let Some((start, space)) = pending_space.take() {
                n.push(start, space);
            }
            for lower in straighten(c).to_lowercase() {
                n.push(at, lower);
            }
        }
        if let Some((start, space)) = pending_space {
            n.push(start, space);
        }
        n.origin.push(original.len());
        n
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

    fn push(&mut self, at: usize, c: char) {
        self.text.push(c);
        self.origin.extend(std::iter::repeat_n(at, c.len_utf8()));
    }
}

/// Characters that render as nothing but split words for a regex: zero-width
/// spaces and joiners, the word joiner, the byte-order mark, soft hyphens and
/// bidirectional controls.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{feff}'
    )
}

/// Typographic quotes as their ASCII forms, so `don’t` matches `don't`.
fn straighten(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => '\'',
        '\u{201c}' | '\u{201d}' => '"',
        _ => c,
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
        let n = Normalized::new("ig\u{200b}no\u{feff}re don\u{2019}t");
        assert_eq!(n.as_str(), "ignore don't");
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
}
