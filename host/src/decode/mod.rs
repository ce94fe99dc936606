//! Decoding: one line of a model log into zero or more WIT events.
//!
//! Each input format has its own module: [`aiir`] (the aiir JSON Lines, one event a
//! line), [`otel`] (OTLP/JSON traces and logs of GenAI calls, any number of spans
//! and log records a line), [`openai`] (OpenAI Chat Completions,
//! Responses and Batch logs, one call a line) and [`anthropic`] (Anthropic Messages API
//! logs, one call a line) and [`openlineage`] (OpenLineage run events, one a line: the
//! lineage of training runs). The door is [`decode`]: a [`Format`] and a line in, the
//! events out, or a [`DecodeError`] that says why the line is not usable.
//!
//! ```
//! use aiir_host::decode::{Format, decode};
//! let line = r#"{"id":"e1","time":"2026-11-27T13:00:00Z","source":"api","payload":{"inference":{}}}"#;
//! let decoded = decode(Format::Aiir, line).unwrap();
//! assert_eq!(decoded.events[0].id, "e1");
//! ```

pub mod aiir;
pub mod anthropic;
mod call;
pub mod openai;
pub mod openlineage;
pub mod otel;

pub use aiir::{decode_line, decode_value, encode_line};

use crate::runtime as wit;

/// The formats `aiir run --format` reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// aiir JSON Lines: one event a line (see the README, "The event format").
    #[default]
    Aiir,
    /// OTLP/JSON: one `ExportTraceServiceRequest` a line; GenAI spans become events.
    OtelJson,
    /// OpenAI logs: one Chat Completions or Responses call a line, or a Batch API line.
    Openai,
    /// Anthropic Messages API logs: one request and its response a line.
    Anthropic,
    /// OpenLineage: one `RunEvent` a line, as the clients' file transport writes them; a
    /// training run's lineage.
    Openlineage,
}

/// What one line turned into.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The events, in the order the line holds them.
    pub events: Vec<wit::Event>,
    /// Records the line held that are not for aiir (OTLP spans without `gen_ai.*`).
    pub skipped: u64,
    /// The source of each model call that carried no message content (OpenTelemetry
    /// instrumentations record none unless told to): the detectors are blind to it.
    pub blind: Vec<String>,
}

impl Decoded {
    /// Add what more was decoded.
    pub fn add(&mut self, other: Decoded) {
        self.events.extend(other.events);
        self.skipped += other.skipped;
        self.blind.extend(other.blind);
    }
}

/// Why a line is not an event.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{message}")]
pub struct DecodeError {
    /// What is wrong, with the column where serde could tell.
    pub message: String,
    /// Where in the event, `payload.inference.input[0].role`; empty when unknown (a
    /// line's errors give a column instead).
    pub path: String,
}

impl DecodeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), path: String::new() }
    }
}

/// Decode one line of input in `format`.
pub fn decode(format: Format, line: &str) -> Result<Decoded, DecodeError> {
    match format {
        Format::Aiir => Ok(Decoded { events: vec![aiir::decode_line(line)?], ..Decoded::default() }),
        Format::OtelJson => otel::decode_line(line),
        Format::Openai => openai::decode_line(line).map(|events| Decoded { events, ..Decoded::default() }),
        Format::Anthropic => anthropic::decode_line(line).map(|events| Decoded { events, ..Decoded::default() }),
        Format::Openlineage => Ok(Decoded { events: vec![openlineage::decode_line(line)?], ..Decoded::default() }),
    }
}

/// serde_json's message without its "at line 1", which means nothing to a reader of
/// a multi-line file; the column still helps.
pub(crate) fn describe(e: &serde_json::Error) -> String {
    let kind = match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "invalid JSON",
        _ => "invalid event",
    };
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or(&text);
    format!("{kind}: {text} (column {})", e.column())
}

/// Parse a line with serde, naming the field of a type error: `invalid event: at
/// request.messages[0]: …`.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let message = describe(e.inner());
        match path.as_str() {
            "." | "" => DecodeError::new(message),
            _ => DecodeError { message: message.replacen(": ", &format!(": at {path}: "), 1), path },
        }
    })
}

/// A JSON string as itself, any other value as its JSON text.
pub(crate) fn text_of(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A role name as the OpenAI and OpenTelemetry logs spell it.
pub(crate) fn role(name: &str) -> Result<wit::Role, DecodeError> {
    match name {
        "system" | "developer" => Ok(wit::Role::System),
        "user" => Ok(wit::Role::User),
        "assistant" => Ok(wit::Role::Assistant),
        "tool" | "function" => Ok(wit::Role::Tool),
        other => Err(DecodeError::new(format!("invalid event: unknown role {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum as _;

    #[test]
    fn formats_are_named_as_on_the_command_line() {
        let names: Vec<_> =
            Format::value_variants().iter().map(|f| f.to_possible_value().unwrap().get_name().to_owned()).collect();
        assert_eq!(names, ["aiir", "otel-json", "openai", "anthropic", "openlineage"]);
    }
}
