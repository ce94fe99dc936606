//! Two versions of a detector (or one with two sets of settings) over the same events,
//! and where they differ: how a reviewer sees what promoting a new version would
//! change before it acts on anything. Neither side's findings reach a store, an
//! incident or a responder.
//!
//! Two forms share the counting here: [`offline`], `aiir shadow OLD NEW LOG…` over
//! recorded logs, and [`live`], a config's `shadow = "NAME"` entry running in the chain
//! of `aiir run` and `aiir serve` beside the entry it shadows.
//!
//! Findings are compared by event and by rule slug (the part after `<plugin>/`, so a
//! renamed plugin still lines up); per slug, the events where both found it, only the old
//! version, only the new one; the cost of each side is the wall time of its calls.

pub mod live;
pub mod offline;

pub use offline::{ShadowOptions, Side, shadow};

use crate::runtime::{Finding, PluginError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Event ids kept as examples per rule and side.
const EXAMPLES: usize = 5;

/// Distinct rule slugs a report keeps; later ones count under [`OTHER`]. A plugin
/// names its rules itself: this bounds what a long-running shadow keeps, and the
/// labels of its metrics.
pub const MAX_RULES: usize = 64;

/// The slug that rules past [`MAX_RULES`] count under.
pub const OTHER: &str = "other";

/// What one side was and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SideReport {
    /// Its own name and version.
    pub plugin: String,
    /// Its version.
    pub version: String,
    /// sha256 of the component; empty for the missing old side of a shadow of no entry.
    pub sha256: String,
    /// Events it was handed.
    pub inspected: u64,
    /// Findings it returned.
    pub findings: u64,
    /// Failed calls, by reason.
    pub errors: BTreeMap<String, u64>,
    /// Wall time of its calls, in milliseconds.
    pub wall_ms: f64,
}

/// Where the two agree and differ on one rule slug.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleDiff {
    /// Events where both found it.
    pub both: u64,
    /// Events where only the old version found it.
    pub only_old: u64,
    /// Events where only the new version found it.
    pub only_new: u64,
    /// Some of the events only the old version found it in.
    pub only_old_events: Vec<String>,
    /// Some of the events only the new version found it in.
    pub only_new_events: Vec<String>,
}

/// The divergence report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShadowReport {
    /// The old side.
    pub old: SideReport,
    /// The new side.
    pub new: SideReport,
    /// Events read.
    pub events: u64,
    /// Lines that could not be read, each named on stderr.
    pub rejected: u64,
    /// Per rule slug.
    pub rules: BTreeMap<String, RuleDiff>,
}

impl ShadowReport {
    /// Whether the two found the same rules in the same events.
    pub fn agree(&self) -> bool {
        self.rules.values().all(|r| r.only_old == 0 && r.only_new == 0)
    }

    /// Count one event: the rule slugs the old side found in it and those the new one did.
    pub fn compare(&mut self, event: &str, old: &BTreeSet<String>, new: &BTreeSet<String>) {
        self.events += 1;
        let (old, new) = self.fold(old, new);
        for slug in old.union(&new) {
            self.rules.entry(slug.clone()).or_default().count(event, old.contains(slug), new.contains(slug));
        }
    }

    /// The two sets with every slug the report has no room for as [`OTHER`]; a slug
    /// takes room once, whichever side found it.
    fn fold(&self, old: &BTreeSet<String>, new: &BTreeSet<String>) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut room = MAX_RULES.saturating_sub(self.rules.len());
        let mut keys = BTreeMap::new();
        for slug in old.union(new) {
            let kept = self.rules.contains_key(slug) || room > 0;
            if kept && !self.rules.contains_key(slug) {
                room -= 1;
            }
            keys.insert(slug, if kept { slug.clone() } else { OTHER.to_owned() });
        }
        let of = |set: &BTreeSet<String>| set.iter().map(|s| keys[s].clone()).collect();
        (of(old), of(new))
    }
}

impl SideReport {
    /// Count one call of this side: the rule slugs it found, none when it failed.
    pub fn record(&mut self, result: &Result<Vec<Finding>, PluginError>, wall: Duration) -> BTreeSet<String> {
        self.inspected += 1;
        self.wall_ms += wall.as_secs_f64() * 1e3;
        match result {
            Ok(findings) => {
                self.findings += findings.len() as u64;
                findings.iter().map(|f| f.rule.split_once('/').map_or(f.rule.as_str(), |(_, s)| s).to_owned()).collect()
            }
            Err(e) => {
                *self.errors.entry(e.reason.code().to_owned()).or_default() += 1;
                BTreeSet::new()
            }
        }
    }

