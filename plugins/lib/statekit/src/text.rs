//! Stable hashes and word splitting.

/// A 64-bit hash of `bytes` that is the same on every run and platform (FNV-1a,
/// then a finalizer that spreads its bits), unlike `std`'s randomly keyed hasher.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    finish(bytes.iter().fold(FNV_OFFSET, |h, b| fnv(h, *b)))
}

/// [`stable_hash`] of `word` lowercased, without building the lowercased string.
pub fn stable_hash_lowercase(word: &str) -> u64 {
    if word.is_ascii() {
        return finish(word.bytes().fold(FNV_OFFSET, |h, b| fnv(h, b.to_ascii_lowercase())));
    }
    stable_hash_chars(word.chars().flat_map(char::to_lowercase))
}

/// [`stable_hash`] of the UTF-8 text `chars` spell, without building it.
pub fn stable_hash_chars(chars: impl IntoIterator<Item = char>) -> u64 {
    let mut buf = [0; 4];
    finish(chars.into_iter().fold(FNV_OFFSET, |h, c| c.encode_utf8(&mut buf).bytes().fold(h, fnv)))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
}

/// splitmix64's finalizer: FNV alone leaves the low bits of short inputs alike.
fn finish(h: u64) -> u64 {
    let h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The words of `text`: maximal runs of letters and digits, as they appear.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// The Jaccard similarity of two sets given as sorted vectors without repeats:
/// shared elements over all elements, `1.0` for two empty sets.
pub fn sorted_jaccard(a: &[u64], b: &[u64]) -> f32 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => (shared, i, j) = (shared + 1, i + 1, j + 1),
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 { 1.0 } else { shared as f32 / union as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_spread() {
        assert_eq!(stable_hash(b"trailpeak"), stable_hash(b"trailpeak"));
        assert_ne!(stable_hash(b"a"), stable_hash(b"b"));
        assert_ne!(stable_hash(b"a") & 0xff, stable_hash(b"b") & 0xff);
    }

    #[test]
    fn lowercase_hashes_match_hashes_of_lowercased_text() {
        for word in ["TrailPeak", "GRÖSSE", "ǅemal", "plain"] {
            assert_eq!(stable_hash_lowercase(word), stable_hash(word.to_lowercase().as_bytes()), "{word}");
            assert_eq!(stable_hash_chars(word.chars()), stable_hash(word.as_bytes()), "{word}");
        }
    }

    #[test]
    fn words_are_runs_of_letters_and_digits() {
        let got: Vec<_> = words("Order A-1001: größe 42, ok?").collect();
        assert_eq!(got, ["Order", "A", "1001", "größe", "42", "ok"]);
    }

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(sorted_jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(sorted_jaccard(&[], &[]), 1.0);
        assert_eq!(sorted_jaccard(&[1], &[]), 0.0);
    }
}
