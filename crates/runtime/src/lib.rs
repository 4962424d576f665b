//! The sluice runtime: builds the component graph from a validated pipeline and runs it.
//!
//! Why a crate of its own: wiring (channels, fan-out, task lifetimes, shutdown order) is
//! one concern, separate from what any single component does.
//!
//! Decisions:
//! - Every edge is a bounded tokio channel of batches. A consumer's buffer size is
//!   `buffer.max_events` divided by the source batch size (at least two batches).
//! - Shutdown runs front to back: sources stop and drain, which drops their senders;
//!   each transform ends when all its inputs have closed; sinks flush and end last.
//!   Nothing is cut off mid-batch, so everything received reaches the sinks.
//! - Listeners are bound before anything runs ([`bind_sources`]), so a port that cannot
//!   be bound is reported up front, and tests can bind port 0 and read the real address.

#![warn(unreachable_pub, missing_docs)]

mod chains;
#[cfg(test)]
mod compliance;
mod graph;
mod reload;
mod state;
mod storage;
mod topology;

pub use reload::{ReloadError, ReloadSummary};
pub use topology::{bind_sources, start, BindError, ComponentInfo, Running};
