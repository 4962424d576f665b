//! Building and running the graph.

use crate::chains::{run_chain, ChainOutputs, Stage};
use sluice_config::Pipeline;
use sluice_core::config::WhenFull;
use sluice_core::{ComponentKind, ComponentMetrics, Output, Selector, Target, Telemetry};
use sluice_event::EventBatch;
use sluice_sources::{Bound, SourceContext};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;
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

/// A running pipeline.
pub struct Running {
    shutdown: CancellationToken,
    reopen: Arc<std::sync::atomic::AtomicU64>,
    sources: Vec<JoinHandle<()>>,
    rest: Vec<JoinHandle<()>>,
    /// Cancelled when every source has finished on its own (standard input at its end).
    sources_finished: CancellationToken,
    /// Every component, for `/api/components`.
    pub components: Vec<ComponentInfo>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Running({} components)", self.components.len())
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
        self.sources_finished.cancelled().await
    }

    /// Starts a graceful shutdown: sources stop accepting and drain.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// The token that [`Running::shutdown`] cancels.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until every component has finished (after [`Running::shutdown`], or when
    /// every source has stopped on its own).
    pub async fn wait(self) {
        for h in self.sources {
            let _ = h.await;
        }
        for h in self.rest {
            let _ = h.await;
        }
    }
}

fn capacity(max_events: usize) -> usize {
    (max_events / 256).max(2)
}

