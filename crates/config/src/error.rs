//! Config errors that say where: file, component, key.

use sluice_core::config::Problem;

/// One problem in the configuration: `file: [component] key `key`: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}{}: {message}", at_component(component), at_key(key))]
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

fn at_component(c: &str) -> String {
    if c.is_empty() {
        String::new()
    } else {
        format!(": [{c}]")
    }
}

fn at_key(k: &str) -> String {
    if k.is_empty() {
        String::new()
    } else {
        format!(" key `{k}`")
    }
}

/// Every problem found, in file order, one per line.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

fn lines(errors: &[ConfigError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
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
