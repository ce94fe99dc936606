//! Several patterns searched in one pass. A plugin instance compiles its regexes on
//! first use, which dominates its first call: so the union is compiled once, and each
//! pattern's own regex (for where it matched) only when a text first holds it.

use regex::{Regex, RegexSet};
use std::sync::{LazyLock, OnceLock};

/// Patterns, and the automaton of all of them.
pub(crate) struct Union {
    set: RegexSet,
    each: Vec<OnceLock<Regex>>,
}

impl Union {
    /// The union of `sources`; panics on an invalid built-in source.
    pub(crate) fn new(sources: &[String]) -> Self {
        let set = RegexSet::new(sources).unwrap_or_else(|e| panic!("built-in patterns: {e}"));
        Self { set, each: sources.iter().map(|_| OnceLock::new()).collect() }
    }

    /// Compile every pattern's own regex now, for pre-initialisation ([`crate::warm_up`]).
    pub(crate) fn compile_all(&self) {
        for i in 0..self.each.len() {
            self.compiled(i);
        }
    }

    fn compiled(&self, i: usize) -> &Regex {
        self.each[i].get_or_init(|| Regex::new(&self.set.patterns()[i]).expect("compiled"))
    }

    /// The patterns that match somewhere in `text`, in order, by index: one pass over
    /// `text` for all of them.
    pub(crate) fn matching(&self, text: &str) -> impl Iterator<Item = (usize, &Regex)> {
        self.set.matches(text).into_iter().map(move |i| (i, self.compiled(i)))
    }
}

/// Compile regexes kept in statics now, for pre-initialisation ([`crate::warm_up`]).
pub(crate) fn force(regexes: &[&LazyLock<Regex>]) {
    for regex in regexes {
        LazyLock::force(regex);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_matching_patterns_are_compiled() {
        let union = Union::new(&[r"\d+".into(), r"[a-z]+@[a-z]+".into(), "x".into()]);
        let found: Vec<(usize, String)> = union
            .matching("mail me@here 42")
            .map(|(i, r)| (i, r.find("mail me@here 42").unwrap().as_str().to_owned()))
            .collect();
        assert_eq!(found, [(0, "42".to_owned()), (1, "me@here".to_owned())]);
        assert!(union.each[2].get().is_none());
    }

    #[test]
    fn compile_all_leaves_nothing_to_compile_on_first_use() {
        let union = Union::new(&[r"\d+".into(), "x".into()]);
        union.compile_all();
        assert!(union.each.iter().all(|regex| regex.get().is_some()));
        assert_eq!(union.matching("x 42").map(|(i, _)| i).collect::<Vec<_>>(), [0, 1]);
    }
}
