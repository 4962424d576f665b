//! [`Value`]: the tree every event is made of.

use crate::{Key, Map, Timestamp};
use bytes::Bytes;
use std::fmt;

/// One value in an event.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Integer(i64),
    /// A floating-point number.
    Float(f64),
    /// Text; up to 24 bytes inline without an allocation (most syslog header fields).
    String(Key),
    /// Raw bytes that are not valid UTF-8. Serialised lossily as a JSON string.
    Bytes(Bytes),
    /// A point in time (serialised as RFC 3339 UTC).
    Timestamp(Timestamp),
    /// A list.
    Array(Vec<Value>),
    /// A nested object.
    Object(Map),
}

impl Value {
    /// Adds `new` the way Logstash adds to a field that already has a value: an array
    /// gets one more element, any other value becomes an array of itself and `new`.
    pub fn append(&mut self, new: Value) {
        match self {
            Value::Array(a) => a.push(new),
            old => {
                let first = std::mem::take(old);
                *old = Value::Array(vec![first, new]);
            }
        }
    }

    /// Logstash truthiness: null and `false` are false, everything else is true.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map of an object value.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The map of an object value, to change.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A number as `f64` (integers and floats).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The name used in error messages and type checks.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Integer(_) => "integer",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Timestamp(_) => "timestamp",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }

    /// Renders the value the way sprintf templates and text outputs show it:
    /// strings bare, timestamps RFC 3339, containers as JSON.
    pub fn render(&self, out: &mut String) {
        use fmt::Write;
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Integer(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => {
                let _ = write!(out, "{f}");
            }
            Value::String(s) => out.push_str(s),
            Value::Bytes(b) => out.push_str(&String::from_utf8_lossy(b)),
            Value::Timestamp(t) => crate::timestamp::format_rfc3339_into(t, out),
            Value::Array(_) | Value::Object(_) => {
                if let Ok(s) = serde_json::to_string(self) {
                    out.push_str(&s);
                }
            }
        }
    }

    /// [`Value::render`] into a fresh string.
    pub fn to_string_lossy(&self) -> String {
        let mut s = String::new();
        self.render(&mut s);
        s
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(Key::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(Key::from(s))
    }
}
impl From<Key> for Value {
    fn from(s: Key) -> Self {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Integer(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Value::Timestamp(t)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Self {
        Value::Object(m)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}
