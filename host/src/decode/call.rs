//! One model call as the vendor logs ([`super::openai`], [`super::anthropic`]) hold it,
//! and the pieces their decoders share: every API's call ends in the same events (an
//! inference, then one tool-call event per tool the model called), so they all build a
//! [`Call`] and let it make them.

use super::DecodeError;
use crate::runtime as wit;
use serde::Deserialize;

/// A call, decoded from whichever API logged it.
pub(crate) struct Call {
    /// The inference's id; its tool calls are `<id>/tool/<n>`.
    pub id: String,
    pub time_unix_nano: u64,
    pub model: Option<String>,
    pub principal: Option<String>,
    pub session: Option<String>,
    pub input: Vec<wit::Message>,
    pub output: Vec<wit::Message>,
    /// The tools the response called, in order.
    pub tools: Vec<ToolUse>,
    /// The tools the request offered the model, with what they say they do.
    pub offered: Vec<ToolDefinition>,
    pub usage: Usage,
}

/// A tool the model called: its name and its arguments as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolUse {
    pub name: String,
    pub arguments: String,
}

/// A tool as a request offers it to the model: Chat Completions nests it in
/// `function`, the Responses and Anthropic APIs do not. Tools with no name (a vendor's
/// built-in search) describe no call.
#[derive(Deserialize, Default)]
pub(crate) struct ToolDefinition {
    name: Option<String>,
    description: Option<String>,
    function: Option<Box<ToolDefinition>>,
}

impl ToolDefinition {
    fn parts(&self) -> (Option<&str>, Option<&str>) {
        match &self.function {
            Some(f) => f.parts(),
            None => (self.name.as_deref(), self.description.as_deref()),
        }
    }
}

/// The attribute a tool-call event carries its tool's description in, as OpenTelemetry's
/// GenAI conventions name it.
pub(crate) const TOOL_DESCRIPTION: &str = "gen_ai.tool.description";

/// The most of a description kept: what a tool does is said in its first sentences.
const MAX_DESCRIPTION_CHARS: usize = 1000;

impl Call {
    /// The inference event, then one tool-call event per tool call with the inference's
    /// time, source, model, principal and session.
    pub fn into_events(self, source: &str) -> Vec<wit::Event> {
        let inference = wit::Inference {
            input: self.input,
            output: self.output,
            retrieved: Vec::new(),
            input_tokens: self.usage.input_tokens,
            output_tokens: self.usage.output_tokens,
        };
        let event = wit::Event {
            id: self.id,
            time_unix_nano: self.time_unix_nano,
            source: source.into(),
            model: self.model.map(|name| wit::ModelRef { name, version: None, digest: None }),
            principal: self.principal,
            session: self.session,
            payload: wit::Payload::Inference(inference),
            attributes: Vec::new(),
        };
        with_tool_calls(event, self.tools, &self.offered)
    }
}

/// An inference event, then one tool-call event per tool the model called, `<id>/tool/<n>`,
/// each with the inference's time, source, model, principal, session and attributes,
/// and the description of its tool among those `offered`, if any: every format's model
/// call ends in these events.
pub(crate) fn with_tool_calls(
    inference: wit::Event,
    tools: Vec<ToolUse>,
    offered: &[ToolDefinition],
) -> Vec<wit::Event> {
    let calls = tools.into_iter().enumerate().map(|(n, call)| {
        let mut event = wit::Event { id: format!("{}/tool/{n}", inference.id), ..inference.clone() };
        if let Some(description) = description_of(offered, &call.name) {
            set_attribute(&mut event.attributes, TOOL_DESCRIPTION, description);
        }
        event.payload =
            wit::Payload::ToolCall(wit::ToolCall { tool: call.name, arguments: call.arguments, result: None });
        event
    });
    let calls: Vec<wit::Event> = calls.collect();
    std::iter::once(inference).chain(calls).collect()
}

/// What the tool called `name` says it does, cut to [`MAX_DESCRIPTION_CHARS`].
fn description_of(offered: &[ToolDefinition], name: &str) -> Option<String> {
    let description = offered.iter().map(ToolDefinition::parts).find(|(n, _)| *n == Some(name))?.1?;
    Some(description.chars().take(MAX_DESCRIPTION_CHARS).collect())
}

/// Set `key` among attributes kept sorted by key.
fn set_attribute(attributes: &mut Vec<(String, String)>, key: &str, value: String) {
    match attributes.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
        Ok(at) => attributes[at].1 = value,
        Err(at) => attributes.insert(at, (key.to_owned(), value)),
    }
}

/// Token counts, as chat completions (`prompt_tokens`) and the Responses and Anthropic
/// APIs (`input_tokens`) name them.
#[derive(Deserialize, Default)]
pub(crate) struct Usage {
    #[serde(alias = "prompt_tokens")]
    pub input_tokens: Option<u32>,
    #[serde(alias = "completion_tokens")]
    pub output_tokens: Option<u32>,
}

/// A message's content: a string, or a list of parts (blocks, in Anthropic's words).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

/// A content part. Only text parts carry text for the detectors; Anthropic's
/// `tool_use` and `tool_result` blocks carry calls and results; others (images, audio,
/// refusals, thinking) are dropped.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Part {
    /// `text` (chat, Anthropic), `input_text` or `output_text` (Responses).
    #[serde(alias = "input_text", alias = "output_text")]
    Text {
        text: String,
    },
    ToolUse {
        name: String,
        #[serde(default)]
        input: serde_json::Value,
    },
    ToolResult {
        content: Option<Content>,
    },
    #[serde(other)]
    Other,
}

