//! The conventions instrumentations write GenAI calls in, read into [`Call`]s:
//!
//! - OpenTelemetry GenAI semantic conventions: `gen_ai.input.messages`,
//!   `gen_ai.output.messages` and `gen_ai.system_instructions` (parts: `text`,
//!   `tool_call`, `tool_call_response`), on spans or on the
//!   `gen_ai.client.inference.operation.details` event or log record; the older
//!   per-message events and log records (`gen_ai.user.message`, `gen_ai.choice`, …);
//!   `execute_tool` spans;
//! - OpenLLMetry's indexed attributes: `gen_ai.prompt.N.*`, `gen_ai.completion.N.*`
//!   with `tool_calls.M.*`;
//! - OpenInference (`openinference.span.kind`): `llm.input_messages.N.message.*`,
//!   `llm.output_messages.N.message.*`, `input.value` / `output.value`, TOOL and
//!   RETRIEVER spans.

use super::call::{Call, Content, Kind};
use super::value::{self, Attributes};
use super::{LogRecord, Span, SpanEvent};
use crate::decode::call::ToolUse;
use crate::decode::{DecodeError, role, text_of};
use crate::runtime as wit;
use serde_json::Value;

/// The event (span event or log record) that carries a whole call's messages.
const DETAILS: &str = "gen_ai.client.inference.operation.details";

/// Keys read into the event's fields, kept out of its attributes.
const READ: &[&str] = &[
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
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.conversation.id",
    "gen_ai.user",
    "enduser.id",
    "user.id",
    "session.id",
    "event.name",
    "input.value",
    "output.value",
    "llm.model_name",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "tool.name",
];

/// Indexed families read into messages, kept out of the attributes.
const READ_FAMILIES: &[&str] =
    &["gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.", "llm.output_messages.", "retrieval.documents."];

fn read(key: &str) -> bool {
    READ.contains(&key) || READ_FAMILIES.iter().any(|f| key.starts_with(f))
}

/// Which convention a span follows, if it is a GenAI call at all.
enum Convention {
    GenAi,
    OpenInference(String),
}

impl Convention {
    fn of(attrs: &Attributes, span: &Span) -> Option<Self> {
        if let Some(kind) = attrs.text("openinference.span.kind") {
            return Some(Self::OpenInference(kind.to_ascii_uppercase()));
        }
        let genai = attrs.0.keys().any(|k| k.starts_with("gen_ai."))
            || span.events.iter().any(|e| e.name.starts_with("gen_ai."));
        genai.then_some(Self::GenAi)
    }
}

/// The call a span describes; `None` for spans that are not GenAI calls.
pub(super) fn span_call(mut span: Span, resource: &Attributes) -> Result<Option<Call>, DecodeError> {
    if span.span_id.is_empty() {
        // Protobuf's empty bytes; OTLP/JSON's missing field is refused as it is read.
        return Err(DecodeError::new("invalid span: no `spanId`"));
    }
    let attrs = Attributes::new(std::mem::take(&mut span.attributes));
    let kind = match Convention::of(&attrs, &span) {
        None => return Ok(None),
        Some(Convention::GenAi) => genai_kind(&attrs, &span.name, std::mem::take(&mut span.events))?,
        Some(Convention::OpenInference(kind)) => match openinference_kind(&kind, &attrs, &span.name)? {
            Some(kind) => kind,
            None => return Ok(None),
        },
    };
    let time_unix_nano = nanos(&span.start_time_unix_nano, "startTimeUnixNano")?;
    let mut call = base(&attrs, resource, span.span_id.clone(), time_unix_nano, kind);
    call.key = key(&span.trace_id, &span.span_id);
    call.from_span = true;
    call.attributes.insert("otel.trace_id".into(), span.trace_id);
    call.attributes.insert("otel.span_name".into(), span.name);
    Ok(Some(call))
}

