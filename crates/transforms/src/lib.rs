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
//! - `mutate` applies its operations in Logstash's fixed order (rename, replace,
//!   lowercase, uppercase, then add_field, add_tag, remove_field, remove_tag).

mod mutate;

use sluice_config::{TransformConfig, TransformNode};
use sluice_event::EventBatch;

pub use mutate::apply_mutate;

/// Applies one transform to a batch in place. Returns how many events it dropped.
pub fn apply(node: &TransformNode, batch: &mut EventBatch) -> usize {
    let before = batch.len();
    match &node.config {
        TransformConfig::Mutate(m) => {
            for e in batch.iter_mut() {
                if node.condition.as_ref().is_none_or(|c| c.matches(e)) {
                    apply_mutate(m, e);
                }
            }
        }
        TransformConfig::Filter => {
            if let Some(c) = &node.condition {
                batch.retain(|e| c.matches(e));
            }
        }
        TransformConfig::Drop => match &node.condition {
            Some(c) => batch.retain(|e| !c.matches(e)),
            None => batch.clear(),
        },
    }
    before - batch.len()
}

#[cfg(test)]
mod tests;
