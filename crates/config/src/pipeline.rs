//! The validated pipeline: every component built, every reference resolved.

use serde::Deserialize;
use sluice_core::config::BufferConfig;
use sluice_parse::condition::Condition;
use sluice_sinks::Sink;
use sluice_sources::SourceConfig;
use sluice_transforms::Transform;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A whole, validated configuration.
#[derive(Clone, Debug)]
pub struct Pipeline {
    /// Buffers, dead letters, state; relative sink paths resolve against it.
    pub data_dir: PathBuf,
    /// The admin HTTP server.
    pub admin: AdminConfig,
    /// How long shutdown may take to drain and flush before exiting anyway.
    pub shutdown_grace: Duration,
    /// Sources by id.
    pub sources: BTreeMap<String, SourceNode>,
    /// Transforms by id.
    pub transforms: BTreeMap<String, TransformNode>,
    /// Sinks by id.
    pub sinks: BTreeMap<String, SinkNode>,
    /// Where the configuration came from, for messages.
    pub files: Vec<String>,
}

/// `[admin]`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Where `/metrics`, `/health`, `/ready` and `/api/components` are served.
    pub address: SocketAddr,
    /// Set `enabled = false` to run without the admin HTTP server.
    pub enabled: bool,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            address: SocketAddr::from(([127, 0, 0, 1], 9600)),
            enabled: true,
        }
    }
}

/// A source and its settings.
#[derive(Clone, Debug)]
pub struct SourceNode {
    /// Its id.
    pub id: String,
    /// Its settings, checked.
    pub config: SourceConfig,
}

/// A built transform and its place in the graph.
#[derive(Clone, Debug)]
pub struct TransformNode {
    /// Its id.
    pub id: String,
    /// Its `type`.
    pub type_name: &'static str,
    /// The outputs it reads.
    pub inputs: Vec<String>,
    /// `if`: applies only where it holds; other events pass through unchanged.
    pub condition: Option<Condition>,
    /// The transform, ready to run.
    pub transform: Arc<dyn Transform>,
}

/// A built sink and its place in the graph.
#[derive(Clone, Debug)]
pub struct SinkNode {
    /// Its id.
    pub id: String,
    /// Its `type`.
    pub type_name: &'static str,
    /// The outputs it reads.
    pub inputs: Vec<String>,
    /// `if`: the sink writes only events where it holds.
    pub condition: Option<Condition>,
    /// Its input buffer.
    pub buffer: BufferConfig,
    /// The sink, ready to start.
    pub sink: Arc<dyn Sink>,
}

impl Pipeline {
    /// The component that produces `input`: a source id, a transform id (its default
    /// output), or `<transform>.<output>` of a transform with named outputs. `Err` says
    /// why not.
    pub fn producer_of<'a>(&'a self, input: &'a str) -> Result<&'a str, String> {
        if self.sources.contains_key(input) {
            return Ok(input);
        }
        if let Some(t) = self.transforms.get(input) {
            if t.transform.has_default_output() {
                return Ok(input);
            }
            let outputs = t.transform.outputs();
            let (named, reserved): (Vec<&str>, Vec<&str>) = outputs
                .iter()
                .map(String::as_str)
                .partition(|n| !n.starts_with('_'));
            let reserved: Vec<String> = reserved.iter().map(|r| format!("`{input}.{r}`")).collect();
            return Err(format!(
                "`{input}` is a {}: take one of its outputs, `{input}.<name>` ({}) or {}",
                t.type_name,
                named.join(", "),
                reserved.join(" or ")
            ));
        }
        if let Some((id, out)) = input.split_once('.') {
            if let Some((tid, t)) = self.transforms.get_key_value(id) {
                if t.transform.outputs().iter().any(|n| n == out) {
                    return Ok(tid.as_str());
                }
                return Err(format!("{} `{id}` has no output `{out}`", t.type_name));
            }
        }
        if self.sinks.contains_key(input) {
            return Err(format!(
                "unknown input `{input}` (it is a sink; sinks produce nothing)"
            ));
        }
        let mut known: Vec<String> = self.sources.keys().cloned().collect();
        for (id, t) in &self.transforms {
            if t.transform.has_default_output() {
                known.push(id.clone());
            }
            known.extend(t.transform.outputs().iter().map(|o| format!("{id}.{o}")));
        }
        match crate::suggest::closest(input, known.iter().map(String::as_str)) {
            Some(c) => Err(format!("unknown input `{input}`; did you mean `{c}`?")),
            None => Err(format!("unknown input `{input}`")),
        }
    }
}
