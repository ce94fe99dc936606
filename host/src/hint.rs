//! Hints: what the user should change when their telemetry leaves the detectors
//! blind. OpenTelemetry instrumentations record no message content unless told to,
//! and then aiir sees model calls with nothing in them; it says so once per source,
//! naming the settings that turn content capture on.

use crate::output::{diagnostic, terminal};
use crate::serve::metrics::{MAX_SOURCE_BYTES, Metrics};
use std::collections::BTreeSet;

/// Sources told already; past this many, later ones are counted but not named.
const MAX_TOLD: usize = 64;

/// The settings that make each instrumentation record message content.
pub const CONTENT_CAPTURE: &str = "\
opentelemetry-instrumentation-openai-v2 (util-genai >= 1.0): \
OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only \
(or event_only / span_and_event, with a logs exporter); \
older releases: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true; \
OpenLLMetry: TRACELOOP_TRACE_CONTENT=true; \
OpenInference: unset OPENINFERENCE_HIDE_INPUTS, OPENINFERENCE_HIDE_OUTPUTS, \
OPENINFERENCE_HIDE_INPUT_MESSAGES and OPENINFERENCE_HIDE_OUTPUT_MESSAGES";

/// Model calls without content, by source, told once each.
#[derive(Debug, Default)]
pub struct Blind {
    told: BTreeSet<String>,
    /// Model calls seen without content.
    pub calls: u64,
}

impl Blind {
    /// A model call from `source` came without its messages: count it, and tell the
    /// user the first time for this source.
    pub fn saw(&mut self, source: &str, metrics: Option<&Metrics>) {
        self.calls += 1;
        if let Some(metrics) = metrics {
            metrics.blind(source);
        }
        if self.told.len() >= MAX_TOLD || !self.told.insert(source.to_owned()) {
            return;
        }
        diagnostic(&format!(
            "aiir: hint: GenAI calls from source {} carry no message content, so the detectors see \
             only their metadata; turn content capture on in the instrumentation: {CONTENT_CAPTURE}",
            terminal::line(&format!("{:?}", aiir_boundary::cap(source, MAX_SOURCE_BYTES)))
        ));
    }
}
