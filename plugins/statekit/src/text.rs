//! Stable hashes and word splitting.

/// A 64-bit hash of `bytes` that is the same on every run and platform (FNV-1a,
/// then a finalizer that spreads its bits), unlike `std`'s randomly keyed hasher.
pub fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // splitmix64's finalizer: FNV alone leaves the low bits of short inputs alike.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
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
