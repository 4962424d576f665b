//! One JSON document to one event, the way Logstash's json_lines codec and Beats input do.
//!
//! - An object becomes the event's fields.
//! - `@metadata` is moved out of the fields into the event's metadata (never emitted).
//! - `@timestamp`, when it is an ISO 8601 / RFC 3339 string, becomes the event time. A bad
//!   one is kept as `_@timestamp`, the event gets receive time and `_timestampparsefailure`.
//!   Absent, it is receive time.
//! - Anything that is not a JSON object is kept as `message` with `_jsonparsefailure`.

use chrono::{DateTime, NaiveDateTime, Utc};
use sluice_event::{Event, Key, Map, Timestamp, Value};

/// The tag of a document that is not a JSON object.
pub const JSON_FAILURE_TAG: &str = "_jsonparsefailure";
/// The tag of an `@timestamp` that is not a timestamp.
pub const TIMESTAMP_FAILURE_TAG: &str = "_timestampparsefailure";

/// Parses an ISO 8601 timestamp as Logstash accepts it in `@timestamp`: RFC 3339 with `Z`
/// or an offset, or without a zone (taken as UTC), `T` or a space between date and time.
pub fn parse_iso8601(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Builds an event from a JSON document. `Err` carries the kept, tagged event of a
/// document that is not a JSON object, so the caller can count it.
pub fn event_from_json(doc: &[u8], now: Timestamp) -> Result<Event, Event> {
    match Value::from_json(doc) {
        Ok(Value::Object(fields)) => Ok(event_from_map(fields, now)),
        _ => {
            let text = String::from_utf8_lossy(doc);
            let mut fields = Map::with_capacity(3);
            fields.insert(Key::const_new("@timestamp"), Value::Timestamp(now));
            fields.insert(
                Key::const_new("message"),
                Value::from(text.trim_end_matches(['\r', '\n'])),
            );
            fields.insert(
                Key::const_new("tags"),
                Value::Array(vec![Value::from(JSON_FAILURE_TAG)]),
            );
            Err(Event::from_map(fields))
        }
    }
}

/// The object rules above, for a map that is already decoded (a Beats `D` frame, say).
pub fn event_from_map(mut fields: Map, now: Timestamp) -> Event {
    let metadata = fields.remove("@metadata");
    let mut bad_time = false;
    let ts = match fields.remove("@timestamp") {
        None => now,
        Some(Value::Timestamp(t)) => t,
        Some(Value::String(s)) => match parse_iso8601(&s) {
            Some(t) => t,
            None => {
                fields.insert(Key::const_new("_@timestamp"), Value::String(s));
                bad_time = true;
                now
            }
        },
        Some(other) => {
            fields.insert(Key::const_new("_@timestamp"), other);
            bad_time = true;
            now
        }
    };
    fields.insert(Key::const_new("@timestamp"), Value::Timestamp(ts));
    let mut ev = Event::from_map(fields);
    match metadata {
        Some(Value::Object(m)) => ev.meta_mut().metadata = m,
        Some(other) => {
            // Not an object: keep it where templates can still see it.
            ev.meta_mut()
                .metadata
                .insert(Key::const_new("value"), other);
        }
        None => {}
    }
    if bad_time {
        ev.add_tag(TIMESTAMP_FAILURE_TAG);
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    fn json(e: &Event) -> String {
        let mut v = Vec::new();
        e.write_json(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn objects_keep_their_fields_and_time() {
        let e = event_from_json(
            br#"{"@timestamp":"2026-11-24T21:12:19.564Z","message":"hi","@metadata":{"beat":"filebeat","version":"8.15.0"},"n":1}"#,
            now(),
        )
        .unwrap();
        assert_eq!(
            json(&e),
            r#"{"@timestamp":"2026-11-24T21:12:19.564Z","message":"hi","n":1}"#
        );
        assert_eq!(
            e.meta().metadata.get("beat"),
            Some(&Value::from("filebeat"))
        );
    }

    #[test]
    fn timestamps_in_the_forms_clients_send() {
        for (s, want) in [
            ("2026-11-24T21:12:19.564123Z", "2026-11-24T21:12:19.564123Z"),
            ("2026-11-24T22:12:19+01:00", "2026-11-24T21:12:19.000Z"),
            ("2026-11-24T21:12:19.5", "2026-11-24T21:12:19.500Z"),
            ("2026-11-24 21:12:19", "2026-11-24T21:12:19.000Z"),
        ] {
            let t = parse_iso8601(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(sluice_event::timestamp::format_rfc3339(&t), want, "{s}");
        }
    }

    #[test]
    fn bad_timestamp_is_kept_and_tagged() {
        let e = event_from_json(br#"{"@timestamp":"yesterday","message":"x"}"#, now()).unwrap();
        assert_eq!(
            json(&e),
            r#"{"@timestamp":"2026-11-24T12:00:00.000Z","_@timestamp":"yesterday","message":"x","tags":["_timestampparsefailure"]}"#
        );
    }

    #[test]
    fn non_objects_are_kept_and_tagged() {
        for doc in [
            &b"not json\r\n"[..],
            b"[1,2]",
            b"\"s\"",
            b"{\"a\":",
            b"\xff\xfe",
        ] {
            let e = event_from_json(doc, now()).unwrap_err();
            assert!(e.has_tag(JSON_FAILURE_TAG), "{doc:?}");
            assert!(e.fields().get("message").is_some());
        }
        let e = event_from_json(b"not json\r\n", now()).unwrap_err();
        assert_eq!(e.fields().get("message"), Some(&Value::from("not json")));
    }
}
