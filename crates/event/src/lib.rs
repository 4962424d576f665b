//! The event model shared by every stage of sluice.
//!
//! Why a crate of its own: sources, transforms and sinks all speak `Event`, and none of
//! them should drag in the others' dependencies. This crate has no I/O and no async
//! runtime, so parsers and tests can build events cheaply.
//!
//! Decisions:
//! - An event is a tree of [`Value`]s rooted at an object. Keys are kept sorted so JSON
//!   output is deterministic, which makes files diffable and tests simple. Objects are
//!   sorted vectors with inline short keys ([`Map`]), measured faster than `BTreeMap`.
//! - Metadata that outputs never emit (peer address, receiving component, the ack token
//!   and `@metadata`) lives beside the fields, not inside them.
//! - Field references accept both Logstash's `[a][b]` and the dotted `a.b` ([`FieldPath`]).
//! - Timestamps serialise as RFC 3339 UTC with a `Z`, milliseconds or finer
//!   ([`timestamp::format_rfc3339`]).
//! - Delivery acknowledgement is a reference-counted [`AckToken`]: the callback runs when
//!   the last event carrying it is dropped, so "durable" simply means "every sink has let
//!   go of it".

#![warn(unreachable_pub, missing_docs)]

mod ack;
mod event;
mod json;
mod map;
mod path;
pub mod timestamp;
mod value;

pub use ack::{AckToken, BatchStatus};
pub use event::{Event, EventBatch, EventMeta};
pub use json::{write_map, write_str, write_value};
pub use map::{Key, Map};
pub use path::{FieldPath, PathError};
pub use value::Value;

/// Re-exported so that users of the event crate name one chrono type.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
