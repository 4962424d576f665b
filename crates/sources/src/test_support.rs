//! Starting a source on port 0 against a channel, for the unit tests of every source.

use crate::SourceConfig;
use crate::{bind, serve, SourceContext};
use sluice_core::{ComponentKind, ComponentMetrics, Output, Target, Telemetry};
use sluice_event::{Event, EventBatch};
use std::net::SocketAddr;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The config of a source from TOML lines (`type = ...` and the rest), decoded through
/// the registry and built as the loader does it.
pub(crate) fn source_config(body: &str) -> SourceConfig {
    let mut t: toml::Table = toml::from_str(body).unwrap();
    let ty = t.remove("type").unwrap();
    let mut outer = toml::Table::new();
    outer.insert(ty.as_str().unwrap().to_owned(), toml::Value::Table(t));
    let c: SourceConfig = toml::Value::Table(outer).try_into().unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    let built = c.build(&mut b);
    assert!(b.into_problems().is_empty());
    built.unwrap()
}

/// A served source and what it produces.
pub(crate) struct Started {
    pub addr: SocketAddr,
    pub rx: mpsc::Receiver<EventBatch>,
    pub shutdown: CancellationToken,
    pub handle: tokio::task::JoinHandle<()>,
    pub metrics: ComponentMetrics,
}

/// Binds `c` (its address should have port 0) and serves it into a channel of `capacity`
/// batches.
pub(crate) async fn start(c: SourceConfig, capacity: usize) -> Started {
    let t = Telemetry::new();
    let metrics = t.component("s", c.type_name(), ComponentKind::Source);
    let sink_metrics = t.component("o", "blackhole", ComponentKind::Sink);
    let (tx, rx) = mpsc::channel(capacity);
    let bound = bind(&c, c.listener().unwrap().1).unwrap();
    let addr = bound.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let ctx = SourceContext {
        id: "s".into(),
        config: c,
        output: Output::new(
            metrics.clone(),
            vec![Target {
                tx,
                drop_when_full: false,
                metrics: sink_metrics,
                select: None,
            }],
        ),
        metrics: metrics.clone(),
        shutdown: shutdown.clone(),
        conn: Default::default(),
    };
    let handle = tokio::spawn(serve(bound, ctx));
    Started {
        addr,
        rx,
        shutdown,
        handle,
        metrics,
    }
}

/// Every event until the source has shut down and dropped its sender.
pub(crate) async fn collect(rx: &mut mpsc::Receiver<EventBatch>) -> Vec<Event> {
    let mut out = Vec::new();
    while let Some(b) = rx.recv().await {
        out.extend(b);
    }
    out
}