impl Content {
    /// The text: the string, or the text parts joined with newlines.
    pub fn text(self) -> String {
        match self {
            Content::Text(text) => text,
            Content::Parts(parts) => join_text(parts),
        }
    }
}

/// The text parts of `parts` joined with newlines.
fn join_text(parts: Vec<Part>) -> String {
    let texts: Vec<String> = parts
        .into_iter()
        .filter_map(|p| match p {
            Part::Text { text } => Some(text),
            _ => None,
        })
        .collect();
    texts.join("\n")
}

/// A message of the text parts of `parts`; `None` when there are none.
pub(crate) fn text_message(role: wit::Role, parts: Vec<Part>) -> Option<wit::Message> {
    parts.iter().any(|p| matches!(p, Part::Text { .. })).then(|| wit::Message { role, content: join_text(parts) })
}

/// Which envelope keys a line has, whatever their values: a line with none of those its
/// format names is a response alone. Read apart from the line's decoding because serde's
/// `flatten` would lose the path of a field in error.
#[derive(Deserialize, Default)]
pub(crate) struct Keys {
    #[serde(default, deserialize_with = "present")]
    pub request: bool,
    #[serde(default, deserialize_with = "present")]
    pub response: bool,
    #[serde(default, deserialize_with = "present")]
    pub custom_id: bool,
    #[serde(default, deserialize_with = "present")]
    pub body: bool,
}

impl Keys {
    /// The keys of `line`; none when it is no JSON object (its decoding says why).
    pub fn of(line: &str) -> Self {
        serde_json::from_str(line).unwrap_or_default()
    }
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

/// `null` where a list may stand: the official clients write unset fields as `null`.
pub(crate) fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Unix seconds as the APIs write them, an integer (`created`) or a float
/// (`created_at`), held as nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Seconds(pub u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let number = serde_json::Number::deserialize(d)?;
        let nanos = match number.as_u64() {
            Some(whole) => whole.checked_mul(1_000_000_000),
            None => number
                .as_f64()
                .filter(|s| *s >= 0.0 && *s < 1.8e10)
                .map(|s| s.trunc() as u64 * 1_000_000_000 + (s.fract() * 1e9).round() as u64),
        };
        nanos.map(Seconds).ok_or_else(|| D::Error::custom(format!("{number} is not Unix seconds from 1970 to 2554")))
    }
}

/// A line's time: its `created` (Unix seconds) or `time` (RFC 3339), else the response's
/// own, else `now`: the time aiir reads a line that carries none (a Batch input line,
/// an Anthropic message).
pub(crate) fn time(
    created: Option<Seconds>,
    time: Option<&str>,
    response: Option<Seconds>,
) -> Result<u64, DecodeError> {
    match (created, time, response) {
        (Some(Seconds(nanos)), _, _) | (None, None, Some(Seconds(nanos))) => Ok(nanos),
        (None, Some(text), _) => super::aiir::parse_time(text),
        (None, None, None) => Ok(now()),
    }
}

fn now() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
}

/// The error for a line that lacks `what`.
pub(crate) fn missing(what: &str) -> DecodeError {
    DecodeError::new(format!("invalid event: missing {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_integers_or_floats_from_1970_on() {
        let read = |text: &str| serde_json::from_str::<Seconds>(text).map_err(|e| e.to_string());
        assert_eq!(read("1795784400"), Ok(Seconds(1_795_784_400_000_000_000)));
        assert_eq!(read("1795784400.25"), Ok(Seconds(1_795_784_400_250_000_000)));
        assert!(read("-1").unwrap_err().contains("-1 is not Unix seconds"));
        assert!(read("1e300").is_err() && read("\"1\"").is_err());
    }

    #[test]
    fn a_line_without_a_time_takes_the_time_it_is_read() {
        let before = now();
        let read = time(None, None, None).unwrap();
        assert!(before <= read && read <= now());
        assert_eq!(time(None, Some("2026-11-27T13:00:00Z"), None), Ok(1_795_784_400_000_000_000));
        assert_eq!(time(Some(Seconds(1)), Some("2026-11-27T13:00:00Z"), Some(Seconds(2))), Ok(1));
        assert_eq!(time(None, Some("2026-11-27T13:00:00Z"), Some(Seconds(2))), Ok(1_795_784_400_000_000_000));
        assert_eq!(time(None, None, Some(Seconds(2))), Ok(2));
    }

    #[test]
    fn a_time_past_2554_is_out_of_range_not_before_1970() {
        let error = |text| time(None, Some(text), None).unwrap_err().message;
        assert!(
            error("2600-01-01T00:00:00Z").ends_with("is after 2554-07-21T23:34:33Z, the latest time an event can hold")
        );
        assert!(error("1969-12-31T23:59:59Z").ends_with("is before 1970"));
        assert_eq!(time(None, Some("2554-07-21T23:34:33Z"), None), Ok(18_446_744_073_000_000_000));
        let seconds = serde_json::from_str::<Seconds>("18446744074").unwrap_err().to_string();
        assert!(seconds.contains("is not Unix seconds from 1970 to 2554"), "{seconds}");
    }
}
