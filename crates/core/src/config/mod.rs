//! The vocabulary every component's config shares: human units, the problems a build
//! step reports, and the buffer settings the runtime applies in front of a sink.
//!
//! A component's config is two steps, as ripgrep's flags are: serde decodes the raw
//! struct (typos and wrong types fail there, with the key), then the component's `build`
//! checks what serde cannot (patterns, regexes, cross-field rules) and compiles the
//! runnable form. Both steps report into a [`Build`], which knows only keys; the loader
//! adds the file and the component to each [`Problem`].

mod build;
mod units;

pub use build::{Build, Problem};
pub use units::{parse_bytes, parse_duration, ByteSize, HumanDuration, Zone};

/// What a sink's input buffer does when it is full (★ `when_full`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenFull {
    /// The sender waits: back-pressure reaches the source.
    #[default]
    Block,
    /// The batch is dropped and counted as `buffer_full`.
    DropNewest,
}

/// A sink's input buffer (★ `buffer`, `when_full`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferConfig {
    /// Events the memory buffer holds before `when_full` applies (in front of a disk
    /// buffer: events in memory on their way to disk).
    pub max_events: usize,
    /// What a full buffer does.
    pub when_full: WhenFull,
    /// `type = "disk"`: a write-ahead log under `<data_dir>/buffers/<sink id>/`.
    pub disk: Option<DiskConfig>,
}

/// `buffer = { type = "disk", max_bytes, fsync_interval }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskConfig {
    /// Bytes of undelivered records on disk at most.
    pub max_bytes: u64,
    /// How long records no source waits for may wait for an fsync.
    pub fsync_interval: std::time::Duration,
}

impl Default for BufferConfig {
    fn default() -> Self {
        BufferConfig {
            max_events: 10_000,
            when_full: WhenFull::Block,
            disk: None,
        }
    }
}
