//! Text from plugins and logs made safe to show on a terminal.
//!
//! A plugin's rule, title, evidence, error text or `info()`, and a log's user text,
//! are data: written raw, an escape sequence clears the screen or plants a hyperlink,
//! a bidi override reorders what the reader sees, and a CR or LF forges a line of
//! aiir's own. Every control character (C0, DEL, C1) and every bidi control is shown
//! instead as a visible escape, `\u{1b}`, `\u{202e}`; clean text is borrowed as it is.
//!
//! ```
//! use aiir_host::output::terminal;
//!
//! assert_eq!(terminal::line("a\x1b[2Jb\nc"), r"a\u{1b}[2Jb\nc");
//! assert_eq!(terminal::text("one\ntwo\r"), "one\ntwo\\r");
//! assert_eq!(terminal::json("\"\u{202e}\""), r#""\u202e""#);
//! ```

pub use aiir_boundary::is_unsafe;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Someone else's text, for a message: at most 100 characters, control characters
/// and quotes escaped, in quotes, so a hostile registry or payload can neither flood
/// nor drive a terminal.
pub fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(100).collect();
    let more = if text.chars().nth(100).is_some() { "…" } else { "" };
    format!("\"{}{more}\"", cut.escape_debug())
}

/// One line: every control shown, `\n`, `\r` and `\t` as such.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, Form::Line)
}

/// Text of several lines, such as a settings doc or a report: `\n` kept, every other
/// control shown.
pub fn text(text: &str) -> Cow<'_, str> {
    escape(text, Form::Text)
}

/// JSON text (as serde writes it, which escapes only C0): DEL, C1 and bidi controls
/// escaped as `\u202e`, so the text stays the same JSON and safe on a terminal.
pub fn json(text: &str) -> Cow<'_, str> {
    escape(text, Form::Json)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Line,
    Text,
    Json,
}

impl Form {
    fn escapes(self, c: char) -> bool {
        is_unsafe(c) && !(c == '\n' && self != Form::Line)
    }

    fn write(self, out: &mut String, c: char) {
        let _ = match (self, c) {
            (Form::Json, c) => write!(out, "\\u{:04x}", u32::from(c)),
            (_, '\n') => write!(out, "\\n"),
            (_, '\r') => write!(out, "\\r"),
            (_, '\t') => write!(out, "\\t"),
            (_, c) => write!(out, "\\u{{{:x}}}", u32::from(c)),
        };
    }
}

fn escape(text: &str, form: Form) -> Cow<'_, str> {
    let Some(first) = text.find(|c| form.escapes(c)) else { return Cow::Borrowed(text) };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if form.escapes(c) { form.write(&mut out, c) } else { out.push(c) }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_is_borrowed() {
        for clean in ["", "plugin \"x\" 0.1.0", "Zürich — 東京 ✓"] {
            assert!(matches!(line(clean), Cow::Borrowed(_)));
            assert!(matches!(text(clean), Cow::Borrowed(_)));
            assert!(matches!(json(clean), Cow::Borrowed(_)));
        }
        assert!(matches!(text("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn controls_are_shown_visibly() {
        assert_eq!(line("\x1b]8;;https://evil.example\x07x"), r"\u{1b}]8;;https://evil.example\u{7}x");
        assert_eq!(line("a\x7fb\u{9b}2J"), r"a\u{7f}b\u{9b}2J");
        assert_eq!(line("a\r\n\tb\0"), r"a\r\n\tb\u{0}");
    }

    #[test]
    fn bidi_controls_are_shown_visibly() {
        let all = "\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}";
        assert_eq!(
            line(all),
            r"\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}"
        );
        assert_eq!(line("x\u{2028}y"), r"x\u{2028}y");
    }

    #[test]
    fn text_keeps_line_feeds_only() {
        assert_eq!(text("a\nb\r\nc\x1b[1A"), "a\nb\\r\nc\\u{1b}[1A");
    }

    #[test]
    fn json_stays_json() {
        let value = serde_json::json!({ "t": "a\x1b\u{85}\u{202e}\x7f\n" });
        let raw = serde_json::to_string_pretty(&value).unwrap();
        let safe = json(&raw);
        assert!(!safe.chars().any(|c| is_unsafe(c) && c != '\n'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), value);
    }

    #[test]
    fn escaped_text_is_escaped_no_further() {
        let once = line("\x1b[2J\u{202e}\n").into_owned();
        assert_eq!(line(&once), once);
        assert_eq!(text(&once), once);
    }
}
