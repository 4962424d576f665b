//! Transforms: per-event changes between sources and sinks.
//!
//! Why a crate of its own: transforms are pure functions of an event plus their compiled
//! config; keeping them apart from sockets and files makes them trivial to test. The
//! runtime drives them batch by batch.
//!
//! Decisions:
//! - `if` (★) is applied here, uniformly: a transform applies to events where its
//!   condition holds and passes every other event through unchanged; `filter` keeps
//!   the events where it holds.
//! - `mutate` applies its operations in Logstash's fixed order (rename, replace, convert,
//!   gsub, uppercase, lowercase, strip, split, join, merge, copy), then the options every
//!   filter shares (add_field, add_tag, remove_field, remove_tag), which `grok` and `date`
//!   apply only when they succeed.
//! - `grok` follows logstash-filter-grok's capture rules (see [`GrokRun`]); a match
//!   that runs out of its step budget, or an event out of its time budget, is tagged
//!   `_groktimeout` and the pipeline moves on.

mod date;
mod grok;
mod json;
mod mutate;
mod redact;
mod route;

use sluice_config::{TransformConfig, TransformNode};
use sluice_event::{Event, EventBatch};
use sluice_parse::condition::Condition;

pub use date::apply_date;
pub use grok::{GrokRun, Outcome};
pub use json::{apply_json, apply_kv};
pub use mutate::{apply_common, apply_mutate};
pub use redact::apply_redact;
pub use route::route;

/// Runs `f` on the events of `batch` where `cond` holds (all, without a condition).
fn each(cond: Option<&Condition>, batch: &mut EventBatch, mut f: impl FnMut(&mut Event)) {
    for e in batch.iter_mut() {
        if cond.is_none_or(|c| c.matches(e)) {
            f(e);
        }
    }
}

/// Applies one transform to a batch in place. Returns how many events it dropped.
pub fn apply(node: &TransformNode, batch: &mut EventBatch) -> usize {
    apply_counting(node, batch, &mut [])
}

/// [`apply`], also counting per-detector findings of a `redact` transform into `counts`
/// (in the order of its redactor's names).
pub fn apply_counting(node: &TransformNode, batch: &mut EventBatch, counts: &mut [u64]) -> usize {
    let before = batch.len();
    let cond = node.condition.as_ref();
    match &node.config {
        TransformConfig::Mutate(m) => each(cond, batch, |e| apply_mutate(m, e)),
        TransformConfig::Grok(g) => {
            let mut run = GrokRun::new(g);
            each(cond, batch, |e| {
                run.apply(e);
            })
        }
        TransformConfig::Date(d) => {
            let now = chrono::Utc::now();
            each(cond, batch, |e| {
                apply_date(d, e, now);
            })
        }
        TransformConfig::Json(j) => each(cond, batch, |e| apply_json(j, e)),
        TransformConfig::Kv(k) => each(cond, batch, |e| apply_kv(k, e)),
        TransformConfig::Redact(r) => each(cond, batch, |e| apply_redact(r, e, counts)),
        // Routing splits the batch; the runtime calls [`route`] for these nodes.
        TransformConfig::Route(_) => {}
        TransformConfig::Filter => {
            if let Some(c) = cond {
                batch.retain(|e| c.matches(e));
            }
        }
        TransformConfig::Drop => match cond {
            Some(c) => batch.retain(|e| !c.matches(e)),
            None => batch.clear(),
        },
    }
    before - batch.len()
}

#[cfg(test)]
mod tests;
