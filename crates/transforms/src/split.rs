//! `split`: one event per element of an array field, or per piece of a text field cut
//! at `terminator` (a newline by default); Logstash's split filter.
//!
//! Each piece goes into a copy of the event, in `target` (default: the field itself),
//! and gets the shared options (`add_tag`, ...); the original event is replaced by
//! them. Empty pieces are skipped; text with a single piece is left alone; a field that
//! is neither text nor an array is tagged `_split_type_failure`. An event that would
//! split into more than `max_events` pieces is kept whole, tagged `_split_overflow`:
//! one event cannot multiply memory without bound, and nothing is lost.

use crate::common::{Common, CommonConfig};
use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, EventBatch, FieldPath, Value};

/// `type = "split"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "crate::common::defaults::message")]
    field: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default = "newline")]
    terminator: String,
    #[serde(default = "max_events")]
    max_events: usize,
    #[serde(flatten)]
    common: CommonConfig,
}

fn newline() -> String {
    "\n".into()
}
fn max_events() -> usize {
    100_000
}

/// A built split transform.
#[derive(Debug)]
pub struct Split {
    field: FieldPath,
    target: Option<FieldPath>,
    terminator: String,
    max_events: usize,
    on_each: Common,
}

impl Config {
    /// Compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<Split> {
        let mark = b.mark();
        let field = b.path(&self.field, "field");
        let target = self.target.as_deref().map(|t| b.path(t, "target"));
        if self.terminator.is_empty() {
            b.push("terminator", "must not be empty");
        }
        b.at_least_one("max_events", self.max_events);
        let on_each = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Split {
            field: field?,
            target: match target {
                Some(t) => Some(t?),
                None => None,
            },
            terminator: self.terminator,
            max_events: self.max_events,
            on_each,
        })
    }
}

impl Split {
    /// The events `e` becomes (itself, when it is not split).
    fn split(&self, mut e: Event, out: &mut EventBatch) {
        let pieces: Vec<Value> = match e.get(&self.field) {
            Some(Value::Array(a)) => a.clone(),
            Some(Value::String(s)) => {
                let parts: Vec<&str> = s.split(self.terminator.as_str()).collect();
                if parts.len() == 1 {
                    out.push(e);
                    return;
                }
                parts.into_iter().map(Value::from).collect()
            }
            _ => {
                e.add_tag("_split_type_failure");
                out.push(e);
                return;
            }
        };
        if pieces.len() > self.max_events {
            e.add_tag("_split_overflow");
            out.push(e);
            return;
        }
        if self.target.is_none() {
            e.remove(&self.field);
        }
        let to = self.target.as_ref().unwrap_or(&self.field);
        for v in pieces {
            let empty = match &v {
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => false,
            };
            if empty {
                continue;
            }
            let mut c = e.clone();
            c.insert(to, v);
            self.on_each.apply(&mut c);
            out.push(c);
        }
    }
}

impl Transform for Split {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let mut out = Vec::with_capacity(batch.len());
        for e in batch.drain(..) {
            if run.when.is_some_and(|c| !c.matches(&e)) {
                out.push(e);
            } else {
                self.split(e, &mut out);
            }
        }
        *batch = out;
    }
}
