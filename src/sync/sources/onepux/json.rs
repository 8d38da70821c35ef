//! JSON helpers for reading `export.data` values. Absent and `null` are the same; errors name
//! the key, never the value (which may be a secret).

use serde_json::{Map, Value};

pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(super) fn expected(key: &str, what: &str, found: &Value) -> String {
    format!("{key}: expected {what}, found {}", kind_of(found))
}

pub(super) fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(format!("expected an object, found {}", kind_of(other))),
    }
}

pub(super) fn get<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).filter(|v| !v.is_null())
}

/// Text, or a number written in decimal.
pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn text(object: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match get(object, key) {
        None => Ok(None),
        Some(value) => scalar(value)
            .map(Some)
            .ok_or_else(|| expected(key, "a string", value)),
    }
}

pub(super) fn list<'v>(object: &'v Map<String, Value>, key: &str) -> Result<&'v [Value], String> {
    match get(object, key) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(expected(key, "a list", other)),
    }
}

pub(super) fn sub_object<'v>(
    object: &'v Map<String, Value>,
    key: &str,
) -> Result<Option<&'v Map<String, Value>>, String> {
    match get(object, key) {
        None => Ok(None),
        Some(Value::Object(inner)) => Ok(Some(inner)),
        Some(other) => Err(expected(key, "an object", other)),
    }
}

pub(super) fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}
