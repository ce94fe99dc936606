//! OTLP protobuf: an `ExportTraceServiceRequest` or `ExportLogsServiceRequest` as the
//! OTLP exporters send it (`Content-Type: application/x-protobuf`, or in gRPC frames).
//!
//! The messages are written out by hand with `prost`'s derive: only the fields of
//! `opentelemetry/proto/{collector/trace,collector/logs,trace,logs,common,resource}/v1`
//! that the GenAI mapping reads (unknown fields are skipped by the decoder). The
//! `opentelemetry-proto` crate would bring the OpenTelemetry SDK crates and a
//! build-time code generator for these few structs. The decoded request is turned into
//! the structs the OTLP/JSON decoder reads, so both encodings go through one mapping.
//!
//! ```
//! use aiir_host::decode::otel::proto::decode_traces;
//! // An empty request is valid protobuf with no spans.
//! assert_eq!(decode_traces(b"").unwrap().skipped, 0);
//! ```

use super::{Item, KeyValue as JsonKeyValue, LogsRequest, Records, TracesRequest};
use crate::decode::DecodeError;
use prost::Message;
use serde_json::{Value, json};

/// Decode an OTLP protobuf `ExportTraceServiceRequest`: the calls of its GenAI spans.
pub fn decode_traces(body: &[u8]) -> Result<Records, DecodeError> {
    let request = ExportTraceServiceRequest::decode(body)
        .map_err(|e| DecodeError::new(format!("invalid protobuf ExportTraceServiceRequest: {e}")))?;
    Ok(TracesRequest::from(request).records())
}

/// Decode an OTLP protobuf `ExportLogsServiceRequest`: the calls of its GenAI log records.
pub fn decode_logs(body: &[u8]) -> Result<Records, DecodeError> {
    let request = ExportLogsServiceRequest::decode(body)
        .map_err(|e| DecodeError::new(format!("invalid protobuf ExportLogsServiceRequest: {e}")))?;
    Ok(LogsRequest::from(request).records())
}

/// The encoded `ExportTraceServiceResponse` or `ExportLogsServiceResponse` (the same
/// fields): empty on full success, else a partial success with the number of spans or
/// records rejected and why.
pub fn encode_response(rejected: i64, message: &str) -> Vec<u8> {
    let partial_success =
        (rejected > 0).then(|| PartialSuccess { rejected_spans: rejected, error_message: message.to_owned() });
    ExportTraceServiceResponse { partial_success }.encode_to_vec()
}

/// The encoded `google.rpc.Status` that OTLP/HTTP puts in the body of an error response.
pub fn encode_status(code: i32, message: &str) -> Vec<u8> {
    Status { code, message: message.to_owned() }.encode_to_vec()
}

#[derive(Clone, PartialEq, Message)]
struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, Message)]
struct ExportTraceServiceResponse {
    #[prost(message, optional, tag = "1")]
    partial_success: Option<PartialSuccess>,
}

#[derive(Clone, PartialEq, Message)]
struct PartialSuccess {
    #[prost(int64, tag = "1")]
    rejected_spans: i64,
    #[prost(string, tag = "2")]
    error_message: String,
}

#[derive(Clone, PartialEq, Message)]
struct Status {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

#[derive(Clone, PartialEq, Message)]
struct ExportLogsServiceRequest {
    #[prost(message, repeated, tag = "1")]
    resource_logs: Vec<ResourceLogs>,
}

// A resource, span or log record is kept as its bytes and decoded on its own, so that one
// that does not decode is rejected alone (OTLP's partial success).

#[derive(Clone, PartialEq, Message)]
struct ResourceLogs {
    #[prost(bytes = "vec", optional, tag = "1")]
    resource: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    scope_logs: Vec<ScopeLogs>,
}

#[derive(Clone, PartialEq, Message)]
struct ScopeLogs {
    #[prost(bytes = "vec", repeated, tag = "2")]
    log_records: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct LogRecord {
    #[prost(fixed64, tag = "1")]
    time_unix_nano: u64,
    #[prost(fixed64, tag = "11")]
    observed_time_unix_nano: u64,
    #[prost(message, optional, tag = "5")]
    body: Option<AnyValue>,
    #[prost(message, repeated, tag = "6")]
    attributes: Vec<KeyValue>,
    #[prost(bytes = "vec", tag = "9")]
    trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "10")]
    span_id: Vec<u8>,
    #[prost(string, tag = "12")]
    event_name: String,
}

