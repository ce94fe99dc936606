//! The counters of `aiir serve`, written out in the Prometheus text format 0.0.4 for
//! `GET /metrics`. Hand-written: a few maps behind one lock, rendered on request.

use super::ingest::Bounds;
use crate::chain::Reply;
use crate::runtime::{Event, Reason};
use crate::shadow::SideReport;
use crate::shadow::live::{Board, Comparison};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the plugin-call latency buckets, in seconds: 10 µs to 1 s.
const BUCKETS: [f64; 16] =
    [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0];

/// Distinct `source` label values kept; later sources count under `other`, so a client
/// cannot grow the metrics without bound by inventing service names.
const MAX_SOURCES: usize = 64;
/// The longest `source` label: a client names its own service, at any length.
pub const MAX_SOURCE_BYTES: usize = 128;

/// What `aiir serve` has done so far.
#[derive(Debug)]
pub struct Metrics {
    state: Mutex<State>,
    queue_depth: AtomicI64,
    queue_capacity: Bounds,
    /// The shadow entries' comparisons, counted by the job.
    shadows: Board,
}

#[derive(Debug, Default)]
struct State {
    plugins: Vec<String>,
    /// Reloads of the chain, refused and done.
    reloads: BTreeMap<&'static str, u64>,
    /// Whether the last reload was refused (the running chain is not the config's).
    reload_refused: bool,
    fuel_metered: bool,
    events_in: BTreeMap<(String, &'static str), u64>,
    rejected: BTreeMap<&'static str, u64>,
    skipped: BTreeMap<&'static str, u64>,
    findings: BTreeMap<(usize, &'static str), u64>,
    latency: Vec<Histogram>,
    fuel: Vec<u64>,
    errors: BTreeMap<(usize, Reason), u64>,
    requests: BTreeMap<(&'static str, u16), u64>,
    blind: BTreeMap<String, u64>,
    duplicates: u64,
    handshakes_failed: u64,
    connections_closed: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|&b| seconds <= b) {
            self.counts[i] += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

impl Metrics {
    /// Metrics for a chain of these plugins, with a queue of these bounds.
    pub fn new(plugins: Vec<String>, queue_capacity: Bounds) -> Self {
        let n = plugins.len();
        let state = State { plugins, latency: vec![Histogram::default(); n], fuel: vec![0; n], ..State::default() };
        Self { state: Mutex::new(state), queue_depth: AtomicI64::new(0), queue_capacity, shadows: Board::default() }
    }

    /// Where the job shows its shadows' comparisons, for `/metrics` and `/api/v1/shadow`.
    pub fn shadows(&self) -> Board {
        self.shadows.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere must not take the metrics down with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A request decoded in `format` was queued: its events, spans skipped and rejected.
    pub fn accepted(&self, format: &'static str, events: &[Event], skipped: u64, rejected: u64) {
        let mut s = self.state();
        for event in events {
            let source = label(&event.source, s.events_in.len(), |l| s.events_in.contains_key(&(l.to_owned(), format)));
            *s.events_in.entry((source, format)).or_default() += 1;
        }
        *s.skipped.entry(format).or_default() += skipped;
        *s.rejected.entry(format).or_default() += rejected;
        drop(s);
        self.queue_depth.fetch_add(events.len() as i64, Ordering::Relaxed);
    }

    /// The chain was reloaded: its plugins are now `plugins`. Each plugin's counters
    /// follow it by name; those of a plugin no longer in the chain are dropped (a
    /// Prometheus counter that disappears reads as a reset).
    pub fn reloaded(&self, plugins: Vec<String>) {
        let mut s = self.state();
        let to: Vec<Option<usize>> = s.plugins.iter().map(|old| plugins.iter().position(|p| p == old)).collect();
        s.findings =
            std::mem::take(&mut s.findings).into_iter().filter_map(|((i, k), n)| Some(((to[i]?, k), n))).collect();
        s.errors = std::mem::take(&mut s.errors).into_iter().filter_map(|((i, k), n)| Some(((to[i]?, k), n))).collect();
        let (mut latency, mut fuel) = (vec![Histogram::default(); plugins.len()], vec![0; plugins.len()]);
        for (old, new) in to.iter().enumerate() {
            if let Some(new) = *new {
                latency[new] = s.latency[old].clone();
                fuel[new] = s.fuel[old];
            }
        }
        (s.latency, s.fuel, s.plugins) = (latency, fuel, plugins);
        *s.reloads.entry("done").or_default() += 1;
        s.reload_refused = false;
    }

    /// A reload was refused: the running chain goes on.
    pub fn reload_refused(&self) {
        let mut s = self.state();
        *s.reloads.entry("refused").or_default() += 1;
        s.reload_refused = true;
    }

    /// One queued event has gone through the chain.
    pub fn dequeued(&self) {
        self.queue_depth.fetch_sub(1, Ordering::Relaxed);
    }

    /// What one plugin call did; `fails_closed` when a failure is written as a finding.
    /// A shadow entry's call (`shadow`) is counted like any other, what it found is not:
    /// only compared.
    pub fn reply(&self, reply: &Reply, fails_closed: bool, shadow: bool) {
        let mut s = self.state();
        let p = reply.plugin;
        match &reply.result {
            Ok(_) if shadow => {}
            Ok(findings) => {
                for f in findings {
                    *s.findings.entry((p, f.severity.name())).or_default() += 1;
                }
            }
            Err(e) => {
                *s.errors.entry((p, e.reason)).or_default() += 1;
                if fails_closed && !shadow {
                    *s.findings.entry((p, "high")).or_default() += 1;
                }
            }
        }
        if reply.result.as_ref().is_err_and(|e| e.reason == Reason::Disabled) {
            return; // not called: no latency, no fuel
        }
        s.latency[p].observe(reply.stats.wall.as_secs_f64());
        if let Some(fuel) = reply.stats.fuel {
            // Only an engine that meters fuel reports it; the family appears from then on.
            s.fuel_metered = true;
            s.fuel[p] += fuel;
        }
    }

    /// A model call from `source` came without message content.
    pub fn blind(&self, source: &str) {
        let mut s = self.state();
        let source = label(source, s.blind.len(), |l| s.blind.contains_key(l));
        *s.blind.entry(source).or_default() += 1;
    }

    /// A client's TLS handshake failed (a certificate the CA did not sign, say).
    pub fn handshake_failed(&self, why: &str) {
        tracing::debug!(error = why, "TLS handshake failed");
        self.state().handshakes_failed += 1;
    }

    /// A connection was closed early: `shed` (idle, to make room for another) or
    /// `refused` (no room, none idle).
    pub fn connection_closed(&self, reason: &'static str) {
        *self.state().connections_closed.entry(reason).or_default() += 1;
    }

    /// Log records dropped as duplicates of a call already let go.
    pub fn duplicates(&self, n: u64) {
        self.state().duplicates += n;
    }

    /// An HTTP request to `route` answered with `status` (a gRPC call: its status code).
    pub fn request(&self, route: &'static str, status: u16) {
        *self.state().requests.entry((route, status)).or_default() += 1;
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let s = self.state();
        let mut out = String::new();
        let plugin = |i: &usize| s.plugins[*i].as_str();
        family(&mut out, "aiir_events_received_total", "counter", "Events decoded from OTLP requests and queued.");
        for ((source, format), n) in &s.events_in {
            sample(&mut out, "aiir_events_received_total", &[("source", source), ("format", format)], *n);
        }
        family(&mut out, "aiir_events_rejected_total", "counter", "Spans that could not be turned into events.");
        for (format, n) in &s.rejected {
            sample(&mut out, "aiir_events_rejected_total", &[("format", format)], *n);
        }
        family(&mut out, "aiir_spans_skipped_total", "counter", "Spans without gen_ai attributes, not for aiir.");
        for (format, n) in &s.skipped {
            sample(&mut out, "aiir_spans_skipped_total", &[("format", format)], *n);
        }
        let name = "aiir_genai_calls_without_content_total";
        family(&mut out, name, "counter", "Model calls that came without message content: the detectors are blind.");
        for (source, n) in &s.blind {
            sample(&mut out, name, &[("source", source)], *n);
        }
        let name = "aiir_log_records_duplicate_total";
        family(&mut out, name, "counter", "GenAI log records dropped: their span carried the same messages.");
        sample(&mut out, name, &[], s.duplicates);
        let name = "aiir_tls_handshakes_failed_total";
        family(&mut out, name, "counter", "Connections closed because their TLS handshake failed.");
        sample(&mut out, name, &[], s.handshakes_failed);
        let name = "aiir_connections_closed_total";
        family(&mut out, name, "counter", "Connections closed early: shed when idle to make room, or refused.");
        for (reason, n) in &s.connections_closed {
            sample(&mut out, name, &[("reason", reason)], *n);
        }
        family(&mut out, "aiir_reloads_total", "counter", "Reloads of the chain (SIGHUP, --watch), done or refused.");
        for (result, n) in &s.reloads {
            sample(&mut out, "aiir_reloads_total", &[("result", result)], *n);
        }
        let name = "aiir_reload_refused";
        family(&mut out, name, "gauge", "1 while the last reload was refused: the running chain is not the config's.");
        sample(&mut out, name, &[], u64::from(s.reload_refused));
        family(&mut out, "aiir_findings_total", "counter", "Findings written, by plugin and severity.");
        for ((p, severity), n) in &s.findings {
            sample(&mut out, "aiir_findings_total", &[("plugin", plugin(p)), ("severity", severity)], *n);
        }
        family(&mut out, "aiir_plugin_errors_total", "counter", "Events a plugin did not inspect, by reason.");
        for ((p, reason), n) in &s.errors {
            sample(&mut out, "aiir_plugin_errors_total", &[("plugin", plugin(p)), ("reason", reason.code())], *n);
        }
        latency(&mut out, &s);
        if s.fuel_metered {
            family(&mut out, "aiir_plugin_fuel_used_total", "counter", "Wasm fuel spent by a plugin's calls.");
            for (p, n) in s.fuel.iter().enumerate() {
                sample(&mut out, "aiir_plugin_fuel_used_total", &[("plugin", plugin(&p))], *n);
            }
        }
        family(&mut out, "aiir_queue_depth", "gauge", "Events queued for the detectors, not yet inspected.");
        sample(&mut out, "aiir_queue_depth", &[], self.queue_depth.load(Ordering::Relaxed).max(0));
        let Bounds { requests, events, bytes } = self.queue_capacity;
        family(&mut out, "aiir_queue_capacity", "gauge", "Requests the queue holds before answering 503.");
        sample(&mut out, "aiir_queue_capacity", &[], requests);
        let name = "aiir_queue_capacity_events";
        family(&mut out, name, "gauge", "Events the queue holds before answering 503.");
        sample(&mut out, name, &[], events);
        let name = "aiir_queue_capacity_bytes";
        family(&mut out, name, "gauge", "Bytes of event text the queue holds before answering 503.");
        sample(&mut out, name, &[], bytes);
        let help = "HTTP requests answered, by route and status (for gRPC methods, the gRPC status code).";
        family(&mut out, "aiir_http_requests_total", "counter", help);
        for ((route, status), n) in &s.requests {
            sample(&mut out, "aiir_http_requests_total", &[("route", route), ("status", &status.to_string())], *n);
        }
        drop(s);
        shadows(&mut out, &self.shadows.snapshot());
        out
    }
}

/// `source` as a label, capped at [`MAX_SOURCE_BYTES`]: itself while fewer than
/// [`MAX_SOURCES`] are kept (`kept`) or when it is `known` already, else `other`.
fn label(source: &str, kept: usize, known: impl Fn(&str) -> bool) -> String {
    let capped = aiir_boundary::cap(source, MAX_SOURCE_BYTES).into_owned();
    if kept < MAX_SOURCES || known(&capped) { capped } else { "other".into() }
}

/// The shadow entries' divergence: per rule slug (at most
/// [`MAX_RULES`](crate::shadow::MAX_RULES) a shadow, the rest as `other`), the events
/// both sides found it in and those only one did; per side, its calls and their time.
fn shadows(out: &mut String, comparisons: &[Comparison]) {
    let name = "aiir_shadow_findings_total";
    let help = "Events a shadow entry and the entry it shadows found a rule in: both, only the old, only the new.";
    family(out, name, "counter", help);
    for c in comparisons {
        let shadows = c.shadows.as_deref().unwrap_or("");
        for (rule, d) in &c.report.rules {
            for (side, n) in [("both", d.both), ("old_only", d.only_old), ("new_only", d.only_new)] {
                let labels = [("detector", c.detector.as_str()), ("shadows", shadows), ("rule", rule), ("side", side)];
                sample(out, name, &labels, n);
            }
        }
    }
    let help = "Calls of each side of a shadow comparison.";
    shadow_sides(out, "aiir_shadow_calls_total", help, comparisons, |r| r.inspected as f64);
    let help = "Wall-clock time of the calls of each side of a shadow comparison.";
    shadow_sides(out, "aiir_shadow_call_seconds_total", help, comparisons, |r| r.wall_ms / 1e3);
}

/// One family with a sample per side of each comparison: `value` of that side.
fn shadow_sides(out: &mut String, name: &str, help: &str, comparisons: &[Comparison], value: fn(&SideReport) -> f64) {
    family(out, name, "counter", help);
    for c in comparisons {
        let shadows = c.shadows.as_deref().unwrap_or("");
        for (side, r) in [("old", &c.report.old), ("new", &c.report.new)] {
            sample(out, name, &[("detector", c.detector.as_str()), ("shadows", shadows), ("side", side)], value(r));
        }
    }
}

fn latency(out: &mut String, s: &State) {
    let name = "aiir_plugin_call_duration_seconds";
    family(out, name, "histogram", "Wall-clock time of one plugin call.");
    for (p, h) in s.latency.iter().enumerate() {
        let plugin = s.plugins[p].as_str();
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            cumulative += n;
            sample(out, &format!("{name}_bucket"), &[("plugin", plugin), ("le", &bound.to_string())], cumulative);
        }
        sample(out, &format!("{name}_bucket"), &[("plugin", plugin), ("le", "+Inf")], h.count);
        sample(out, &format!("{name}_sum"), &[("plugin", plugin)], h.sum);
        sample(out, &format!("{name}_count"), &[("plugin", plugin)], h.count);
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
        let _ = write!(out, "{{{}}}", pairs.join(","));
    }
    let _ = writeln!(out, " {value}");
}

/// A label value as the text format needs it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{CallStats, Finding, PluginError, Severity};
    use std::time::Duration;

    const BOUNDS: Bounds = Bounds { requests: 1, events: 1, bytes: 1 };

    fn finding(severity: Severity) -> Finding {
        Finding { rule: "r".into(), title: "t".into(), severity, confidence: 1.0, techniques: vec![], evidence: vec![] }
    }

    #[test]
    fn a_source_label_is_capped_and_past_the_limit_is_other() {
        let m = Metrics::new(vec![], BOUNDS);
        let long = "s".repeat(10_000);
        m.blind(&long);
        m.blind(&long);
        (0..MAX_SOURCES).for_each(|i| m.blind(&format!("svc-{i}")));
        let text = m.render();
        let line = text.lines().find(|l| l.contains("sss")).unwrap();
        assert!(line.len() < 300 && line.ends_with("} 2"), "{line}");
        assert!(text.contains(r#"aiir_genai_calls_without_content_total{source="other"} 1"#), "{text}");
    }

    #[test]
    fn counters_histograms_and_labels_render_in_text_format() {
        let m = Metrics::new(vec!["a".into(), "b\"q".into()], Bounds { requests: 8, ..BOUNDS });
        let stats = CallStats { fuel: Some(500), peak_memory: 0, wall: Duration::from_micros(30) };
        m.reply(
            &Reply { plugin: 0, result: Ok(vec![finding(Severity::High)]), stats, state: Vec::new() },
            false,
            false,
        );
        let err = PluginError::new(Reason::Fuel, "out of fuel");
        m.reply(&Reply { plugin: 1, result: Err(err), stats: CallStats::default(), state: Vec::new() }, true, false);
        m.request("/v1/traces", 200);
        let text = m.render();
        for line in [
            r#"aiir_findings_total{plugin="a",severity="high"} 1"#,
            r#"aiir_findings_total{plugin="b\"q",severity="high"} 1"#,
            r#"aiir_plugin_errors_total{plugin="b\"q",reason="fuel"} 1"#,
            r#"aiir_plugin_call_duration_seconds_bucket{plugin="a",le="0.00001"} 0"#,
            r#"aiir_plugin_call_duration_seconds_bucket{plugin="a",le="0.00005"} 1"#,
            r#"aiir_plugin_call_duration_seconds_bucket{plugin="a",le="+Inf"} 1"#,
            r#"aiir_plugin_fuel_used_total{plugin="a"} 500"#,
            r#"aiir_http_requests_total{route="/v1/traces",status="200"} 1"#,
            "# TYPE aiir_plugin_call_duration_seconds histogram",
            "aiir_queue_capacity 8",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn a_shadow_comparison_renders_per_rule_and_side() {
        let mut report = crate::shadow::ShadowReport::default();
        report.compare("e1", &["direct".to_owned()].into(), &std::collections::BTreeSet::new());
        report.new.inspected = 2;
        report.old.wall_ms = 1500.0;
        let c = Comparison { detector: "pi\"new".into(), shadows: Some("prompt-injection".into()), report };
        let mut text = String::new();
        shadows(&mut text, &[c]);
        let labels = r#"detector="pi\"new",shadows="prompt-injection""#;
        for line in [
            format!(r#"aiir_shadow_findings_total{{{labels},rule="direct",side="both"}} 0"#),
            format!(r#"aiir_shadow_findings_total{{{labels},rule="direct",side="old_only"}} 1"#),
            format!(r#"aiir_shadow_findings_total{{{labels},rule="direct",side="new_only"}} 0"#),
            format!(r#"aiir_shadow_calls_total{{{labels},side="new"}} 2"#),
            format!(r#"aiir_shadow_call_seconds_total{{{labels},side="old"}} 1.5"#),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn sources_past_the_cap_count_as_other() {
        let m = Metrics::new(vec![], BOUNDS);
        let event = |source: String| {
            let line = format!(
                r#"{{"id":"e","time":"2026-11-27T13:00:00Z","source":"{source}","payload":{{"inference":{{}}}}}}"#
            );
            crate::decode::decode_line(&line).unwrap()
        };
        let events: Vec<Event> = (0..MAX_SOURCES + 3).map(|i| event(format!("s{i}"))).collect();
        m.accepted("otlp-json", &events, 0, 0);
        let text = m.render();
        assert!(text.contains(r#"aiir_events_received_total{source="other",format="otlp-json"} 3"#), "{text}");
        assert!(text.contains("aiir_queue_depth 67"), "{text}");
        assert!(!text.contains("fuel"), "no fuel family without metering");
    }
}
