//! What every sluice component shares: the output fan-out and its metrics, and the
//! vocabulary of component configs ([`config`]).
//!
//! Why a crate of its own: sources, transforms and sinks all send batches downstream and
//! all report the same ★ metrics, but they must not depend on the runtime that wires
//! them together (dependencies point one way). This crate is that shared surface, and
//! the only one besides the runtime that touches prometheus.
//!
//! Decisions:
//! - One [`Telemetry`] registry is owned by the runtime; components get a
//!   [`ComponentMetrics`] with their `component`/`component_type` labels already bound,
//!   never the global default registry.
//! - [`Output`] sends each batch to every consumer (cloning for all but the last). A
//!   consumer's selector (a sink's `if`) is applied before copying, so a sink that takes
//!   one event in a hundred costs one copy in a hundred.
//!   A consumer configured `when_full = "drop_newest"` is never waited on: a full
//!   buffer drops the batch and counts it; otherwise the sender waits (back-pressure).

#![warn(unreachable_pub, missing_docs)]

pub mod config;
mod health;
mod labels;
mod metrics;
mod noted;
mod output;
mod registry;
mod room;
pub mod tls;

pub use health::Health;
pub use labels::{DropReason, ErrorType};
pub use metrics::{ComponentKind, ComponentMetrics, Telemetry};
pub use noted::{now_ms, Limiter, Noted, LOG_EVERY};
pub use output::{approx_bytes, taken, Output, Selector, SendError, Switch, SwitchHold, Target};
pub use room::BufferRoom;
