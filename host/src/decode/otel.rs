//! OTLP/JSON traces that follow the OpenTelemetry GenAI semantic conventions.
//!
//! Each line is one `ExportTraceServiceRequest` as the OTLP file exporter and the
//! collector's `file` exporter write it. Every span with a `gen_ai.*` attribute or span
//! event becomes one event: `execute_tool` spans a tool call, every other GenAI span an
//! inference. Spans without `gen_ai.*` are counted in [`Decoded::skipped`]. The README
//! ("OpenTelemetry GenAI") has the mapping table.

use super::{DecodeError, Decoded, parse, role};
use crate::runtime as wit;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Decode one line: the GenAI spans of an OTLP/JSON export request. A line with a span
/// that is not a usable event is rejected whole, naming the span.
pub fn decode_line(line: &str) -> Result<Decoded, DecodeError> {
    let export = decode_request(parse(line)?);
    match export.rejected.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(export.decoded),
    }
}

/// Decode an OTLP/JSON `ExportTraceServiceRequest` body; a span that is not a usable
/// event is rejected on its own (OTLP's partial success) while the rest go through.
pub fn decode_json(body: &str) -> Result<Export, DecodeError> {
    Ok(decode_request(parse(body)?))
}

/// What an export request turned into.
#[derive(Debug, Default)]
pub struct Export {
    /// The events of its GenAI spans, and how many other spans it held.
    pub decoded: Decoded,
    /// Why each rejected span was not usable, naming the span.
    pub rejected: Vec<DecodeError>,
}

/// Map the spans of a request, whichever encoding it came in, onto events.
pub(crate) fn decode_request(request: Request) -> Export {
    let mut export = Export::default();
    for rs in request.resource_spans {
        let resource = Attributes::new(rs.resource.attributes);
        for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
            let id = span.span_id.clone();
            match span_event(span, &resource) {
                Ok(Some(event)) => export.decoded.events.push(event),
                Ok(None) => export.decoded.skipped += 1,
                Err(e) => export.rejected.push(DecodeError { message: format!("{} (span {id:?})", e.message), ..e }),
            }
        }
    }
    export
}

