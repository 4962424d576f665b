//! Fusing linear runs of transforms into one task.
//!
//! The studio pipeline is eleven transforms in a row. Run as eleven tasks joined by eleven
//! bounded channels, it spent most of its CPU handing batches from task to task and held
//! eleven buffers of events in memory (measured: 130k msgs/s, 561 MiB). A transform
//! whose only input is a transform that feeds nothing else now runs straight after it,
//! on the same batch. Metrics stay per transform.
//!
//! A chain then works on several batches at once, one task each, and puts them back in
//! arrival order before handing them on ([`run_chain`]).

use sluice_config::{Pipeline, TransformNode};
use sluice_core::{ComponentMetrics, DropReason, Output};
use sluice_event::EventBatch;
use sluice_transforms::Run;
use std::collections::HashMap;

/// The transform that `t` can run after, in the same task, if any: its only input is
/// the default output of a transform that feeds nothing else and has no named outputs.
/// An ordered transform (one batch at a time) starts a chain of its own, so that the
/// transforms before it keep running several batches at once; ordered transforms in a
/// row share one.
fn parent<'a>(
    p: &'a Pipeline,
    t: &'a TransformNode,
    consumers: &HashMap<&str, usize>,
) -> Option<&'a str> {
    let [only] = t.inputs.as_slice() else {
        return None;
    };
    let up = p.transforms.get(only)?;
    if t.transform.ordered() && !up.transform.ordered() {
        return None;
    }
    if !up.transform.has_default_output() || !up.transform.outputs().is_empty() {
        return None;
    }
    (consumers.get(only.as_str()) == Some(&1)).then_some(only.as_str())
}

/// Every transform exactly once, grouped into chains; each chain runs as one task, its
/// first member reading the chain's input buffer. Only the last member of a chain may
/// have named outputs.
pub(crate) fn chains(p: &Pipeline) -> Vec<Vec<String>> {
    let mut consumers: HashMap<&str, usize> = HashMap::new();
    let inputs = p
        .transforms
        .values()
        .flat_map(|t| &t.inputs)
        .chain(p.sinks.values().flat_map(|s| &s.inputs));
    for i in inputs {
        *consumers.entry(i.as_str()).or_default() += 1;
    }
    let mut child_of: HashMap<&str, &str> = HashMap::new();
    let mut heads = Vec::new();
    for (id, t) in &p.transforms {
        match parent(p, t, &consumers) {
            Some(up) => {
                child_of.insert(up, id.as_str());
            }
            None => heads.push(id.as_str()),
        }
    }
    heads
        .into_iter()
        .map(|h| {
            let mut chain = vec![h.to_owned()];
            let mut cur = h;
            while let Some(next) = child_of.get(cur) {
                chain.push((*next).to_owned());
                cur = next;
            }
            chain
        })
        .collect()
}

/// One transform of a chain, with its metrics.
pub(crate) struct Stage {
    node: TransformNode,
    metrics: ComponentMetrics,
    filtered: prometheus::IntCounter,
    /// Per-kind finding counters (a redact transform's detectors).
    findings: Vec<prometheus::IntCounter>,
    /// How many named outputs it has.
    named: usize,
    /// The position of an `alerts` output (alert transforms): its events are counted.
    alerts: Option<usize>,
    /// Its errors, counted and logged (rate-limited), in the order of `error_kinds`.
    errors: Vec<(sluice_core::Noted, &'static str)>,
    /// Where its state is kept (transforms that learn; see `state.rs`).
    state: Option<std::path::PathBuf>,
}

impl Stage {
    pub(crate) fn new(node: TransformNode, metrics: ComponentMetrics) -> Self {
        let findings = node
            .transform
            .findings()
            .iter()
            .map(|d| metrics.redactions_counter(d))
            .collect();
        let errors = node
            .transform
            .error_kinds()
            .iter()
            .map(|k| (metrics.noted(*k), k.as_str()))
            .collect();
        Stage {
            errors,
            filtered: metrics.dropped_counter(DropReason::Filtered),
            named: node.transform.outputs().len(),
            alerts: (node.type_name == "alert")
                .then(|| node.transform.outputs().iter().position(|o| o == "alerts"))
                .flatten(),
            findings,
            node,
            metrics,
            state: None,
        }
    }