/// What a log record says of a call; `None` for records that are not GenAI events.
pub(super) fn log_call(record: LogRecord, resource: &Attributes) -> Result<Option<Call>, DecodeError> {
    let digest = record_digest(&record);
    let attrs = Attributes::new(record.attributes);
    let name =
        if record.event_name.is_empty() { attrs.text("event.name").unwrap_or_default() } else { record.event_name };
    if !name.starts_with("gen_ai.") {
        return Ok(None);
    }
    let content = if name == DETAILS {
        attributes_content(&attrs)?
    } else {
        let mut fields = Attributes::of_object(&value::plain(&record.body));
        if let Value::String(text) = value::plain(&record.body) {
            fields.0.insert("content".into(), Value::String(text));
        }
        event_content(&name, &fields)?
    };
    let kind = Kind::Inference { content, input_tokens: tokens(&attrs, true)?, output_tokens: tokens(&attrs, false)? };
    let time = record.time_unix_nano.as_ref().filter(|t| !is_zero(t)).or(record.observed_time_unix_nano.as_ref());
    let time_unix_nano = nanos(time.unwrap_or(&Value::Null), "timeUnixNano")?;
    let id = if record.span_id.is_empty() { format!("log-{digest}") } else { record.span_id.clone() };
    let mut call = base(&attrs, resource, id, time_unix_nano, kind);
    call.key = key(&record.trace_id, &record.span_id);
    if !record.trace_id.is_empty() {
        call.attributes.insert("otel.trace_id".into(), record.trace_id);
    }
    Ok(Some(call))
}

