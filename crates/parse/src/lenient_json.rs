//! Recovering the fields of a JSON-looking record that is not valid JSON.
//!
//! Python's logging formats a "JSON" record with a `%`-template such as
//! `{"level": "%(levelname)s", "message": "%(message)s", "request_id": "%(request_id)s"}`.
//! A message with a quote breaks the JSON, and `logger.exception` appends the traceback
//! after the closing brace. [`lenient_object`] reads such text pair by pair: a string
//! value ends at the quote that is followed by the next `, "key":` or by the closing
//! `}`, so quotes inside a message survive. What follows the object is returned as
//! `rest` (the traceback). Pure; no I/O.

use sluice_event::Value;

/// The pairs recovered, in order, and the text after the object.
#[derive(Debug, PartialEq)]
pub struct Lenient<'a> {
    /// `(key, value)` in the order written.
    pub fields: Vec<(String, Value)>,
    /// What followed the closing brace, trimmed (a traceback); empty when nothing did.
    pub rest: &'a str,
}

fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

fn key_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'@' | b'$')
}

/// At `i`: `, "key":` (the next pair) or `}` (the end), after optional white space.
fn value_ends_at(b: &[u8], i: usize) -> bool {
    let j = ws(b, i);
    match b.get(j) {
        Some(b'}') => true,
        Some(b',') => {
            let k = ws(b, j + 1);
            if b.get(k) != Some(&b'"') {
                return false;
            }
            let mut e = k + 1;
            while e < b.len() && key_char(b[e]) {
                e += 1;
            }
            e > k + 1 && b.get(e) == Some(&b'"') && b.get(ws(b, e + 1)) == Some(&b':')
        }
        _ => false,
    }
}

/// JSON escapes decoded where they are valid; anything else is kept as written.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Reads `text` as a JSON object as far as it goes; `None` when it does not start like
/// one or no pair could be read.
pub fn lenient_object(text: &str) -> Option<Lenient<'_>> {
    let b = text.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut fields = Vec::new();
    loop {
        i = ws(b, i);
        match b.get(i) {
            Some(b'}') => {
                i += 1;
                break;
            }
            Some(b'"') => {}
            _ => return (!fields.is_empty()).then(|| Lenient { fields, rest: "" }),
        }
        let k0 = i + 1;
        let mut k1 = k0;
        while k1 < b.len() && b[k1] != b'"' {
            k1 += 1;
        }
        let j = ws(b, k1 + 1);
        if k1 >= b.len() || b.get(j) != Some(&b':') {
            return (!fields.is_empty()).then(|| Lenient { fields, rest: "" });
        }
        let key = text[k0..k1].to_owned();
        let v0 = ws(b, j + 1);
        let (value, next) = if b.get(v0) == Some(&b'"') {
            // The closing quote is the first one the next pair or the end follows.
            let mut e = v0 + 1;
            loop {
                match b[e..].iter().position(|c| *c == b'"') {
                    Some(p) if value_ends_at(b, e + p + 1) => {
                        e += p;
                        break;
                    }
                    Some(p) => e += p + 1,
                    None => {
                        // No end: the rest of the text is the value.
                        e = b.len();
                        break;
                    }
                }
            }
            let v = Value::from(unescape(&text[v0 + 1..e]));
            (v, (e + 1).min(b.len()))
        } else {
            let mut e = v0;
            while e < b.len() && b[e] != b',' && b[e] != b'}' {
                e += 1;
            }
            let raw = text[v0..e].trim();
            let v = Value::from_json(raw.as_bytes()).unwrap_or_else(|_| Value::from(raw));
            (v, e)
        };
        fields.push((key, value));
        i = ws(b, next);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => {
                i += 1;
                break;
            }
            _ => return Some(Lenient { fields, rest: "" }),
        }
    }
    if fields.is_empty() {
        return None;
    }
    Some(Lenient {
        fields,
        rest: text[i.min(text.len())..].trim(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(l: &'a Lenient<'_>, k: &str) -> Option<&'a Value> {
        l.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    #[test]
    fn a_percent_template_record_with_a_quote_and_a_traceback() {
        let text = "{\"timestamp\": \"2026-11-24 12:00:05,250\", \"level\": \"ERROR\", \"message\": \"User \"bob\" said: a, \"b\"\", \"request_id\": \"req-9\"}\nTraceback (most recent call last):\n  File \"v.py\", line 3, in pay\nZeroDivisionError: division by zero";
        assert!(Value::from_json(text.as_bytes()).is_err());
        let l = lenient_object(text).unwrap();
        assert_eq!(get(&l, "level"), Some(&Value::from("ERROR")));
        assert_eq!(
            get(&l, "message"),
            Some(&Value::from("User \"bob\" said: a, \"b\""))
        );
        assert_eq!(get(&l, "request_id"), Some(&Value::from("req-9")));
        assert!(l.rest.starts_with("Traceback") && l.rest.ends_with("by zero"));
    }

    #[test]
    fn scalars_escapes_and_unfinished_objects() {
        let l = lenient_object(r#"{"n": 42, "ok": true, "none": null, "m": "a\"b\nc"}"#).unwrap();
        assert_eq!(get(&l, "n"), Some(&Value::Integer(42)));
        assert_eq!(get(&l, "ok"), Some(&Value::Bool(true)));
        assert_eq!(get(&l, "none"), Some(&Value::Null));
        assert_eq!(get(&l, "m"), Some(&Value::from("a\"b\nc")));
        assert_eq!(l.rest, "");
        // Cut short: what was read is kept.
        let l = lenient_object(r#"{"level": "INFO", "message": "cut"#).unwrap();
        assert_eq!(get(&l, "level"), Some(&Value::from("INFO")));
        assert_eq!(get(&l, "message"), Some(&Value::from("cut")));
        assert_eq!(lenient_object("not json"), None);
        assert_eq!(lenient_object("{}"), None);
        assert_eq!(lenient_object("{ nonsense"), None);
    }
}
