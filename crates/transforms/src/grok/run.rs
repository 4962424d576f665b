//! Matching one event: Logstash's capture rules, within the step and time budgets.

use super::Grok as GrokSpec;
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
    e.upsert(path, value, |old, new| {
        if matches!(old, Value::Array(_) | Value::String(_)) {
            old.append(new);
        }
    });
}

/// How matching one event ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A pattern matched; captures were written.
    Matched,
    /// No pattern matched; the event was tagged.
    Failed,
    /// The step or time budget ran out; the event was tagged.
    TimedOut,
    /// The field is absent (or not text): nothing was tried, nothing tagged.
    Skipped,
}

/// A grok transform with its patterns' match data checked out, for a run of events.
pub struct GrokRun<'g> {
    spec: &'g GrokSpec,
    scratch: Vec<Scratch<'g>>,
    /// Reused for every event's captures.
    captures: Captures,
}

impl<'g> GrokRun<'g> {
    /// Checks out match data for every pattern of `spec`.
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
        // Captures are owned values (or a range of the one subject), so the event is free
        // to change once matching is done.
        self.captures.clear();
        let single = matches!(subject, Value::String(_));
        let outcome = match_all(g, &mut self.scratch, texts, single, &mut self.captures);
        match outcome {
            Outcome::Matched => {
                // The cut of the matched field first, while it still holds the subject.
                for (pi, fi, v) in &self.captures {
                    if let (Taken::Range(from, to), Some(d)) = (v, g.destinations[*pi].get(*fi)) {
                        if let Some(Value::String(s)) = e.get_mut(&d.path) {
                            s.truncate(*to);
                            s.replace_range(..*from, "");
                        }
                    }
                }
                for (pi, fi, v) in self.captures.drain(..) {
                    if let (Taken::Value(v), Some(d)) = (v, g.destinations[pi].get(fi)) {
                        put(e, &d.path, d.overwrite, v);
                    }
                }
                g.on_success.apply(e);
            }
            Outcome::Failed => g.tag_on_failure.iter().for_each(|t| e.add_tag(t)),
            Outcome::TimedOut => e.add_tag(&g.tag_on_timeout),
            Outcome::Skipped => {}
        }
        outcome
    }
}

/// A capture's value, or where it lies in the subject when the subject is cut down to it
/// (an in-place destination).
enum Taken {
    Value(Value),
    Range(usize, usize),
}

/// (pattern, capture, value) of every capture taken.
type Captures = Vec<(usize, usize, Taken)>;

/// Tries the patterns on each text, within the step and time budgets.
/// `single`: the subject is one string (not an array), which an in-place capture may cut
/// down.
fn match_all(
    g: &GrokSpec,
    scratch: &mut [Scratch<'_>],
    texts: &[&str],
    single: bool,
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
            let dests = &g.destinations[pi];
            let res = grok.matches(text, |f, t| {
                if t.is_empty() && !g.keep_empty_captures {
                    return;
                }
                let taken = match f.conversion {
                    _ if single && dests.get(f.index).is_some_and(|d| d.in_place) => {
                        // Group boundaries are offsets into `text`.
                        let from = t.as_ptr() as usize - text.as_ptr() as usize;
                        Taken::Range(from, from + t.len())
                    }
                    Some(c) => Taken::Value(c.apply(t)),
                    None => Taken::Value(Value::from(t)),
                };
                captures.push((pi, f.index, taken));
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
