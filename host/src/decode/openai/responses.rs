//! The Responses API within an OpenAI log line: a request's `input` and `instructions`,
//! a response's `output`. Items of other types (reasoning, web searches, …) carry no
//! text for the detectors and are skipped.

use crate::decode::call::{Content, ToolUse};
use crate::decode::{DecodeError, role, text_of};
use crate::runtime as wit;
use serde::Deserialize;

/// `input` or `instructions`: a string, or a list of items.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Input {
    Text(String),
    Items(Vec<Item>),
}

/// An input or output item; which fields count depends on its `type`.
#[derive(Deserialize)]
pub(super) struct Item {
    /// `message` (also when absent, as the client's easy input messages are), `function_call`,
    /// `function_call_output`, or another type.
    #[serde(rename = "type")]
    kind: Option<String>,
    role: Option<String>,
    content: Option<Content>,
    name: Option<String>,
    arguments: Option<String>,
    output: Option<serde_json::Value>,
}

/// The messages of an `input` (a string is the user's) or of `instructions` (the
/// system's).
pub(super) fn messages(input: Input, text_role: wit::Role) -> Result<Vec<wit::Message>, DecodeError> {
    match input {
        Input::Text(content) => Ok(vec![wit::Message { role: text_role, content }]),
        Input::Items(items) => items.into_iter().filter_map(Item::message).collect(),
    }
}

/// A response's `output`: its messages, and its `function_call` items as tool calls.
pub(super) fn output(items: Vec<Item>) -> Result<(Vec<wit::Message>, Vec<ToolUse>), DecodeError> {
    let (mut messages, mut tools) = (Vec::new(), Vec::new());
    for item in items {
        if item.kind.as_deref() == Some("function_call") {
            tools.push(ToolUse::named("function_call", item.name, item.arguments.unwrap_or_default())?);
        } else {
            messages.extend(item.message().transpose()?);
        }
    }
    Ok((messages, tools))
}

impl Item {
    /// A message item in its role, a `function_call_output` as the tool's message; `None`
    /// for other items (a `function_call` of the history is the model's, already seen).
    fn message(self) -> Option<Result<wit::Message, DecodeError>> {
        match (self.kind.as_deref(), self.role) {
            (Some("function_call_output"), _) => {
                Some(Ok(wit::Message { role: wit::Role::Tool, content: text_of(self.output?) }))
            }
            (None | Some("message"), Some(name)) => {
                let content = self.content.map(Content::text).unwrap_or_default();
                Some(role(&name).map(|role| wit::Message { role, content }))
            }
            _ => None,
        }
    }
}
