//! ★ metric names, registered once per process into a registry the runtime owns.

use crate::labels::{DropReason, ErrorType};
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What kind of component a metric belongs to (the `component_kind` of the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    /// Where events enter.
    Source,
    /// Between sources and sinks.
    Transform,
    /// Where events leave.
    Sink,
}

/// The process-wide registry and the ★ metric families (docs/ARCHITECTURE.md).
#[derive(Clone)]
pub struct Telemetry {
    registry: Registry,
    events_received: IntCounterVec,
    bytes_received: IntCounterVec,
    events_sent: IntCounterVec,
    events_dropped: IntCounterVec,
    errors: IntCounterVec,
    acks: IntCounterVec,
    redactions: IntCounterVec,
    items: IntCounterVec,
    sink_bytes: IntCounterVec,
    endpoint_up: IntGaugeVec,
    buffer_events: IntGaugeVec,
    buffer_bytes: IntGaugeVec,
    buffer_corrupt: IntCounterVec,
    buffer_syncs: IntCounterVec,
    storage_bytes: IntGaugeVec,
    fs_free: IntGaugeVec,
    fs_size: IntGaugeVec,
    request_duration: HistogramVec,
    connections: IntGaugeVec,
    config_reloads: IntCounterVec,
    alerts_fired: IntCounterVec,
    alerts_firing: IntGaugeVec,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Telemetry")
    }
}

const L: &[&str] = &["component", "component_type"];

fn counter(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("static metric definition");
    r.register(Box::new(c.clone()))
        .expect("metric registered once");
    c
}

fn gauge(r: &Registry, name: &str, help: &str) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), L).expect("static metric definition");
    r.register(Box::new(g.clone()))
        .expect("metric registered once");
    g
}

