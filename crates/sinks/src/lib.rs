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
//! - A sink's `if` is not applied here: the runtime's fan-out applies it before copying
//!   events for the sink (`sluice_core::Target::select`), so a sink receives only its
//!   own events.

pub mod console;
mod encode;
pub mod file;

pub use encode::encode_line;

use sluice_core::ComponentMetrics;

/// Counts a batch the sink took out of its buffer.
pub(crate) fn received(batch: &sluice_event::EventBatch, metrics: &ComponentMetrics) {
    sluice_core::taken(metrics, batch);
    metrics.events_received.inc_by(batch.len() as u64);
}
