//! The trained model, embedded: `train/model.bin` (layout in `train/README.md`): a
//! magic, the number of buckets, the threshold on the margin, the bias, then one
//! little-endian `f32` weight per bucket.

use crate::features::{self, BITS};

const BIN: &[u8] = include_bytes!("../train/model.bin");
const MAGIC: &[u8; 8] = b"AIIRPC01";
const HEADER: usize = 24;
const DIM: usize = 1 << BITS;

/// The model over its embedded bytes.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    weights: &'static [[u8; 4]; DIM],
    /// Flag a text whose margin is at least this.
    pub threshold: f64,
    bias: f64,
}

/// The set of buckets a text hit, reused across texts: a bit per bucket (8 KiB, cleared
/// whole in one fill, cheaper than remembering which bits were set).
#[derive(Debug, Clone)]
pub struct Scratch {
    seen: Box<[u64; DIM / 64]>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self { seen: Box::new([0; DIM / 64]) }
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
        let dim = u32::from_le_bytes(word(8)?) as usize;
        let (weights, []) = weights.as_chunks::<4>() else { return None };
        let weights = weights.try_into().ok()?;
        let (threshold, bias) = (f32::from_le_bytes(word(12)?), f32::from_le_bytes(word(16)?));
        (&header[..8] == MAGIC && dim == DIM).then_some(Self {
            weights,
            threshold: f64::from(threshold),
            bias: f64::from(bias),
        })
    }

    /// Score a text: the bias plus the weights of the distinct buckets it hits, each at
    /// 1/sqrt(their number). `scratch` is reused across calls to spare allocations.
    pub fn score(&self, text: &str, scratch: &mut Scratch) -> Score {
        let seen = &mut scratch.seen;
        let (mut sum, mut distinct) = (0.0, 0_u32);
        features::for_each_bucket(text, |b| {
            let (word, bit) = (b as usize / 64 % (DIM / 64), 1 << (b % 64));
            if seen[word] & bit == 0 {
                seen[word] |= bit;
                distinct += 1;
                sum += f64::from(f32::from_le_bytes(self.weights[b as usize % DIM]));
            }
        });
        seen.fill(0);
        let margin = if distinct == 0 { self.bias } else { self.bias + sum / f64::from(distinct).sqrt() };
        Score { margin, flagged: margin >= self.threshold }
    }
}