/// The id of a record that names no span: a digest of what it says and when, so that the
/// same record sent again (an exporter's retry) is the same event, and no two differ by
/// their place in a request alone.
fn record_digest(record: &LogRecord) -> String {
    use sha2::{Digest as _, Sha256};
    let mut hash = Sha256::new();
    for part in [&record.time_unix_nano, &record.observed_time_unix_nano] {
        hash.update(part.as_ref().map(Value::to_string).unwrap_or_default());
        hash.update([0]);
    }
    hash.update(record.event_name.as_bytes());
    hash.update(record.body.to_string());
    for kv in &record.attributes {
        hash.update([0]);
        hash.update(kv.key.as_bytes());
        hash.update(kv.value.to_string());
    }
    hash.finalize()[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn key(trace: &str, span: &str) -> Option<super::call::Key> {
    (!trace.is_empty() && !span.is_empty()).then(|| (trace.to_owned(), span.to_owned()))
}

fn is_zero(value: &Value) -> bool {
    value.as_u64() == Some(0) || value.as_str() == Some("0")
}

/// The fields every convention shares.
fn base(attrs: &Attributes, resource: &Attributes, id: String, time_unix_nano: u64, kind: Kind) -> Call {
    let identity = ["enduser.id", "user.id", "gen_ai.user"];
    Call {
        key: None,
        from_span: false,
        id,
        time_unix_nano,
        source: resource.text("service.name").unwrap_or_else(|| "unknown_service".into()),
        model: attrs.first(&["gen_ai.response.model", "gen_ai.request.model", "llm.model_name"]),
        principal: attrs.first(&identity).or_else(|| resource.first(&identity)),
        session: attrs.first(&["gen_ai.conversation.id", "session.id"]),
        kind,
        attributes: attrs
            .0
            .iter()
            .filter(|(k, _)| !read(k))
            .filter_map(|(k, v)| Some((k.clone(), value::text(v)?)))
            .collect(),
    }
}

/// A time in nanoseconds: a decimal string, as OTLP/JSON writes 64-bit integers, or a number.
fn nanos(value: &Value, field: &str) -> Result<u64, DecodeError> {
    let n = match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    };
    n.ok_or_else(|| DecodeError::new(format!("invalid event: `{field}` {value} is not a time")))
}

/// Prompt (`input`) or completion token counts, under the current or the older names.
fn tokens(attrs: &Attributes, input: bool) -> Result<Option<u32>, DecodeError> {
    let keys: &[&str] = if input {
        &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"]
    } else {
        &["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"]
    };
    attrs.count(keys)
}

// --- OpenTelemetry GenAI (and OpenLLMetry) ------------------------------------------

/// A GenAI span's call, from its attributes, name and span events.
fn genai_kind(attrs: &Attributes, name: &str, events: Vec<SpanEvent>) -> Result<Kind, DecodeError> {
    let operation = attrs.text("gen_ai.operation.name");
    let tool = operation.as_deref() == Some("execute_tool")
        || (operation.is_none() && attrs.get("gen_ai.tool.name").is_some());
    if tool {
        let tool = attrs
            .text("gen_ai.tool.name")
            .unwrap_or_else(|| name.strip_prefix("execute_tool ").unwrap_or(name).to_owned());
        return Ok(Kind::Tool(wit::ToolCall {
            tool,
            arguments: attrs.text("gen_ai.tool.call.arguments").unwrap_or_default(),
            result: attrs.text("gen_ai.tool.call.result"),
        }));
    }
    let mut content = attributes_content(attrs)?;
    for event in events {
        let fields = Attributes::new(event.attributes);
        let more =
            if event.name == DETAILS { attributes_content(&fields)? } else { event_content(&event.name, &fields)? };
        content.extend(more);
    }
    Ok(Kind::Inference { content, input_tokens: tokens(attrs, true)?, output_tokens: tokens(attrs, false)? })
}

/// The messages in a span's (or a details record's) attributes: the current
/// conventions' lists, else OpenLLMetry's indexed prompt and completion.
fn attributes_content(attrs: &Attributes) -> Result<Content, DecodeError> {
    let mut content = Content::default();
    if let Some(system) = attrs.json("gen_ai.system_instructions") {
        let text = match &system {
            Value::Array(parts) => parts.iter().filter_map(|p| part(p).0).collect::<Vec<_>>().join("\n"),
            other => text_of(other.clone()),
        };
        content.input.push(wit::Message { role: wit::Role::System, content: text });
    }
    content.extend(messages(attrs, "gen_ai.input.messages", false)?);
    content.extend(messages(attrs, "gen_ai.output.messages", true)?);
    content.extend(indexed_messages(attrs, "gen_ai.prompt", "", false)?);
    content.extend(indexed_messages(attrs, "gen_ai.completion", "", true)?);
    Ok(content)
}

/// `gen_ai.input.messages` or `gen_ai.output.messages`: a list of messages with parts.
fn messages(attrs: &Attributes, key: &str, output: bool) -> Result<Content, DecodeError> {
    let mut content = Content::default();
    let Some(list) = attrs.json(key) else { return Ok(content) };
    let Value::Array(list) = list else {
        return Err(DecodeError::new(format!("invalid event: `{key}` is not a list of messages")));
    };
    for (i, message) in list.iter().enumerate() {
        let at = |what: &str| DecodeError::new(format!("invalid event: `{key}[{i}]`: {what}"));
        let role = message.get("role").and_then(Value::as_str).ok_or_else(|| at("no role"))?;
        let role = role_at(role, key, i)?;
        let mut texts = Vec::new();
        if let Some(text) = message.get("content").filter(|c| !c.is_null()) {
            texts.push(text_of(text.clone()));
        }
        for p in message.get("parts").and_then(Value::as_array).into_iter().flatten() {
            let (text, requested) = part(p);
            texts.extend(text);
            content.calls.extend(requested.filter(|_| output));
        }
        push(&mut content, output, role, texts);
    }
    Ok(content)
}

fn role_at(name: &str, key: &str, i: usize) -> Result<wit::Role, DecodeError> {
    role(name).map_err(|e| {
        DecodeError::new(e.message.replacen("invalid event: ", &format!("invalid event: `{key}[{i}]`: "), 1))
    })
}

/// A message's texts joined, in the input or the output; a message with no text
/// (only a tool call, say) adds nothing.
fn push(content: &mut Content, output: bool, role: wit::Role, texts: Vec<String>) {
    if texts.is_empty() {
        return;
    }
    let message = wit::Message { role, content: texts.join("\n") };
    if output { content.output.push(message) } else { content.input.push(message) }
}

/// A message part: its text (`text` content, a `tool_call_response`'s response) and
/// the tool call it asks for (`tool_call`); other parts (media) carry neither.
fn part(part: &Value) -> (Option<String>, Option<ToolUse>) {
    let field = |name: &str| part.get(name).filter(|v| !v.is_null()).cloned();
    match part.get("type").and_then(Value::as_str).unwrap_or("text") {
        "text" | "thinking" | "reasoning" => (field("content").map(text_of), None),
        "tool_call_response" => (field("response").or_else(|| field("result")).map(text_of), None),
        "tool_call" => {
            let name = field("name").map(text_of).unwrap_or_default();
            let arguments = field("arguments").map(text_of).unwrap_or_default();
            (None, Some(ToolUse { name, arguments }))
        }
        _ => (None, None),
    }
}

/// One older per-message event (span event or log record): its fields hold `content`,
/// and `gen_ai.choice` a `message` with `tool_calls`.
fn event_content(name: &str, fields: &Attributes) -> Result<Content, DecodeError> {
    let mut content = Content::default();
    let text = fields.text("content").into_iter().collect();
    match name {
        "gen_ai.system.message" => push(&mut content, false, wit::Role::System, text),
        "gen_ai.user.message" => push(&mut content, false, wit::Role::User, text),
        "gen_ai.assistant.message" => push(&mut content, false, wit::Role::Assistant, text),
        "gen_ai.tool.message" => push(&mut content, false, wit::Role::Tool, text),
        "gen_ai.choice" => {
            let message = fields.json("message").map(|m| Attributes::of_object(&m)).unwrap_or_default();
            let texts = text.into_iter().chain(message.text("content")).collect();
            push(&mut content, true, wit::Role::Assistant, texts);
            let calls = message.json("tool_calls").or_else(|| fields.json("tool_calls"));
            content.calls.extend(calls.iter().flat_map(|c| c.as_array().into_iter().flatten()).map(openai_call));
        }
        _ => {}
    }
    Ok(content)
}

/// An OpenAI-style tool call, `{"function": {"name", "arguments"}}` or flat.
fn openai_call(call: &Value) -> ToolUse {
    let function = call.get("function").unwrap_or(call);
    let field = |name: &str| function.get(name).filter(|v| !v.is_null()).cloned().map(text_of).unwrap_or_default();
    ToolUse { name: field("name"), arguments: field("arguments") }
}

/// OpenLLMetry's `PREFIX.N.role` / `.content` / `.tool_calls.M.{name,arguments}` and
/// OpenInference's `PREFIX.N.message.role` / `.content` / `.contents.M.message_content.text`
/// / `.tool_calls.M.tool_call.function.{name,arguments}` (`inner` is `message.`).
fn indexed_messages(attrs: &Attributes, prefix: &str, inner: &str, output: bool) -> Result<Content, DecodeError> {
    let mut content = Content::default();
    let call_prefix = if inner.is_empty() { "" } else { "tool_call.function." };
    for (i, entry) in attrs.indexed(prefix).iter().enumerate() {
        let field = |name: &str| entry.text(&format!("{inner}{name}"));
        let role =
            role_at(&field("role").unwrap_or_else(|| if output { "assistant" } else { "user" }.into()), prefix, i)?;
        let mut texts: Vec<String> = field("content").into_iter().collect();
        let parts = entry.indexed(&format!("{inner}contents"));
        texts.extend(parts.iter().filter_map(|p| p.text("message_content.text")));
        push(&mut content, output, role, texts);
        if output {
            let calls = entry.indexed(&format!("{inner}tool_calls"));
            content.calls.extend(calls.iter().map(|c| ToolUse {
                name: c.text(&format!("{call_prefix}name")).unwrap_or_default(),
                arguments: c.text(&format!("{call_prefix}arguments")).unwrap_or_default(),
            }));
        }
    }
    Ok(content)
}

// --- OpenInference ------------------------------------------------------------------

/// LLM spans are model calls, TOOL spans tool calls, RETRIEVER spans the documents a
/// query fetched; chains, agents and embeddings carry no call of their own.
fn openinference_kind(kind: &str, attrs: &Attributes, name: &str) -> Result<Option<Kind>, DecodeError> {
    let value = |key: &str| attrs.text(key);
    let kind = match kind {
        "LLM" => {
            let mut content = indexed_messages(attrs, "llm.input_messages", "message.", false)?;
            content.extend(indexed_messages(attrs, "llm.output_messages", "message.", true)?);
            if content.input.is_empty() {
                push(&mut content, false, wit::Role::User, value("input.value").into_iter().collect());
            }
            if !content.answered() {
                push(&mut content, true, wit::Role::Assistant, value("output.value").into_iter().collect());
            }
            Kind::Inference { content, input_tokens: tokens(attrs, true)?, output_tokens: tokens(attrs, false)? }
        }
        "TOOL" => Kind::Tool(wit::ToolCall {
            tool: value("tool.name").unwrap_or_else(|| name.to_owned()),
            arguments: value("input.value").unwrap_or_default(),
            result: value("output.value"),
        }),
        "RETRIEVER" => {
            let mut content = Content::default();
            push(&mut content, false, wit::Role::User, value("input.value").into_iter().collect());
            content.retrieved = attrs.indexed("retrieval.documents").iter().map(document).collect();
            Kind::Inference { content, input_tokens: None, output_tokens: None }
        }
        _ => return Ok(None),
    };
    Ok(Some(kind))
}

fn document(entry: &Attributes) -> wit::Document {
    let metadata = entry.json("document.metadata").and_then(|m| m.as_object().cloned()).unwrap_or_default();
    let source = ["source", "url", "file_path"].iter().find_map(|k| metadata.get(*k).cloned().map(text_of));
    wit::Document {
        id: entry.text("document.id").unwrap_or_default(),
        source: source.unwrap_or_default(),
        content: entry.text("document.content").unwrap_or_default(),
    }
}
