//! OpenAI logs: one call a line, to the Chat Completions or the Responses API, as a
//! gateway logs it (the request and its response side by side), as the official client
//! writes a response alone (`response.model_dump_json()`), or as the Batch API reads and
//! writes it (one input line, one output line).
//!
//! The accepted shape (keys not named here are ignored, as request options such as
//! `temperature` are; every optional list may also be `null`, as the client's
//! serialisations write unset fields):
//!
//! ```text
//! { "id"?: string, "created"?: number (Unix seconds), "time"?: string (RFC 3339),
//!   "request"?: REQUEST, "response"?: RESPONSE }       a gateway's line
//! RESPONSE                                             a response alone
//! { "custom_id": string, "url"?, "method"?, "body": REQUEST }   a Batch input line
//! { "id"?: string, "custom_id": string,
//!   "response": { "status_code"?, "body": RESPONSE } | null, "error"? }   a Batch output line
//!
//! REQUEST: { "model"?: string, "user"?: string,
//!            "messages"?: [ MESSAGE ],                                    Chat Completions
//!            "input"?: string | [ ITEM ], "instructions"?: string | [ ITEM ],   Responses
//!            "tools"?: [ { "function": { "name", "description"? } } | { "name", "description"? } ] }
//! MESSAGE: { "role": "system"|"developer"|"user"|"assistant"|"tool"|"function",
//!            "content"?: string | [ {"type": "text", "text": string} | other parts ] | null,
//!            "tool_calls"?: [ { "function": { "name": string, "arguments": string } } ] }
//! ITEM:    { "type"?: "message", "role", "content": string | [ {"type": "input_text"|"output_text", "text"} ] }
//!        | { "type": "function_call", "name": string, "arguments": string }
//!        | { "type": "function_call_output", "output": string | other }
//!        | other items, skipped
//! RESPONSE: { "id"?: string, "created"? | "created_at"?: number, "model"?: string, "user"?: string,
//!             "choices"?: [ { "message": MESSAGE } ],                      Chat Completions
//!             "output"?: [ ITEM ], "instructions"?: string | [ ITEM ],        Responses
//!             "usage"?: { "prompt_tokens"? | "input_tokens"?, "completion_tokens"? | "output_tokens"? } }
//! ```
//!
//! A line becomes one inference event and one tool-call event per tool call of its
//! response (a choice's `tool_calls`, a `function_call` output item), with ids
//! `<id>/tool/<n>` counted from 0; a tool call whose tool the request's `tools` describe
//! carries that description in the attribute `gen_ai.tool.description`. Its input: `instructions` (the request's, else the
//! response's) as a system message, then the `messages` or the `input` items (a string
//! `input` is the user's message; a `function_call_output` is the tool's). The id is
//! `id`, else `custom_id`, else `response.id`; a Batch line's `custom_id` is also the
//! session, so a request's input and output lines share one. The time is `created` or
//! `time`, else the response's `created` or `created_at`, else (a Batch input line
//! carries none) the time aiir reads the line. A Batch output line whose request failed
//! (`response` null, or a body with no answer) holds nothing to inspect: no event.

mod responses;

use super::call::{self, Call, Content, Keys, Seconds, ToolDefinition, ToolUse, Usage, missing, nullable};
use super::{DecodeError, parse, role};
use crate::runtime as wit;
use serde::Deserialize;

/// The `source` of every event decoded from this format.
pub const SOURCE: &str = "openai";

/// Decode one line: the inference, then the tool calls of its response.
pub fn decode_line(line: &str) -> Result<Vec<wit::Event>, DecodeError> {
    let keys = Keys::of(line);
    let log = if keys.request || keys.response || keys.custom_id || keys.body {
        parse::<Log>(line)?
    } else {
        let alone: Response = parse(line)?;
        if !alone.answered() {
            return Err(missing("`request`, `response`, or the `choices` or `output` of a response alone"));
        }
        Log { response: Some(alone), ..Log::default() }
    };
    Ok(log.into_call()?.map(|call| call.into_events(SOURCE)).unwrap_or_default())
}

