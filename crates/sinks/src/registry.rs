//! The sink types of the config language (★ `type = "..."`): one line each.

use crate::Sink;
use serde::Deserialize;
use sluice_core::config::Build;
use std::sync::Arc;

macro_rules! registry {
    ($($name:literal => $variant:ident($config:path)),* $(,)?) => {
        /// A sink's config, by type.
        #[derive(Debug, Deserialize)]
        pub enum SinkConfig {
            $(
                #[doc = concat!("`type = \"", $name, "\"`")]
                #[serde(rename = $name)]
                $variant($config),
            )*
        }

        impl SinkConfig {
            /// Every type name, as written in the config.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The type name, as written in the config.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(SinkConfig::$variant(_) => $name,)*
                }
            }

            /// Validates and compiles the sink; problems go to `b`.
            pub fn build(self, b: &mut Build<'_>) -> Option<Arc<dyn Sink>> {
                match self {
                    $(SinkConfig::$variant(c) => c.build(b).map(|s| Arc::new(s) as Arc<dyn Sink>),)*
                }
            }
        }
    };
}

registry! {
    "file" => File(crate::file::Config),
    "console" => Console(crate::console::Config),
    "blackhole" => Blackhole(crate::console::BlackholeConfig),
}
