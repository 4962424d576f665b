//! sluice configuration: TOML files in, a validated [`Pipeline`] out.
//!
//! Why a crate of its own: every component's settings are a contract with users (★ keys
//! in ARCHITECTURE.md), and validating them is separate from running them. The runtime
//! receives only a `Pipeline` in which every reference resolves, every condition and
//! template compiled, and every listener address is unique.
//!
//! Decisions:
//! - Component configs are closed enums dispatched on `type`, each a struct with
//!   `deny_unknown_fields`. A typo is an error, never silently ignored.
//! - Loading collects **every** problem before failing. Each [`ConfigError`] names the
//!   file, the component (`sources.syslog_udp`) and the key.
//! - Units are strings users can read: `"10MiB"`, `"1h"`, `"500ms"`.

mod error;
mod filters;
mod load;
mod model;
mod units;
mod validate;

pub use error::{ConfigError, ConfigErrors};
pub use load::{load_files, load_str};
pub use model::*;
pub use units::{parse_bytes, parse_duration};

/// The embedded default pipeline (config/default.toml), used when no `--config` is given.
pub const DEFAULT_CONFIG: &str = include_str!("../../../config/default.toml");

/// The name under which the embedded default reports errors.
pub const DEFAULT_CONFIG_NAME: &str = "<embedded config/default.toml>";

#[cfg(test)]
mod tests;