/// Builds the graph and spawns every component. Must run inside a tokio runtime.
pub fn start(p: &Pipeline, mut bound: BTreeMap<String, Bound>, telemetry: &Telemetry) -> Running {
    let shutdown = CancellationToken::new();
    let reopen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut components = Vec::new();

    // Input buffers of transforms and sinks, and who feeds them. A transform fused into
    // the task of the one before it (chains.rs) has no buffer of its own.
    let chains = crate::chains::chains(p);
    let heads: std::collections::HashSet<&str> = chains.iter().map(|c| c[0].as_str()).collect();
    let mut rx_of: BTreeMap<String, mpsc::Receiver<EventBatch>> = BTreeMap::new();
    let mut targets_of: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    let mut metrics_of: BTreeMap<String, ComponentMetrics> = BTreeMap::new();
    for (id, t) in &p.transforms {
        let m = telemetry.component(id, t.type_name, ComponentKind::Transform);
        metrics_of.insert(id.clone(), m.clone());
        if !heads.contains(id.as_str()) {
            continue;
        }
        let (tx, rx) = mpsc::channel(capacity(10_000));
        rx_of.insert(id.clone(), rx);
        for i in &t.inputs {
            targets_of.entry(i.clone()).or_default().push(Target {
                tx: tx.clone(),
                drop_when_full: false,
                metrics: m.clone(),
                select: None,
            });
        }
    }
    for (id, s) in &p.sinks {
        let m = telemetry.component(id, s.type_name, ComponentKind::Sink);
        // In front of a disk buffer the memory buffer is only the way to disk: its
        // events are counted in the disk buffer's gauge, and the disk bounds them.
        if s.buffer.disk.is_none() {
            m.limit_buffer(s.buffer.max_events);
        }
        let (tx, rx) = mpsc::channel(capacity(s.buffer.max_events));
        rx_of.insert(id.clone(), rx);
        // A sink's `if` is applied at the fan-out, so that only the events it takes are
        // copied for it.
        let select: Option<Selector> = s.condition.clone().map(|c| {
            let f: Selector = Arc::new(move |e: &sluice_event::Event| c.matches(e));
            f
        });
        for i in &s.inputs {
            targets_of.entry(i.clone()).or_default().push(Target {
                tx: tx.clone(),
                drop_when_full: s.buffer.when_full == WhenFull::DropNewest,
                metrics: m.clone(),
                select: select.clone(),
            });
        }
        metrics_of.insert(id.clone(), m);
    }
    let mut output_of = |owner: &ComponentMetrics, id: &str| {
        Output::new(owner.clone(), targets_of.remove(id).unwrap_or_default())
    };

    // Storage usage of every sink, sampled in the background.
    {
        let sinks: Vec<_> = p
            .sinks
            .iter()
            .map(|(id, s)| {
                (
                    metrics_of[id].clone(),
                    s.sink.storage(&p.data_dir),
                    s.buffer.disk.is_some(),
                )
            })
            .collect();
        let (measured, dirs) = crate::storage::plan(telemetry, &p.data_dir, &sinks);
        tokio::spawn(crate::storage::monitor(telemetry.clone(), measured, dirs));
    }

    // Sinks first, so that nothing is sent before its reader exists.
    let mut rest = Vec::new();
    for (id, s) in &p.sinks {
        let mut rx = rx_of.remove(id).expect("every sink has an input buffer");
        let m = metrics_of[id].clone();
        let mut durable = None;
        if let Some(disk) = s.buffer.disk {
            let dir = sluice_buffer::dir(&p.data_dir, id);
            let config = sluice_buffer::DiskBufferConfig {
                max_bytes: disk.max_bytes,
                when_full: s.buffer.when_full,
                fsync_interval: disk.fsync_interval,
            };
            match sluice_buffer::DiskBuffer::start(dir.clone(), config, rx, m.clone()) {
                Ok(b) => {
                    rx = b.output;
                    durable = Some(b.durable);
                }
                Err(e) => {
                    // The sink runs without input: its events wait, and /health says why.
                    tracing::error!(component = %id, dir = %dir.display(), error = %e, "Cannot open the disk buffer.");
                    m.health.set_problem(format!(
                        "cannot open the disk buffer {}: {e}",
                        dir.display()
                    ));
                    let (_tx, empty) = mpsc::channel(1);
                    rx = empty;
                    std::mem::forget(_tx);
                }
            }
        }
        let ctx = sluice_sinks::SinkContext {
            id: id.clone(),
            data_dir: p.data_dir.clone(),
            metrics: m.clone(),
            reopen: reopen.clone(),
        };
        let h = s.sink.start(rx, ctx);
        match durable {
            // Shutdown waits until the disk buffer has everything on disk, not for the
            // sink to deliver it (an unreachable Elasticsearch would hold it for the
            // whole grace period): the rest is delivered after the next start.
            Some(d) => rest.push(tokio::spawn(async move {
                let _ = d.await;
                // A few seconds for the sink to deliver what it holds (fewer events
                // sent twice after the restart); then it is left behind.
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), h).await;
            })),
            None => rest.push(h),
        }
        components.push(ComponentInfo {
            id: id.clone(),
            kind: ComponentKind::Sink,
            component_type: s.type_name.into(),
            inputs: s.inputs.clone(),
            address: None,
            metrics: m,
        });
    }

    for chain in &chains {
        let head = chain[0].as_str();
        let rx = rx_of.remove(head).expect("every chain has an input buffer");
        let tail_id = chain.last().expect("chains are never empty");
        let tail = &metrics_of[tail_id];
        let out = ChainOutputs {
            default: output_of(tail, tail_id),
            named: p.transforms[tail_id]
                .transform
                .outputs()
                .iter()
                .map(|name| output_of(tail, &format!("{tail_id}.{name}")))
                .collect(),
        };
        let stages = chain
            .iter()
            .map(|id| Stage::new(p.transforms[id].clone(), metrics_of[id].clone()))
            .collect();
        // As many batches in flight as the runtime has worker threads.
        let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
        rest.push(tokio::spawn(run_chain(rx, stages, out, parallel)));
        for id in chain {
            let t = &p.transforms[id];
            components.push(ComponentInfo {
                id: id.clone(),
                kind: ComponentKind::Transform,
                component_type: t.type_name.into(),
                inputs: t.inputs.clone(),
                address: None,
                metrics: metrics_of[id].clone(),
            });
        }
    }

    let mut sources = Vec::new();
    let sources_finished = CancellationToken::new();
    let left = Arc::new(std::sync::atomic::AtomicUsize::new(
        p.sources.keys().filter(|k| bound.contains_key(*k)).count(),
    ));
    for (id, s) in &p.sources {
        let Some(b) = bound.remove(id) else { continue };
        let m = telemetry.component(id, s.config.type_name(), ComponentKind::Source);
        let address = b.local_addr().ok();
        let ctx = SourceContext {
            id: Arc::from(id.as_str()),
            config: s.config.clone(),
            output: output_of(&m, id),
            metrics: m.clone(),
            shutdown: shutdown.clone(),
            conn: Default::default(),
        };
        let (left, finished) = (left.clone(), sources_finished.clone());
        sources.push(tokio::spawn(async move {
            sluice_sources::serve(b, ctx).await;
            if left.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                finished.cancel();
            }
        }));
        components.push(ComponentInfo {
            id: id.clone(),
            kind: ComponentKind::Source,
            component_type: s.config.type_name().into(),
            inputs: Vec::new(),
            address,
            metrics: m,
        });
    }
    Running {
        shutdown,
        reopen,
        sources,
        rest,
        sources_finished,
        components,
    }
}
