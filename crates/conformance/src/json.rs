//! Conversions between the cases' JSON values and `format_codec::Value`, and the comparison
//! of results (floats by value, NaN equal to NaN, `-0.0` distinct from `0.0`).

use format_codec::{py_float_repr, Value};
use serde_json::{json, Value as Json};

/// Decodes lower-case hex.
pub(crate) fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex length in {s:?}"));
    }
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())).collect()
}

/// Encodes lower-case hex.
pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(2 * b.len());
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A case value as a codec value.
pub(crate) fn to_value(j: &Json) -> Result<Value, String> {
    Ok(match j {
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                return Err(format!("unexpected JSON number {n}"));
            }
        }
        Json::Array(a) => Value::from(a.iter().map(to_value).collect::<Result<Vec<_>, _>>()?),
        Json::Object(o) => {
            if let Some(Json::String(s)) = o.get("int") {
                match s.parse::<i128>() {
                    Ok(i) => Value::int(i),
                    Err(_) => Value::BigInt(Box::new(s.clone())),
                }
            } else if let Some(Json::String(s)) = o.get("float") {
                Value::Float(s.parse::<f64>().map_err(|e| format!("{s}: {e}"))?)
            } else if let Some(Json::String(s)) = o.get("bytes") {
                Value::from(unhex(s)?)
            } else if let Some(Json::Array(parts)) = o.get("complex") {
                let part = |k: usize| parts.get(k).map(to_value).transpose();
                match (part(0)?, part(1)?) {
                    (Some(Value::Float(r)), Some(Value::Float(i))) => Value::complex(r, i),
                    _ => return Err(format!("bad complex {j}")),
                }
            } else {
                return Err(format!("unknown value object {j}"));
            }
        }
        other => return Err(format!("unexpected value {other}")),
    })
}

/// A codec value in the cases' JSON form.
pub(crate) fn from_value(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::BigInt(s) => json!({ "int": s.as_str() }),
        Value::Float(f) => json!({ "float": py_float_repr(*f) }),
        Value::Bool(b) => json!(b),
        Value::Bytes(b) => json!({ "bytes": hex(b) }),
        Value::Complex(c) => {
            json!({ "complex": [{ "float": py_float_repr(c.0) }, { "float": py_float_repr(c.1) }] })
        }
        Value::List(items) => Json::Array(items.iter().map(from_value).collect()),
    }
}

fn as_float(j: &Json) -> Option<f64> {
    j.as_object()?.get("float")?.as_str()?.parse().ok()
}

/// Whether an actual result equals the expected one.
pub(crate) fn same(expected: &Json, actual: &Json) -> bool {
    if let (Some(a), Some(b)) = (as_float(expected), as_float(actual)) {
        return (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative());
    }
    match (expected, actual) {
        (Json::Array(a), Json::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)),
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        _ => expected == actual,
    }
}

/// The first place where two results differ, for the report.
pub(crate) fn first_difference(expected: &Json, actual: &Json) -> String {
    match (expected, actual) {
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                if !same(x, y) {
                    return format!("[{i}]: {}", first_difference(x, y));
                }
            }
            String::new()
        }
        (Json::Object(a), Json::Object(b)) if a.len() == b.len() => {
            for (k, x) in a {
                match b.get(k) {
                    Some(y) if same(x, y) => {}
                    Some(y) => return format!(".{k}: {}", first_difference(x, y)),
                    None => return format!(".{k}: missing"),
                }
            }
            String::new()
        }
        _ => format!("expected {expected}, got {actual}"),
    }
}
