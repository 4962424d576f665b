//! A request body to JSON objects: gzip (capped), then NDJSON or one JSON array. Pure.

use sluice_event::{Map, Value};
use std::io::Read;

/// Why a body was refused; each maps to one HTTP status.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// 413: over `max_body_bytes`, before or after decoding.
    TooLarge,
    /// More objects than a request may hold (how many).
    TooMany(usize),
    /// 400, with the reason for the client.
    Bad(String),
    /// 415: a content encoding we do not speak.
    Encoding(String),
}

/// Decodes `Content-Encoding` (identity or gzip), inflating at most `max` bytes.
pub(crate) fn decode_encoding(
    encoding: Option<&str>,
    body: &[u8],
    max: usize,
) -> Result<Vec<u8>, BodyError> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("identity") => Ok(body.to_vec()),
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(max));
            flate2::read::GzDecoder::new(body)
                .take(max as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| BodyError::Bad(format!("gzip body does not decode: {e}")))?;
            if out.len() > max {
                return Err(BodyError::TooLarge);
            }
            Ok(out)
        }
        Some(other) => Err(BodyError::Encoding(format!(
            "Content-Encoding `{other}` is not supported (use gzip or none)"
        ))),
    }
}

/// The objects of an NDJSON body (blank lines skipped) or of a JSON array. Any element
/// that is not an object refuses the whole body, so a request is taken all or nothing.
/// How many objects `body` holds, counted without parsing (NDJSON: non-blank lines;
/// an array: its top-level elements), so that a request with too many is refused before
/// it costs the memory of parsing.
pub(crate) fn count_objects(body: &[u8]) -> usize {
    let Some(start) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return 0;
    };
    if body[start] != b'[' {
        return body
            .split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count();
    }
    let (mut depth, mut in_str, mut esc, mut n, mut any) = (0usize, false, false, 0usize, false);
    for &b in &body[start..] {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                if depth == 1 {
                    any = true;
                }
                depth += 1;
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => n += 1,
            c if depth == 1 && !c.is_ascii_whitespace() => any = true,
            _ => {}
        }
    }
    if any {
        n + 1
    } else {
        0
    }
}

pub(crate) fn parse_objects(body: &[u8]) -> Result<Vec<Map>, BodyError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Ok(Vec::new());
    };
    if body[start] == b'[' {
        return match Value::from_json(body) {
            Ok(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Object(m) => Ok(m),
                    other => Err(BodyError::Bad(format!(
                        "array element {i} is a {}, not a JSON object",
                        other.kind()
                    ))),
                })
                .collect(),
            Ok(_) => Err(BodyError::Bad("body is not a JSON array".into())),
            Err(e) => Err(BodyError::Bad(format!("body is not valid JSON: {e}"))),
        };
    }
    let mut out = Vec::new();
    for (n, line) in body.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match Value::from_json(line) {
            Ok(Value::Object(m)) => out.push(m),
            Ok(other) => {
                return Err(BodyError::Bad(format!(
                    "line {}: a {}, not a JSON object",
                    n + 1,
                    other.kind()
                )))
            }
            Err(e) => return Err(BodyError::Bad(format!("line {}: {e}", n + 1))),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn objects_are_counted_without_parsing() {
        assert_eq!(count_objects(b"{\"a\":1}\r\n\n  \n{\"b\":2}"), 2);
        assert_eq!(count_objects(b"  [{\"a\":[1,2]},{\"b\":\"x,]\"},{}]"), 3);
        assert_eq!(count_objects(b" [ ] "), 0);
        assert_eq!(count_objects(b""), 0);
        let many = format!("[{}{{}}]", "{\"m\":1},".repeat(999));
        assert_eq!(count_objects(many.as_bytes()), 1000);
    }

    #[test]
    fn ndjson_and_arrays() {
        let v = parse_objects(b"{\"a\":1}\r\n\n  \n{\"b\":2}").unwrap();
        assert_eq!(v.len(), 2);
        let v = parse_objects(b"  [{\"a\":1},{\"b\":2},{}]").unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(parse_objects(b" \n ").unwrap().len(), 0);
    }

    #[test]
    fn bad_bodies_say_where() {
        let e = parse_objects(b"{\"a\":1}\n{\"b\":\n").unwrap_err();
        assert!(
            matches!(&e, BodyError::Bad(m) if m.starts_with("line 2:")),
            "{e:?}"
        );
        let e = parse_objects(b"{\"a\":1}\n42\n").unwrap_err();
        assert_eq!(
            e,
            BodyError::Bad("line 2: a integer, not a JSON object".into())
        );
        let e = parse_objects(b"[{},\"x\"]").unwrap_err();
        assert_eq!(
            e,
            BodyError::Bad("array element 1 is a string, not a JSON object".into())
        );
    }

    #[test]
    fn gzip_is_capped() {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(&vec![b' '; 1 << 20]).unwrap();
        let gz = z.finish().unwrap();
        assert_eq!(
            decode_encoding(Some("gzip"), &gz, 1 << 20).unwrap().len(),
            1 << 20
        );
        assert_eq!(
            decode_encoding(Some("gzip"), &gz, 1000),
            Err(BodyError::TooLarge)
        );
        assert!(matches!(
            decode_encoding(Some("gzip"), b"nope", 1000),
            Err(BodyError::Bad(_))
        ));
        assert!(matches!(
            decode_encoding(Some("br"), b"x", 1000),
            Err(BodyError::Encoding(_))
        ));
    }
}
