//! OTLP attribute values. OTLP/JSON spells an `AnyValue` as a one-key object
//! (`{"stringValue": …}`, `{"kvlistValue": {"values": […]}}`); instrumentations put
//! structured values (message lists, tool arguments) in arrays and key-value lists.
//! Here every value becomes the plain JSON it means, so a list of messages reads the
//! same whether it came as a JSON string or as a structured value.

use super::KeyValue;
use crate::decode::DecodeError;
use serde_json::Value;
use std::collections::BTreeMap;

/// An OTLP/JSON `AnyValue` as plain JSON: scalars as themselves (64-bit integers, which
/// OTLP/JSON writes as strings, as numbers), arrays as arrays, key-value lists as
/// objects, bytes as their encoded text.
pub(super) fn plain(value: &Value) -> Value {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else { return Value::Null };
    let values = || inner.get("values").and_then(Value::as_array).into_iter().flatten();
    match (kind.as_str(), inner) {
        ("intValue", Value::String(s)) => s.parse::<i64>().map_or_else(|_| inner.clone(), Value::from),
        ("arrayValue", _) => Value::Array(values().map(plain).collect()),
        ("kvlistValue", _) => Value::Object(
            values()
                .filter_map(|kv| {
                    Some((kv.get("key")?.as_str()?.to_owned(), kv.get("value").map_or(Value::Null, plain)))
                })
                .collect(),
        ),
        (_, other) => other.clone(),
    }
}

/// A JSON value as text: a string as itself, anything else as its JSON.
pub(super) fn text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Attributes by key, as plain JSON.
#[derive(Debug, Default, Clone)]
pub(super) struct Attributes(pub(super) BTreeMap<String, Value>);

impl Attributes {
    pub(super) fn new(list: Vec<KeyValue>) -> Self {
        Self(list.into_iter().map(|kv| (kv.key, plain(&kv.value))).collect())
    }

    /// Plain JSON fields (a log record's body) as attributes.
    pub(super) fn of_object(value: &Value) -> Self {
        Self(value.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default())
    }

    pub(super) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    /// A value as text: strings as themselves, other values as JSON.
    pub(super) fn text(&self, key: &str) -> Option<String> {
        self.get(key).and_then(text)
    }

    /// The first of `keys` that is set, as text.
    pub(super) fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter().find_map(|k| self.text(k))
    }

    /// A structured value: as it came, or parsed when it came as JSON text.
    pub(super) fn json(&self, key: &str) -> Option<Value> {
        match self.get(key)? {
            Value::String(s) => Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))),
            other => Some(other.clone()),
        }
    }

    /// A token count: the first of `keys` that is set.
    pub(super) fn count(&self, keys: &[&str]) -> Result<Option<u32>, DecodeError> {
        let Some((key, text)) = keys.iter().find_map(|k| Some((k, self.text(k)?))) else { return Ok(None) };
        let n =
            text.parse().map_err(|_| DecodeError::new(format!("invalid event: `{key}` {text:?} is not a count")))?;
        Ok(Some(n))
    }

    /// The entries of an indexed family, `PREFIX.N.REST`, by `N` in order, each with
    /// its `REST` keys: how OpenLLMetry and OpenInference flatten lists into attributes.
    pub(super) fn indexed(&self, prefix: &str) -> Vec<Attributes> {
        let mut entries: BTreeMap<usize, Attributes> = BTreeMap::new();
        let dotted = format!("{prefix}.");
        for (key, value) in self.0.range(dotted.clone()..).take_while(|(k, _)| k.starts_with(&dotted)) {
            let rest = &key[dotted.len()..];
            let Some((n, field)) = rest.split_once('.') else { continue };
            let Ok(n) = n.parse() else { continue };
            entries.entry(n).or_default().0.insert(field.to_owned(), value.clone());
        }
        entries.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn structured_values_become_plain_json() {
        let value = json!({"kvlistValue": {"values": [
            {"key": "role", "value": {"stringValue": "user"}},
            {"key": "n", "value": {"intValue": "7"}},
            {"key": "parts", "value": {"arrayValue": {"values": [{"boolValue": true}, {"doubleValue": 1.5}]}}},
        ]}});
        assert_eq!(plain(&value), json!({"role": "user", "n": 7, "parts": [true, 1.5]}));
        assert_eq!(plain(&json!({"intValue": 12})), json!(12));
        assert_eq!(plain(&json!(null)), Value::Null);
    }

    #[test]
    fn indexed_families_are_read_in_numeric_order() {
        let attrs = Attributes(
            [("p.10.role", "b"), ("p.2.role", "a"), ("p.2.content", "x"), ("p.x.role", "no"), ("q.0.role", "no")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), json!(v)))
                .collect(),
        );
        let entries = attrs.indexed("p");
        let roles: Vec<_> = entries.iter().map(|e| e.text("role").unwrap()).collect();
        assert_eq!(roles, ["a", "b"]);
        assert_eq!(entries[0].text("content").as_deref(), Some("x"));
    }
}