/// A line that is not a response alone.
#[derive(Deserialize, Default)]
struct Log {
    id: Option<String>,
    created: Option<Seconds>,
    time: Option<String>,
    request: Option<Request>,
    response: Option<Response>,
    /// A Batch line's request id, chosen by whoever wrote the input file.
    custom_id: Option<String>,
    /// A Batch input line's request.
    body: Option<Request>,
}

impl Log {
    /// The call the line holds; `None` for a Batch request that failed.
    fn into_call(self) -> Result<Option<Call>, DecodeError> {
        let request = self.request.or(self.body);
        let response = self.response.map(Response::unwrap_body).unwrap_or_default();
        if request.is_none() && !response.answered() && self.custom_id.is_some() {
            return Ok(None);
        }
        let request = request.unwrap_or_default();
        let id = self.id.or_else(|| self.custom_id.clone()).or_else(|| response.id.clone());
        let id = id.ok_or_else(|| missing("`id` (or `custom_id`, `response.id`)"))?;
        let time_unix_nano = call::time(self.created, self.time.as_deref(), response.created)?;
        let instructions = request.instructions.or(response.instructions);
        let input = input(instructions, request.messages, request.input)?;
        let (output, tools) = output(response.choices, response.output)?;
        Ok(Some(Call {
            id,
            time_unix_nano,
            model: response.model.or(request.model),
            principal: request.user.or(response.user),
            session: self.custom_id,
            input,
            output,
            tools,
            offered: request.tools,
            usage: response.usage.unwrap_or_default(),
        }))
    }
}

#[derive(Deserialize, Default)]
struct Request {
    model: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    messages: Vec<Message>,
    input: Option<responses::Input>,
    instructions: Option<responses::Input>,
    user: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    tools: Vec<ToolDefinition>,
}

#[derive(Deserialize, Default)]
struct Response {
    id: Option<String>,
    #[serde(alias = "created_at")]
    created: Option<Seconds>,
    model: Option<String>,
    user: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    choices: Vec<Choice>,
    #[serde(default, deserialize_with = "nullable")]
    output: Vec<responses::Item>,
    instructions: Option<responses::Input>,
    usage: Option<Usage>,
    /// A Batch output line's response: its HTTP body is the response proper.
    body: Option<Box<Response>>,
}

impl Response {
    fn unwrap_body(self) -> Response {
        match self.body {
            Some(body) => *body,
            None => self,
        }
    }

