//! The transform types of the config language (★ `type = "..."`): one line each.
//!
//! The loader decodes `{ <type> = <the component's other keys> }` into
//! [`TransformConfig`], so serde picks the module by its type name and reports an unknown
//! one with the list of known ones, and the path of every error inside a component stays
//! exact.

use crate::Transform;
use serde::Deserialize;
use sluice_core::config::Build;
use std::sync::Arc;

macro_rules! registry {
    ($($name:literal => $variant:ident($config:path)),* $(,)?) => {
        /// A transform's config, by type.
        #[derive(Debug, Deserialize)]
        pub enum TransformConfig {
            $(
                #[doc = concat!("`type = \"", $name, "\"`")]
                #[serde(rename = $name)]
                $variant($config),
            )*
        }

        impl TransformConfig {
            /// Every type name, as written in the config.
            pub const TYPES: &'static [&'static str] = &[$($name),*];

            /// The type name, as written in the config.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(TransformConfig::$variant(_) => $name,)*
                }
            }

            /// Validates and compiles the transform; problems go to `b`.
            pub fn build(self, b: &mut Build<'_>) -> Option<Arc<dyn Transform>> {
                match self {
                    $(TransformConfig::$variant(c) => c.build(b).map(|t| Arc::new(t) as Arc<dyn Transform>),)*
                }
            }
        }
    };
}

registry! {
    "grok" => Grok(crate::grok::Config),
    "date" => Date(crate::date::Config),
    "dissect" => Dissect(crate::dissect::Config),
    "json" => Json(crate::json::Config),
    "kv" => Kv(crate::kv::Config),
    "mutate" => Mutate(crate::mutate::Config),
    "redact" => Redact(crate::redact::Config),
    "route" => Route(crate::route::Config),
    "filter" => Filter(crate::filter::FilterConfig),
    "drop" => Drop(crate::filter::DropConfig),
}
