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
    // The field is taken out while it is matched, so that captures need no copy of it,
    // and put back before the captures are written (Logstash's order).
    let Some(subject) = e.remove(&g.field) else {
        return Outcome::Skipped;
    };
    if !matches!(subject, Value::String(_) | Value::Array(_)) {
        e.insert(&g.field, subject);
        return Outcome::Skipped;
    }
    // One string needs no list of texts (this runs for every event).
    let one: [&str; 1];
    let many: Vec<&str>;
    let texts: &[&str] = match &subject {
        Value::String(s) => {
            one = [s.as_str()];
            &one
        }
        Value::Array(a) => {
            many = a.iter().filter_map(Value::as_str).collect();
            &many
        }
        _ => &[],
    };
    let (outcome, captures) = match_all(g, texts);
    e.insert(&g.field, subject);
    match outcome {
        Outcome::Matched => {
            for (pi, fi, v) in captures {
                if let Some(f) = g.patterns[pi].field(fi) {
                    put(g, e, &f.path, v);
                }
            }
            apply_common(&g.on_success, e);
        }
        Outcome::Failed => g.tag_on_failure.iter().for_each(|t| e.add_tag(t)),
        Outcome::TimedOut => e.add_tag(&g.tag_on_timeout),
        Outcome::Skipped => {}
    }
    outcome
}

/// (pattern, capture, value) of every capture taken.
type Captures = Vec<(usize, usize, Value)>;

/// Tries the patterns on each text, within the step and time budgets.
fn match_all(g: &GrokSpec, texts: &[&str]) -> (Outcome, Captures) {
    let mut captures = Captures::new();
    let started = Instant::now();
    let mut matched = false;
    for text in texts {
        for (pi, grok) in g.patterns.iter().enumerate() {
            // The clock is read only when there is more than one try to budget.
            if (pi > 0 || texts.len() > 1) && started.elapsed() > g.timeout {
                return (Outcome::TimedOut, captures);
            }
            let res = grok.matches(text, |f, t| {
                if t.is_empty() && !g.keep_empty_captures {
                    return;
                }
                let v = match f.conversion {
                    Some(c) => c.apply(t),
                    None => Value::from(t),
                };
                captures.push((pi, f.index, v));
            });
            match res {
                Ok(true) => {
                    matched = true;
                    if g.break_on_match {
                        return (Outcome::Matched, captures);
                    }
                }
                Ok(false) => {}
                Err(MatchError::Budget) | Err(MatchError::Other(_)) => {
                    return (Outcome::TimedOut, captures)
                }
            }
        }
    }
    let outcome = if matched {
        Outcome::Matched
    } else {
        Outcome::Failed
    };
    (outcome, captures)
}
