//! The sink types of the config language (★ `type = "..."`): one line each.

use crate::Sink;
use std::sync::Arc;

fn into_dyn<T: Sink + 'static>(s: T) -> Arc<dyn Sink> {
    Arc::new(s)
}

sluice_core::registry! {
    /// A sink's config, by type.
    pub enum SinkConfig -> Arc<dyn Sink>, wrap = into_dyn;
    "file" => File(crate::file::Config),
    "console" => Console(crate::console::Config),
    "blackhole" => Blackhole(crate::console::BlackholeConfig),
    "elasticsearch" => Elasticsearch(crate::elasticsearch::Config),
    "webhook" => Webhook(crate::webhook::Config),
}
