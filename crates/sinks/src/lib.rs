//! Sinks: where events leave sluice.
//!
//! Why a crate of its own: sinks own files and (later) remote endpoints, with their own
//! failure modes: rotation, retries, durability. They receive batches from the runtime
//! and report the ★ metrics.
//!
//! Decisions:
//! - A sink is one module: its serde config, its build step and its run code. The
//!   [`registry`] adds it to the config language with one line.
//! - File and console sinks do plain blocking I/O on a dedicated thread
//!   (`spawn_blocking`): buffered writes, one flush per batch, `fsync` when asked. Async
//!   file I/O would only add hops on the hot path.
//! - A batch's events are dropped, which releases their ack tokens, only after the
//!   batch was flushed: "written" means durable to the configured degree.
//! - A sink's `if` is not applied here: the runtime's fan-out applies it before copying
//!   events for the sink (`sluice_core::Target::select`), so a sink receives only its
//!   own events.

#![warn(unreachable_pub, missing_docs)]

pub mod console;
mod dead_letters;
pub mod elasticsearch;
pub mod encode;
pub mod file;
mod http;
pub mod registry;
pub mod webhook;

pub use encode::{encode_line, Encoding};
pub use registry::SinkConfig;

use sluice_core::ComponentMetrics;
use sluice_event::EventBatch;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What a running sink needs besides its config.
#[derive(Clone, Debug)]
pub struct SinkContext {
    /// The sink's id.
    pub id: String,
    /// Relative paths resolve against it.
    pub data_dir: PathBuf,
    /// The sink's metrics.
    pub metrics: ComponentMetrics,
    /// Bumped when files should be closed and opened again by name (SIGHUP, after an
    /// outside tool such as logrotate moved them).
    pub reopen: Arc<AtomicU64>,
}

/// A built sink.
pub trait Sink: Send + Sync + std::fmt::Debug {
    /// Starts writing what arrives on `rx`; the task ends once `rx` is closed and
    /// everything is flushed.
    fn start(&self, rx: mpsc::Receiver<EventBatch>, ctx: SinkContext) -> JoinHandle<()>;

    /// What can be known before running (`sluice validate`, start-up) about whether the
    /// sink can work: `(key, problem)`, or `None` when nothing is wrong that can be seen.
    fn preflight(&self, _data_dir: &std::path::Path) -> Option<(&'static str, String)> {
        None
    }

    /// Where the sink keeps data on this machine, for the storage metrics: a directory
    /// and the prefix of its files' names (empty: every file under it).
    fn storage(&self, _data_dir: &std::path::Path) -> Option<(PathBuf, String)> {
        None
    }
}

/// Counts a batch the sink took out of its buffer.
pub(crate) fn received(batch: &EventBatch, metrics: &ComponentMetrics) {
    sluice_core::taken(metrics, batch);
    metrics.events_received.inc_by(batch.len() as u64);
}