#[derive(Clone, PartialEq, Message)]
struct ResourceSpans {
    #[prost(bytes = "vec", optional, tag = "1")]
    resource: Option<Vec<u8>>,
    #[prost(message, repeated, tag = "2")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Clone, PartialEq, Message)]
struct Resource {
    #[prost(message, repeated, tag = "1")]
    attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct ScopeSpans {
    #[prost(bytes = "vec", repeated, tag = "2")]
    spans: Vec<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct Span {
    #[prost(bytes = "vec", tag = "1")]
    trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    span_id: Vec<u8>,
    #[prost(string, tag = "5")]
    name: String,
    #[prost(fixed64, tag = "7")]
    start_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    attributes: Vec<KeyValue>,
    #[prost(message, repeated, tag = "11")]
    events: Vec<SpanEvent>,
}

#[derive(Clone, PartialEq, Message)]
struct SpanEvent {
    #[prost(string, tag = "2")]
    name: String,
    #[prost(message, repeated, tag = "3")]
    attributes: Vec<KeyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct KeyValue {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(message, optional, tag = "2")]
    value: Option<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct AnyValue {
    #[prost(oneof = "Any", tags = "1, 2, 3, 4, 5, 6, 7")]
    value: Option<Any>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Any {
    #[prost(string, tag = "1")]
    String(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(message, tag = "5")]
    Array(ArrayValue),
    #[prost(message, tag = "6")]
    Kvlist(KeyValueList),
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

#[derive(Clone, PartialEq, Message)]
struct ArrayValue {
    #[prost(message, repeated, tag = "1")]
    values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, Message)]
struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    values: Vec<KeyValue>,
}

impl From<ExportTraceServiceRequest> for TracesRequest {
    fn from(r: ExportTraceServiceRequest) -> Self {
        let resource_spans = r
            .resource_spans
            .into_iter()
            .map(|rs| super::ResourceSpans {
                resource: resource(rs.resource),
                scope_spans: rs
                    .scope_spans
                    .into_iter()
                    .map(|s| super::ScopeSpans { spans: s.spans.iter().map(|b| item(b, span)).collect() })
                    .collect(),
            })
            .collect();
        Self { resource_spans }
    }
}

impl From<ExportLogsServiceRequest> for LogsRequest {
    fn from(r: ExportLogsServiceRequest) -> Self {
        let resource_logs = r
            .resource_logs
            .into_iter()
            .map(|rl| super::ResourceLogs {
                resource: resource(rl.resource),
                scope_logs: rl
                    .scope_logs
                    .into_iter()
                    .map(|s| super::ScopeLogs {
                        log_records: s.log_records.iter().map(|b| item(b, log_record)).collect(),
                    })
                    .collect(),
            })
            .collect();
        Self { resource_logs }
    }
}

fn resource(bytes: Option<Vec<u8>>) -> Item<super::Resource> {
    let resource = |r: Resource| super::Resource { attributes: key_values(r.attributes) };
    bytes.map_or_else(|| Item::Read(super::Resource::default()), |b| item(&b, resource))
}

/// Decode one nested message and make it the struct OTLP/JSON reads, or say why it
/// does not decode.
fn item<M: Message + Default, T>(bytes: &[u8], make: impl FnOnce(M) -> T) -> Item<T> {
    M::decode(bytes).map_or_else(
        |e| Item::Unread { id: String::new(), why: format!("invalid protobuf: {e}") },
        |m| Item::Read(make(m)),
    )
}

/// A span as OTLP/JSON writes it: ids in lowercase hex.
fn span(s: Span) -> super::Span {
    super::Span {
        trace_id: hex(&s.trace_id),
        span_id: hex(&s.span_id),
        name: s.name,
        // Zero is what protobuf sends for a time not set.
        start_time_unix_nano: if s.start_time_unix_nano == 0 {
            Value::Null
        } else {
            Value::from(s.start_time_unix_nano)
        },
        attributes: key_values(s.attributes),
        events: s
            .events
            .into_iter()
            .map(|e| super::SpanEvent { name: e.name, attributes: key_values(e.attributes) })
            .collect(),
    }
}

fn log_record(r: LogRecord) -> super::LogRecord {
    super::LogRecord {
        time_unix_nano: Some(Value::from(r.time_unix_nano)),
        observed_time_unix_nano: Some(Value::from(r.observed_time_unix_nano)),
        event_name: r.event_name,
        body: any_value(r.body),
        attributes: key_values(r.attributes),
        trace_id: hex(&r.trace_id),
        span_id: hex(&r.span_id),
    }
}

fn key_values(list: Vec<KeyValue>) -> Vec<JsonKeyValue> {
    list.into_iter().map(|kv| JsonKeyValue { key: kv.key, value: any_value(kv.value) }).collect()
}

/// An `AnyValue` in its OTLP/JSON form: 64-bit integers as decimal strings, bytes as hex.
fn any_value(value: Option<AnyValue>) -> Value {
    let Some(value) = value.and_then(|v| v.value) else { return Value::Null };
    match value {
        Any::String(s) => json!({ "stringValue": s }),
        Any::Bool(b) => json!({ "boolValue": b }),
        Any::Int(n) => json!({ "intValue": n.to_string() }),
        Any::Double(x) => json!({ "doubleValue": x }),
        Any::Array(a) => {
            let values: Vec<Value> = a.values.into_iter().map(|v| any_value(Some(v))).collect();
            json!({ "arrayValue": { "values": values } })
        }
        Any::Kvlist(l) => {
            let values: Vec<Value> =
                l.values.into_iter().map(|kv| json!({ "key": kv.key, "value": any_value(kv.value) })).collect();
            json!({ "kvlistValue": { "values": values } })
        }
        Any::Bytes(b) => json!({ "bytesValue": hex(&b) }),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime as wit;

    fn string(key: &str, value: &str) -> KeyValue {
        KeyValue { key: key.into(), value: Some(AnyValue { value: Some(Any::String(value.into())) }) }
    }

    fn request(spans: Vec<Span>) -> Vec<u8> {
        raw_request(spans.iter().map(Message::encode_to_vec).collect())
    }

    fn raw_request(spans: Vec<Vec<u8>>) -> Vec<u8> {
        let resource = Resource { attributes: vec![string("service.name", "bot")] }.encode_to_vec();
        let rs = ResourceSpans { resource: Some(resource), scope_spans: vec![ScopeSpans { spans }] };
        ExportTraceServiceRequest { resource_spans: vec![rs] }.encode_to_vec()
    }

    fn span(id: u8, attributes: Vec<KeyValue>, events: Vec<SpanEvent>) -> Span {
        Span {
            trace_id: vec![0xab; 16],
            span_id: vec![id; 8],
            name: "chat m".into(),
            start_time_unix_nano: 1_795_784_400_000_000_000,
            attributes,
            events,
        }
    }

    #[test]
    fn protobuf_spans_map_like_json_spans() {
        let input = r#"[{"role":"user","parts":[{"type":"text","content":"hi"}]}]"#;
        let tokens =
            KeyValue { key: "gen_ai.usage.input_tokens".into(), value: Some(AnyValue { value: Some(Any::Int(7)) }) };
        let attrs = vec![string("gen_ai.request.model", "m"), string("gen_ai.input.messages", input), tokens];
        let choice = SpanEvent { name: "gen_ai.choice".into(), attributes: vec![string("content", "yo")] };
        let export = super::super::joined(decode_traces(&request(vec![span(1, attrs, vec![choice])])).unwrap());
        let event = &export.decoded.events[0];
        assert_eq!((event.id.as_str(), event.source.as_str()), ("0101010101010101", "bot"));
        assert_eq!(event.time_unix_nano, 1_795_784_400_000_000_000);
        let wit::Payload::Inference(i) = &event.payload else { panic!("not an inference") };
        assert_eq!((i.input[0].content.as_str(), i.output[0].content.as_str(), i.input_tokens), ("hi", "yo", Some(7)));
        assert!(event.attributes.contains(&("otel.trace_id".into(), "ab".repeat(16))));
    }

    #[test]
    fn a_bad_span_is_rejected_alone_and_garbage_is_an_error() {
        let bad = span(2, vec![string("gen_ai.input.messages", "nope")], vec![]);
        let good = span(3, vec![string("gen_ai.tool.name", "x")], vec![]);
        let export = super::super::joined(decode_traces(&request(vec![bad, good])).unwrap());
        assert_eq!(export.decoded.events.len(), 1);
        assert!(export.rejected[0].message.contains("(span \"0202020202020202\")"), "{:?}", export.rejected);
        let good = span(3, vec![string("gen_ai.tool.name", "x")], vec![]).encode_to_vec();
        let mut unset = span(4, vec![string("gen_ai.tool.name", "x")], vec![]);
        unset.start_time_unix_nano = 0;
        let no_id = Span { span_id: vec![], ..unset.clone() }.encode_to_vec();
        let spans = vec![b"\x2a\x02\xff\xfe".to_vec(), good, unset.encode_to_vec(), no_id];
        let export = super::super::joined(decode_traces(&raw_request(spans)).unwrap());
        assert_eq!(export.decoded.events.len(), 1, "one span of four is whole");
        let why: Vec<&str> = export.rejected.iter().map(|e| e.message.as_str()).collect();
        assert!(why[0].starts_with("invalid span: invalid protobuf: ") && why[0].ends_with("(span 1)"), "{why:?}");
        assert!(why[1].contains("`startTimeUnixNano` null is not a time (span \"0404040404040404\")"), "{why:?}");
        assert!(why[2].contains("no `spanId` (span 4)"), "{why:?}");
        let err = decode_traces(b"\x0a\xff\xff").unwrap_err();
        assert!(err.message.starts_with("invalid protobuf ExportTraceServiceRequest: "), "{err}");
    }

    #[test]
    fn responses_encode_partial_success_only_when_spans_were_rejected() {
        assert!(encode_response(0, "").is_empty());
        let decoded = ExportTraceServiceResponse::decode(&encode_response(2, "bad")[..]).unwrap();
        assert_eq!(decoded.partial_success.unwrap().rejected_spans, 2);
    }
}
