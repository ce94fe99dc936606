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

/// An input or output item, by its `type`; read through [`Fields`] so that a
/// `function_call` without a name is an error at the item's path.
#[derive(Deserialize)]
#[serde(try_from = "Fields")]
pub(super) enum Item {
    /// A `message`, as typed or as the client's easy input message (no `type`).
    Message {
        role: String,
        content: Option<Content>,
    },
    FunctionCall(ToolUse),
    /// The result the app gave a `function_call`.
    FunctionCallOutput(serde_json::Value),
    Other,
}

/// An item's fields; which count depends on `type`.
#[derive(Deserialize)]
struct Fields {
    #[serde(rename = "type")]
    kind: Option<String>,
    role: Option<String>,
    content: Option<Content>,
    name: Option<String>,
    arguments: Option<String>,
    output: Option<serde_json::Value>,
}

impl TryFrom<Fields> for Item {
    type Error = &'static str;

    fn try_from(f: Fields) -> Result<Self, Self::Error> {
        Ok(match (f.kind.as_deref(), f.role) {
            (Some("function_call"), _) => Item::FunctionCall(ToolUse {
                name: f.name.ok_or("a `function_call` without `name`")?,
                arguments: f.arguments.unwrap_or_default(),
            }),
            (Some("function_call_output"), _) => f.output.map_or(Item::Other, Item::FunctionCallOutput),
            (None | Some("message"), Some(role)) => Item::Message { role, content: f.content },
            _ => Item::Other,
        })
    }
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
        match item {
            Item::FunctionCall(call) => tools.push(call),
            other => messages.extend(other.message().transpose()?),
        }
    }
    Ok((messages, tools))
}

impl Item {
    /// A message item in its role, a `function_call_output` as the tool's message; `None`
    /// for other items (a `function_call` of the history is the model's, already seen).
    fn message(self) -> Option<Result<wit::Message, DecodeError>> {
        match self {
            Item::Message { role: name, content } => {
                let content = content.map(Content::text).unwrap_or_default();
                Some(role(&name).map(|role| wit::Message { role, content }))
            }
            Item::FunctionCallOutput(output) => {
                Some(Ok(wit::Message { role: wit::Role::Tool, content: text_of(output) }))
            }
            Item::FunctionCall(_) | Item::Other => None,
        }
    }
}
