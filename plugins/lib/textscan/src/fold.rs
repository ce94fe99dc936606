//! Character classes for normalisation: what renders as nothing, and which letters
//! look like ASCII ones.

/// Characters that render as nothing but split words for a regex: zero-width
/// spaces and joiners, the word joiner, the byte-order mark, soft hyphens,
/// bidirectional controls and Unicode tag characters.
pub fn is_invisible(c: char) -> bool {
    is_zero_width(c) || is_tag(c)
}

/// The zero-width and formatting characters among [`is_invisible`], without tags.
pub fn is_zero_width(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}' | '\u{feff}'
    )
}

/// A Unicode tag character (U+E0000–U+E007F). Emoji flag sequences use a few; any
/// other use hides ASCII text from the reader.
pub fn is_tag(c: char) -> bool {
    ('\u{e0000}'..='\u{e007f}').contains(&c)
}

/// The ASCII character a printable tag character stands for.
pub fn tag_ascii(c: char) -> Option<char> {
    ('\u{e0020}'..='\u{e007e}').contains(&c).then(|| char::from_u32(c as u32 - 0xe0000)).flatten()
}

/// `c` as the ASCII character it imitates, else itself; typographic quotes straight.
pub fn fold(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    let code = c as u32;
    match code {
        // Fullwidth ASCII: `ｉｇｎｏｒｅ`.
        0xff01..=0xff5e => char::from_u32(code - 0xfee0).unwrap_or(c),
        // Mathematical alphanumerics: 13 alphabets of A–Z a–z, then digits.
        0x1d400..=0x1d6a3 => ascii_letter((code - 0x1d400) % 52),
        0x1d7ce..=0x1d7ff => char::from(b'0' + ((code - 0x1d7ce) % 10) as u8),
        _ => confusable(c).unwrap_or(c),
    }
}

/// Whether `c` is a look-alike that [`fold`] turns into a different ASCII letter.
pub fn is_look_alike(c: char) -> bool {
    !c.is_ascii() && fold(c).is_ascii_alphanumeric()
}

fn ascii_letter(index: u32) -> char {
    let base = if index < 26 { b'A' } else { b'a' - 26 };
    char::from(base + index as u8)
}

/// Cyrillic and Greek letters that render like Latin ones, and typographic quotes.
fn confusable(c: char) -> Option<char> {
    let ascii = match c {
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => '\'',
        '\u{201c}' | '\u{201d}' => '"',
        'а' | 'А' | 'α' | 'Α' => 'a',
        'В' | 'Β' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ε' | 'Ε' => 'e',
        'һ' | 'Н' | 'Η' => 'h',
        'і' | 'І' | 'ι' | 'Ι' | 'ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'к' | 'К' | 'κ' | 'Κ' => 'k',
        'М' | 'Μ' => 'm',
        'Ν' | 'ո' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'օ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'Т' | 'Τ' | 'τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' => 'y',
        'Ζ' => 'z',
        _ => return None,
    };
    Some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_each_family_of_look_alikes() {
        let folded: String = "Ｈ\u{1d41e}\u{1d695}р\u{1d7d7}".chars().map(fold).collect();
        assert_eq!(folded, "Help9");
    }

    #[test]
    fn keeps_ordinary_letters() {
        assert_eq!(fold('ß'), 'ß');
        assert!(!is_look_alike('é'));
        assert!(is_look_alike('о'));
    }

    #[test]
    fn tag_characters_stand_for_ascii() {
        assert_eq!(tag_ascii('\u{e0041}'), Some('A'));
        assert_eq!(tag_ascii('\u{e007f}'), None);
        assert!(is_invisible('\u{e0001}'));
    }
}
