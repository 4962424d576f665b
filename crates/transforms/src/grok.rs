//! `grok`: match a field against patterns, capture into fields, Logstash's rules.

use crate::mutate::apply_common;
use sluice_config::GrokSpec;
use sluice_event::{Event, FieldPath, Value};
use sluice_grok::{MatchError, Scratch};
use std::time::Instant;

/// Logstash's `handle`: overwrite when asked; set when absent; append to an array;
/// promote a string to an array; leave any other existing value alone.
fn put(e: &mut Event, path: &FieldPath, overwrite: bool, value: Value) {
    if overwrite {
        e.insert(path, value);
        return;
    }
    e.upsert(path, value, |old, new| match old {
        Value::Array(a) => a.push(new),
        Value::String(_) => {
            let first = std::mem::take(old);
            *old = Value::Array(vec![first, new]);
        }
        _ => {}
    });
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

/// Applies `g` to one event. For a batch, [`GrokRun`] keeps match data across events.
pub fn apply_grok(g: &GrokSpec, e: &mut Event) -> Outcome {
    GrokRun::new(g).apply(e)
}

/// A grok transform with its patterns' match data checked out, for a run of events.
pub struct GrokRun<'g> {
    spec: &'g GrokSpec,
    scratch: Vec<Scratch<'g>>,
    /// Reused for every event's captures.
    captures: Captures,
}

impl<'g> GrokRun<'g> {
    pub fn new(spec: &'g GrokSpec) -> Self {
        GrokRun {
            spec,
            scratch: spec.patterns.iter().map(|p| p.scratch()).collect(),
            captures: Captures::new(),
        }
    }

    /// Applies the transform to one event.
    pub fn apply(&mut self, e: &mut Event) -> Outcome {
        let g = self.spec;
        let Some(subject) = e.get(&g.field) else {
            return Outcome::Skipped;
        };
        // One string needs no list of texts (this runs for every event).
        let one: [&str; 1];
        let many: Vec<&str>;
        let texts: &[&str] = match subject {
            Value::String(s) => {
                one = [s.as_str()];
                &one
            }
            Value::Array(a) => {
                many = a.iter().filter_map(Value::as_str).collect();
                &many
            }
            _ => return Outcome::Skipped,
        };
        // Captures are owned values, so the event is free to change once matching is done.
        self.captures.clear();
        let outcome = match_all(g, &mut self.scratch, texts, &mut self.captures);
        match outcome {
            Outcome::Matched => {
                for (pi, fi, v) in self.captures.drain(..) {
                    if let Some((path, overwrite)) = g.destinations[pi].get(fi) {
                        put(e, path, *overwrite, v);
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
}

/// (pattern, capture, value) of every capture taken.
type Captures = Vec<(usize, usize, Value)>;

/// Tries the patterns on each text, within the step and time budgets.
fn match_all(
    g: &GrokSpec,
    scratch: &mut [Scratch<'_>],
    texts: &[&str],
    captures: &mut Captures,
) -> Outcome {
    // The clock is read only when there is more than one try to budget.
    let started = (scratch.len() > 1 || texts.len() > 1).then(Instant::now);
    let mut matched = false;
    for (ti, text) in texts.iter().enumerate() {
        for (pi, grok) in scratch.iter_mut().enumerate() {
            if (pi > 0 || ti > 0) && started.is_some_and(|t| t.elapsed() > g.timeout) {
                return Outcome::TimedOut;
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
                        return Outcome::Matched;
                    }
                }
                Ok(false) => {}
                Err(MatchError::Budget) | Err(MatchError::Other(_)) => return Outcome::TimedOut,
            }
        }
    }
    if matched {
        Outcome::Matched
    } else {
        Outcome::Failed
    }
}
