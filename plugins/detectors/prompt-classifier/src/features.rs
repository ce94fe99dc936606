//! The model's features, exactly as `train/train.py` makes them (its README's "Feature
//! spec"): three views of the normalised text — characters, words, and letters with
//! look-alikes mapped and everything else squashed out — hashed into buckets.

use unicode_normalization::UnicodeNormalization as _;

/// Text past this many characters is not looked at.
pub const MAX_CHARS: usize = 4096;
/// log2 of the number of buckets.
pub const BITS: u32 = 16;

/// Calls `hit` with every bucket the text hits, as often as it hits it: one pass over
/// the normalised characters, feeding the three views at once, allocating nothing.
pub fn for_each_bucket(raw: &str, hit: impl FnMut(u32)) {
    // A text of at most MAX_CHARS bytes has at most MAX_CHARS characters: no need to count.
    let cut = (raw.len() > MAX_CHARS).then(|| raw.char_indices().nth(MAX_CHARS)).flatten();
    let head = cut.map_or(raw, |(at, _)| &raw[..at]);
    let mut views = Views::new(hit);
    if head.is_ascii() {
        // ASCII, the common case, is its own NFKC, and its classes are looked up.
        for b in head.bytes().map(|b| b.to_ascii_lowercase()) {
            views.push(char::from(b), ASCII[usize::from(b & 0x7f)]);
        }
    } else {
        head.nfkc().flat_map(char::to_lowercase).for_each(|ch| views.push(ch, Class::of(ch)));
    }
    views.finish();
}

/// The distinct buckets a text hits, sorted: what the trainer's `featurise` gives.
#[cfg(test)]
pub fn buckets(raw: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for_each_bucket(raw, |b| out.push(b));
    out.sort_unstable();
    out.dedup();
    out
}

/// The state of the three views (README "Feature spec") as characters stream in.
struct Views<F> {
    hit: F,
    chars: Window<4>,
    /// A whitespace run ended by the next non-whitespace becomes one space.
    space_pending: bool,
    /// The hash of the word being read, if any, and of the word before it.
    word: Option<u32>,
    prev_word: Option<u32>,
    letters: Window<5>,
}

impl<F: FnMut(u32)> Views<F> {
    fn new(hit: F) -> Self {
        let mut views = Self {
            hit,
            chars: Window::new(seed(b"c4")),
            space_pending: false,
            word: None,
            prev_word: None,
            letters: Window::new(seed(b"q5")),
        };
        views.push_char(' ');
        views
    }

    fn push(&mut self, ch: char, class: Class) {
        if class.space {
            self.space_pending = self.chars.len > 1;
        } else {
            if std::mem::take(&mut self.space_pending) {
                self.push_char(' ');
            }
            self.push_char(ch);
        }
        if class.separator {
            self.end_word();
        } else {
            self.word = Some(step(self.word.unwrap_or(seed(b"w1")), ch as u32));
        }
        if let Some(gram) = class.letter.and_then(|l| self.letters.push(u32::from(l))) {
            (self.hit)(bucket(gram));
        }
    }

    /// A trailing whitespace run is dropped; the char view is padded with one space.
    fn finish(mut self) {
        self.push_char(' ');
        self.end_word();
    }

    fn push_char(&mut self, ch: char) {
        if let Some(gram) = self.chars.push(ch as u32) {
            (self.hit)(bucket(gram));
        }
    }

    fn end_word(&mut self) {
        let Some(word) = self.word.take() else { return };
        (self.hit)(bucket(word));
        if let Some(prev) = self.prev_word.replace(word) {
            (self.hit)(bucket(step(step(seed(b"w2"), prev), word)));
        }
    }
}

/// A view's last `N` code points, and how many it has had.
struct Window<const N: usize> {
    seed: u32,
    last: [u32; N],
    len: usize,
}

impl<const N: usize> Window<N> {
    const fn new(seed: u32) -> Self {
        Self { seed, last: [0; N], len: 0 }
    }

    /// Takes in a code point; the hash of the last `N`, once there are that many.
    fn push(&mut self, c: u32) -> Option<u32> {
        // Rebuilt rather than rotated: for so few, LLVM keeps it in registers, no memmove.
        self.last = std::array::from_fn(|i| if i + 1 < N { self.last[i + 1] } else { c });
        self.len += 1;
        (self.len >= N).then(|| self.last.iter().fold(self.seed, |h, &c| step(h, c)))
    }
}

/// What the views need to know of a character.
#[derive(Debug, Clone, Copy)]
struct Class {
    space: bool,
    separator: bool,
    /// The letter it reads as in the squashed view, if any.
    letter: Option<u8>,
}

impl Class {
    const fn of(ch: char) -> Self {
        let letter = look_alike(ch);
        #[allow(clippy::cast_possible_truncation, reason = "an ASCII letter")]
        let letter = if letter.is_ascii_lowercase() { Some(letter as u8) } else { None };
        Self { space: is_space(ch), separator: is_separator(ch), letter }
    }
}

/// The class of every ASCII character, worked out at compile time.
const ASCII: [Class; 128] = {
    let mut table = [Class::of('\0'); 128];
    let mut b: u8 = 0;
    while b < 128 {
        table[b as usize] = Class::of(b as char);
        b += 1;
    }
    table
};

/// FNV-1a's state after a kind's ASCII name and a NUL, so kinds hash apart.
const fn seed(kind: &[u8; 2]) -> u32 {
    step(step(step(0x811C_9DC5, kind[0] as u32), kind[1] as u32), 0)
}

/// One FNV-1a step, over a whole code point (or word hash) at once rather than bytes.
const fn step(h: u32, value: u32) -> u32 {
    (h ^ value).wrapping_mul(0x0100_0193)
}

/// Multiply-shift: the top [`BITS`] bits, where every input bit has reached.
fn bucket(h: u32) -> u32 {
    h.wrapping_mul(0x9E37_79B1) >> (32 - BITS)
}

const fn is_space(ch: char) -> bool {
    matches!(ch, '\u{9}'..='\u{d}' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200b}')
        || matches!(ch, '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}')
}

const fn is_separator(ch: char) -> bool {
    if ch.is_ascii() {
        return !(ch.is_ascii_lowercase() || ch.is_ascii_digit());
    }
    matches!(ch, '\u{80}'..='\u{bf}' | '\u{d7}' | '\u{f7}' | '\u{2000}'..='\u{206f}' | '\u{3000}'..='\u{3003}' | '\u{feff}')
}

const fn look_alike(ch: char) -> char {
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