    /// Whether the model answered: a chat completion's choices or a Responses output.
    fn answered(&self) -> bool {
        !self.choices.is_empty() || !self.output.is_empty()
    }
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
struct ToolCall {
    function: Function,
}

#[derive(Deserialize)]
struct Function {
    name: String,
    #[serde(default)]
    arguments: String,
}

/// The input messages: instructions first, then a chat's messages or a Responses input.
fn input(
    instructions: Option<responses::Input>,
    messages: Vec<Message>,
    items: Option<responses::Input>,
) -> Result<Vec<wit::Message>, DecodeError> {
    let mut input = match instructions {
        Some(instructions) => responses::messages(instructions, wit::Role::System)?,
        None => Vec::new(),
    };
    for m in messages {
        input.extend(message(m).transpose()?);
    }
    if let Some(items) = items {
        input.extend(responses::messages(items, wit::Role::User)?);
    }
    Ok(input)
}

/// The output messages and tool calls: of a chat's choices, then of a Responses output.
fn output(choices: Vec<Choice>, items: Vec<responses::Item>) -> Result<(Vec<wit::Message>, Vec<ToolUse>), DecodeError> {
    let (mut messages, mut tools) = (Vec::new(), Vec::new());
    for mut choice in choices {
        let calls = std::mem::take(&mut choice.message.tool_calls);
        tools.extend(calls.into_iter().map(|c| ToolUse { name: c.function.name, arguments: c.function.arguments }));
        messages.extend(message(choice.message).transpose()?);
    }
    let (more_messages, more_tools) = responses::output(items)?;
    messages.extend(more_messages);
    tools.extend(more_tools);
    Ok((messages, tools))
}

/// A message with text; `None` for one without (an assistant turn of tool calls only).
fn message(m: Message) -> Option<Result<wit::Message, DecodeError>> {
    let content = m.content?.text();
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
    fn a_tool_call_carries_what_the_request_said_its_tool_does() {
        let tools = r#"[{"type":"function","function":{"name":"acme_payout","description":"Moves funds to a payee."}},{"type":"web_search"},{"type":"function","name":"lookup","description":"Finds an order."}]"#;
        let calls = r#"[{"function":{"name":"acme_payout","arguments":"{}"}},{"function":{"name":"lookup","arguments":"{}"}},{"function":{"name":"other","arguments":"{}"}}]"#;
        let line = format!(
            r#"{{"request":{{"messages":[],"tools":{tools}}},"response":{{"id":"r","created":1,"choices":[{{"message":{{"role":"assistant","tool_calls":{calls}}}}}]}}}}"#
        );
        let events = decode_line(&line).unwrap();
        let described: Vec<_> = events.iter().map(|e| e.attributes.clone()).collect();
        let with = |d: &str| vec![("gen_ai.tool.description".to_owned(), d.to_owned())];
        assert_eq!(described, [vec![], with("Moves funds to a payee."), with("Finds an order."), vec![]]);
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

    /// The text of each message, with its role.
    fn texts(messages: &[wit::Message]) -> String {
        format!("{:?}", messages.iter().map(|m| (m.role, m.content.as_str())).collect::<Vec<_>>())
    }

    fn inference(event: &wit::Event) -> &wit::Inference {
        let wit::Payload::Inference(i) = &event.payload else { panic!("not an inference") };
        i
    }

    #[test]
    fn batch_input_and_output_lines_are_a_request_and_a_response_of_one_session() {
        let input = r#"{"custom_id":"req-1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"hi"}]}}"#;
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        let events = decode_line(input).unwrap();
        assert_eq!((events.len(), events[0].id.as_str(), events[0].session.as_deref()), (1, "req-1", Some("req-1")));
        assert!(events[0].time_unix_nano >= before, "a Batch input line is stamped when it is read");
        assert_eq!(texts(&inference(&events[0]).input), r#"[(Role::User, "hi")]"#);
        let output = r#"{"id":"batch_req_1","custom_id":"req-1","response":{"status_code":200,"request_id":"rq","body":{"id":"chatcmpl-1","object":"chat.completion","created":5,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"shell","arguments":"{}"}}]}}],"usage":{"prompt_tokens":3,"completion_tokens":2}}},"error":null}"#;
        let events = decode_line(output).unwrap();
        let ids: Vec<_> = events.iter().map(|e| (e.id.as_str(), e.session.as_deref(), e.time_unix_nano)).collect();
        assert_eq!(
            ids,
            [("batch_req_1", Some("req-1"), 5_000_000_000), ("batch_req_1/tool/0", Some("req-1"), 5_000_000_000)]
        );
        assert_eq!(inference(&events[0]).input_tokens, Some(3));
        let failed = [
            r#"{"id":"batch_req_2","custom_id":"req-2","response":null,"error":{"code":"x","message":"y"}}"#,
            r#"{"id":"batch_req_3","custom_id":"req-3","response":{"status_code":400,"body":{"error":{"message":"bad"}}},"error":null}"#,
        ];
        for line in failed {
            assert!(decode_line(line).unwrap().is_empty(), "{line}");
        }
    }

    #[test]
    fn a_responses_call_reads_instructions_input_items_output_and_function_calls() {
        let line = r#"{"request":{"model":"m","instructions":"sys","user":"u:1","input":[
            {"role":"user","content":[{"type":"input_text","text":"hi"},{"type":"input_image","image_url":"x"}]},
            {"type":"function_call","name":"f","arguments":"{}","call_id":"c0"},
            {"type":"function_call_output","call_id":"c0","output":"ok"}]},
          "response":{"id":"resp_1","object":"response","created_at":1795784400.5,"model":"m-2","instructions":"sys","output":[
            {"type":"reasoning","id":"rs","summary":[]},
            {"type":"message","role":"assistant","content":[{"type":"output_text","text":"yo","annotations":[]}]},
            {"type":"function_call","name":"shell","arguments":"{\"command\":\"ls\"}","call_id":"c1"}],
            "usage":{"input_tokens":5,"output_tokens":2,"total_tokens":7}}}"#;
        let events = decode_line(line).unwrap();
        let ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["resp_1", "resp_1/tool/0"]);
        assert_eq!(
            (events[0].time_unix_nano, events[0].principal.as_deref()),
            (1_795_784_400_500_000_000, Some("u:1"))
        );
        let i = inference(&events[0]);
        assert_eq!(texts(&i.input), r#"[(Role::System, "sys"), (Role::User, "hi"), (Role::Tool, "ok")]"#);
        assert_eq!(texts(&i.output), r#"[(Role::Assistant, "yo")]"#);
        assert_eq!((i.input_tokens, i.output_tokens), (Some(5), Some(2)));
        let wit::Payload::ToolCall(t) = &events[1].payload else { panic!("not a tool call") };
        assert_eq!((t.tool.as_str(), t.arguments.as_str()), ("shell", r#"{"command":"ls"}"#));
    }

    #[test]
    fn a_responses_string_input_is_the_users_and_a_response_alone_brings_its_instructions() {
        let batch = r#"{"custom_id":"r","url":"/v1/responses","body":{"model":"m","input":"hello"}}"#;
        assert_eq!(texts(&inference(&decode_line(batch).unwrap()[0]).input), r#"[(Role::User, "hello")]"#);
        let alone = r#"{"id":"resp_2","object":"response","created_at":7,"instructions":[{"role":"developer","content":"be brief"}],"output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]}],"usage":null,"tools":[],"user":null}"#;
        let events = decode_line(alone).unwrap();
        assert_eq!((events[0].id.as_str(), events[0].time_unix_nano), ("resp_2", 7_000_000_000));
        let i = inference(&events[0]);
        assert_eq!(
            (texts(&i.input), texts(&i.output)),
            (r#"[(Role::System, "be brief")]"#.into(), r#"[(Role::Assistant, "ok")]"#.into())
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases = [
            ("{", "invalid JSON"),
            (r#"{"created":1,"request":{"messages":[]}}"#, "missing `id`"),
            (r#"{"id":"x","created":-1,"request":{"messages":[]}}"#, "at created: -1 is not Unix seconds"),
            (r#"{"id":"x","created":1}"#, "missing `request`, `response`, or the `choices` or `output`"),
            (
                r#"{"id":"x","created":1,"request":{"messages":[{"role":"user","content":7}]}}"#,
                "at request.messages[0].content",
            ),
            (r#"{"id":"x","created":1,"request":{"messages":[{"role":"robot","content":"a"}]}}"#, "unknown role"),
            (r#"{"custom_id":"x","body":{"messages":[{"role":7}]}}"#, "at body.messages[0].role"),
            (r#"{"id":"x","created":1,"choices":[{"message":{"role":7}}]}"#, "at choices[0].message.role"),
            (r#"{"id":"x","created":1,"request":{"input":7}}"#, "at request.input"),
            (
                r#"{"id":"x","created":1.5,"output":[{"type":"function_call","arguments":"{}"}]}"#,
                "at output[0]: a `function_call` without `name`",
            ),
            (
                r#"{"id":"x","custom_id":"c","response":{"body":{"created":"soon","choices":[]}}}"#,
                "at response.body.created",
            ),
        ];
        for (line, expected) in cases {
            let err = decode_line(line).unwrap_err();
            assert!(err.message.contains(expected), "{line}: {err}");
        }
    }
}
