//! The aiir event format: JSON Lines that mirror the WIT `event` record.
//!
//! The JSON mirrors the WIT record field by field, in snake_case; the README documents
//! it. Unknown keys are errors: a misspelt `retreived` must not silently hide text
//! from the detectors. [`decode_line`] reads a line of a log; [`decode_value`] reads an
//! event already parsed, such as a table of an `aiir test` cases file.

use super::{DecodeError, describe, text_of};
use crate::runtime::{self as wit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Decode one line of aiir JSON Lines.
pub fn decode_line(line: &str) -> Result<wit::Event, DecodeError> {
    let raw: RawEvent = serde_json::from_str(line).map_err(|e| DecodeError::new(describe(&e)))?;
    raw.into_event()
}

/// Write an event as one line of aiir JSON Lines, which [`decode_line`] reads back as
/// the same event: how events travel between `aiir` processes.
pub fn encode_line(event: &wit::Event) -> String {
    serde_json::to_string(&RawEvent::from(event)).expect("an event is JSON")
}

/// Decode one event given as a JSON value. A value has no columns, so the error
/// names the field instead, in [`DecodeError::path`].
pub fn decode_value(value: serde_json::Value) -> Result<wit::Event, DecodeError> {
    let raw: RawEvent = serde_path_to_error::deserialize(value).map_err(|e| DecodeError {
        path: Some(e.path().to_string()).filter(|p| p != ".").unwrap_or_default(),
        message: format!("invalid event: {}", e.inner()),
    })?;
    raw.into_event()
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    id: String,
    time: String,
    source: String,
    model: Option<RawModel>,
    principal: Option<String>,
    session: Option<String>,
    payload: RawPayload,
    #[serde(default)]
    attributes: BTreeMap<String, String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    version: Option<String>,
    digest: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum RawPayload {
    Inference(RawInference),
    ToolCall(RawToolCall),
    ModelLifecycle(RawLifecycle),
    TrainingData(RawTrainingData),
    TrainingRun(RawTrainingRun),
    Custom(RawCustom),
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawInference {
    #[serde(default)]
    input: Vec<RawMessage>,
    #[serde(default)]
    output: Vec<RawMessage>,
    #[serde(default)]
    retrieved: Vec<RawDocument>,
    input_tokens: Option<u32>,
    output_tokens: Option<u32>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    role: RawRole,
    content: String,
}

#[derive(Deserialize, Serialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawRole {
    System,
    User,
    Assistant,
    Tool,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    id: String,
    source: String,
    content: String,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawToolCall {
    tool: String,
    /// JSON text, or any JSON value (kept as its JSON text).
    arguments: serde_json::Value,
    result: Option<serde_json::Value>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawLifecycle {
    action: String,
    model: RawModel,
    registry: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawTrainingData {
    dataset: String,
    batch: String,
    revision: Option<String>,
    records: Vec<RawRecord>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawTrainingRun {
    run: String,
    job: String,
    state: String,
    #[serde(default)]
    inputs: Vec<RawDatasetInput>,
    base: Option<RawModel>,
    output: Option<RawModel>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawDatasetInput {
    dataset: String,
    revision: Option<String>,
    #[serde(default)]
    batches: Vec<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawRecord {
    text: String,
    label: String,
    source: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RawCustom {
    kind: String,
    data: serde_json::Value,
}

impl RawEvent {
    fn into_event(self) -> Result<wit::Event, DecodeError> {
        Ok(wit::Event {
            time_unix_nano: parse_time(&self.time)?,
            id: self.id,
            source: self.source,
            model: self.model.map(Into::into),
            principal: self.principal,
            session: self.session,
            payload: self.payload.into(),
            attributes: self.attributes.into_iter().collect(),
        })
    }
}

impl From<&wit::Event> for RawEvent {
    fn from(e: &wit::Event) -> Self {
        RawEvent {
            id: e.id.clone(),
            time: format_time(e.time_unix_nano),
            source: e.source.clone(),
            model: e.model.as_ref().map(Into::into),
            principal: e.principal.clone(),
            session: e.session.clone(),
            payload: (&e.payload).into(),
            attributes: e.attributes.iter().cloned().collect(),
        }
    }
}

/// Nanoseconds since 1970 as RFC 3339, to the nanosecond.
fn format_time(nanos: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .expect("an event's time is within RFC 3339's range")
}

pub(crate) fn parse_time(text: &str) -> Result<u64, DecodeError> {
    parse_time_in("time", text)
}

/// `text`, the event's `field`, as RFC 3339, in nanoseconds since 1970.
pub(crate) fn parse_time_in(field: &str, text: &str) -> Result<u64, DecodeError> {
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| invalid_time(field, text, format!("is not RFC 3339: {e}")))?;
    unix_nanos(field, text, time)
}

/// `time`, read from `text` in the event's `field`, in nanoseconds since 1970, if it
/// fits an event.
pub(crate) fn unix_nanos(field: &str, text: &str, time: OffsetDateTime) -> Result<u64, DecodeError> {
    let nanos = time.unix_timestamp_nanos();
    u64::try_from(nanos).map_err(|_| match nanos {
        ..0 => invalid_time(field, text, "is before 1970".into()),
        _ => invalid_time(field, text, "is after 2554-07-21T23:34:33Z, the latest time an event can hold".into()),
    })
}

fn invalid_time(field: &str, text: &str, why: String) -> DecodeError {
    DecodeError { message: format!("invalid event: `{field}` {text:?} {why}"), path: field.into() }
}

impl From<RawPayload> for wit::Payload {
    fn from(raw: RawPayload) -> Self {
        match raw {
            RawPayload::Inference(i) => wit::Payload::Inference(wit::Inference {
                input: i.input.into_iter().map(Into::into).collect(),
                output: i.output.into_iter().map(Into::into).collect(),
                retrieved: i.retrieved.into_iter().map(Into::into).collect(),
                input_tokens: i.input_tokens,
                output_tokens: i.output_tokens,
            }),
            RawPayload::ToolCall(t) => wit::Payload::ToolCall(wit::ToolCall {
                tool: t.tool,
                arguments: text_of(t.arguments),
                result: t.result.map(text_of),
            }),
            RawPayload::ModelLifecycle(l) => wit::Payload::ModelLifecycle(wit::ModelLifecycle {
                action: l.action,
                model: l.model.into(),
                registry: l.registry,
            }),
            RawPayload::TrainingData(d) => wit::Payload::TrainingData(wit::TrainingData {
                dataset: d.dataset,
                batch: d.batch,
                revision: d.revision,
                records: d.records.into_iter().map(Into::into).collect(),
            }),
            RawPayload::TrainingRun(r) => wit::Payload::TrainingRun(wit::TrainingRun {
                run: r.run,
                job: r.job,
                state: r.state,
                inputs: r.inputs.into_iter().map(Into::into).collect(),
                base: r.base.map(Into::into),
                output: r.output.map(Into::into),
            }),
            RawPayload::Custom(c) => wit::Payload::Custom(wit::Custom { kind: c.kind, data: text_of(c.data) }),
        }
    }
}

impl From<RawDatasetInput> for wit::DatasetInput {
    fn from(i: RawDatasetInput) -> Self {
        wit::DatasetInput { dataset: i.dataset, revision: i.revision, batches: i.batches }
    }
}

impl From<RawMessage> for wit::Message {
    fn from(m: RawMessage) -> Self {
        let role = match m.role {
            RawRole::System => wit::Role::System,
            RawRole::User => wit::Role::User,
            RawRole::Assistant => wit::Role::Assistant,
            RawRole::Tool => wit::Role::Tool,
        };
        wit::Message { role, content: m.content }
    }
}

impl From<RawModel> for wit::ModelRef {
    fn from(m: RawModel) -> Self {
        wit::ModelRef { name: m.name, version: m.version, digest: m.digest }
    }
}

impl From<RawDocument> for wit::Document {
    fn from(d: RawDocument) -> Self {
        wit::Document { id: d.id, source: d.source, content: d.content }
    }
}

impl From<RawRecord> for wit::LabeledRecord {
    fn from(r: RawRecord) -> Self {
        wit::LabeledRecord { text: r.text, label: r.label, source: r.source }
    }
}

impl From<&wit::Payload> for RawPayload {
    fn from(p: &wit::Payload) -> Self {
        match p {
            wit::Payload::Inference(i) => RawPayload::Inference(RawInference {
                input: i.input.iter().map(Into::into).collect(),
                output: i.output.iter().map(Into::into).collect(),
                retrieved: i.retrieved.iter().map(Into::into).collect(),
                input_tokens: i.input_tokens,
                output_tokens: i.output_tokens,
            }),
            wit::Payload::ToolCall(t) => RawPayload::ToolCall(RawToolCall {
                tool: t.tool.clone(),
                arguments: t.arguments.clone().into(),
                result: t.result.clone().map(Into::into),
            }),
            wit::Payload::ModelLifecycle(l) => RawPayload::ModelLifecycle(RawLifecycle {
                action: l.action.clone(),
                model: (&l.model).into(),
                registry: l.registry.clone(),
            }),
            wit::Payload::TrainingData(d) => RawPayload::TrainingData(RawTrainingData {
                dataset: d.dataset.clone(),
                batch: d.batch.clone(),
                revision: d.revision.clone(),
                records: d.records.iter().map(Into::into).collect(),
            }),
            wit::Payload::TrainingRun(r) => RawPayload::TrainingRun(RawTrainingRun {
                run: r.run.clone(),
                job: r.job.clone(),
                state: r.state.clone(),
                inputs: r.inputs.iter().map(Into::into).collect(),
                base: r.base.as_ref().map(Into::into),
                output: r.output.as_ref().map(Into::into),
            }),
            wit::Payload::Custom(c) => {
                RawPayload::Custom(RawCustom { kind: c.kind.clone(), data: c.data.clone().into() })
            }
        }
    }
}

impl From<&wit::DatasetInput> for RawDatasetInput {
    fn from(i: &wit::DatasetInput) -> Self {
        RawDatasetInput { dataset: i.dataset.clone(), revision: i.revision.clone(), batches: i.batches.clone() }
    }
}

impl From<&wit::Message> for RawMessage {
    fn from(m: &wit::Message) -> Self {
        let role = match m.role {
            wit::Role::System => RawRole::System,
            wit::Role::User => RawRole::User,
            wit::Role::Assistant => RawRole::Assistant,
            wit::Role::Tool => RawRole::Tool,
        };
        RawMessage { role, content: m.content.clone() }
    }
}

impl From<&wit::ModelRef> for RawModel {
    fn from(m: &wit::ModelRef) -> Self {
        RawModel { name: m.name.clone(), version: m.version.clone(), digest: m.digest.clone() }
    }
}

impl From<&wit::Document> for RawDocument {
    fn from(d: &wit::Document) -> Self {
        RawDocument { id: d.id.clone(), source: d.source.clone(), content: d.content.clone() }
    }
}

impl From<&wit::LabeledRecord> for RawRecord {
    fn from(r: &wit::LabeledRecord) -> Self {
        RawRecord { text: r.text.clone(), label: r.label.clone(), source: r.source.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"id":"e1","time":"2026-11-27T13:00:00Z","source":"api","payload":{"inference":{"input":[{"role":"user","content":"hi"}]}}}"#;

    #[test]
    fn minimal_inference_decodes_with_defaults() {
        let event = decode_line(MINIMAL).unwrap();
        assert_eq!(event.time_unix_nano, 1_795_784_400_000_000_000);
        let wit::Payload::Inference(i) = event.payload else { panic!("not an inference") };
        assert_eq!(i.input[0].content, "hi");
        assert!(i.output.is_empty() && i.retrieved.is_empty());
    }

    #[test]
    fn an_encoded_event_decodes_to_itself() {
        let lines = [
            MINIMAL.replace("13:00:00Z", "13:00:00.123456789Z"),
            r#"{"id":"e","time":"2026-11-27T13:00:00Z","source":"s","session":"x","payload":{"tool_call":{"tool":"t","arguments":{"a":[1,"b"]},"result":"ok"}},"attributes":{"k":"v"}}"#.into(),
            r#"{"id":"d","time":"2026-11-27T13:00:00Z","source":"s","payload":{"training_run":{"run":"r","job":"j","state":"COMPLETE","inputs":[{"dataset":"d","batches":["b1"]}],"output":{"name":"m","version":"2"}}}}"#.into(),
        ];
        for line in lines {
            let event = decode_line(&line).unwrap();
            let again = decode_line(&encode_line(&event)).unwrap();
            // wit types have no PartialEq; their Debug text shows every field.
            assert_eq!(format!("{again:?}"), format!("{event:?}"), "{line}");
        }
    }

    #[test]
    fn tool_arguments_may_be_a_json_value() {
        let line = r#"{"id":"e","time":"2026-11-27T13:00:00+01:00","source":"s","payload":{"tool_call":{"tool":"t","arguments":{"a":1}}}}"#;
        let wit::Payload::ToolCall(t) = decode_line(line).unwrap().payload else { panic!() };
        assert_eq!(t.arguments, r#"{"a":1}"#);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("{", "invalid JSON"),
            (r#"{"id":"e","source":"s","payload":{"custom":{"kind":"k","data":1}}}"#, "missing field `time`"),
            (&MINIMAL.replace(r#""id":"e1""#, r#""id":7"#), "invalid type: integer `7`"),
            (&MINIMAL.replace("2026-11-27T13:00:00Z", "yesterday"), "is not RFC 3339"),
            (&MINIMAL.replace("input", "inptu"), "unknown field `inptu`"),
        ];
        for (line, expected) in cases {
            let err = decode_line(line).unwrap_err();
            assert!(err.message.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn values_decode_like_lines_and_errors_name_the_field() {
        let value: serde_json::Value = serde_json::from_str(MINIMAL).unwrap();
        // wit types have no PartialEq; their Debug text shows every field.
        assert_eq!(format!("{:?}", decode_value(value.clone())), format!("{:?}", decode_line(MINIMAL)));
        let mut bad = value;
        bad["payload"]["inference"]["input"][0]["role"] = "robot".into();
        let err = decode_value(bad).unwrap_err();
        assert_eq!(err.path, "payload.inference.input[0].role");
        assert!(err.message.starts_with("invalid event: unknown variant `robot`"), "{err}");
    }
}