// The request as OTLP/JSON spells it. The protobuf decoder (`otel_proto`) builds the
// same structs, so both encodings share one mapping; attribute values stay OTLP/JSON
// `AnyValue`s.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Request {
    #[serde(default)]
    pub(crate) resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResourceSpans {
    #[serde(default)]
    pub(crate) resource: Resource,
    #[serde(default)]
    pub(crate) scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Resource {
    #[serde(default)]
    pub(crate) attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
pub(crate) struct ScopeSpans {
    #[serde(default)]
    pub(crate) spans: Vec<Span>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Span {
    #[serde(default)]
    pub(crate) trace_id: String,
    pub(crate) span_id: String,
    #[serde(default)]
    pub(crate) name: String,
    pub(crate) start_time_unix_nano: Value,
    #[serde(default)]
    pub(crate) attributes: Vec<KeyValue>,
    #[serde(default)]
    pub(crate) events: Vec<SpanEvent>,
}

#[derive(Deserialize)]
pub(crate) struct SpanEvent {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Clone)]
pub(crate) struct KeyValue {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: Value,
}

/// Attributes by key; values are OTLP `AnyValue`s, kept as JSON.
struct Attributes(BTreeMap<String, Value>);

impl Attributes {
    fn new(list: Vec<KeyValue>) -> Self {
        Self(list.into_iter().map(|kv| (kv.key, kv.value)).collect())
    }

    /// A value as text: strings as themselves, numbers and booleans as written,
    /// arrays and maps as JSON.
    fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(any_text)
    }

    fn tokens(&self, key: &str) -> Result<Option<u32>, DecodeError> {
        let Some(text) = self.text(key) else { return Ok(None) };
        let n =
            text.parse().map_err(|_| DecodeError::new(format!("invalid event: `{key}` {text:?} is not a count")))?;
        Ok(Some(n))
    }
}

/// The text of an OTLP `AnyValue`.
fn any_text(value: &Value) -> Option<String> {
    let (kind, inner) = value.as_object()?.iter().next()?;
    match (kind.as_str(), inner) {
        ("stringValue", Value::String(s)) => Some(s.clone()),
        ("intValue" | "doubleValue" | "boolValue", Value::String(s)) => Some(s.clone()),
        ("intValue" | "doubleValue" | "boolValue", other) => Some(other.to_string()),
        ("arrayValue", Value::Object(a)) => {
            let items: Vec<Value> =
                a.get("values")?.as_array()?.iter().filter_map(any_text).map(Value::String).collect();
            Some(Value::Array(items).to_string())
        }
        (_, other) => Some(other.to_string()),
    }
}

/// Keys that become fields of the event rather than attributes.
const MAPPED: &[&str] = &[
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.name",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.conversation.id",
    "enduser.id",
    "user.id",
];

fn span_event(span: Span, resource: &Attributes) -> Result<Option<wit::Event>, DecodeError> {
    let genai = span.attributes.iter().any(|kv| kv.key.starts_with("gen_ai."))
        || span.events.iter().any(|e| e.name.starts_with("gen_ai."));
    if !genai {
        return Ok(None);
    }
    let time_unix_nano = nanos(&span.start_time_unix_nano)?;
    let attrs = Attributes::new(span.attributes);
    let operation = attrs.text("gen_ai.operation.name").unwrap_or_default();
    let payload =
        if operation == "execute_tool" { tool_call(&attrs, &span.name) } else { inference(&attrs, &span.events)? };
    let model = attrs.text("gen_ai.response.model").or_else(|| attrs.text("gen_ai.request.model"));
    let principal = ["enduser.id", "user.id"].iter().find_map(|k| attrs.text(k).or_else(|| resource.text(k)));
    let mut attributes: BTreeMap<String, String> = attrs
        .0
        .iter()
        .filter(|(k, _)| !MAPPED.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.clone(), any_text(v)?)))
        .collect();
    attributes.insert("otel.trace_id".into(), span.trace_id);
    attributes.insert("otel.span_name".into(), span.name);
    Ok(Some(wit::Event {
        id: span.span_id,
        time_unix_nano,
        source: resource.text("service.name").unwrap_or_else(|| "unknown_service".into()),
        model: model.map(|name| wit::ModelRef { name, version: None, digest: None }),
        principal,
        session: attrs.text("gen_ai.conversation.id"),
        payload,
        attributes: attributes.into_iter().collect(),
    }))
}

/// `startTimeUnixNano`: a decimal string, as OTLP/JSON writes 64-bit integers, or a number.
fn nanos(value: &Value) -> Result<u64, DecodeError> {
    let n = match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    };
    n.ok_or_else(|| DecodeError::new(format!("invalid event: `startTimeUnixNano` {value} is not a time")))
}

fn tool_call(attrs: &Attributes, span_name: &str) -> wit::Payload {
    let tool = attrs
        .text("gen_ai.tool.name")
        .unwrap_or_else(|| span_name.strip_prefix("execute_tool ").unwrap_or(span_name).to_owned());
    wit::Payload::ToolCall(wit::ToolCall {
        tool,
        arguments: attrs.text("gen_ai.tool.call.arguments").unwrap_or_default(),
        result: attrs.text("gen_ai.tool.call.result"),
    })
}

fn inference(attrs: &Attributes, events: &[SpanEvent]) -> Result<wit::Payload, DecodeError> {
    let mut input = Vec::new();
    if let Some(text) = attrs.text("gen_ai.system_instructions") {
        input.push(wit::Message { role: wit::Role::System, content: instructions(&text) });
    }
    input.extend(messages(attrs, "gen_ai.input.messages")?);
    let mut output = messages(attrs, "gen_ai.output.messages")?;
    for event in events {
        let attrs = Attributes::new(event.attributes.clone());
        if event.name == "gen_ai.client.inference.operation.details" {
            // Semantic conventions 1.37+ may carry the messages on this event instead.
            input.extend(messages(&attrs, "gen_ai.input.messages")?);
            output.extend(messages(&attrs, "gen_ai.output.messages")?);
            continue;
        }
        let Some(content) = attrs.text("content") else { continue };
        match event.name.as_str() {
            "gen_ai.system.message" => input.push(wit::Message { role: wit::Role::System, content }),
            "gen_ai.user.message" => input.push(wit::Message { role: wit::Role::User, content }),
            "gen_ai.assistant.message" => input.push(wit::Message { role: wit::Role::Assistant, content }),
            "gen_ai.tool.message" => input.push(wit::Message { role: wit::Role::Tool, content }),
            "gen_ai.choice" => output.push(wit::Message { role: wit::Role::Assistant, content }),
            _ => {}
        }
    }
    Ok(wit::Payload::Inference(wit::Inference {
        input,
        output,
        retrieved: Vec::new(),
        input_tokens: attrs.tokens("gen_ai.usage.input_tokens")?,
        output_tokens: attrs.tokens("gen_ai.usage.output_tokens")?,
    }))
}

