//! Config errors that say where: file, component, key.

use sluice_core::config::Problem;
use std::fmt;

/// One problem in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or files, for whole-pipeline problems).
    pub file: String,
    /// `sources.syslog_udp`, `sinks.studio`, or empty for top-level keys.
    pub component: String,
    /// The key within the component (`address`, `buffer.max_events`), or empty.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.component.is_empty() {
            write!(f, ": [{}]", self.component)?;
        }
        if !self.key.is_empty() {
            write!(f, " key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// Collects errors with a fixed file and component.
pub(crate) struct Report<'a> {
    pub(crate) errors: &'a mut Vec<ConfigError>,
    pub(crate) file: &'a str,
    pub(crate) component: String,
}

impl Report<'_> {
    pub(crate) fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            file: self.file.to_owned(),
            component: self.component.clone(),
            key: key.into(),
            message: message.into(),
        });
    }

    /// The problems of a component's build step.
    pub(crate) fn problems(&mut self, problems: Vec<Problem>) {
        for p in problems {
            self.push(p.key, p.message);
        }
    }
}

impl std::error::Error for ConfigErrors {}
