//! OpenAI-style chat-completion logs: one request and its response a line, or a
//! response alone (what the official client's `response.model_dump_json()` writes).
//!
//! The accepted shape (keys not named here are ignored, as request options such as
//! `temperature` or `tools` are; every optional list may also be `null`, as the
//! client's serialisations write unset fields):
//!
//! ```text
//! { "id"?: string, "created"?: integer (Unix seconds),
//!   "request"?: { "model": string, "user"?: string,
//!                "messages": [ { "role": "system"|"developer"|"user"|"assistant"|"tool"|"function",
//!                                "content"?: string | [ {"type": "text", "text": string} | other parts ] | null } ] },
//!   "response"?: { "id"?: string, "created"?: integer, "model"?: string,
//!                  "choices": [ { "message": { "role", "content"?, "tool_calls"?:
//!                                 [ { "function": { "name": string, "arguments": string } } ] } } ],
//!                  "usage"?: { "prompt_tokens"?: integer, "completion_tokens"?: integer } } }
//! ```
//!
//! A response alone is the same object as `response`, at the top of the line.
//! A line becomes one inference event (id: `id`, else `response.id`; time: `created`,
//! else `response.created`) and one tool-call event per tool call in the response's
//! choices, with ids `<id>/tool/<n>` counted from 0 across the choices.

use super::{DecodeError, parse, role};
use crate::runtime as wit;
use serde::Deserialize;

/// The `source` of every event decoded from this format.
pub const SOURCE: &str = "openai";

/// Decode one line: the inference, then the tool calls of its response.
pub fn decode_line(line: &str) -> Result<Vec<wit::Event>, DecodeError> {
    let log: Log = parse(line)?;
    let (request, response) = match (log.request, log.response) {
        (None, None) if log.alone.choices.is_empty() => {
            return Err(missing("`request`, `response` or the `choices` of a response alone"));
        }
        (request, response) => (request.unwrap_or_default(), response.unwrap_or(log.alone)),
    };
    let id = log.id.or(response.id).ok_or_else(|| missing("`id` (or `response.id`)"))?;
    let created = log.created.or(response.created).ok_or_else(|| missing("`created` (or `response.created`)"))?;
    let time_unix_nano = created
        .checked_mul(1_000_000_000)
        .ok_or_else(|| DecodeError::new(format!("invalid event: `created` {created} is out of range")))?;
    let model = response.model.or(request.model).map(|name| wit::ModelRef { name, version: None, digest: None });
    let event = |id: String, payload| wit::Event {
        id,
        time_unix_nano,
        source: SOURCE.into(),
        model: model.clone(),
        principal: request.user.clone(),
        session: None,
        payload,
        attributes: Vec::new(),
    };
    let input = request.messages.into_iter().filter_map(message).collect::<Result<_, _>>()?;
    let mut output = Vec::new();
    let mut calls = Vec::new();
    for choice in response.choices {
        calls.extend(choice.message.tool_calls.iter().map(|c| c.function.clone()));
        output.extend(message(choice.message).transpose()?);
    }
    let usage = response.usage.unwrap_or_default();
    let inference = wit::Inference {
        input,
        output,
        retrieved: Vec::new(),
        input_tokens: usage.prompt_tokens,
        output_tokens: usage.completion_tokens,
    };
    let mut events = vec![event(id.clone(), wit::Payload::Inference(inference))];
    for (n, call) in calls.into_iter().enumerate() {
        let payload = wit::ToolCall { tool: call.name, arguments: call.arguments, result: None };
        events.push(event(format!("{id}/tool/{n}"), wit::Payload::ToolCall(payload)));
    }
    Ok(events)
}

fn missing(what: &str) -> DecodeError {
    DecodeError::new(format!("invalid event: missing {what}"))
}

#[derive(Deserialize)]
struct Log {
    id: Option<String>,
    created: Option<u64>,
    request: Option<Request>,
    response: Option<Response>,
    /// The line itself as a response, when it is one alone.
    #[serde(flatten)]
    alone: Response,
}

#[derive(Deserialize, Default)]
struct Request {
    model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    messages: Vec<Message>,
    user: Option<String>,
}

