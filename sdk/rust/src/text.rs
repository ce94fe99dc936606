//! Walk every piece of text in an event, with the path of its field for evidence.

use crate::{Event, Payload, Role};

/// Where a piece of text came from, which says how far it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The application's own instructions (system prompt).
    System,
    /// An end user's message.
    User,
    /// The model's output.
    Assistant,
    /// A tool's result, as a message or in a tool call.
    ToolResult,
    /// A document retrieved into the context.
    Retrieved,
    /// The arguments the model gave a tool.
    ToolArguments,
    /// An example of a training-data batch.
    TrainingRecord,
    /// The body of a custom event.
    Custom,
}

impl Origin {
    /// Text that entered the model's context from a third party rather than from the
    /// user it serves: where indirect prompt injection hides.
    pub fn is_third_party(self) -> bool {
        matches!(self, Origin::ToolResult | Origin::Retrieved)
    }
}

/// One piece of text in an event.
#[derive(Debug, Clone, PartialEq)]
pub struct Text<'a> {
    /// Path of the field, as in the aiir JSON format: `payload.inference.input[1].content`.
    pub field: String,
    /// Where the text came from.
    pub origin: Origin,
    /// The text.
    pub text: &'a str,
}

impl Event {
    /// Every piece of text in the event, in document order, with its field path.
    pub fn texts(&self) -> Vec<Text<'_>> {
        let mut out = Vec::new();
        match &self.payload {
            Payload::Inference(i) => {
                let messages = [("input", &i.input), ("output", &i.output)];
                for (list, messages) in messages {
                    for (n, m) in messages.iter().enumerate() {
                        let field = format!("payload.inference.{list}[{n}].content");
                        out.push(Text::at(field, role_origin(m.role), &m.content));
                    }
                }
                for (n, d) in i.retrieved.iter().enumerate() {
                    let field = format!("payload.inference.retrieved[{n}].content");
                    out.push(Text::at(field, Origin::Retrieved, &d.content));
                }
            }
            Payload::ToolCall(t) => {
                out.push(Text::at("payload.tool_call.arguments".into(), Origin::ToolArguments, &t.arguments));
                if let Some(result) = &t.result {
                    out.push(Text::at("payload.tool_call.result".into(), Origin::ToolResult, result));
                }
            }
            Payload::TrainingData(d) => {
                for (n, r) in d.records.iter().enumerate() {
                    let field = format!("payload.training_data.records[{n}].text");
                    out.push(Text::at(field, Origin::TrainingRecord, &r.text));
                }
            }
            Payload::Custom(c) => out.push(Text::at("payload.custom.data".into(), Origin::Custom, &c.data)),
            Payload::ModelLifecycle(_) | Payload::TrainingRun(_) => {}
        }
        out
    }
}

impl<'a> Text<'a> {
    fn at(field: String, origin: Origin, text: &'a str) -> Self {
        Self { field, origin, text }
    }
}

fn role_origin(role: Role) -> Origin {
    match role {
        Role::System => Origin::System,
        Role::User => Origin::User,
        Role::Assistant => Origin::Assistant,
        Role::Tool => Origin::ToolResult,
    }
}

#[cfg(test)]
mod tests {
    use crate::{Event, Inference, Origin, ToolCall};

    #[test]
    fn inference_texts_carry_paths_and_origins() {
        let event = Event::new(
            "e",
            Inference::new().system("be nice").user("hi").retrieved("d", "https://x", "doc").assistant("hello"),
        );
        let got: Vec<_> = event.texts().into_iter().map(|t| (t.field, t.origin, t.text)).collect();
        assert_eq!(
            got,
            [
                ("payload.inference.input[0].content".into(), Origin::System, "be nice"),
                ("payload.inference.input[1].content".into(), Origin::User, "hi"),
                ("payload.inference.output[0].content".into(), Origin::Assistant, "hello"),
                ("payload.inference.retrieved[0].content".into(), Origin::Retrieved, "doc"),
            ]
        );
    }

    #[test]
    fn tool_call_texts_include_the_result_when_present() {
        let event = Event::new("e", ToolCall::new("shell", "{}").result("out"));
        let origins: Vec<_> = event.texts().into_iter().map(|t| t.origin).collect();
        assert_eq!(origins, [Origin::ToolArguments, Origin::ToolResult]);
    }
}
