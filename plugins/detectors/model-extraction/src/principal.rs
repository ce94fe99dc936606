//! What the plugin remembers about one principal: its recent volume, its own
//! baseline, and the templates its prompts follow.

use crate::recent::{BUCKETS, Recent};
use serde::{Deserialize, Serialize};
use statekit::{sorted_jaccard, stable_hash, stable_hash_chars, words};

/// Weight of each closed bucket in the principal's own average: about six windows.
const ALPHA: f64 = 1.0 / (6.0 * BUCKETS as f64);
/// Templates kept per principal.
pub const MAX_TEMPLATES: usize = 4;
/// Words of a prompt kept for its template.
const TEMPLATE_WORDS: usize = 32;
/// Prompts shorter than this are not templates: "yes", "thanks!".
const MIN_TEMPLATE_WORDS: usize = 4;
/// How alike two prompts' word sets must be to share a template.
const TEMPLATE_SIMILARITY: f32 = 0.6;
/// The largest step between numbers that still counts as a counter.
const COUNTER_STEP: u64 = 10;

/// The rules, as indices of [`Principal::armed`].
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    QueryVolume = 0,
    TokenSpend = 1,
    Enumeration = 2,
}

/// One principal.
#[derive(Debug, Serialize, Deserialize)]
pub struct Principal {
    /// Requests and tokens per bucket.
    volume: Recent<2>,
    /// Its own average requests and tokens per window, before the current window.
    pub baseline: [f64; 2],
    /// The first bucket not yet folded into `baseline`.
    folded: u64,
    templates: Vec<Template>,
    /// Whether each rule may fire: cleared when it fires, set again once its
    /// measure falls below half the threshold.
    pub armed: [bool; 3],
}

/// Prompts alike but for their slots.
#[derive(Debug, Serialize, Deserialize)]
struct Template {
    /// The first prompt's words, as sorted hashes.
    words: Vec<u64>,
    /// Prompts, prompts unlike the one before, and numbers a counter step from the last.
    recent: Recent<3>,
    last_prompt: u64,
    last_number: Option<u64>,
}

impl Principal {
    pub fn new(now: u64) -> Self {
        Self { volume: Recent::default(), baseline: [0.0; 2], folded: now, templates: Vec::new(), armed: [true; 3] }
    }

    /// Count a request of `tokens` tokens in bucket `now`.
    pub fn request(&mut self, now: u64, tokens: u64) {
        self.fold(now);
        self.volume.add(now, [1, tokens]);
    }

    /// Requests and tokens in the window ending with bucket `now`.
    pub fn window(&self, now: u64) -> [u64; 2] {
        self.volume.sum(now)
    }

    /// Fold the buckets that left the window ending with `now` into the own average,
    /// so that the window is judged against what came before it; the buckets in
    /// which the principal was silent count as zero.
    fn fold(&mut self, now: u64) {
        let horizon = (now + 1).saturating_sub(BUCKETS);
        let mut at = self.folded;
        let left: Vec<(u64, [u64; 2])> = self.volume.closed(at, horizon).copied().collect();
        for (index, counts) in left {
            self.decay(index - at);
            for (b, c) in self.baseline.iter_mut().zip(counts) {
                *b = *b * (1.0 - ALPHA) + ALPHA * (c * BUCKETS) as f64;
            }
            at = index + 1;
        }
        self.decay(horizon.saturating_sub(at));
        self.folded = self.folded.max(horizon);
    }

    fn decay(&mut self, buckets: u64) {
        let factor = (1.0 - ALPHA).powi(buckets.min(100_000) as i32);
        self.baseline.iter_mut().for_each(|b| *b *= factor);
    }

    /// Count a prompt into its template; the template's prompts, changes and counter
    /// steps in the window, when the prompt is long enough to have one.
    pub fn prompt(&mut self, now: u64, text: &str) -> Option<[u64; 3]> {
        let shape = shape(text)?;
        let hash = stable_hash(text.trim().as_bytes());
        let number = first_number(text);
        let at = match self.templates.iter().position(|t| sorted_jaccard(&t.words, &shape) >= TEMPLATE_SIMILARITY) {
            Some(at) => at,
            None => self.make_room(now, shape),
        };
        let t = &mut self.templates[at];
        let changed = u64::from(t.last_prompt != hash);
        let stepped = match (t.last_number, number) {
            (Some(a), Some(b)) => u64::from(a != b && a.abs_diff(b) <= COUNTER_STEP),
            _ => 0,
        };
        (t.last_prompt, t.last_number) = (hash, number);
        t.recent.add(now, [1, changed, stepped]);
        Some(t.recent.sum(now))
    }