    /// Restores the state saved under `data_dir` and keeps it there from now on, for a
    /// transform that has state.
    pub(crate) fn with_state(mut self, id: &str, data_dir: &std::path::Path) -> Self {
        if self.node.transform.stateful() {
            let file = crate::state::path(data_dir, id);
            crate::state::restore(id, self.node.transform.as_ref(), &file);
            self.state = Some(file);
        }
        self
    }

    /// Writes its state, if it has one.
    async fn save(&self) {
        let (Some(file), Some(snap)) = (self.state.clone(), self.node.transform.snapshot()) else {
            return;
        };
        let shown = file.clone();
        let done = tokio::task::spawn_blocking(move || crate::state::save(&file, &snap)).await;
        if let Ok(Err(e)) = done {
            tracing::warn!(file = %shown.display(), error = %e, "Cannot save a transform's state.");
        }
    }

    /// Applies the transform (or, with `tick`, lets it run on the time alone after the
    /// batch); returns its named outputs' batches.
    fn run(
        &self,
        batch: &mut EventBatch,
        tick: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Vec<EventBatch> {
        let before = batch.len();
        self.metrics.events_received.inc_by(before as u64);
        let mut counts = vec![0; self.findings.len()];
        let mut errors = vec![0; self.errors.len()];
        let mut named: Vec<EventBatch> = (0..self.named).map(|_| Vec::new()).collect();
        let mut run = Run {
            when: self.node.condition.as_ref(),
            named: &mut named,
            findings: &mut counts,
            errors: &mut errors,
        };
        if before > 0 || tick.is_none() {
            self.node.transform.apply(batch, &mut run);
        }
        let before = match tick {
            Some(now) if self.node.transform.ticks() => {
                let had = batch.len();
                self.node.transform.tick(now, batch, &mut run);
                // What the tick emitted is new, not passed through.
                before + batch.len().saturating_sub(had)
            }
            _ => before,
        };
        for ((noted, kind), n) in self.errors.iter().zip(errors) {
            if n > 0 {
                noted.note(
                    n,
                    &format_args!(
                        "{n} events of a batch hit a `{}` {kind}: they are tagged and passed on.",
                        self.node.type_name
                    ),
                );
            }
        }
        for (c, n) in self.findings.iter().zip(counts) {
            c.inc_by(n);
        }
        if let Some(i) = self.alerts {
            count_alerts(&self.metrics, &named[i]);
        }
        let out = batch.len() + named.iter().map(Vec::len).sum::<usize>();
        self.filtered.inc_by(before.saturating_sub(out) as u64);
        named
    }
}

/// What a chain's last transform hands on: its default output and its named ones.
pub(crate) struct ChainOutputs {
    pub(crate) default: Output,
    pub(crate) named: Vec<Output>,
}

/// Every stage on one batch, in order (with `tick`: each ticking stage also runs on the
/// time alone); the last stage's named outputs come back too.
fn run_stages(
    stages: &[Stage],
    mut batch: EventBatch,
    tick: Option<chrono::DateTime<chrono::Utc>>,
) -> (EventBatch, Vec<EventBatch>) {
    let last = stages.len().saturating_sub(1);
    let mut named = Vec::new();
    for (i, st) in stages.iter().enumerate() {
        named = st.run(&mut batch, tick);
        if i < last {
            // Handed on within the task; the tail's sends are counted by its outputs.
            st.metrics.events_sent.inc_by(batch.len() as u64);
        }
    }
    (batch, named)
}

/// Runs a chain's stages on every batch of `rx` and hands the results on in arrival
/// order. Up to `parallel` batches are processed at once, each as its own task, so a
/// long chain uses every core; [`FuturesOrdered`] restores the order before sending, so
/// files see events in the order they arrived. A chain with an ordered transform takes
/// one batch at a time.
///
/// [`FuturesOrdered`]: futures_util::stream::FuturesOrdered
pub(crate) async fn run_chain(
    mut rx: tokio::sync::mpsc::Receiver<EventBatch>,
    stages: Vec<Stage>,
    out: ChainOutputs,
    parallel: usize,
) {
    use futures_util::StreamExt;
    let ticking = stages.iter().any(|s| s.node.transform.ticks());
    let parallel = if stages.iter().any(|s| s.node.transform.ordered()) {
        1
    } else {
        parallel
    };
    let stateful = stages.iter().any(|s| s.state.is_some());
    let stages = std::sync::Arc::new(stages);
    let mut inflight = futures_util::stream::FuturesOrdered::new();
    let mut open = true;
    let mut clock = tokio::time::interval(std::time::Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut saved = tokio::time::Instant::now();
    while open || !inflight.is_empty() {
        tokio::select! {
            _ = clock.tick(), if open && (ticking || stateful) => {
                if ticking && inflight.len() < parallel.max(1) {
                    let st = stages.clone();
                    let now = chrono::Utc::now();
                    inflight.push_back(tokio::spawn(async move { run_stages(&st, Vec::new(), Some(now)) }));
                }
                if stateful && saved.elapsed() >= crate::state::EVERY {
                    saved = tokio::time::Instant::now();
                    for s in stages.iter() {
                        s.save().await;
                    }
                }
            },
            got = rx.recv(), if open && inflight.len() < parallel.max(1) => match got {
                Some(batch) => {
                    if let Some(first) = stages.first() {
                        sluice_core::taken(&first.metrics, &batch);
                    }
                    let st = stages.clone();
                    inflight.push_back(tokio::spawn(async move { run_stages(&st, batch, None) }));
                }
                None => open = false,
            },
            Some(done) = inflight.next() => {
                // A panicking transform loses its batch, not the pipeline.
                let Ok((batch, named)) = done else { continue };
                // A failed send is counted by the output (`no_consumer`).
                let _ = out.default.send(batch).await;
                for (o, b) in out.named.iter().zip(named) {
                    let _ = o.send(b).await;
                }
            }
        }
    }
    for s in stages.iter() {
        s.save().await;
    }
}

/// `sluice_alerts_fired_total{rule,severity}` and `sluice_alerts_firing{rule}` from the
/// alert events an alert transform emitted.
fn count_alerts(m: &ComponentMetrics, alerts: &[sluice_event::Event]) {
    let text = |e: &sluice_event::Event, a: &str, b: &str| {
        e.get_segments(&[a, b])
            .map(sluice_event::Value::to_string_lossy)
            .unwrap_or_default()
    };
    for e in alerts {
        let (fired, firing) =
            m.alert_metrics(&text(e, "rule", "name"), &text(e, "alert", "severity"));
        match text(e, "alert", "state").as_str() {
            "firing" => {
                fired.inc();
                // `any` and `new_term` rules fire on single events, with nothing to
                // resolve later.
                if !matches!(text(e, "rule", "kind").as_str(), "any" | "new_term") {
                    firing.inc();
                }
            }
            "resolved" => firing.dec(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(transforms: &str, sinks_inputs: &str) -> Pipeline {
        sluice_config::load_str(
            "t.toml",
            &format!(
                "[sources.s]\ntype=\"syslog\"\nmode=\"udp\"\naddress=\"127.0.0.1:0\"\n{transforms}\n[sinks.o]\ntype=\"blackhole\"\ninputs={sinks_inputs}\n"
            ),
        )
        .unwrap()
    }

    #[test]
    fn a_line_fuses_and_a_fork_does_not() {
        let p = pipeline(
            "[transforms.a]\ntype=\"drop\"\ninputs=[\"s\"]\nif=\"[x]\"\n[transforms.b]\ntype=\"drop\"\ninputs=[\"a\"]\nif=\"[x]\"\n[transforms.c]\ntype=\"drop\"\ninputs=[\"b\"]\nif=\"[x]\"",
            "[\"c\"]",
        );
        assert_eq!(chains(&p), [["a", "b", "c"]]);
        // `b` feeds both `c` and the sink: `c` gets its own task.
        let p = pipeline(
            "[transforms.a]\ntype=\"drop\"\ninputs=[\"s\"]\nif=\"[x]\"\n[transforms.b]\ntype=\"drop\"\ninputs=[\"a\"]\nif=\"[x]\"\n[transforms.c]\ntype=\"drop\"\ninputs=[\"b\"]\nif=\"[x]\"",
            "[\"b\", \"c\"]",
        );
        let mut got = chains(&p);
        got.sort();
        assert_eq!(got, [vec!["a", "b"], vec!["c"]]);
    }

    #[test]
    fn the_embedded_default_runs_as_two_chains_the_monitor_on_its_own() {
        let p = sluice_config::load_str("d.toml", sluice_config::DEFAULT_CONFIG).unwrap();
        let mut c = chains(&p);
        c.sort();
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0][0], "json_records");
        assert_eq!(c[0].len(), p.transforms.len() - 1);
        assert_eq!(c[0].last().map(String::as_str), Some("redact"));
        assert_eq!(
            c[1],
            ["monitor"],
            "ordered: one batch at a time, after the rest"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parallel_batches_come_out_in_arrival_order() {
        use sluice_event::{Event, FieldPath, Value};
        let p = pipeline(
            "[transforms.a]\ntype=\"mutate\"\ninputs=[\"s\"]\nadd_tag=[\"seen\"]\n[transforms.b]\ntype=\"kv\"\ninputs=[\"a\"]",
            "[\"b\"]",
        );
        let t = sluice_core::Telemetry::new();
        let stages: Vec<Stage> = chains(&p)[0]
            .iter()
            .map(|id| {
                let m = t.component(id, "x", sluice_core::ComponentKind::Transform);
                Stage::new(p.transforms[id].clone(), m)
            })
            .collect();
        let (in_tx, in_rx) = tokio::sync::mpsc::channel(8);
        let (out_tx, mut out_rx) = tokio::sync::mpsc::channel(1024);
        let sink = t.component("o", "x", sluice_core::ComponentKind::Sink);
        let tail = t.component("b", "kv", sluice_core::ComponentKind::Transform);
        let out = ChainOutputs {
            default: sluice_core::Output::new(
                tail,
                vec![sluice_core::Target {
                    tx: out_tx,
                    drop_when_full: false,
                    metrics: sink,
                    select: None,
                }],
            ),
            named: Vec::new(),
        };
        let task = tokio::spawn(run_chain(in_rx, stages, out, 4));
        let seq = FieldPath::parse("seq").unwrap();
        for i in 0..300i64 {
            // Uneven batch sizes make uneven work, so tasks finish out of order.
            let n = if i % 7 == 0 { 200 } else { 1 };
            let batch = (0..n)
                .map(|_| {
                    let mut e = Event::new();
                    e.insert(&seq, Value::Integer(i));
                    e.insert(&FieldPath::parse("message").unwrap(), "a=1 b=2 c=3");
                    e
                })
                .collect();
            in_tx.send(batch).await.unwrap();
        }
        drop(in_tx);
        task.await.unwrap();
        let mut last = -1;
        while let Some(b) = out_rx.recv().await {
            for e in b {
                let Some(Value::Integer(i)) = e.get(&seq) else {
                    panic!()
                };
                assert!(*i >= last, "{i} after {last}");
                assert!(e.has_tag("seen") && e.get(&FieldPath::parse("c").unwrap()).is_some());
                last = *i;
            }
        }
        assert_eq!(last, 299);
    }
}
