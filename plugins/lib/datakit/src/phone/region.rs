//! Whether a national number is valid in a region: libphonenumber's
//! `isValidNumberForRegion`, over the numbering plans in [`super::metadata`].
//!
//! A number is valid when it matches the region's general pattern and the pattern of
//! some type of number (fixed line, mobile, toll-free, …) at a length that type has.
//! `build.rs` compiles each region's patterns to a DFA; the plugin reads it in place the
//! first time a number is checked against the region.

use super::metadata::REGIONS;
use super::plan::Type;
use regex_automata::dfa::{Automaton, dense::DFA};
use regex_automata::{Anchored, Input, PatternID, PatternSet};
use std::sync::OnceLock;

/// Bytes aligned as a DFA needs them to be read in place.
#[repr(C)]
struct Aligned<B: ?Sized> {
    _align: [u32; 0],
    bytes: B,
}

/// Each region's DFA as `build.rs` serialised it, in the order of [`REGIONS`].
static SERIALISED: [&Aligned<[u8]>; REGIONS.len()] = include!(concat!(env!("OUT_DIR"), "/phone_dfas.rs"));
static DFAS: [OnceLock<DFA<&'static [u32]>>; REGIONS.len()] = [const { OnceLock::new() }; REGIONS.len()];

/// The regions a national number in `digits` (its trunk prefix included) is valid in;
/// regions without a trunk prefix are not tried, as nothing marks a run of digits as
/// dialled within them.
pub(super) fn regions_of(digits: &str) -> impl Iterator<Item = &'static str> + '_ {
    REGIONS.iter().enumerate().filter_map(move |(i, region)| {
        let national = digits.strip_prefix(region.national_prefix).filter(|_| !region.national_prefix.is_empty())?;
        valid(i, national).then_some(region.id)
    })
}

/// Whether `national` (digits, no trunk prefix) is a valid number of region `i`.
fn valid(i: usize, national: &str) -> bool {
    let region = &REGIONS[i];
    let len = national.len();
    let fits = |t: &Type| t.lengths.iter().any(|&l| usize::from(l) == len);
    if !region.types.iter().any(fits) {
        return false;
    }
    let dfa = dfa(i);
    let mut matched = PatternSet::new(dfa.pattern_len());
    let input = Input::new(national).anchored(Anchored::Yes);
    dfa.try_which_overlapping_matches(&input, &mut matched).expect("an anchored DFA search");
    let general = region.types.len();
    matched.contains(PatternID::must(general))
        && matched.iter().any(|t| t.as_usize() < general && fits(&region.types[t]))
}

/// Read every region's DFA now, for pre-initialisation ([`crate::warm_up`]).
pub(super) fn warm_up() {
    for i in 0..REGIONS.len() {
        dfa(i);
    }
}

fn dfa(i: usize) -> &'static DFA<&'static [u32]> {
    DFAS[i].get_or_init(|| DFA::from_bytes(&SERIALISED[i].bytes).expect("a DFA build.rs wrote").0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions(digits: &str) -> Vec<&'static str> {
        regions_of(digits).collect()
    }

    #[test]
    fn national_numbers_are_valid_in_their_region() {
        assert!(regions("02079460958").contains(&"GB"));
        assert!(regions("09876543210").contains(&"IN"));
        assert!(regions("01712345678").contains(&"DE"));
        assert_eq!(regions("0497029316"), ["FR"]);
        assert!(regions("0312345678").contains(&"JP"));
        assert_eq!(regions("14155550134"), ["US"]);
    }

    #[test]
    fn digit_runs_outside_every_plan_are_not() {
        assert!(regions("00000000000").is_empty());
        assert!(regions("012345678").is_empty());
        assert!(regions("4006381333931").is_empty(), "no trunk prefix");
    }
}
