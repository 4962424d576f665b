//! Sinks: where events leave sluice.
//!
//! Why a crate of its own: sinks own files and (later) remote endpoints, with their own
//! failure modes: rotation, retries, durability. They receive batches from the runtime
//! and report the ★ metrics.
//!
//! Decisions:
//! - File and console sinks do plain blocking I/O on a dedicated thread (the runtime
//!   runs them with `spawn_blocking`): buffered writes, one flush per batch, `fsync`
//!   when asked. Async file I/O would only add hops on the hot path.
//! - A batch's events are dropped, which releases their ack tokens, only after the
//!   batch was flushed: "written" means durable to the configured degree.

pub mod console;
mod encode;
pub mod file;

pub use encode::encode_line;

use sluice_core::ComponentMetrics;
use sluice_parse::condition::Condition;

/// Keeps only the events a sink's `if` selects; counts what came in.
pub(crate) fn select(
    batch: &mut sluice_event::EventBatch,
    condition: Option<&Condition>,
    metrics: &ComponentMetrics,
) {
    sluice_core::taken(metrics, batch);
    metrics.events_received.inc_by(batch.len() as u64);
    if let Some(c) = condition {
        batch.retain(|e| c.matches(e));
    }
}
