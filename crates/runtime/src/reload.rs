//! Reloading a running pipeline (SIGHUP, `--watch-config`) without dropping what is
//! connected.
//!
//! - Sources whose config is unchanged keep running: their sockets, their open
//!   connections, their clients' pending acknowledgements. Sources that are gone or
//!   changed stop and drain first; new or changed ones are bound and started after.
//! - Sinks whose settings are unchanged keep running (open files, connections, disk
//!   buffers). The transforms and the other sinks are rebuilt: the kept sources are
//!   paused (their next send waits: back-pressure, as when a sink is slow), the old
//!   transforms drain into the sinks, the replaced sinks flush and close; then the new
//!   graph starts and the sources resume into it. Nothing received is lost; the pause
//!   lasts as long as that takes.
//! - A new listener that cannot be bound, or a kept source whose send does not finish
//!   within the grace period, refuses the reload before anything is changed; the old
//!   pipeline keeps running.
//! - Replaced sinks are never aborted (dropping the events they hold would acknowledge
//!   them): one that does not drain within the grace period, or a disk-buffered one that
//!   cannot deliver within five seconds, is left to finish behind its replacement. Known
//!   gap: a *changed* disk-buffered sink's replacement then opens the same buffer while
//!   the old one may still read it; keep such sinks' settings unchanged across a reload,
//!   or restart.

use crate::graph::{sink_fingerprint, start_graph, Graph};
use crate::topology::{fingerprint, spawn_source, Running};
use sluice_config::Pipeline;
use sluice_core::{Switch, Telemetry};
use sluice_sources::Bound;
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

/// Why a reload was refused; the old pipeline keeps running unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// A new listener could not be bound.
    #[error("{0}")]
    Bind(#[from] crate::BindError),
    /// The running pipeline did not let go within the grace period.
    #[error(
        "the running pipeline is blocked (a sink is not taking events); reload refused, try again"
    )]
    Blocked,
}

/// What a reload changed.
#[derive(Debug, Default)]
pub struct ReloadSummary {
    /// Sources that kept running, untouched.
    pub kept: Vec<String>,
    /// Sources stopped (gone or changed).
    pub stopped: Vec<String>,
    /// Sources started (new or changed).
    pub started: Vec<String>,
    /// Sinks that kept running (same settings); the others were rebuilt.
    pub kept_sinks: Vec<String>,
}

fn bind(id: &str, s: &sluice_config::SourceNode) -> Result<Bound, crate::BindError> {
    match s.config.listener() {
        None => Ok(Bound::Stdin),
        Some((_, addr)) => {
            sluice_sources::bind(&s.config, addr).map_err(|error| crate::BindError {
                component: id.to_owned(),
                address: addr,
                error,
            })
        }
    }
}

impl Running {
    /// Replaces the running pipeline by `p` (already validated), as the module docs say.
    pub async fn reload(
        &mut self,
        p: &Pipeline,
        telemetry: &Telemetry,
        grace: Duration,
    ) -> Result<ReloadSummary, ReloadError> {
        let mut sum = ReloadSummary::default();
        for (id, run) in &self.sources {
            match p.sources.get(id) {
                Some(n) if fingerprint(n) == run.fingerprint => sum.kept.push(id.clone()),
                _ => sum.stopped.push(id.clone()),
            }
        }
        sum.started = p
            .sources
            .keys()
            .filter(|id| !sum.kept.contains(id))
            .cloned()
            .collect();
        // Listeners on addresses no stopping source holds are bound first: a failure
        // refuses the reload before anything changes.
        let held: HashSet<_> = sum
            .stopped
            .iter()
            .filter_map(|id| self.sources[id].listener)
            .collect();
        let mut bound: BTreeMap<String, Bound> = BTreeMap::new();
        for id in &sum.started {
            let s = &p.sources[id];
            if s.config
                .listener()
                .is_none_or(|l| !held.contains(&l) || l.1.port() == 0)
            {
                bound.insert(id.clone(), bind(id, s)?);
            }
        }
        // Pause the kept sources: each hold waits for that source's send in flight.
        let mut holds = Vec::new();
        for id in &sum.kept {
            let sw = self.sources[id].switch.clone();
            match tokio::time::timeout(grace, sw.hold()).await {
                Ok(h) => holds.push((id.clone(), h)),
                Err(_) => return Err(ReloadError::Blocked),
            }
        }
        // From here the reload goes through. Keep `sources_finished` from firing while
        // sources are swapped.
        self.finish.one_more();
        for id in &sum.stopped {
            if let Some(run) = self.sources.remove(id) {
                run.stop.cancel();
                if tokio::time::timeout(grace, run.task).await.is_err() {
                    tracing::error!(component = %id, "A source did not stop within the grace period; it is left behind.");
                }
            }
        }
        // Disconnect the kept sources from the old graph and let it drain.
        for (_, h) in &mut holds {
            Switch::replace(h, Vec::new());
        }
        let mut old = std::mem::replace(&mut self.graph, Graph::empty());
        // Sinks whose settings did not change keep running (their files, connections and
        // buffers): the new graph sends into them once the old one has let go.
        let same: Vec<String> = p
            .sinks
            .iter()
            .filter(|(id, s)| {
                old.sinks
                    .get(*id)
                    .is_some_and(|r| r.fingerprint == sink_fingerprint(s))
            })
            .map(|(id, _)| id.clone())
            .collect();
        let keep: BTreeMap<_, _> = same
            .into_iter()
            .filter_map(|id| old.sinks.remove(&id).map(|r| (id, r)))
            .collect();
        sum.kept_sinks = keep.keys().cloned().collect();
        if tokio::time::timeout(grace, old.wait()).await.is_err() {
            // Not aborted: dropping the events they hold would acknowledge them.
            tracing::error!("The replaced transforms and sinks did not drain within the grace period; they are left to finish behind the new ones.");
        }
        let mut graph = start_graph(p, telemetry, &self.reopen, keep);
        for (id, mut h) in holds {
            Switch::replace(&mut h, graph.source_targets.remove(&id).unwrap_or_default());
        }
        for id in &sum.started {
            let s = &p.sources[id];
            let b = match bound.remove(id) {
                Some(b) => b,
                None => match bind(id, s) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "A changed source cannot listen again; it is not running.");
                        continue;
                    }
                },
            };
            let switch = Switch::new(graph.source_targets.remove(id).unwrap_or_default());
            let run = spawn_source(
                id,
                s,
                b,
                switch,
                self.shutdown.child_token(),
                telemetry,
                &self.finish,
            );
            self.sources.insert(id.clone(), run);
        }
        self.graph = graph;
        self.refresh_components();
        self.finish.one_done();
        Ok(sum)
    }
}