impl Telemetry {
    /// A fresh registry with the ★ families and the process collector.
    pub fn new() -> Self {
        let registry = Registry::new();
        #[cfg(target_os = "linux")]
        {
            // Failing to read /proc is not a reason to run without metrics.
            let _ = registry.register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ));
        }
        let r = &registry;
        let request_duration = HistogramVec::new(
            HistogramOpts::new(
                "sluice_sink_request_duration_seconds",
                "Time a sink took to write or send one batch.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0,
            ]),
            L,
        )
        .expect("static metric definition");
        registry
            .register(Box::new(request_duration.clone()))
            .expect("metric registered once");
        Telemetry {
            events_received: counter(
                r,
                "sluice_events_received_total",
                "Events a component took in.",
                L,
            ),
            bytes_received: counter(
                r,
                "sluice_bytes_received_total",
                "Bytes a component took in.",
                L,
            ),
            events_sent: counter(
                r,
                "sluice_events_sent_total",
                "Events a component passed on or wrote.",
                L,
            ),
            events_dropped: counter(
                r,
                "sluice_events_dropped_total",
                "Events a component dropped, by reason.",
                &["component", "component_type", "reason"],
            ),
            errors: counter(
                r,
                "sluice_component_errors_total",
                "Errors in a component, by type: parse failures, I/O, protocol.",
                &["component", "component_type", "error_type"],
            ),
            acks: counter(
                r,
                "sluice_acks_sent_total",
                "Acknowledgements a source sent to its clients, by kind (ack, keepalive).",
                &["component", "component_type", "kind"],
            ),
            redactions: counter(
                r,
                "sluice_redactions_total",
                "Secrets and personal data a redact transform replaced, by detector.",
                &["component", "component_type", "detector"],
            ),
            items: counter(
                r,
                "sluice_sink_items_total",
                "Items a sink sent to a remote service, by outcome (delivered, duplicate, retried, dead_letter) and status.",
                &["component", "component_type", "outcome", "status"],
            ),
            sink_bytes: counter(
                r,
                "sluice_sink_bytes_total",
                "Bytes a sink encoded, and sent on the wire (after compression).",
                &["component", "component_type", "stage"],
            ),
            endpoint_up: {
                let g = IntGaugeVec::new(
                    Opts::new("sluice_sink_endpoint_up", "1 while a sink's endpoint answers, 0 while it does not."),
                    &["component", "component_type", "endpoint"],
                )
                .expect("static metric definition");
                r.register(Box::new(g.clone())).expect("metric registered once");
                g
            },
            buffer_events: gauge(
                r,
                "sluice_buffer_events",
                "Events waiting in a component's input buffer.",
            ),
            buffer_bytes: gauge(
                r,
                "sluice_buffer_bytes",
                "Approximate bytes waiting in a component's input buffer.",
            ),
            buffer_corrupt: counter(
                r,
                "sluice_buffer_corrupt_records_total",
                "Damaged records a disk buffer found and cut off (a torn tail counts once).",
                L,
            ),
            buffer_syncs: counter(
                r,
                "sluice_buffer_syncs_total",
                "fsyncs of a disk buffer's segments (one covers every batch waiting for it).",
                L,
            ),
            storage_bytes: {
                let g = IntGaugeVec::new(
                    Opts::new("sluice_storage_bytes", "Bytes a sink keeps on disk, by kind: its files, its disk buffer, its dead letters."),
                    &["component", "component_type", "kind"],
                )
                .expect("static metric definition");
                r.register(Box::new(g.clone())).expect("metric registered once");
                g
            },
            fs_free: {
                let g = IntGaugeVec::new(
                    Opts::new("sluice_filesystem_free_bytes", "Free bytes (for unprivileged users) of the file system holding a directory sluice writes to."),
                    &["path"],
                )
                .expect("static metric definition");
                r.register(Box::new(g.clone())).expect("metric registered once");
                g
            },
            fs_size: {
                let g = IntGaugeVec::new(
                    Opts::new("sluice_filesystem_size_bytes", "Size of the file system holding a directory sluice writes to."),
                    &["path"],
                )
                .expect("static metric definition");
                r.register(Box::new(g.clone())).expect("metric registered once");
                g
            },
            connections: gauge(
                r,
                "sluice_connections_active",
                "Open connections of a source.",
            ),
            request_duration,
            alerts_fired: counter(
                r,
                "sluice_alerts_fired_total",
                "Alerts raised by alert transforms, by rule and severity.",
                &["rule", "severity"],
            ),
            alerts_firing: {
                let g = IntGaugeVec::new(
                    Opts::new("sluice_alerts_firing", "Alert rule groups firing now, by rule."),
                    &["rule"],
                )
                .expect("static metric definition");
                r.register(Box::new(g.clone())).expect("metric registered once");
                g
            },
            config_reloads: {
                let c = counter(
                    r,
                    "sluice_config_reloads_total",
                    "Configuration reloads (SIGHUP, --watch-config), by result: ok or error.",
                    &["result"],
                );
                for result in ["ok", "error"] {
                    c.with_label_values(&[result]);
                }
                c
            },
            registry,
        }
    }

    /// Counts one configuration reload: `ok` or `error`.
    pub fn config_reload(&self, result: &str) {
        self.config_reloads.with_label_values(&[result]).inc();
    }

    /// `sluice_filesystem_free_bytes` and `sluice_filesystem_size_bytes` of `path`.
    pub fn filesystem(&self, path: &str) -> (IntGauge, IntGauge) {
        (
            self.fs_free.with_label_values(&[path]),
            self.fs_size.with_label_values(&[path]),
        )
    }

    /// `sluice_storage_bytes` of one component and kind.
    pub fn storage_bytes(&self, m: &ComponentMetrics, kind: &str) -> IntGauge {
        self.storage_bytes
            .with_label_values(&[&m.id, &m.component_type, kind])
    }

    /// The registry `/metrics` renders.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The label-bound handles for one component. The standard counters are created at
    /// zero so that every component shows up in `/metrics` from the start.
    pub fn component(
        &self,
        id: &str,
        component_type: &str,
        kind: ComponentKind,
    ) -> ComponentMetrics {
        let l = [id, component_type];
        ComponentMetrics {
            id: id.to_owned(),
            component_type: component_type.to_owned(),
            kind,
            events_received: self.events_received.with_label_values(&l),
            bytes_received: self.bytes_received.with_label_values(&l),
            events_sent: self.events_sent.with_label_values(&l),
            buffer_events: self.buffer_events.with_label_values(&l),
            buffer_bytes: self.buffer_bytes.with_label_values(&l),
            connections: (kind == ComponentKind::Source)
                .then(|| self.connections.with_label_values(&l)),
            request_duration: (kind == ComponentKind::Sink)
                .then(|| self.request_duration.with_label_values(&l)),
            health: crate::Health::default(),
            limiters: Default::default(),
            room: Default::default(),
            dropped: self.events_dropped.clone(),
            errors: self.errors.clone(),
            acks: self.acks.clone(),
            redactions: self.redactions.clone(),
            items: self.items.clone(),
            sink_bytes: self.sink_bytes.clone(),
            endpoint_up: self.endpoint_up.clone(),
            buffer_corrupt: self.buffer_corrupt.clone(),
            buffer_syncs: self.buffer_syncs.clone(),
            alerts_fired: self.alerts_fired.clone(),
            alerts_firing: self.alerts_firing.clone(),
        }
    }
}

impl Default for Telemetry {
    fn default() -> Self {
        Self::new()
    }
}

