//! `ecs_compatibility`, as Logstash 8's plugins read it: where a filter puts what it
//! adds. `v8` (Logstash 8's default) and `v1` use the Elastic Common Schema's fields;
//! `disabled` the plugin's historical top-level names.

use serde::Deserialize;

/// A filter's ECS mode.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum Ecs {
    /// Historical top-level field names.
    #[serde(rename = "disabled")]
    Disabled,
    /// ECS 1.x.
    #[serde(rename = "v1")]
    V1,
    /// ECS 8.x (the default, as in Logstash 8).
    #[default]
    #[serde(rename = "v8")]
    V8,
}

impl Ecs {
    /// Whether ECS field names are used.
    pub fn on(self) -> bool {
        self != Ecs::Disabled
    }
}
