//! An alert as an event: the ★ fields and the human text of `message`.

use super::group::Group;
use super::rule::{Kind, Rule, Stat};
use sluice_event::{Event, Map, Value};
use std::time::Duration;

fn ts(ms: i64) -> Value {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(Value::Timestamp)
        .unwrap_or(Value::Null)
}

/// What the rule saw, in words: "12 events in 5m (threshold 10)".
fn what(r: &Rule, g: &Group, measure: f64) -> String {
    let window = humantime(r.window);
    match r.kind {
        Kind::Any => match g.samples_in_order().last() {
            Some(m) => m.clone(),
            None => "a matching event".to_owned(),
        },
        Kind::NewTerm => format!(
            "a value of {} never seen before: {}",
            r.field_name,
            g.samples.first().map(String::as_str).unwrap_or("")
        ),
        Kind::Frequency => format!("{measure} events in {window} (threshold {})", r.threshold),
        Kind::Flatline => format!(
            "{measure} events in {window}, fewer than {} (the source may have gone silent)",
            r.threshold
        ),
        Kind::Cardinality => format!(
            "{measure} distinct values of {} in {window} (threshold {})",
            r.field_name, r.threshold
        ),
        Kind::Spike => format!(
            "{measure} events in {window}, a spike of {}x over the window before",
            r.spike_height
        ),
        Kind::Metric => format!(
            "{} of {} is {measure} over {window} (threshold {})",
            match r.stat {
                Stat::Avg => "avg".to_owned(),
                Stat::Min => "min".to_owned(),
                Stat::Max => "max".to_owned(),
                Stat::Percentile(p) => format!("p{p}"),
            },
            r.field_name,
            r.threshold
        ),
    }
}

/// The alert event of rule `r` for group `g` in `state` (`firing` | `resolved`).
/// Its `@timestamp` is `at_ms`, the event time at which it was raised.
pub(crate) fn alert(r: &Rule, g: &Group, state: &str, measure: f64, at_ms: i64) -> Event {
    let group = if g.values.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = g
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", v.to_string_lossy()))
            .collect();
        format!(" for {}", parts.join(", "))
    };
    let what = what(r, g, measure);
    let message = if state == "resolved" {
        format!("[{}] {} resolved{group}: now {what}", r.severity, r.name)
    } else {
        format!("[{}] {}{group}: {what}", r.severity, r.name)
    };
    let mut a = Map::new();
    a.insert("severity".into(), Value::from(r.severity.as_str()));
    a.insert("state".into(), Value::from(state));
    a.insert(
        "count".into(),
        if r.kind == Kind::Metric {
            Value::Float(measure)
        } else {
            Value::Integer(measure as i64)
        },
    );
    a.insert("threshold".into(), Value::Float(r.threshold));
    a.insert("window".into(), Value::from(humantime(r.window)));
    a.insert("group".into(), Value::Object(g.values.clone()));
    a.insert("first_seen".into(), ts(g.first_seen.unwrap_or(g.last_seen)));
    a.insert("last_seen".into(), ts(g.last_seen));
    a.insert(
        "samples".into(),
        Value::Array(
            g.samples_in_order()
                .map(|s| Value::from(s.as_str()))
                .collect(),
        ),
    );
    let mut ev = Event::new();
    let f = ev.fields_mut();
    f.insert("@timestamp".into(), ts(at_ms));
    f.insert("message".into(), Value::from(message));
    let mut kind = Map::new();
    kind.insert("kind".into(), Value::from("alert"));
    f.insert("event".into(), Value::Object(kind));
    let mut rule = Map::new();
    rule.insert("name".into(), Value::from(r.name.as_str()));
    rule.insert("kind".into(), Value::from(r.kind.name()));
    f.insert("rule".into(), Value::Object(rule));
    f.insert("alert".into(), Value::Object(a));
    ev
}

/// `300s` as `5m`, `90s` as `90s`.
pub(crate) fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) && s > 0 {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) && s > 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}
