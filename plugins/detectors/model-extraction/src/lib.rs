//! `model-extraction`: finds a principal querying a model far beyond its baseline,
//! the footprint of model extraction and cost harvesting.
//!
//! - `model-extraction/query-volume` (medium): requests in the window far above the
//!   principal's own average and the population's median.
//! - `model-extraction/token-spend` (medium): the same for tokens billed.
//! - `model-extraction/enumeration` (high): many prompts that follow one template and
//!   change only a slot, a systematic sweep of the model's knowledge or behaviour.

mod config;
mod principal;
mod recent;

use aiir_sdk::prelude::*;
use aiir_sdk::state;
use config::Config;
use datakit::Redacted;
use principal::{Principal, Rule};
use serde::{Deserialize, Serialize};
use statekit::{Lru, stable_hash};

/// Principals remembered; the least recently seen are forgotten beyond it.
const MAX_PRINCIPALS: usize = 4_096;
/// The state key of the clock and the median; each principal is under `p/…`.
const META: &str = "meta";
/// Active principals needed for a population median.
const MIN_POPULATION: usize = 5;
/// Events between two computations of the population median within one bucket.
const MEDIAN_EVERY: u32 = 64;

const EXTRACTION: [&str; 2] = ["AML.T0024.002", "LLM10"];
const COST: [&str; 2] = ["AML.T0034", "LLM10"];

/// The detector: settings, principals, and the population's median per window.
///
/// Everything but the settings is kept in the host's keyed state too (one partition:
/// the median compares each principal with all others), written as it changes and
/// read back by a new instance before its first event, so that a restart, of the
/// instance or of the host, changes no finding. `principals` is that state in memory.
#[derive(Debug)]
pub struct ModelExtraction {
    config: Config,
    principals: Lru<String, Principal>,
    clock: Clock,
    /// Whether the state was read back from the host yet.
    loaded: bool,
}

/// The latest event time seen, and the median derived from the principals.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Clock {
    /// The latest event time seen, in seconds.
    now_secs: u64,
    median: Median,
}

/// The cached median requests and tokens per window of the active principals.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Median {
    bucket: Option<u64>,
    events: u32,
    value: Option<[f64; 2]>,
}

impl Default for ModelExtraction {
    fn default() -> Self {
        let principals = Lru::new(MAX_PRINCIPALS);
        Self { config: Config::default(), principals, clock: Clock::default(), loaded: false }
    }
}

impl Detector for ModelExtraction {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "model-extraction",
            env!("CARGO_PKG_VERSION"),
            "a principal whose query volume, token spend or systematic enumeration of templated prompts is far \
             above its baseline",
        )
        .kinds([EventKind::Inference])
        .settings(config::DOC)
    }

    fn configure(&mut self, settings: Settings) -> Result<(), Vec<SettingsError>> {
        self.config = Config::from_settings(&settings)?;
        Ok(())
    }

    fn inspect(&mut self, event: &Event) -> Result<Vec<Finding>, String> {
        let (Payload::Inference(inference), Some(principal)) = (&event.payload, &event.principal) else {
            return Ok(Vec::new());
        };
        if self.config.exempt.contains(principal) {
            return Ok(Vec::new());
        }
        self.load();
        let clock = &mut self.clock;
        clock.now_secs = clock.now_secs.max(event.time_unix_nano / 1_000_000_000);
        let now = clock.now_secs / (self.config.window_secs / recent::BUCKETS);
        let median = self.median(now);
        let tokens = inference.input_tokens.unwrap_or(0) + inference.output_tokens.unwrap_or(0);
        let p = principal_entry(&mut self.principals, principal, now);
        p.request(now, u64::from(tokens));
        let prompt = last_user_message(inference);
        let template = prompt.as_ref().and_then(|(_, text)| p.prompt(now, text));
        let findings = [
            volume(&self.config, p, now, median, Rule::QueryVolume),
            volume(&self.config, p, now, median, Rule::TokenSpend),
            enumeration(&self.config, p, now, template),
        ];
        state::save(&principal_key(principal), &(principal, &*p))?;
        state::save(META, &self.clock)?;
        // The prompt is the principal's own text: mask what it may hold of personal data.
        let evidence = |f: Finding| match &prompt {
            Some((field, text)) => {
                let masked = Redacted::all(text);
                f.evidence(field.clone(), excerpt(&masked, 0..masked.len()))
            }
            None => f,
        };
        Ok(findings.into_iter().flatten().map(evidence).collect())
    }
}

impl ModelExtraction {
    /// Read the state back from the host, once per instance: the principals in the
    /// order they were written, which is the order they were last used.
    fn load(&mut self) {
        if std::mem::replace(&mut self.loaded, true) {
            return;
        }
        self.clock = state::load(META).unwrap_or_default();
        for key in state::keys().iter().filter(|k| k.starts_with("p/")) {
            if let Some((name, p)) = state::load::<(String, Principal)>(key) {
                self.principals.get_or_insert_with(name, || p);
            }
        }
    }