    /// Its line of the text report, after `label`.
    fn line(&self, label: &str) -> String {
        use crate::output::terminal::line;
        if self.sha256.is_empty() {
            return format!("{label}       none: a shadow of no entry, all it finds is its own");
        }
        let per_event = if self.inspected == 0 { 0.0 } else { self.wall_ms * 1e3 / self.inspected as f64 };
        let errors: Vec<String> = self.errors.iter().map(|(r, n)| format!("{r} {n}")).collect();
        let errors = if errors.is_empty() { "no errors".to_owned() } else { format!("errors: {}", errors.join(", ")) };
        format!(
            "{label}       {} {}  sha256 {}…  inspected {}  findings {}  {:.2} ms ({per_event:.1} µs an event)  {errors}",
            line(&self.plugin),
            line(&self.version),
            &self.sha256[..12],
            self.inspected,
            self.findings,
            self.wall_ms,
        )
    }
}

impl RuleDiff {
    /// One event where the old side found the rule (`old`), the new one (`new`), or both.
    fn count(&mut self, event: &str, old: bool, new: bool) {
        let keep = |list: &mut Vec<String>| {
            if list.len() < EXAMPLES {
                list.push(event.to_owned());
            }
        };
        match (old, new) {
            (true, true) => self.both += 1,
            (true, false) => {
                self.only_old += 1;
                keep(&mut self.only_old_events);
            }
            _ => {
                self.only_new += 1;
                keep(&mut self.only_new_events);
            }
        }
    }
}

impl std::fmt::Display for ShadowReport {
    /// The text report: each side, the rules side by side, the diverging events.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::output::terminal::line;
        writeln!(f, "{}", self.old.line("old"))?;
        writeln!(f, "{}", self.new.line("new"))?;
        writeln!(f, "events    {} read, {} lines rejected\n", self.events, self.rejected)?;
        let width = self.rules.keys().map(|k| line(k).chars().count()).max().unwrap_or(4).max(4);
        writeln!(f, "{:<width$}  {:>8}  {:>8}  {:>8}", "rule", "both", "only old", "only new")?;
        for (slug, d) in &self.rules {
            writeln!(f, "{:<width$}  {:>8}  {:>8}  {:>8}", line(slug), d.both, d.only_old, d.only_new)?;
        }
        for (slug, d) in self.rules.iter().filter(|(_, d)| d.only_old + d.only_new > 0) {
            let more = |shown: &[String], all: u64| {
                let rest = all - shown.len() as u64;
                let shown: Vec<String> = shown.iter().map(|e| line(e).into_owned()).collect();
                if rest > 0 { format!("{} and {rest} more", shown.join(", ")) } else { shown.join(", ") }
            };
            if d.only_old > 0 {
                write!(f, "\nonly old  {}: {}", line(slug), more(&d.only_old_events, d.only_old))?;
            }
            if d.only_new > 0 {
                write!(f, "\nonly new  {}: {}", line(slug), more(&d.only_new_events, d.only_new))?;
            }
        }
        let differ = self.rules.values().filter(|d| d.only_old + d.only_new > 0).count();
        match differ {
            0 => write!(f, "\nverdict   the two agree on every event"),
            n => write!(f, "\n\nverdict   the two differ on {n} rule(s)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(slugs: &[&str]) -> BTreeSet<String> {
        slugs.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_rule_counts_the_events_both_or_one_side_found_it_in() {
        let mut report = ShadowReport::default();
        report.compare("e1", &set(&["direct"]), &set(&["direct", "encoded"]));
        report.compare("e2", &set(&["direct"]), &set(&[]));
        report.compare("e3", &set(&[]), &set(&[]));
        let direct = &report.rules["direct"];
        assert_eq!((direct.both, direct.only_old, direct.only_new), (1, 1, 0));
        assert_eq!(
            (direct.only_old_events.as_slice(), report.rules["encoded"].only_new_events.as_slice()),
            (&["e2".to_owned()][..], &["e1".to_owned()][..])
        );
        assert_eq!((report.events, report.agree()), (3, false));
    }

    #[test]
    fn rules_past_the_cap_count_once_an_event_as_other() {
        let mut report = ShadowReport::default();
        let first: Vec<String> = (0..MAX_RULES - 1).map(|i| format!("r{i}")).collect();
        report.compare("e0", &first.iter().cloned().collect(), &BTreeSet::new());
        report.compare("e1", &set(&["late-a", "late-b"]), &set(&["late-c", "r0"]));
        assert_eq!(report.rules.len(), MAX_RULES + 1, "{:?}", report.rules.keys());
        let other = &report.rules[OTHER];
        assert_eq!((other.both, other.only_old, other.only_new), (1, 0, 0), "late-b and late-c fold into one");
        assert_eq!(report.rules["late-a"].only_old, 1);
        assert_eq!(report.rules["r0"].only_new, 1);
    }
}
