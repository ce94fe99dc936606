//! The model's features, exactly as `train/train.py` makes them (its README's "Feature
//! spec"): three views of the normalised text — characters, words, and letters with
//! look-alikes mapped and everything else squashed out — hashed into buckets.

use unicode_normalization::UnicodeNormalization as _;

/// Text past this many characters is not looked at.
pub const MAX_CHARS: usize = 4096;
/// log2 of the number of buckets.
pub const BITS: u32 = 18;

/// Every bucket a text hits, as often as it hits it, into `out` (cleared first).
pub fn hashes(raw: &str, out: &mut Vec<u32>) {
    out.clear();
    let s = normalise(raw);
    chars_view(&s, out);
    words_view(&s, out);
    squashed_view(&s, out);
}

/// The distinct buckets a text hits, sorted: what the trainer's `featurise` gives.
#[cfg(test)]
pub fn buckets(raw: &str) -> Vec<u32> {
    let mut out = Vec::new();
    hashes(raw, &mut out);
    out.sort_unstable();
    out.dedup();
    out
}

/// NFKC of the first [`MAX_CHARS`] characters, each lower-cased on its own (no
/// final-sigma rule: the training side lower-cases char by char). ASCII, the common
/// case, is its own NFKC.
fn normalise(raw: &str) -> Vec<char> {
    let head = raw.char_indices().nth(MAX_CHARS).map_or(raw, |(at, _)| &raw[..at]);
    if head.is_ascii() {
        return head.chars().map(|c| c.to_ascii_lowercase()).collect();
    }
    head.nfkc().flat_map(char::to_lowercase).collect()
}

/// Whitespace runs collapsed to one space, the ends trimmed and padded with one space;
/// character 3-, 4- and 5-grams.
fn chars_view(s: &[char], out: &mut Vec<u32>) {
    let mut c = vec![' '];
    for &ch in s {
        if is_space(ch) {
            if c.last() != Some(&' ') {
                c.push(' ');
            }
        } else {
            c.push(ch);
        }
    }
    if c.len() == 1 || c.last() != Some(&' ') {
        c.push(' ');
    }
    for (n, prefix) in [(3, b"c3"), (4, b"c4"), (5, b"c5")] {
        out.extend(c.windows(n).map(|w| hash(prefix, w.iter().copied())));
    }
}

/// Words (runs between separators), and each pair of neighbours joined by a space.
fn words_view(s: &[char], out: &mut Vec<u32>) {
    let words: Vec<&[char]> = s.split(|&ch| is_separator(ch)).filter(|w| !w.is_empty()).collect();
    out.extend(words.iter().map(|w| hash(b"w1", w.iter().copied())));
    out.extend(words.windows(2).map(|p| hash(b"w2", p[0].iter().copied().chain([' ']).chain(p[1].iter().copied()))));
}

/// Letters only, with digits and symbols that stand for letters mapped to them:
/// character 5-grams ("i g n o r e", "1gn0r3" and "i-g-n-o-r-e" read alike).
fn squashed_view(s: &[char], out: &mut Vec<u32>) {
    let q: Vec<char> = s.iter().map(|&ch| look_alike(ch)).filter(char::is_ascii_lowercase).collect();
    out.extend(q.windows(5).map(|w| hash(b"q5", w.iter().copied())));
}

/// FNV-1a (32 bits) over the prefix, a NUL and the gram's UTF-8, into a bucket.
fn hash(prefix: &[u8], gram: impl Iterator<Item = char>) -> u32 {
    let mut h = prefix.iter().chain(&[0]).fold(0x811C_9DC5, |h, &b| fnv(h, b));
    for ch in gram {
        if ch.is_ascii() {
            h = fnv(h, ch as u8);
        } else {
            let mut buf = [0; 4];
            h = ch.encode_utf8(&mut buf).bytes().fold(h, fnv);
        }
    }
    h & ((1 << BITS) - 1)
}

fn fnv(h: u32, byte: u8) -> u32 {
    (h ^ u32::from(byte)).wrapping_mul(0x0100_0193)
}

fn is_space(ch: char) -> bool {
    matches!(ch, '\u{9}'..='\u{d}' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200b}')
        || matches!(ch, '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}')
}

fn is_separator(ch: char) -> bool {
    if ch.is_ascii() {
        return !(ch.is_ascii_lowercase() || ch.is_ascii_digit());
    }
    matches!(ch, '\u{80}'..='\u{bf}' | '\u{d7}' | '\u{f7}' | '\u{2000}'..='\u{206f}' | '\u{3000}'..='\u{3003}' | '\u{feff}')
}

fn look_alike(ch: char) -> char {
    match ch {
        '0' | 'о' | 'ο' => 'o',
        '1' | '!' | 'і' | 'ι' => 'i',
        '3' | 'е' | 'ε' => 'e',
        '4' | '@' | 'а' | 'α' => 'a',
        '5' | '$' | 'ѕ' => 's',
        '7' | 'τ' => 't',
        '8' => 'b',
        'р' | 'ρ' => 'p',
        'с' => 'c',
        'х' => 'x',
        'у' => 'y',
        'ј' => 'j',
        'κ' => 'k',
        'ν' => 'v',
        other => other,
    }
}
