//! `date`: parse a field into `@timestamp` (or `target`), Logstash's date filter.

use crate::mutate::apply_common;
use sluice_config::DateSpec;
use sluice_event::{Event, Value};
use sluice_parse::date::DateFormat;

/// Applies `d` to one event; `now` places dates without a year (read the clock once per
/// batch). Returns false when the field was there but no format fit (the event is then
/// tagged).
pub fn apply_date(d: &DateSpec, e: &mut Event, now: chrono::DateTime<chrono::Utc>) -> bool {
    let parse = |text: &str| {
        d.formats
            .iter()
            .find_map(|f: &DateFormat| f.parse_time(text, d.timezone, now))
    };
    let parsed = match e.get(&d.field) {
        Some(Value::String(s)) => parse(s),
        Some(Value::Array(a)) => match a.first().and_then(Value::as_str) {
            Some(s) => parse(s),
            None => return true,
        },
        Some(v @ (Value::Integer(_) | Value::Float(_))) => parse(&v.to_string_lossy()),
        _ => return true,
    };
    match parsed {
        Some(t) => {
            e.insert(&d.target, Value::Timestamp(t));
            apply_common(&d.on_success, e);
            true
        }
        None => {
            for t in &d.tag_on_failure {
                e.add_tag(t);
            }
            false
        }
    }
}