    /// Room for a new template: a free slot, or the one least used in the window.
    fn make_room(&mut self, now: u64, words: Vec<u64>) -> usize {
        let fresh = Template { words, recent: Recent::default(), last_prompt: 0, last_number: None };
        if self.templates.len() < MAX_TEMPLATES {
            self.templates.push(fresh);
            return self.templates.len() - 1;
        }
        let (at, _) = self.templates.iter().enumerate().min_by_key(|(_, t)| t.recent.sum(now)[0]).expect("full");
        self.templates[at] = fresh;
        at
    }

    /// The most prompts any template had in the window.
    pub fn busiest_template(&self, now: u64) -> u64 {
        self.templates.iter().map(|t| t.recent.sum(now)[0]).max().unwrap_or(0)
    }
}

/// A prompt's words as a sorted set of hashes, digit runs made one slot `#`;
/// `None` for prompts too short to be a template.
fn shape(text: &str) -> Option<Vec<u64>> {
    let mut hashes: Vec<u64> = words(text).take(TEMPLATE_WORDS).map(|w| stable_hash_chars(slotted(w))).collect();
    if hashes.len() < MIN_TEMPLATE_WORDS {
        return None;
    }
    hashes.sort_unstable();
    hashes.dedup();
    Some(hashes)
}

/// `NW-10231` → `nw`, `10231` → `#`; `sku10231` → `sku#`: lowercase, each run of digits
/// one `#` (none right after a `#`). Read as it is hashed, so no word is copied.
fn slotted(word: &str) -> impl Iterator<Item = char> + '_ {
    let mut last = None;
    word.chars().flat_map(char::to_lowercase).filter_map(move |c| {
        let c = match c.is_ascii_digit() {
            true if last == Some('#') => return None,
            true => '#',
            false => c,
        };
        last = Some(c);
        Some(c)
    })
}

/// The first run of digits in `text`, as a number (at most 18 digits of it).
fn first_number(text: &str) -> Option<u64> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).take(18).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_differing_in_a_slot_share_a_template() {
        let mut p = Principal::new(0);
        for n in 0..5 {
            p.prompt(0, &format!("Give the full spec sheet and price for SKU NW-{}", 10_231 + n));
        }
        let got = p.prompt(0, "Give the full spec sheet and price for the Summit Parka").unwrap();
        assert_eq!(got, [6, 6, 4]);
        assert_eq!(p.templates.len(), 1);
    }

    #[test]
    fn repeats_are_not_changes_and_unlike_prompts_get_their_own_template() {
        let mut p = Principal::new(0);
        p.prompt(0, "Where is my order A-10482 please");
        assert_eq!(p.prompt(0, "Where is my order A-10482 please"), Some([2, 1, 0]));
        assert_eq!(p.prompt(0, "Can I return boots bought in a store?"), Some([1, 1, 0]));
        assert_eq!(p.prompt(0, "thanks!"), None);
    }

    #[test]
    fn templates_are_bounded() {
        let mut p = Principal::new(0);
        let topics = ["boots", "tents", "parkas", "socks", "lamps", "ropes"];
        for t in topics {
            p.prompt(0, &format!("{t} {t}1 {t}2 {t}3 {t}4"));
        }
        assert_eq!(p.templates.len(), MAX_TEMPLATES);
    }

    #[test]
    fn the_own_average_follows_past_windows_and_decays_in_silence() {
        let mut p = Principal::new(0);
        (0..10).for_each(|_| p.request(0, 100));
        p.request(5, 0);
        assert_eq!(p.baseline[0], 0.0, "bucket 0 is still in the window");
        p.request(6, 0);
        let after_one = p.baseline[0];
        assert!((after_one - ALPHA * 60.0).abs() < 1e-9, "{after_one}");
        p.request(40, 0);
        assert!(p.baseline[0] < after_one * 0.5, "{:?}", p.baseline);
    }

    #[test]
    fn slots_and_numbers() {
        assert_eq!(slotted("NW10231x7").collect::<String>(), "nw#x#");
        assert_eq!(slotted("#5a").collect::<String>(), "#a");
        assert_eq!(first_number("order A-10482, 2 boxes"), Some(10482));
        assert_eq!(first_number("no digits"), None);
    }
}
