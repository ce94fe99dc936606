//! Anthropic Messages API logs: one call a line, the request and its response side by
//! side as a gateway logs it, or a response alone (what the official client's
//! `message.model_dump_json()` writes).
//!
//! The accepted shape (keys not named here are ignored, as request options such as
//! `max_tokens` are; every optional list may also be `null`):
//!
//! ```text
//! { "id"?: string, "created"?: number (Unix seconds), "time"?: string (RFC 3339),
//!   "request"?: REQUEST, "response"?: MESSAGE }                a gateway's line
//! MESSAGE                                                      a response alone
//!
//! REQUEST: { "model"?: string, "system"?: string | [ BLOCK ], "metadata"?: { "user_id"?: string },
//!            "messages": [ { "role": "user"|"assistant", "content": string | [ BLOCK ] } ],
//!            "tools"?: [ { "name": string, "description"?: string } ] }
//! MESSAGE: { "id"?: string, "type": "message", "model"?: string, "content": [ BLOCK ],
//!            "usage"?: { "input_tokens"?: integer, "output_tokens"?: integer } }
//! BLOCK:   {"type": "text", "text": string}
//!        | {"type": "tool_use", "name": string, "input": object}
//!        | {"type": "tool_result", "content"?: string | [ BLOCK ]}
//!        | other blocks (images, documents, thinking), skipped
//! ```
//!
//! A line becomes one inference event (id: `id`, else the message's `id`) and one
//! tool-call event per `tool_use` block of the response, `<id>/tool/<n>` counted from 0,
//! with the JSON text of its `input` as the arguments and, when the request's `tools`
//! describe its tool, that description in the attribute `gen_ai.tool.description`. The input: `system` as a system
//! message, then each turn's `tool_result` blocks as tool messages and its text blocks
//! joined as one message in the turn's role (`tool_use` blocks of the history are the
//! model's, already seen). Anthropic's messages carry no time: the line's `created` or
//! `time` is the event's, else the time aiir reads the line, so a file read later than
//! it was written is stamped with the reading's time.

use super::call::{
    self, Call, Content, Keys, Part, Seconds, ToolDefinition, ToolUse, Usage, missing, nullable, text_message,
};
use super::{DecodeError, parse, role, text_of};
use crate::runtime as wit;
use serde::Deserialize;

/// The `source` of every event decoded from this format.
pub const SOURCE: &str = "anthropic";

/// Decode one line: the inference, then the tool calls of its response.
pub fn decode_line(line: &str) -> Result<Vec<wit::Event>, DecodeError> {
    let keys = Keys::of(line);
    let log = if keys.request || keys.response {
        parse::<Log>(line)?
    } else {
        let alone: Response = parse(line)?;
        if alone.kind.as_deref() != Some("message") {
            return Err(missing("`request`, `response` or a message alone (`\"type\": \"message\"`)"));
        }
        Log { response: Some(alone), ..Log::default() }
    };
    let (request, response) = (log.request.unwrap_or_default(), log.response.unwrap_or_default());
    let id = log.id.or(response.id).ok_or_else(|| missing("`id` (or `response.id`)"))?;
    let mut input: Vec<_> =
        request.system.map(|s| wit::Message { role: wit::Role::System, content: s.text() }).into_iter().collect();
    for turn in request.messages {
        input.extend(turn.messages()?);
    }
    let (output, tools) = answer(response.content);
    let call = Call {
        id,
        time_unix_nano: call::time(log.created, log.time.as_deref(), None)?,
        model: response.model.or(request.model),
        principal: request.metadata.and_then(|m| m.user_id),
        session: None,
        input,
        output,
        tools,
        offered: request.tools,
        usage: response.usage.unwrap_or_default(),
    };
    Ok(call.into_events(SOURCE))
}

/// A line that is not a message alone.
#[derive(Deserialize, Default)]
struct Log {
    id: Option<String>,
    created: Option<Seconds>,
    time: Option<String>,
    request: Option<Request>,
    response: Option<Response>,
}

#[derive(Deserialize, Default)]
struct Request {
    model: Option<String>,
    system: Option<Content>,
    #[serde(default, deserialize_with = "nullable")]
    messages: Vec<Turn>,
    metadata: Option<Metadata>,
    #[serde(default, deserialize_with = "nullable")]
    tools: Vec<ToolDefinition>,
}

