//! JSON in and out for [`Value`], without an intermediate `serde_json::Value`.
//!
//! Output has two paths that produce the same bytes: the serde [`Serialize`] impl, for
//! callers that want serde, and [`write_value`], a direct writer used by sinks. The direct
//! writer skips serde's per-entry indirection; on the file pipeline it halved encoding time.

use crate::timestamp::write_rfc3339;
use crate::{Key, Map, Value};
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Integer(i) => s.serialize_i64(*i),
            // JSON has no NaN or infinity; emit null rather than invalid JSON.
            Value::Float(f) if !f.is_finite() => s.serialize_unit(),
            Value::Float(f) => s.serialize_f64(*f),
            Value::String(v) => s.serialize_str(v),
            Value::Bytes(b) => s.serialize_str(&String::from_utf8_lossy(b)),
            Value::Timestamp(t) => {
                let mut buf = [0u8; 40];
                let n = write_rfc3339(t, &mut buf);
                s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
            }
            Value::Array(a) => {
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k.as_str(), v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(m),
            other => Err(serde::de::Error::custom(format_args!(
                "expected an object, found {}",
                other.kind()
            ))),
        }
    }
}

/// Which bytes need escaping in a JSON string: 0 = none, else the escape letter
/// (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// True when any of the eight bytes in `x` needs escaping: below 0x20, `"` or `\\`.
/// (SWAR: the classic "has a byte less than n" and "has a zero byte" tricks.)
#[inline]
fn needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    (below_space | zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')))) != 0
}

/// Appends `s` as a quoted JSON string.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip eight clean bytes at a time; most log text has nothing to escape.
        if let Some(chunk) = bytes.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            if !needs_escape(u64::from_le_bytes(word)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let esc = ESCAPE[b as usize];
        if esc != 0 {
            out.extend_from_slice(&bytes[start..i]);
            if esc == b'u' {
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            } else {
                out.extend_from_slice(&[b'\\', esc]);
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends `v` as compact JSON; the same bytes `serde_json::to_writer` gives.
pub fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Integer(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::Float(f) if !f.is_finite() => out.extend_from_slice(b"null"),
        // Floats are rare in logs; serde_json's formatting keeps both paths identical.
        Value::Float(f) => {
            let _ = serde_json::to_writer(&mut *out, f);
        }
        Value::String(s) => write_str(s, out),
        Value::Bytes(b) => write_str(&String::from_utf8_lossy(b), out),
        Value::Timestamp(t) => {
            let mut buf = [0u8; 40];
            let n = write_rfc3339(t, &mut buf);
            out.push(b'"');
            out.extend_from_slice(&buf[..n]);
            out.push(b'"');
        }
        Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(x, out);
            }
            out.push(b']');
        }
        Value::Object(m) => write_map(m, out),
    }
}

/// Appends `m` as a compact JSON object.
pub fn write_map(m: &Map, out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in m.as_slice().iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(k, out);
        out.push(b':');
        write_value(v, out);
    }
    out.push(b'}');
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Integer))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(e) = map.next_entry::<Key, Value>()? {
            entries.push(e);
        }
        Ok(Value::Object(entries.into_iter().collect()))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Parses one JSON document into a [`Value`].
pub(crate) fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice(bytes)
}

impl Value {
    /// Parses one JSON document.
    pub fn from_json(bytes: &[u8]) -> Result<Value, serde_json::Error> {
        from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_through_json() {
        let src = br#"{"a":[1,2.5,"x",null,true],"b":{"c":"d"},"big":18446744073709551615}"#;
        let v = Value::from_json(src).unwrap();
        let out = serde_json::to_string(&v).unwrap();
        assert_eq!(
            out,
            r#"{"a":[1,2.5,"x",null,true],"b":{"c":"d"},"big":1.8446744073709552e+19}"#
        );
    }

    #[test]
    fn direct_writer_matches_serde() {
        let src = "{\"a\":[1,-2.5e-7,\"x\\u0001\\n\\\"\\\\é\",null,true,false],\"b\":{\"c\":\"d\"},\"e\":{},\"f\":[],\"n\":-9223372036854775808}";
        let v = Value::from_json(src.as_bytes()).unwrap();
        let mut direct = Vec::new();
        write_value(&v, &mut direct);
        assert_eq!(
            String::from_utf8(direct).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        let mut all = String::new();
        for b in 0u8..128 {
            all.push(b as char);
        }
        let mut direct = Vec::new();
        write_str(&all, &mut direct);
        assert_eq!(direct, serde_json::to_vec(&all).unwrap());
        // Every escapable byte at every offset of a 17-byte string, for the 8-byte skip.
        for b in (0u8..0x20).chain([b'"', b'\\', 0x7f, b'a', 0xc3]) {
            for at in 0..17 {
                let mut v = vec![b'x'; 17];
                v[at] = b;
                let s = String::from_utf8_lossy(&v).into_owned();
                let mut direct = Vec::new();
                write_str(&s, &mut direct);
                assert_eq!(
                    direct,
                    serde_json::to_vec(&s).unwrap(),
                    "byte {b:#x} at {at}"
                );
            }
        }
    }

    #[test]
    fn timestamps_and_non_finite_floats() {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
            .unwrap();
        let mut m = Map::new();
        m.insert("t".into(), Value::Timestamp(t));
        m.insert("n".into(), Value::Float(f64::NAN));
        assert_eq!(
            serde_json::to_string(&Value::Object(m)).unwrap(),
            r#"{"n":null,"t":"2026-11-24T12:00:00.000Z"}"#
        );
    }
}
