//! The part of the graph behind the sources: transforms (fused into chains) and sinks,
//! with their input buffers. Started as a whole, at start and at each reload; the
//! sources are told where to send through [`Graph::source_targets`].

use crate::chains::{run_chain, ChainOutputs, Stage};
use crate::topology::ComponentInfo;
use sluice_config::Pipeline;
use sluice_core::config::WhenFull;
use sluice_core::{ComponentKind, ComponentMetrics, Output, Selector, Target, Telemetry};
use sluice_event::EventBatch;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

fn capacity(max_events: usize) -> usize {
    (max_events / 256).max(2)
}

/// A running sink: its input and task, kept across a reload when its settings stay.
pub(crate) struct SinkRun {
    pub(crate) tx: mpsc::Sender<EventBatch>,
    pub(crate) task: JoinHandle<()>,
    /// Its settings (not its inputs), as compared at a reload.
    pub(crate) fingerprint: String,
    /// Its metrics, which hold its input buffer's bound: senders of a new graph must
    /// reserve room on the same one the running sink releases.
    pub(crate) metrics: ComponentMetrics,
}

/// A sink's settings as compared at a reload: everything but where its events come from.
pub(crate) fn sink_fingerprint(s: &sluice_config::SinkNode) -> String {
    format!(
        "{} {:?} {:?} {:?}",
        s.type_name, s.condition, s.buffer, s.sink
    )
}

/// The running transforms and sinks of one pipeline.
pub(crate) struct Graph {
    /// Chain tasks: they end once their inputs close.
    pub(crate) tasks: Vec<JoinHandle<()>>,
    /// Sinks by id: they end once their input closes and they have flushed.
    pub(crate) sinks: BTreeMap<String, SinkRun>,
    /// The storage sampler, stopped with the graph.
    pub(crate) monitor: JoinHandle<()>,
    /// What each source sends to, by source id (taken when the sources are wired).
    pub(crate) source_targets: BTreeMap<String, Vec<Target>>,
    /// Its transforms and sinks, for `/api/components`.
    pub(crate) components: Vec<ComponentInfo>,
}

impl Graph {
    /// A graph with nothing in it (while a reload swaps graphs).
    pub(crate) fn empty() -> Graph {
        Graph {
            tasks: Vec::new(),
            sinks: BTreeMap::new(),
            monitor: tokio::spawn(async {}),
            source_targets: BTreeMap::new(),
            components: Vec::new(),
        }
    }

    /// Waits until every task has finished (its inputs closed and it flushed).
    pub(crate) async fn wait(self) {
        for h in self.tasks {
            let _ = h.await;
        }
        for (_, s) in self.sinks {
            drop(s.tx);
            let _ = s.task.await;
        }
        self.monitor.abort();
    }
}

/// Builds and spawns the transforms and sinks of `p`; the sinks in `keep` (same id and
/// settings, still running) are reused as they are. Must run inside a tokio runtime.
pub(crate) fn start_graph(
    p: &Pipeline,
    telemetry: &Telemetry,
    reopen: &Arc<std::sync::atomic::AtomicU64>,
    mut keep: BTreeMap<String, SinkRun>,
) -> Graph {
    let mut components = Vec::new();
    // Input buffers of transforms and sinks, and who feeds them. A transform fused into
    // the task of the one before it (chains.rs) has no buffer of its own.
    let chains = crate::chains::chains(p);
    let heads: std::collections::HashSet<&str> = chains.iter().map(|c| c[0].as_str()).collect();
    let mut rx_of: BTreeMap<String, mpsc::Receiver<EventBatch>> = BTreeMap::new();
    let mut targets_of: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    let mut tx_of: BTreeMap<String, mpsc::Sender<EventBatch>> = BTreeMap::new();
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
        let m = match keep.get(id) {
            Some(k) => k.metrics.clone(),
            None => telemetry.component(id, s.type_name, ComponentKind::Sink),
        };
        // In front of a disk buffer the memory buffer is only the way to disk: its
        // events are counted in the disk buffer's gauge, and the disk bounds them.
        if s.buffer.disk.is_none() {
            m.limit_buffer(s.buffer.max_events);
        }
        let tx = match keep.get(id) {
            Some(k) => k.tx.clone(),
            None => {
                let (tx, rx) = mpsc::channel(capacity(s.buffer.max_events));
                rx_of.insert(id.clone(), rx);
                tx
            }
        };
        tx_of.insert(id.clone(), tx.clone());
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
    let monitor;
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
        monitor = tokio::spawn(crate::storage::monitor(telemetry.clone(), measured, dirs));
    }

    // Sinks first, so that nothing is sent before its reader exists.
    let mut rest = Vec::new();
    let mut sinks = BTreeMap::new();
    for (id, s) in &p.sinks {
        let info = ComponentInfo {
            id: id.clone(),
            kind: ComponentKind::Sink,
            component_type: s.type_name.into(),
            inputs: s.inputs.clone(),
            address: None,
            metrics: metrics_of[id].clone(),
        };
        if let Some(k) = keep.remove(id) {
            components.push(info);
            sinks.insert(id.clone(), k);
            continue;
        }
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
                    durable = Some((b.durable, b.ledger));
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
        let task = match durable {
            // Shutdown waits until the disk buffer has everything on disk, not for the
            // sink to deliver it (an unreachable Elasticsearch would hold it for the
            // whole grace period): the rest is delivered after the next start.
            Some((d, ledger)) => tokio::spawn(async move {
                let _ = d.await;
                // A few seconds for the sink to deliver what it holds (fewer events
                // sent twice after the restart). After that the ledger stops: the
                // sink is left behind, and whatever it still holds is dropped at exit,
                // which must not count as delivered.
                if tokio::time::timeout(std::time::Duration::from_secs(5), h)
                    .await
                    .is_err()
                {
                    ledger.hold();
                }
            }),
            None => h,
        };
        sinks.insert(
            id.clone(),
            SinkRun {
                tx: tx_of[id].clone(),
                task,
                fingerprint: sink_fingerprint(s),
                metrics: m.clone(),
            },
        );
        components.push(info);
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
            .map(|id| {
                Stage::new(p.transforms[id].clone(), metrics_of[id].clone())
                    .with_state(id, &p.data_dir)
            })
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

    let source_targets = p
        .sources
        .keys()
        .map(|id| (id.clone(), targets_of.remove(id).unwrap_or_default()))
        .collect();
    Graph {
        tasks: rest,
        sinks,
        monitor,
        source_targets,
        components,
    }
}
