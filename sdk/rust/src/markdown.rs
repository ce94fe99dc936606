//! Text from an event, a finding or an incident, written into Markdown as text.
//!
//! A finding's title is whatever a detector (perhaps an untrusted one) chose, and
//! evidence quotes whatever a user typed: put raw into a report, `## Heading` makes a
//! section, `[x](https://…)` a link, `|` a new table column and `<!--` hides the rest
//! of the document. [`cell`] and [`text`] escape every Markdown metacharacter (`\` and
//! `` ` * _ [ ] ( ) # | ! ~ `` with a backslash, `< > &` as HTML entities), a
//! list or heading marker at the start of a line, and show control and bidi
//! characters visibly (`\u{1b}`), so the text renders as the characters it is made of.
//!
//! ```
//! use aiir_sdk::markdown;
//!
//! assert_eq!(markdown::cell("ok <!-- | [x](https://e.example)"), r"ok &lt;\!-- \| \[x\]\(https://e.example\)");
//! assert_eq!(markdown::text("## Done\r\n- yes"), "\\#\\# Done\n\\- yes");
//! assert_eq!(markdown::cell("plain words"), "plain words");
//! ```

use aiir_boundary::is_unsafe;
use std::borrow::Cow;
use std::fmt::Write as _;

/// One table cell or inline piece (a list item, a heading's tail): on one line, CR,
/// LF and tab each collapsed to a space.
pub fn cell(text: &str) -> Cow<'_, str> {
    if is_clean_line(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    escape_line(&text.replace(['\r', '\n'], " "), &mut out);
    Cow::Owned(out)
}

/// A paragraph of several lines: its line breaks (LF, CRLF or CR) kept as LF, every
/// line escaped as a [`cell`] is, with its indentation dropped (it would make a code
/// block).
pub fn text(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') && text.split('\n').all(is_clean_line) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r')).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        escape_line(line, &mut out);
    }
    Cow::Owned(out)
}

/// Escape one line of text (no LF in it) onto `out`.
fn escape_line(line: &str, out: &mut String) {
    let line = line.trim_start_matches([' ', '\t']);
    let numbered = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let digits = line.len() - numbered.len();
    if line.starts_with(['-', '+', '=']) {
        out.push('\\');
    }
    for (at, c) in line.char_indices() {
        match c {
            // `1986. A year` would start a numbered list.
            '.' if digits > 0 && at == digits => out.push_str("\\."),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\t' | '\r' | '\n' => out.push(' '),
            c if is_meta(c) => {
                out.push('\\');
                out.push(c);
            }
            // Rendered as the visible `\u{1b}` (its backslash escaped).
            c if is_unsafe(c) => {
                let _ = write!(out, "\\\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Whether a line (no LF in it) would come out of [`escape_line`] unchanged.
fn is_clean_line(line: &str) -> bool {
    let numbered = line.trim_start_matches(|c: char| c.is_ascii_digit());
    let list = numbered.len() < line.len() && numbered.starts_with('.');
    !list
        && !line.starts_with([' ', '\t', '-', '+', '='])
        && !line.chars().any(|c| is_meta(c) || is_unsafe(c) || matches!(c, '<' | '>' | '&'))
}

/// Characters that mean something to Markdown wherever they are.
fn is_meta(c: char) -> bool {
    matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '|' | '!' | '~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        for clean in ["", "prompt injection on support-assistant", "Zürich: 3 findings, 2 sessions.", "v1.2.3"] {
            assert!(matches!(cell(clean), Cow::Borrowed(_)), "{clean}");
            assert!(matches!(text(clean), Cow::Borrowed(_)), "{clean}");
        }
        assert!(matches!(text("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn html_comments_and_links_lose_their_meaning() {
        assert_eq!(cell("ok <!-- hidden"), r"ok &lt;\!-- hidden");
        assert_eq!(cell("[click](https://evil.example)"), r"\[click\]\(https://evil.example\)");
        assert_eq!(cell("![img](x.png) <b>&amp;</b>"), r"\!\[img\]\(x.png\) &lt;b&gt;&amp;amp;&lt;/b&gt;");
    }

    #[test]
    fn a_cell_stays_one_cell_on_one_line() {
        assert_eq!(cell("a | b\r\n## Corrective measures taken\tx"), r"a \| b  \#\# Corrective measures taken x");
        assert_eq!(cell("`code` *em* _em_ ~~del~~ \\"), r"\`code\` \*em\* \_em\_ \~\~del\~\~ \\");
    }

    #[test]
    fn line_starts_cannot_open_blocks() {
        assert_eq!(cell("- item"), r"\- item");
        assert_eq!(cell("+ item"), r"\+ item");
        assert_eq!(cell("1986. a year"), r"1986\. a year");
        assert_eq!(cell("    code"), "code");
        assert_eq!(text("title\n===\n> quote\n  1. one\n    code"), "title\n\\===\n&gt; quote\n1\\. one\ncode");
        assert_eq!(cell("v1.2"), "v1.2");
    }

    #[test]
    fn text_keeps_its_lines() {
        assert_eq!(text("a\r\nb\rc\nd"), "a\nb\nc\nd");
    }

    #[test]
    fn controls_and_bidi_are_shown_visibly() {
        assert_eq!(cell("a\x1b[2Jb\u{202e}c\u{85}"), r"a\\u{1b}\[2Jb\\u{202e}c\\u{85}");
    }
}