/// One message of `gen_ai.input.messages` / `gen_ai.output.messages`.
#[derive(Deserialize)]
struct GenAiMessage {
    role: String,
    #[serde(default)]
    parts: Vec<Part>,
}

/// A message part: `text` carries `content`, `tool_call_response` a `response`;
/// other parts (tool calls, media) carry no text for the detectors.
#[derive(Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    content: Option<Value>,
    response: Option<Value>,
}

impl Part {
    fn text(self) -> Option<String> {
        match self.kind.as_str() {
            "text" => self.content.map(super::text_of),
            "tool_call_response" => self.response.map(super::text_of),
            _ => None,
        }
    }
}

fn messages(attrs: &Attributes, key: &str) -> Result<Vec<wit::Message>, DecodeError> {
    let Some(text) = attrs.text(key) else { return Ok(Vec::new()) };
    let list: Vec<GenAiMessage> = serde_json::from_str(&text)
        .map_err(|e| DecodeError::new(format!("invalid event: `{key}` is not a list of messages: {e}")))?;
    list.into_iter()
        .map(|m| {
            let content: Vec<String> = m.parts.into_iter().filter_map(Part::text).collect();
            Ok(wit::Message { role: role(&m.role)?, content: content.join("\n") })
        })
        .collect()
}

/// `gen_ai.system_instructions`: a JSON list of parts, or plain text.
fn instructions(text: &str) -> String {
    match serde_json::from_str::<Vec<Part>>(text) {
        Ok(parts) => parts.into_iter().filter_map(Part::text).collect::<Vec<_>>().join("\n"),
        Err(_) => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(spans: &str) -> String {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"bot"}}}},{{"key":"user.id","value":{{"stringValue":"u:res"}}}}]}},"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#
        )
    }

    fn attr(key: &str, value: &str) -> String {
        format!(r#"{{"key":"{key}","value":{{"stringValue":{}}}}}"#, serde_json::to_string(value).unwrap())
    }

    fn span(id: &str, attrs: &[String], events: &str) -> String {
        format!(
            r#"{{"traceId":"t1","spanId":"{id}","name":"n","startTimeUnixNano":"1795784400000000000","attributes":[{}],"events":[{events}]}}"#,
            attrs.join(",")
        )
    }

    #[test]
    fn chat_span_maps_messages_model_tokens_and_identity() {
        let input = r#"[{"role":"user","parts":[{"type":"text","content":"hi"},{"type":"text","content":"there"}]}]"#;
        let output =
            r#"[{"role":"assistant","parts":[{"type":"tool_call","name":"x"},{"type":"text","content":"yo"}]}]"#;
        let attrs = [
            attr("gen_ai.operation.name", "chat"),
            attr("gen_ai.request.model", "m"),
            attr("gen_ai.response.model", "m-2"),
            attr("gen_ai.system_instructions", r#"[{"type":"text","content":"be nice"}]"#),
            attr("gen_ai.input.messages", input),
            attr("gen_ai.output.messages", output),
            attr("gen_ai.conversation.id", "c1"),
            attr("enduser.id", "u:span"),
            attr("gen_ai.provider.name", "openai"),
            r#"{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}}"#.into(),
            r#"{"key":"gen_ai.usage.output_tokens","value":{"intValue":3}}"#.into(),
        ];
        let decoded = decode_line(&line(&span("ab12", &attrs, ""))).unwrap();
        let event = &decoded.events[0];
        assert_eq!(
            (event.id.as_str(), event.time_unix_nano, event.source.as_str()),
            ("ab12", 1_795_784_400_000_000_000, "bot")
        );
        assert_eq!(event.model.as_ref().unwrap().name, "m-2");
        assert_eq!((event.principal.as_deref(), event.session.as_deref()), (Some("u:span"), Some("c1")));
        let wit::Payload::Inference(i) = &event.payload else { panic!("not an inference") };
        let text: Vec<_> = i.input.iter().chain(&i.output).map(|m| (m.role, m.content.as_str())).collect();
        assert_eq!(
            format!("{text:?}"),
            r#"[(Role::System, "be nice"), (Role::User, "hi\nthere"), (Role::Assistant, "yo")]"#
        );
        assert_eq!((i.input_tokens, i.output_tokens), (Some(12), Some(3)));
        let keys: Vec<_> = event.attributes.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["gen_ai.provider.name", "otel.span_name", "otel.trace_id"]);
    }

    #[test]
    fn tool_span_is_a_tool_call_and_other_spans_are_skipped() {
        let tool = span(
            "t",
            &[
                attr("gen_ai.operation.name", "execute_tool"),
                attr("gen_ai.tool.name", "shell"),
                attr("gen_ai.tool.call.arguments", r#"{"cmd":"ls"}"#),
                attr("gen_ai.tool.call.result", "a b"),
            ],
            "",
        );
        let http = span("h", &[attr("http.request.method", "GET")], "");
        let decoded = decode_line(&line(&format!("{tool},{http}"))).unwrap();
        assert_eq!((decoded.events.len(), decoded.skipped), (1, 1));
        let event = &decoded.events[0];
        assert_eq!(event.principal.as_deref(), Some("u:res"), "resource user.id is the fallback");
        let wit::Payload::ToolCall(t) = &event.payload else { panic!("not a tool call") };
        assert_eq!(
            (t.tool.as_str(), t.arguments.as_str(), t.result.as_deref()),
            ("shell", r#"{"cmd":"ls"}"#, Some("a b"))
        );
    }

    #[test]
    fn older_span_events_become_messages() {
        let content =
            |name: &str, text: &str| format!(r#"{{"name":"{name}","attributes":[{}]}}"#, attr("content", text));
        let events = [
            content("gen_ai.system.message", "sys"),
            content("gen_ai.user.message", "question"),
            content("gen_ai.tool.message", "tool says"),
            content("gen_ai.choice", "answer"),
        ];
        let decoded = decode_line(&line(&span("s", &[], &events.join(",")))).unwrap();
        let wit::Payload::Inference(i) = &decoded.events[0].payload else { panic!("not an inference") };
        let input: Vec<_> = i.input.iter().map(|m| (m.role, m.content.as_str())).collect();
        assert_eq!(
            format!("{input:?}"),
            r#"[(Role::System, "sys"), (Role::User, "question"), (Role::Tool, "tool says")]"#
        );
        assert_eq!(i.output[0].content, "answer");
    }

    #[test]
    fn operation_details_event_carries_messages_and_other_values_become_attributes() {
        let input = r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#;
        let details = format!(
            r#"{{"name":"gen_ai.client.inference.operation.details","attributes":[{}]}}"#,
            attr("gen_ai.input.messages", input)
        );
        let cached = r#"{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"4"}}"#.to_owned();
        let decoded = decode_line(&line(&span("d", &[cached], &details))).unwrap();
        let event = &decoded.events[0];
        let wit::Payload::Inference(i) = &event.payload else { panic!("not an inference") };
        assert_eq!((i.input[0].role, i.input[0].content.as_str()), (wit::Role::User, "hi"));
        assert!(event.attributes.contains(&("gen_ai.usage.cache_read.input_tokens".into(), "4".into())));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("{".to_owned(), "invalid JSON"),
            (line(r#"{"startTimeUnixNano":"1"}"#), "missing field `spanId`"),
            (line(&span("s", &[attr("gen_ai.input.messages", "nope")], "")), "`gen_ai.input.messages` is not a list"),
            (line(&span("s", &[attr("gen_ai.input.messages", r#"[{"role":"robot"}]"#)], "")), "unknown role \"robot\""),
            (line(&span("s", &[attr("gen_ai.usage.input_tokens", "-1")], "")), "is not a count"),
            (
                line(&span("s", &[attr("gen_ai.x", "y")], "")).replace("\"1795784400000000000\"", "\"soon\""),
                "not a time",
            ),
        ];
        for (line, expected) in cases {
            let err = decode_line(&line).unwrap_err();
            assert!(err.message.contains(expected), "{line}: {err}");
        }
    }
}