#[derive(Deserialize, Default)]
struct Response {
    id: Option<String>,
    created: Option<u64>,
    model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

/// `null` where a list may stand: the official client writes unset fields as `null`.
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: Option<Content>,
    #[serde(default, deserialize_with = "nullable")]
    tool_calls: Vec<ToolCall>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// A content part; only `text` parts carry text for the detectors.
#[derive(Deserialize)]
struct Part {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
}

#[derive(Deserialize)]
struct ToolCall {
    function: Function,
}

#[derive(Deserialize, Clone)]
struct Function {
    name: String,
    #[serde(default)]
    arguments: String,
}

#[derive(Deserialize, Default)]
struct Usage {
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
}

/// A message with text; `None` for one without (an assistant turn of tool calls only).
fn message(m: Message) -> Option<Result<wit::Message, DecodeError>> {
    let content = match m.content? {
        Content::Text(text) => text,
        Content::Parts(parts) => {
            let texts: Vec<String> = parts.into_iter().filter(|p| p.kind == "text").filter_map(|p| p.text).collect();
            texts.join("\n")
        }
    };
    Some(role(&m.role).map(|role| wit::Message { role, content }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = r#"{"id":"log-1","created":1795784400,"request":{"model":"m","user":"u:1","temperature":0,"messages":[{"role":"developer","content":"sys"},{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"x"}}]}]},"response":{"id":"chatcmpl-1","created":1795784401,"model":"m-2","choices":[{"message":{"role":"assistant","content":"yo"}}],"usage":{"prompt_tokens":5,"completion_tokens":1}}}"#;

    #[test]
    fn a_chat_log_is_one_inference() {
        let events = decode_line(CHAT).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(
            (e.id.as_str(), e.time_unix_nano, e.source.as_str()),
            ("log-1", 1_795_784_400_000_000_000, "openai")
        );
        assert_eq!((e.model.as_ref().unwrap().name.as_str(), e.principal.as_deref()), ("m-2", Some("u:1")));
        let wit::Payload::Inference(i) = &e.payload else { panic!("not an inference") };
        let text: Vec<_> = i.input.iter().chain(&i.output).map(|m| (m.role, m.content.as_str())).collect();
        assert_eq!(format!("{text:?}"), r#"[(Role::System, "sys"), (Role::User, "hi"), (Role::Assistant, "yo")]"#);
        assert_eq!((i.input_tokens, i.output_tokens), (Some(5), Some(1)));
    }

    #[test]
    fn tool_calls_follow_the_inference_with_numbered_ids() {
        let line = r#"{"request":{"model":"m","messages":[{"role":"user","content":"go"}]},"response":{"id":"r9","created":1,"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"a","arguments":"{}"}},{"function":{"name":"b","arguments":"{\"x\":1}"}}]}}]}}"#;
        let events = decode_line(line).unwrap();
        let ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["r9", "r9/tool/0", "r9/tool/1"]);
        let wit::Payload::Inference(i) = &events[0].payload else { panic!("not an inference") };
        assert!(i.output.is_empty(), "a turn of tool calls only has no text");
        let wit::Payload::ToolCall(t) = &events[2].payload else { panic!("not a tool call") };
        assert_eq!((t.tool.as_str(), t.arguments.as_str()), ("b", r#"{"x":1}"#));
        assert_eq!(events[2].model.as_ref().unwrap().name, "m", "the request's model when the response names none");
    }

    #[test]
    fn nulls_for_lists_and_a_response_alone_are_read() {
        let history =
            r#"{"role":"assistant","content":"earlier","tool_calls":null,"function_call":null,"refusal":null}"#;
        let response = r#"{"id":"chatcmpl-2","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok","tool_calls":null,"audio":null}}],"usage":null}"#;
        let line = format!(
            r#"{{"request":{{"model":"m","messages":[{history},{{"role":"user","content":"again"}}]}},"response":{response}}}"#
        );
        let events = decode_line(&line).unwrap();
        let wit::Payload::Inference(i) = &events[0].payload else { panic!("not an inference") };
        assert_eq!((i.input.len(), i.output[0].content.as_str()), (2, "ok"));
        let alone = decode_line(response).unwrap();
        assert_eq!((alone.len(), alone[0].id.as_str(), alone[0].time_unix_nano), (1, "chatcmpl-2", 7_000_000_000));
        let wit::Payload::Inference(i) = &alone[0].payload else { panic!("not an inference") };
        assert!(i.input.is_empty() && i.output[0].content == "ok");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("{", "invalid JSON"),
            (r#"{"created":1,"request":{"messages":[]}}"#, "missing `id`"),
            (r#"{"id":"x","request":{"messages":[]}}"#, "missing `created`"),
            (r#"{"id":"x","created":1}"#, "missing `request`, `response` or the `choices`"),
            (
                r#"{"id":"x","created":1,"request":{"messages":[{"role":"user","content":7}]}}"#,
                "at request.messages[0].content",
            ),
            (r#"{"id":"x","created":1,"request":{"messages":[{"role":"robot","content":"a"}]}}"#, "unknown role"),
        ];
        for (line, expected) in cases {
            let err = decode_line(line).unwrap_err();
            assert!(err.message.contains(expected), "{line}: {err}");
        }
    }
}