    /// The median requests and tokens per window of the principals active in it, when
    /// at least [`MIN_POPULATION`] are; recomputed each bucket or every
    /// [`MEDIAN_EVERY`] events.
    fn median(&mut self, now: u64) -> Option<[f64; 2]> {
        let m = &mut self.clock.median;
        m.events += 1;
        if m.bucket == Some(now) && m.events < MEDIAN_EVERY {
            return m.value;
        }
        let windows: Vec<[u64; 2]> =
            self.principals.values().map(|p| p.window(now)).filter(|[requests, _]| *requests > 0).collect();
        let value = (windows.len() >= MIN_POPULATION).then(|| [0, 1].map(|k| middle(windows.iter().map(|w| w[k]))));
        *m = Median { bucket: Some(now), events: 0, value };
        value
    }
}

/// The principal of this name, new when unknown; those its arrival made the map
/// forget are forgotten in the host's state too.
fn principal_entry<'p>(principals: &'p mut Lru<String, Principal>, name: &str, now: u64) -> &'p mut Principal {
    let name = name.to_owned();
    let full = principals.len() >= MAX_PRINCIPALS && principals.get(&name).is_none();
    let before: Vec<String> = if full { principals.keys().cloned().collect() } else { Vec::new() };
    principals.get_or_insert_with(name.clone(), || Principal::new(now));
    for gone in before.iter().filter(|k| principals.get(k).is_none()) {
        state::remove(&principal_key(gone));
    }
    principals.get_or_insert_with(name, || Principal::new(now))
}

/// The state key of a principal: hashed, as a name may be longer than a key may be.
fn principal_key(name: &str) -> String {
    format!("p/{:016x}", stable_hash(name.as_bytes()))
}

fn middle(values: impl Iterator<Item = u64>) -> f64 {
    let mut values: Vec<u64> = values.collect();
    let mid = values.len() / 2;
    *values.select_nth_unstable(mid).1 as f64
}

/// The request or token rule: over `max(floor, factor × baseline)`, and armed.
fn volume(config: &Config, p: &mut Principal, now: u64, median: Option<[f64; 2]>, rule: Rule) -> Option<Finding> {
    let k = rule as usize;
    let value = p.window(now)[k] as f64;
    let (own, population) = (p.baseline[k], median.map_or(0.0, |m| m[k]));
    let base = own.max(population);
    let threshold = (config.volume_factor * base).max(config.floors[k] as f64);
    if !fire(p, rule, value, threshold) {
        return None;
    }
    let (id, unit, severity, techniques) = match rule {
        Rule::TokenSpend => ("model-extraction/token-spend", "tokens", Severity::Medium, COST),
        _ => ("model-extraction/query-volume", "requests", Severity::Medium, EXTRACTION),
    };
    let span = span(config.window_secs);
    let title = if base > 0.0 {
        let which = if own >= population { "its own average" } else { "the median principal's" };
        format!("{value:.0} {unit} in {span}, {:.0}× {which} of {base:.0}", value / base)
    } else {
        format!("{value:.0} {unit} in {span} from a principal with no baseline yet (floor {})", config.floors[k])
    };
    let confidence = if base > 0.0 { 0.75 } else { 0.6 };
    Some(Finding::new(id, title, severity).confidence(confidence).techniques(techniques))
}

fn enumeration(config: &Config, p: &mut Principal, now: u64, template: Option<[u64; 3]>) -> Option<Finding> {
    let min = config.enumeration_min_requests;
    let [prompts, changes, steps] = template.unwrap_or_default();
    if prompts < min || changes * 5 < prompts * 4 {
        // Re-armed by the busiest template, not this prompt's, which may be a new one.
        if p.busiest_template(now) * 2 < min {
            p.armed[Rule::Enumeration as usize] = true;
        }
        return None;
    }
    if !fire(p, Rule::Enumeration, prompts as f64, min as f64) {
        return None;
    }
    let counter = steps * 2 >= prompts;
    let how = if counter { ", a counter stepping through them" } else { "" };
    let title = format!(
        "{prompts} prompts in {} follow one template, {changes} of them with a new slot value{how}: a systematic sweep",
        span(config.window_secs)
    );
    let confidence = if counter { 0.9 } else { 0.75 };
    Some(
        Finding::new("model-extraction/enumeration", title, Severity::High)
            .confidence(confidence)
            .techniques(EXTRACTION),
    )
}

/// Whether `rule` fires at `value` against `threshold`: once when crossing, then not
/// until the value fell below half the threshold.
fn fire(p: &mut Principal, rule: Rule, value: f64, threshold: f64) -> bool {
    let armed = &mut p.armed[rule as usize];
    if value >= threshold && *armed {
        *armed = false;
        return true;
    }
    if value < threshold / 2.0 {
        *armed = true;
    }
    false
}

/// The last user message of the call: the new turn of a chat that resends its history.
fn last_user_message(inference: &aiir_sdk::Inference) -> Option<(String, &str)> {
    let (n, m) = inference.input.iter().enumerate().rev().find(|(_, m)| m.role == Role::User)?;
    Some((format!("payload.inference.input[{n}].content"), m.content.as_str()))
}

/// `10 min`, or `90 s`.
fn span(secs: u64) -> String {
    if secs.is_multiple_of(60) { format!("{} min", secs / 60) } else { format!("{secs} s") }
}

// Exported only in the wasm build, so that the native benchmarks can link several
// detectors into one program without their export symbols clashing.
#[cfg(target_arch = "wasm32")]
aiir_sdk::export_detector!(ModelExtraction);

#[cfg(test)]
mod tests;
