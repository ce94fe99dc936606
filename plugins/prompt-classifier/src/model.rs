//! The trained model, embedded: `train/model.bin` (layout in `train/README.md`): a
//! magic, the number of buckets, the threshold on the margin, the bias, then one
//! little-endian `f32` weight per bucket.

use crate::features::{self, BITS};

const BIN: &[u8] = include_bytes!("../train/model.bin");
const MAGIC: &[u8; 8] = b"AIIRPC01";
const HEADER: usize = 24;

/// The model over its embedded bytes.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    weights: &'static [u8],
    /// Flag a text whose margin is at least this.
    pub threshold: f64,
    bias: f64,
}

/// Buffers [`Model::score`] reuses: the hashes of a text, and which buckets it hit.
#[derive(Debug, Clone)]
pub struct Scratch {
    hashes: Vec<u32>,
    seen: Vec<u64>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self { hashes: Vec::new(), seen: vec![0; (1 << BITS) / 64] }
    }
}

/// What the model makes of a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The log-odds that it is an attack.
    pub margin: f64,
    /// Whether it reaches the threshold.
    pub flagged: bool,
}

impl Score {
    /// The margin as a probability.
    pub fn probability(&self) -> f64 {
        1.0 / (1.0 + (-self.margin).exp())
    }
}

impl Model {
    /// The embedded model; `None` when its bytes are not of this layout.
    pub fn embedded() -> Option<Self> {
        let (header, weights) = BIN.split_at_checked(HEADER)?;
        let word = |at: usize| <[u8; 4]>::try_from(&header[at..at + 4]).ok();
        let dim = u32::from_le_bytes(word(8)?);
        let valid = &header[..8] == MAGIC && dim == 1 << BITS && weights.len() == 4 * (1 << BITS);
        let (threshold, bias) = (f32::from_le_bytes(word(12)?), f32::from_le_bytes(word(16)?));
        valid.then_some(Self { weights, threshold: f64::from(threshold), bias: f64::from(bias) })
    }

    /// Score a text: the bias plus the weights of the distinct buckets it hits, each at
    /// 1/sqrt(their number). `scratch` is reused across calls to spare allocations.
    pub fn score(&self, text: &str, scratch: &mut Scratch) -> Score {
        features::hashes(text, &mut scratch.hashes);
        let (mut sum, mut distinct) = (0.0, 0_u32);
        for &b in &scratch.hashes {
            let (word, bit) = (b as usize / 64, 1 << (b % 64));
            if scratch.seen[word] & bit == 0 {
                scratch.seen[word] |= bit;
                sum += self.weight(b);
                distinct += 1;
            }
        }
        // Clear only what was set: the set is 32 KiB, a text hits a few thousand bits.
        for &b in &scratch.hashes {
            scratch.seen[b as usize / 64] = 0;
        }
        let margin = if distinct == 0 { self.bias } else { self.bias + sum / f64::from(distinct).sqrt() };
        Score { margin, flagged: margin >= self.threshold }
    }

    fn weight(&self, bucket: u32) -> f64 {
        let at = 4 * bucket as usize;
        f64::from(f32::from_le_bytes([
            self.weights[at],
            self.weights[at + 1],
            self.weights[at + 2],
            self.weights[at + 3],
        ]))
    }
}