#[derive(Deserialize)]
struct Metadata {
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct Turn {
    role: String,
    content: Content,
}

#[derive(Deserialize, Default)]
struct Response {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    content: Vec<Part>,
    usage: Option<Usage>,
}

impl Turn {
    /// The turn's tool results as tool messages, then its text as one message.
    fn messages(self) -> Result<Vec<wit::Message>, DecodeError> {
        let role = role(&self.role)?;
        let blocks = match self.content {
            Content::Text(content) => return Ok(vec![wit::Message { role, content }]),
            Content::Parts(blocks) => blocks,
        };
        let (mut messages, mut rest) = (Vec::new(), Vec::new());
        for block in blocks {
            match block {
                Part::ToolResult { content } => messages.push(wit::Message {
                    role: wit::Role::Tool,
                    content: content.map(Content::text).unwrap_or_default(),
                }),
                other => rest.push(other),
            }
        }
        messages.extend(text_message(role, rest));
        Ok(messages)
    }
}

/// The response's text as one assistant message, and its `tool_use` blocks.
fn answer(blocks: Vec<Part>) -> (Vec<wit::Message>, Vec<ToolUse>) {
    let (mut tools, mut rest) = (Vec::new(), Vec::new());
    for block in blocks {
        match block {
            Part::ToolUse { name, input } => tools.push(ToolUse { name, arguments: text_of(input) }),
            other => rest.push(other),
        }
    }
    (text_message(wit::Role::Assistant, rest).into_iter().collect(), tools)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(messages: &[wit::Message]) -> String {
        format!("{:?}", messages.iter().map(|m| (m.role, m.content.as_str())).collect::<Vec<_>>())
    }

    fn inference(event: &wit::Event) -> &wit::Inference {
        let wit::Payload::Inference(i) = &event.payload else { panic!("not an inference") };
        i
    }

    const MESSAGE: &str = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"On it."},{"type":"tool_use","id":"toolu_1","name":"shell","input":{"command":"ls"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":4,"cache_read_input_tokens":null}}"#;

    #[test]
    fn a_messages_call_is_one_inference_and_its_tool_uses() {
        let request = r#"{"model":"claude","max_tokens":100,"system":[{"type":"text","text":"sys"}],"metadata":{"user_id":"u:1"},"messages":[
            {"role":"user","content":"hi"},
            {"role":"assistant","content":[{"type":"text","text":"checking"},{"type":"tool_use","id":"t0","name":"f","input":{}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"t0","content":[{"type":"text","text":"ok"}]},{"type":"tool_result","tool_use_id":"t1","content":"fine"},{"type":"text","text":"go on"}]}]}"#;
        let line = format!(r#"{{"created":1795784400,"request":{request},"response":{MESSAGE}}}"#);
        let events = decode_line(&line).unwrap();
        let ids: Vec<_> = events.iter().map(|e| (e.id.as_str(), e.source.as_str(), e.time_unix_nano)).collect();
        let at = 1_795_784_400_000_000_000;
        assert_eq!(ids, [("msg_1", "anthropic", at), ("msg_1/tool/0", "anthropic", at)]);
        assert_eq!(
            (events[0].model.as_ref().unwrap().name.as_str(), events[0].principal.as_deref()),
            ("claude-x", Some("u:1"))
        );
        let i = inference(&events[0]);
        let input = r#"[(Role::System, "sys"), (Role::User, "hi"), (Role::Assistant, "checking"), (Role::Tool, "ok"), (Role::Tool, "fine"), (Role::User, "go on")]"#;
        assert_eq!(texts(&i.input), input);
        assert_eq!(texts(&i.output), r#"[(Role::Assistant, "On it.")]"#);
        assert_eq!((i.input_tokens, i.output_tokens), (Some(9), Some(4)));
        let wit::Payload::ToolCall(t) = &events[1].payload else { panic!("not a tool call") };
        assert_eq!((t.tool.as_str(), t.arguments.as_str()), ("shell", r#"{"command":"ls"}"#));
    }

    #[test]
    fn a_tool_use_carries_what_the_request_said_its_tool_does() {
        let tools = r#"[{"name":"shell","description":"Runs a command.","input_schema":{}},{"type":"web_search_20250305","name":"web_search"}]"#;
        let line = format!(r#"{{"request":{{"messages":[],"tools":{tools}}},"response":{MESSAGE}}}"#);
        let events = decode_line(&line).unwrap();
        let described = [("gen_ai.tool.description".to_owned(), "Runs a command.".to_owned())];
        assert_eq!((events[0].attributes.as_slice(), events[1].attributes.as_slice()), (&[][..], &described[..]));
    }

    #[test]
    fn a_message_alone_is_stamped_when_read_unless_the_line_says() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        let events = decode_line(MESSAGE).unwrap();
        assert_eq!((events.len(), events[0].id.as_str()), (2, "msg_1"));
        assert!(events[0].time_unix_nano >= before);
        assert!(inference(&events[0]).input.is_empty());
        let line = format!(
            r#"{{"id":"log-1","time":"2026-11-27T13:00:00Z","request":{{"model":"m","system":"s","messages":null}},"response":{MESSAGE}}}"#
        );
        let events = decode_line(&line).unwrap();
        assert_eq!((events[0].id.as_str(), events[0].time_unix_nano), ("log-1", 1_795_784_400_000_000_000));
        assert_eq!(texts(&inference(&events[0]).input), r#"[(Role::System, "s")]"#);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("{", "invalid JSON"),
            (r#"{"id":"x"}"#, "missing `request`, `response` or a message alone"),
            (r#"{"request":{"messages":[]}}"#, "missing `id`"),
            (r#"{"id":"x","request":{"messages":[{"role":"user","content":7}]}}"#, "at request.messages[0].content"),
            (r#"{"id":"x","request":{"messages":[{"role":"user"}]}}"#, "missing field `content`"),
            (r#"{"id":"x","request":{"messages":[{"role":"robot","content":"a"}]}}"#, "unknown role"),
            (r#"{"id":"x","time":"noon","response":{"content":[]}}"#, "`time` \"noon\" is not RFC 3339"),
            (
                r#"{"id":"x","type":"message","content":[{"type":"text","text":7}]}"#,
                "at content[0]: invalid type: integer `7`",
            ),
            (
                r#"{"id":"x","type":"message","content":[{"type":"tool_use","input":{}}]}"#,
                "at content[0]: missing field `name`",
            ),
        ];
        for (line, expected) in cases {
            let err = decode_line(line).unwrap_err();
            assert!(err.message.contains(expected), "{line}: {err}");
        }
    }
}
