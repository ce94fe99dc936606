//! Text a reader does not see but a model does: HTML and markdown comments,
//! elements hidden by CSS, Unicode tag characters and runs of zero-width characters.

use regex::Regex;
use std::fmt;
use std::ops::Range;
use textscan::{is_tag, is_zero_width, tag_ascii};

/// How a part of a text is kept from its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concealment {
    /// `<!-- … -->`
    HtmlComment,
    /// `[//]: # (…)`: a link definition that renders as nothing.
    MarkdownComment,
    /// An element styled invisible: `display:none`, zero or one-pixel font, white
    /// or transparent text, zero opacity, or the `hidden` attribute.
    HiddenElement,
}

impl fmt::Display for Concealment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Concealment::HtmlComment => "an HTML comment",
            Concealment::MarkdownComment => "a markdown comment",
            Concealment::HiddenElement => "an element hidden by its styling",
        })
    }
}

/// Longest hidden element considered, in bytes after its opening tag, when its
/// closing tag is missing or far away.
const MAX_ELEMENT: usize = 8 * 1024;
/// Zero-width characters in a row that no honest text needs (emoji use one joiner
/// at a time): a run this long encodes data.
pub const MIN_ZERO_WIDTH_RUN: usize = 4;

/// Finds concealed parts of a text.
#[derive(Debug)]
pub struct Finder {
    html_comment: Regex,
    markdown_comment: Regex,
    hidden_open: Regex,
}

impl Default for Finder {
    fn default() -> Self {
        let hiding = concat!(
            r#"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0+)?\s*(?:[;"'}]|$)"#,
            r#"|font-size\s*:\s*[01](?:\.\d+)?\s*(?:px|pt)?\s*(?:[;"'}]|$)|color\s*:\s*(?:#fff(?:fff)?|white|transparent)\b"#,
        );
        // The property must start the style or follow `;` or a space, so that
        // `background-color: white` is not taken for white text.
        let open = format!(
            r#"(?i)<([a-z][a-z0-9]*)\b[^>]*?(?:\bstyle\s*=\s*["'](?:[^"']*?[;\s])?(?:{hiding})|\shidden\b)[^>]*>"#
        );
        Self {
            html_comment: Regex::new(r"(?s)<!--.*?(?:-->|$)").expect("valid"),
            markdown_comment: Regex::new(r"(?m)^\[[^\]\n]*\]:\s*(?:#|<>)\s*\(.*\)\s*$").expect("valid"),
            hidden_open: Regex::new(&open).expect("valid"),
        }
    }
}

impl Finder {
    /// Every concealed part of `text`, with how it is concealed.
    pub fn spans(&self, text: &str) -> Vec<(Concealment, Range<usize>)> {
        let mut out: Vec<(Concealment, Range<usize>)> = Vec::new();
        out.extend(self.html_comment.find_iter(text).map(|m| (Concealment::HtmlComment, m.range())));
        out.extend(self.markdown_comment.find_iter(text).map(|m| (Concealment::MarkdownComment, m.range())));
        for caps in self.hidden_open.captures_iter(text) {
            let (open, tag) = (caps.get(0).expect("whole match"), &caps[1]);
            out.push((Concealment::HiddenElement, open.start()..element_end(text, open.end(), tag)));
        }
        out
    }
}

/// Where the element whose opening tag ends at `from` closes (the first closing tag
/// of its name: nesting is not followed), within [`MAX_ELEMENT`].
fn element_end(text: &str, from: usize, tag: &str) -> usize {
    let limit = floor_char(text, (from + MAX_ELEMENT).min(text.len()));
    let closing = format!("</{}", tag.to_ascii_lowercase());
    let window = text[from..limit].to_ascii_lowercase();
    window.find(&closing).map_or(limit, |at| {
        let close_end = window[at..].find('>').map_or(window.len(), |e| at + e + 1);
        from + close_end
    })
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Invisible characters in a text that carry something.
#[derive(Debug, PartialEq)]
pub struct Carrier {
    /// The ASCII smuggled in tag characters outside emoji flag sequences.
    pub tags: String,
    /// Zero-width characters in runs of at least [`MIN_ZERO_WIDTH_RUN`].
    pub zero_width: usize,
}

impl Carrier {
    /// How many invisible characters carry something.
    pub fn count(&self) -> usize {
        self.tags.chars().count() + self.zero_width
    }
}

/// The invisible characters of `text` that carry text: tag characters outside emoji
/// flag sequences (🏴 + tags + cancel tag), and runs of zero-width characters.
pub fn invisible_carrier(text: &str) -> Option<Carrier> {
    let mut carrier = Carrier { tags: String::new(), zero_width: 0 };
    let (mut in_flag, mut run) = (false, 0);
    for c in text.chars() {
        in_flag = c == '\u{1f3f4}' || (in_flag && is_tag(c) && c != '\u{e007f}');
        if is_tag(c) && !in_flag {
            carrier.tags.extend(tag_ascii(c));
        }
        run = if is_zero_width(c) { run + 1 } else { 0 };
        carrier.zero_width += match run {
            MIN_ZERO_WIDTH_RUN => MIN_ZERO_WIDTH_RUN,
            n if n > MIN_ZERO_WIDTH_RUN => 1,
            _ => 0,
        };
    }
    (carrier.count() > 0).then_some(carrier)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<(Concealment, &str)> {
        Finder::default().spans(text).into_iter().map(|(c, r)| (c, &text[r])).collect()
    }

    #[test]
    fn finds_comments_and_hidden_elements() {
        let page = "<p>Hi</p><!-- note --><div style=\"color:#ffffff;font-size:1px\">psst</div><p>bye</p>\n\
                    [//]: # (secret words)\n<span hidden>shh</span>";
        assert_eq!(
            spans(page),
            [
                (Concealment::HtmlComment, "<!-- note -->"),
                (Concealment::MarkdownComment, "[//]: # (secret words)"),
                (Concealment::HiddenElement, "<div style=\"color:#ffffff;font-size:1px\">psst</div>"),
                (Concealment::HiddenElement, "<span hidden>shh</span>"),
            ]
        );
    }

    #[test]
    fn visible_styling_is_not_hiding() {
        let page = "<p style=\"font-size:14px;color:#333\">Hi</p><div style=\"background-color:white\">x</div>\
                    <p style=\"opacity:0.8\">y</p>";
        assert!(spans(page).is_empty(), "{:?}", spans(page));
    }

    #[test]
    fn counts_tag_characters_but_not_flags() {
        let flag = "\u{1f3f4}\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}";
        assert_eq!(invisible_carrier(&format!("Go {flag}!")), None);
        let hidden = format!("Hi\u{e0068}\u{e0069}{flag}");
        assert_eq!(invisible_carrier(&hidden), Some(Carrier { tags: "hi".into(), zero_width: 0 }));
    }

    #[test]
    fn counts_long_zero_width_runs_only() {
        assert_eq!(invisible_carrier("a\u{200d}b 👩\u{200d}💻 soft\u{00ad}hyphen"), None);
        let run = "x\u{200b}\u{200c}\u{200b}\u{200c}\u{200b}y";
        assert_eq!(invisible_carrier(run).map(|c| c.count()), Some(5));
    }
}
