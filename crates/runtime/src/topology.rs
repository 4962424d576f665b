//! Building and running the graph.

use crate::graph::Graph;
use sluice_config::Pipeline;
use sluice_core::{ComponentKind, ComponentMetrics, Output, Switch, Telemetry};
use sluice_sources::{Bound, SourceContext};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A listener that could not be bound; the message names the likely fix.
#[derive(Debug, thiserror::Error)]
#[error(
    "sources.{component}: cannot listen on {address}: {error}{}",
    fix(error)
)]
pub struct BindError {
    /// The source's id.
    pub component: String,
    /// The address it tried.
    pub address: SocketAddr,
    /// Why the OS refused.
    pub error: std::io::Error,
}

/// What to do about a bind error, when we know.
fn fix(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => " (ports below 1024 need root or CAP_NET_BIND_SERVICE: run `sudo setcap cap_net_bind_service=+ep $(which sluice)`, or choose a port >= 1024)",
        std::io::ErrorKind::AddrInUse => " (another process already listens there: stop it or choose another port)",
        _ => "",
    }
}

/// Binds every source's listener. `port_override` replaces the port of addresses whose
/// port matches its first element (used for the embedded default's 514 -> 5514 fallback).
pub fn bind_sources(
    p: &Pipeline,
    port_override: Option<(u16, u16)>,
) -> Result<BTreeMap<String, Bound>, BindError> {
    let mut out = BTreeMap::new();
    for (id, node) in &p.sources {
        let Some((_, mut addr)) = node.config.listener() else {
            out.insert(id.clone(), Bound::Stdin);
            continue;
        };
        if let Some((from, to)) = port_override {
            if addr.port() == from {
                addr.set_port(to);
            }
        }
        let b = sluice_sources::bind(&node.config, addr).map_err(|error| BindError {
            component: id.clone(),
            address: addr,
            error,
        })?;
        out.insert(id.clone(), b);
    }
    Ok(out)
}

/// What `/api/components` shows.
#[derive(Clone, Debug)]
pub struct ComponentInfo {
    /// Its id.
    pub id: String,
    /// Source, transform or sink.
    pub kind: ComponentKind,
    /// Its `type`.
    pub component_type: String,
    /// The outputs it reads.
    pub inputs: Vec<String>,
    /// The address actually bound, for sources.
    pub address: Option<SocketAddr>,
    /// Its metrics.
    pub metrics: ComponentMetrics,
}

/// One running source: its task, its own stop token, and the switch its output goes
/// through (which a reload repoints).
pub(crate) struct SourceRun {
    pub(crate) task: JoinHandle<()>,
    pub(crate) stop: CancellationToken,
    pub(crate) switch: Arc<Switch>,
    /// What it listens on.
    pub(crate) listener: Option<(sluice_sources::Transport, SocketAddr)>,
    /// Its parsed config, as compared at a reload (unchanged: it keeps running).
    pub(crate) fingerprint: String,
    pub(crate) info: ComponentInfo,
}

/// Sources still running; the last to finish on its own (standard input at its end)
/// cancels `finished`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Finish {
    pub(crate) left: Arc<std::sync::atomic::AtomicUsize>,
    pub(crate) finished: CancellationToken,
}

impl Finish {
    /// One source fewer; the last one cancels `finished`.
    pub(crate) fn one_done(&self) {
        if self.left.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            self.finished.cancel();
        }
    }

    /// One source more (or a reload in progress, which must not look like the end).
    pub(crate) fn one_more(&self) {
        self.left.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// A running pipeline.
pub struct Running {
    pub(crate) shutdown: CancellationToken,
    pub(crate) reopen: Arc<std::sync::atomic::AtomicU64>,
    pub(crate) sources: BTreeMap<String, SourceRun>,
    pub(crate) graph: Graph,
    /// When every source has finished on its own.
    pub(crate) finish: Finish,
    /// Every component, for `/api/components`; replaced at each reload.
    pub components: Arc<std::sync::RwLock<Vec<ComponentInfo>>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Running({} sources)", self.sources.len())
    }
}

impl Running {
    /// Asks every file sink to close its files and open them again by name at its next
    /// write (after logrotate moved them).
    pub fn reopen_files(&self) {
        self.reopen
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Returns once every source has finished on its own, as a `stdin` source does at
    /// the end of its input (listeners finish only at shutdown).
    pub async fn sources_finished(&self) {
        self.finish.finished.cancelled().await
    }

    /// Starts a graceful shutdown: sources stop accepting and drain.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// The token that [`Running::shutdown`] cancels.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// The components now, for logs and `/api/components`.
    pub fn component_list(&self) -> Vec<ComponentInfo> {
        self.components
            .read()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// Waits until every component has finished (after [`Running::shutdown`], or when
    /// every source has stopped on its own).
    pub async fn wait(self) {
        for (_, s) in self.sources {
            let _ = s.task.await;
        }
        self.graph.wait().await;
    }

    pub(crate) fn refresh_components(&self) {
        let mut all: Vec<ComponentInfo> = self.sources.values().map(|s| s.info.clone()).collect();
        all.extend(self.graph.components.iter().cloned());
        if let Ok(mut c) = self.components.write() {
            *c = all;
        }
    }
}

/// A source's config as compared at a reload.
pub(crate) fn fingerprint(s: &sluice_config::SourceNode) -> String {
    format!("{:?}", s.config)
}

/// Spawns source `id` on `bound`, sending through `switch`, stopped by `stop`.
pub(crate) fn spawn_source(
    id: &str,
    s: &sluice_config::SourceNode,
    bound: Bound,
    switch: Arc<Switch>,
    stop: CancellationToken,
    telemetry: &Telemetry,
    finish: &Finish,
) -> SourceRun {
    let m = telemetry.component(id, s.config.type_name(), ComponentKind::Source);
    let address = bound.local_addr().ok();
    let ctx = SourceContext {
        id: Arc::from(id),
        config: s.config.clone(),
        output: Output::switched(m.clone(), switch.clone()),
        metrics: m.clone(),
        shutdown: stop.clone(),
        conn: Default::default(),
    };
    finish.one_more();
    let finish = finish.clone();
    let task = tokio::spawn(async move {
        sluice_sources::serve(bound, ctx).await;
        finish.one_done();
    });
    SourceRun {
        task,
        stop,
        switch,
        listener: s.config.listener(),
        fingerprint: fingerprint(s),
        info: ComponentInfo {
            id: id.to_owned(),
            kind: ComponentKind::Source,
            component_type: s.config.type_name().into(),
            inputs: Vec::new(),
            address,
            metrics: m,
        },
    }
}

/// Builds the graph and spawns every component. Must run inside a tokio runtime.
pub fn start(p: &Pipeline, mut bound: BTreeMap<String, Bound>, telemetry: &Telemetry) -> Running {
    let shutdown = CancellationToken::new();
    let reopen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut graph = crate::graph::start_graph(p, telemetry, &reopen, BTreeMap::new());
    let finish = Finish::default();
    let mut sources = BTreeMap::new();
    for (id, s) in &p.sources {
        let Some(b) = bound.remove(id) else { continue };
        let switch = Switch::new(graph.source_targets.remove(id).unwrap_or_default());
        let run = spawn_source(id, s, b, switch, shutdown.child_token(), telemetry, &finish);
        sources.insert(id.clone(), run);
    }
    let running = Running {
        shutdown,
        reopen,
        sources,
        graph,
        finish,
        components: Default::default(),
    };
    running.refresh_components();
    running
}
