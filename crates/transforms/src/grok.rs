//! `grok`: match a field against patterns, capture into fields, Logstash's rules.

use crate::mutate::apply_common;
use sluice_config::GrokSpec;
use sluice_event::{Event, FieldPath, Value};
use sluice_grok::MatchError;
use std::time::Instant;

/// Logstash's `handle`: overwrite when asked; set when absent; append to an array;
/// promote a string to an array; leave any other existing value alone.
fn put(g: &GrokSpec, e: &mut Event, path: &FieldPath, value: Value) {
    if g.overwrite.contains(path) {
        e.insert(path, value);
        return;
    }
    match e.get_mut(path) {
        None => {
            e.insert(path, value);
        }
        Some(Value::Array(a)) => a.push(value),
        Some(v @ Value::String(_)) => {
            let old = std::mem::take(v);
            *v = Value::Array(vec![old, value]);
        }
        Some(_) => {}
    }
}

/// How matching one event ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    Failed,
    TimedOut,
    /// The field is absent (or not text): nothing was tried, nothing tagged.
    Skipped,
}

/// Applies `g` to one event.
pub fn apply_grok(g: &GrokSpec, e: &mut Event) -> Outcome {
    let subjects: Vec<String> = match e.get(&g.field) {
        Some(Value::String(s)) => vec![s.to_string()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => return Outcome::Skipped,
    };
    let started = Instant::now();
    let mut matched = false;
    // (pattern, capture, value): applied once matching is over.
    let mut captures: Vec<(usize, usize, Value)> = Vec::new();
    'outer: for subject in &subjects {
        for (pi, grok) in g.patterns.iter().enumerate() {
            if started.elapsed() > g.timeout {
                e.add_tag(&g.tag_on_timeout);
                return Outcome::TimedOut;
            }
            let res = grok.matches(subject, |f, text| {
                if text.is_empty() && !g.keep_empty_captures {
                    return;
                }
                let v = match f.conversion {
                    Some(c) => c.apply(text),
                    None => Value::from(text),
                };
                captures.push((pi, f.index, v));
            });
            match res {
                Ok(true) => {
                    matched = true;
                    if g.break_on_match {
                        break 'outer;
                    }
                }
                Ok(false) => {}
                Err(MatchError::Budget) | Err(MatchError::Other(_)) => {
                    e.add_tag(&g.tag_on_timeout);
                    return Outcome::TimedOut;
                }
            }
        }
    }
    if !matched {
        for t in &g.tag_on_failure {
            e.add_tag(t);
        }
        return Outcome::Failed;
    }
    for (pi, fi, v) in captures {
        if let Some(f) = g.patterns[pi].field(fi) {
            put(g, e, &f.path, v);
        }
    }
    apply_common(&g.on_success, e);
    Outcome::Matched
}
