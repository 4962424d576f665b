//! sluice configuration: TOML files in, a validated [`Pipeline`] out.
//!
//! Why a crate of its own: it is the loader, and it sits above the components. Each
//! source, transform and sink owns its settings (a serde struct beside its code, and a
//! build step); this crate reads the root document, hands each component's table to its
//! kind's registry, and checks the graph. The runtime receives only a `Pipeline` in
//! which every reference resolves, every component is built, and every listener address
//! is unique.
//!
//! Decisions:
//! - Loading collects **every** problem before failing. Each [`ConfigError`] names the
//!   file, the component (`sources.syslog_udp`) and the key: one bad component does not
//!   hide the errors of the next, and a component's serde errors do not hide its build
//!   errors in the components after it.
//! - A component's type picks its config through serde (`{ <type> = <table> }` into the
//!   kind's registry enum), so an unknown type is answered with the list of known ones,
//!   and the path of an error inside the component stays exact.
//! - The keys the graph owns (`inputs`, `if`, `buffer`, `when_full`) are taken out here,
//!   before the component sees its table.

#![warn(unreachable_pub, missing_docs)]

mod component;
pub mod env;
mod error;
mod load;
pub mod logstash;
mod pipeline;
pub mod pipelines_yml;
mod suggest;
mod validate;

pub use error::{ConfigError, ConfigErrors};
pub use load::{is_logstash, load_files, load_str, read_logstash, read_pipelines};
pub use pipeline::{AdminConfig, Pipeline, SinkNode, SourceNode, TransformNode};

/// The embedded default pipeline (config/default.toml), used when no `--config` is given.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/default.toml");

/// The name under which the embedded default reports errors.
pub const DEFAULT_CONFIG_NAME: &str = "<embedded config/default.toml>";

#[cfg(test)]
mod tests;
