//! `clone`: a copy of the event for each name in `clones`, Logstash's clone filter.
//!
//! The original goes on unchanged; each copy follows it, marked with its name (in `tags`
//! under ECS, Logstash 8's default; in `type` with `ecs_compatibility = "disabled"`), and
//! gets the shared options (`add_field`, `add_tag`, ...). The copies go through the rest
//! of the pipeline like any event. A copy shares the original's acknowledgement, so a
//! Beats window is answered only once every copy is delivered.

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{EventBatch, FieldPath, Value};

/// Copies per event at most, so that one config line cannot multiply memory without bound.
const MAX_CLONES: usize = 64;

/// `type = "clone"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    clones: Vec<String>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(flatten)]
    common: CommonConfig,
}

/// A built clone transform.
#[derive(Debug)]
pub struct Clone {
    clones: Vec<String>,
    ecs: Ecs,
    on_copy: Common,
}

impl Config {
    /// Checks the list of copies.
    pub fn build(self, b: &mut Build<'_>) -> Option<Clone> {
        if self.clones.is_empty() {
            b.push("clones", "must name at least one copy");
        }
        if self.clones.len() > MAX_CLONES {
            b.push("clones", format!("at most {MAX_CLONES} copies of an event"));
        }
        let on_copy = self.common.build(b);
        Some(Clone {
            clones: self.clones,
            ecs: self.ecs_compatibility,
            on_copy,
        })
    }
}

impl Transform for Clone {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let mut out = Vec::with_capacity(batch.len() * (1 + self.clones.len()));
        let ty = FieldPath::from_segments(["type"]);
        for e in batch.drain(..) {
            let copy = run.when.is_none_or(|c| c.matches(&e));
            out.push(e);
            if !copy {
                continue;
            }
            let original = out.len() - 1;
            for name in &self.clones {
                let mut c = out[original].clone();
                if self.ecs.on() {
                    c.add_tag(name);
                } else {
                    c.insert(&ty, Value::from(name.as_str()));
                }
                self.on_copy.apply(&mut c);
                out.push(c);
            }
        }
        *batch = out;
    }
}