/// One component's metrics, labels bound.
#[derive(Clone)]
pub struct ComponentMetrics {
    /// The component's id.
    pub id: String,
    /// Its `type`.
    pub component_type: String,
    /// Source, transform or sink.
    pub kind: ComponentKind,
    /// `sluice_events_received_total`.
    pub events_received: IntCounter,
    /// `sluice_bytes_received_total`.
    pub bytes_received: IntCounter,
    /// `sluice_events_sent_total`.
    pub events_sent: IntCounter,
    /// `sluice_buffer_events`: events waiting in its input buffer.
    pub buffer_events: IntGauge,
    /// `sluice_buffer_bytes`.
    pub buffer_bytes: IntGauge,
    /// `sluice_connections_active` (sources only).
    pub connections: Option<IntGauge>,
    /// `sluice_sink_request_duration_seconds` (sinks only).
    pub request_duration: Option<Histogram>,
    /// Its current problem, for `/health` and `/ready`.
    pub health: crate::Health,
    /// The room left in its input buffer, in events, when that is bounded (sinks).
    room: Arc<std::sync::OnceLock<crate::BufferRoom>>,
    /// One log limiter per kind of problem, shared by every handle of the component.
    limiters: Arc<Mutex<HashMap<&'static str, Arc<crate::Limiter>>>>,
    dropped: IntCounterVec,
    errors: IntCounterVec,
    acks: IntCounterVec,
    redactions: IntCounterVec,
    items: IntCounterVec,
    sink_bytes: IntCounterVec,
    endpoint_up: IntGaugeVec,
    buffer_corrupt: IntCounterVec,
    buffer_syncs: IntCounterVec,
    alerts_fired: IntCounterVec,
    alerts_firing: IntGaugeVec,
}

impl std::fmt::Debug for ComponentMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ComponentMetrics({})", self.id)
    }
}

impl ComponentMetrics {
    /// Counts `n` events dropped for `reason`.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        self.dropped_counter(reason).inc_by(n);
    }

    /// A bound counter for a frequent drop reason.
    pub fn dropped_counter(&self, reason: DropReason) -> IntCounter {
        self.dropped
            .with_label_values(&[&self.id, &self.component_type, reason.as_str()])
    }

    /// Counts one error of `error_type`.
    pub fn error(&self, error_type: ErrorType) {
        self.error_counter(error_type).inc();
    }

    /// A bound counter of acknowledgements sent, by kind (`ack`, `keepalive`).
    pub fn acks_counter(&self, kind: &str) -> IntCounter {
        self.acks
            .with_label_values(&[&self.id, &self.component_type, kind])
    }

    /// A bound counter of redactions by one detector.
    pub fn redactions_counter(&self, detector: &str) -> IntCounter {
        self.redactions
            .with_label_values(&[&self.id, &self.component_type, detector])
    }

    /// A bound counter of items sent to a remote service, by outcome and status.
    pub fn items_counter(&self, outcome: &str, status: &str) -> IntCounter {
        self.items
            .with_label_values(&[&self.id, &self.component_type, outcome, status])
    }

    /// A bound counter of bytes a sink encoded (`stage = "encoded"`) or sent (`"sent"`).
    pub fn bytes_counter(&self, stage: &str) -> IntCounter {
        self.sink_bytes
            .with_label_values(&[&self.id, &self.component_type, stage])
    }

    /// The up gauge of one endpoint of a sink.
    pub fn endpoint_up(&self, endpoint: &str) -> IntGauge {
        self.endpoint_up
            .with_label_values(&[&self.id, &self.component_type, endpoint])
    }

    /// `sluice_buffer_corrupt_records_total` of its disk buffer.
    pub fn buffer_corrupt_counter(&self) -> IntCounter {
        self.buffer_corrupt
            .with_label_values(&[&self.id, &self.component_type])
    }

    /// `sluice_buffer_syncs_total` of its disk buffer.
    pub fn buffer_syncs_counter(&self) -> IntCounter {
        self.buffer_syncs
            .with_label_values(&[&self.id, &self.component_type])
    }

    /// Bounds the component's input buffer to `max_events` events (once; later calls
    /// keep the first bound).
    pub fn limit_buffer(&self, max_events: usize) {
        let _ = self.room.set(crate::BufferRoom::new(max_events));
    }

    /// `sluice_alerts_fired_total{rule,severity}` and `sluice_alerts_firing{rule}`.
    pub fn alert_metrics(&self, rule: &str, severity: &str) -> (IntCounter, IntGauge) {
        (
            self.alerts_fired.with_label_values(&[rule, severity]),
            self.alerts_firing.with_label_values(&[rule]),
        )
    }

    /// The room left in its input buffer, when it is bounded.
    pub fn buffer_room(&self) -> Option<&crate::BufferRoom> {
        self.room.get()
    }

    /// The log limiter of one kind of problem of this component.
    pub(crate) fn limiter(&self, kind: &'static str) -> Arc<crate::Limiter> {
        match self.limiters.lock() {
            Ok(mut m) => m.entry(kind).or_default().clone(),
            Err(_) => Arc::default(),
        }
    }

    /// Errors of `kind`, counted and logged (rate-limited) through one handle.
    pub fn noted(&self, kind: ErrorType) -> crate::Noted {
        crate::Noted::new(self, kind)
    }

    /// Drops for `reason`, counted and logged (rate-limited) through one handle.
    pub fn noted_drop(&self, reason: DropReason) -> crate::Noted {
        crate::Noted::dropped(self, reason)
    }

    /// A bound counter for a frequent error type.
    pub fn error_counter(&self, error_type: ErrorType) -> IntCounter {
        self.errors
            .with_label_values(&[&self.id, &self.component_type, error_type.as_str()])
    }
}
