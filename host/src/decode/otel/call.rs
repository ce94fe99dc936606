//! One GenAI call as the telemetry describes it, before it becomes events. A call
//! comes from a span, from log records, or from both joined by their span id (see
//! [`super::join`]); it turns into one inference event and one tool-call event per
//! tool call the model asked for, or into one tool-call event for a tool's own span.

use crate::decode::Decoded;
use crate::decode::call::{ToolDefinition, ToolUse, with_tool_calls};
use crate::runtime as wit;
use std::collections::BTreeMap;

/// Where a call's records meet: its trace and span ids.
pub(super) type Key = (String, String);

/// A GenAI call and what is known about it.
#[derive(Debug, Clone)]
pub(super) struct Call {
    /// Its trace and span, when the records name them.
    pub(super) key: Option<Key>,
    /// Whether a span said it (log records alone leave the span's metadata out).
    pub(super) from_span: bool,
    pub(super) id: String,
    pub(super) time_unix_nano: u64,
    pub(super) source: String,
    pub(super) model: Option<String>,
    pub(super) principal: Option<String>,
    pub(super) session: Option<String>,
    pub(super) kind: Kind,
    /// Attributes no field of the event took, as text.
    pub(super) attributes: BTreeMap<String, String>,
}

/// What the call did.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// A model call, with what went in and came out.
    Inference { content: Content, input_tokens: Option<u32>, output_tokens: Option<u32> },
    /// A tool run by the application.
    Tool(wit::ToolCall),
}

/// The messages of a model call, and the tool calls the model asked for.
#[derive(Debug, Clone, Default)]
pub(super) struct Content {
    pub(super) input: Vec<wit::Message>,
    pub(super) output: Vec<wit::Message>,
    pub(super) retrieved: Vec<wit::Document>,
    /// The tool calls the model asked for.
    pub(super) calls: Vec<ToolUse>,
}

impl Content {
    pub(super) fn extend(&mut self, other: Content) {
        self.input.extend(other.input);
        self.output.extend(other.output);
        self.retrieved.extend(other.retrieved);
        self.calls.extend(other.calls);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.input.is_empty() && self.output.is_empty() && self.retrieved.is_empty() && self.calls.is_empty()
    }

    /// Whether the model's answer is known: the call is complete.
    pub(super) fn answered(&self) -> bool {
        !self.output.is_empty() || !self.calls.is_empty()
    }
}

impl Call {
    /// The call's content; none for a tool's span.
    pub(super) fn content(&self) -> Option<&Content> {
        match &self.kind {
            Kind::Inference { content, .. } => Some(content),
            Kind::Tool(_) => None,
        }
    }

    /// Roughly the bytes it holds: its texts, ids and attributes.
    pub(super) fn size(&self) -> usize {
        let texts = match &self.kind {
            Kind::Inference { content, .. } => {
                let messages = content.input.iter().chain(&content.output).map(|m| m.content.len());
                let documents = content.retrieved.iter().map(|d| d.id.len() + d.source.len() + d.content.len());
                let calls = content.calls.iter().map(|c| c.name.len() + c.arguments.len());
                messages.chain(documents).chain(calls).sum()
            }
            Kind::Tool(t) => t.tool.len() + t.arguments.len() + t.result.as_ref().map_or(0, String::len),
        };
        let attributes: usize = self.attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
        texts + attributes + self.id.len() + self.source.len()
    }

    /// A model call that says nothing of its messages: the instrumentation records
    /// no content.
    pub(super) fn blind(&self) -> bool {
        self.content().is_some_and(Content::is_empty)
    }

    /// Complete this span's call with what its log records say: their messages when
    /// the span has none, and any metadata the span lacks.
    pub(super) fn join(&mut self, logs: Call) {
        self.merge(logs, |content, more| {
            if content.is_empty() {
                *content = more;
            }
        });
    }

    /// Add what another log record of the same call says.
    pub(super) fn absorb(&mut self, record: Call) {
        self.merge(record, Content::extend);
    }

    /// Take `other`'s metadata where this call has none, and its content as `content` says.
    fn merge(&mut self, other: Call, content: impl FnOnce(&mut Content, Content)) {
        self.model = self.model.take().or(other.model);
        self.principal = self.principal.take().or(other.principal);
        self.session = self.session.take().or(other.session);
        for (k, v) in other.attributes {
            self.attributes.entry(k).or_insert(v);
        }
        let (
            Kind::Inference { content: mine, input_tokens, output_tokens },
            Kind::Inference { content: more, input_tokens: i, output_tokens: o },
        ) = (&mut self.kind, other.kind)
        else {
            return;
        };
        content(mine, more);
        *input_tokens = input_tokens.or(i);
        *output_tokens = output_tokens.or(o);
    }

    /// The events of the call, added to `decoded`; a model call without content is
    /// noted as blind.
    pub(super) fn into_events(self, decoded: &mut Decoded) {
        if self.blind() {
            decoded.blind.push(self.source.clone());
        }
        let Call { id, time_unix_nano, source, model, principal, session, kind, attributes, .. } = self;
        // A tool span carries its own `gen_ai.tool.description`; a model span, the tools it
        // offered, read only when the model called one (the schemas can be long).
        let called = matches!(&kind, Kind::Inference { content, .. } if !content.calls.is_empty());
        let offered = if called { offered(&attributes) } else { Vec::new() };
        let event = move |payload| wit::Event {
            id,
            time_unix_nano,
            source,
            model: model.map(|name| wit::ModelRef { name, version: None, digest: None }),
            principal,
            session,
            payload,
            attributes: attributes.into_iter().collect(),
        };
        match kind {
            Kind::Tool(call) => decoded.events.push(event(wit::Payload::ToolCall(call))),
            Kind::Inference { content, input_tokens, output_tokens } => {
                let inference = wit::Inference {
                    input: content.input,
                    output: content.output,
                    retrieved: content.retrieved,
                    input_tokens,
                    output_tokens,
                };
                let inference = event(wit::Payload::Inference(inference));
                decoded.events.extend(with_tool_calls(inference, content.calls, &offered));
            }
        }
    }
}

/// The tools a model span says the model was offered, with their descriptions: the GenAI
/// conventions' `gen_ai.tool.definitions` (a JSON array) and OpenInference's
/// `llm.tools.N.tool.json_schema` (one JSON object each). What is not JSON of that shape
/// describes nothing.
fn offered(attributes: &BTreeMap<String, String>) -> Vec<ToolDefinition> {
    let listed: Option<Vec<ToolDefinition>> =
        attributes.get("gen_ai.tool.definitions").and_then(|v| serde_json::from_str(v).ok());
    let indexed = attributes
        .iter()
        .filter(|(k, _)| k.starts_with("llm.tools.") && k.ends_with(".tool.json_schema"))
        .filter_map(|(_, v)| serde_json::from_str(v).ok());
    listed.unwrap_or_default().into_iter().chain(indexed).collect()
}
