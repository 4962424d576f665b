//! Transforms: per-event changes between sources and sinks.
//!
//! Why a crate of its own: transforms are pure functions of an event plus their compiled
//! config; keeping them apart from sockets and files makes them easy to test. The
//! runtime drives them batch by batch.
//!
//! Decisions:
//! - **A transform is one module**: its serde config, its `build` (validate and compile)
//!   and its [`Transform`] implementation, with unit tests. The [`registry`] adds it to
//!   the config language with one line.
//! - **Named outputs instead of special cases.** A transform hands events on through its
//!   default output (the batch it was given) and may declare named outputs
//!   ([`Transform::outputs`]), read downstream as `<id>.<name>`. `route` is an ordinary
//!   transform that moves each event to the outputs whose condition it meets.
//! - `if` (★) is applied uniformly through [`Run::each`]: a transform applies to events
//!   where its condition holds and passes every other event through unchanged; `filter`
//!   keeps the events where it holds.
//! - `mutate` applies its operations in Logstash's fixed order, then the options every
//!   filter shares (add_field, add_tag, remove_field, remove_tag; [`common`]), which the
//!   parsing filters apply only when they succeed.
//! - `grok` follows logstash-filter-grok's capture rules (see [`grok::GrokRun`]); a match
//!   that runs out of its step budget, or an event out of its time budget, is tagged
//!   `_groktimeout` and the pipeline moves on.

#![warn(unreachable_pub, missing_docs)]

pub mod alert;
pub mod anomaly;
pub mod cidr;
pub mod clock;
pub mod clone;
pub mod common;
pub mod csv;
pub mod date;
pub mod dissect;
pub mod ecs;
pub mod filter;
pub mod fingerprint;
pub mod geoip;
pub mod grok;
pub mod group_by;
pub mod json;
pub mod kv;
pub mod mutate;
pub mod prune;
pub mod redact;
pub mod registry;
pub mod reloaded;
pub mod route;
pub mod split;
pub mod syslog_pri;
pub mod template;
pub mod translate;
pub mod useragent;

pub use registry::TransformConfig;

use sluice_event::{Event, EventBatch};
use sluice_parse::condition::Condition;

/// A built transform, ready to run on batches from many tasks at once.
pub trait Transform: Send + Sync + std::fmt::Debug {
    /// Changes `batch` in place; events it moves to named outputs go into
    /// `run.named`, events it drops are simply removed.
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>);

    /// Its named outputs, read downstream as `<id>.<name>`, in the order of
    /// [`Run::named`].
    fn outputs(&self) -> Vec<String> {
        Vec::new()
    }

    /// False for a transform whose events all leave through named outputs (`route`):
    /// `<id>` alone is then not an input anyone can take.
    fn has_default_output(&self) -> bool {
        true
    }

    /// The names of its per-kind finding counters (a redact transform's detectors), in
    /// the order of [`Run::findings`].
    fn findings(&self) -> Vec<String> {
        Vec::new()
    }

    /// The kinds of error it counts, in the order of [`Run::errors`] (the runtime counts
    /// and logs them: `sluice_component_errors_total{error_type}`).
    fn error_kinds(&self) -> &'static [sluice_core::ErrorType] {
        &[]
    }

    /// Why this transform cannot run without an `if`, when it cannot (`filter`).
    fn needs_condition(&self) -> Option<&'static str> {
        None
    }

    /// True for a transform that must see batches one at a time, in arrival order
    /// (windows over event time: alert, anomaly, template mining). The runtime gives it
    /// a task of its own that takes one batch at a time; the transforms before it still
    /// run several batches at once.
    fn ordered(&self) -> bool {
        false
    }

    /// True for a transform that must also run when no events arrive (an alert rule
    /// that fires on silence): the runtime then calls [`Transform::tick`] about once a
    /// second.
    fn ticks(&self) -> bool {
        false
    }

    /// Runs with the wall-clock time `now` and no new events; what it emits goes into
    /// `batch` (handed on like any output) and `run.named`.
    fn tick(
        &self,
        _now: chrono::DateTime<chrono::Utc>,
        _batch: &mut EventBatch,
        _run: &mut Run<'_>,
    ) {
    }

    /// True for a transform that learns (alert windows, a model): the runtime keeps its
    /// [`Transform::snapshot`] under `data_dir/state/<id>.json` and hands it back to
    /// [`Transform::restore`] at the next start or reload.
    fn stateful(&self) -> bool {
        false
    }

    /// Its state, serialised (JSON), written straight to bytes: a model's state can be
    /// megabytes, and a tree of JSON values would hold it twice.
    fn snapshot(&self) -> Option<Vec<u8>> {
        None
    }

    /// Takes back a state [`Transform::snapshot`] wrote; an error says why it was not
    /// usable (the transform then starts afresh).
    fn restore(&self, _state: &[u8]) -> Result<(), String> {
        Ok(())
    }
}

/// What one application of a transform to a batch may use besides the batch.
#[derive(Debug)]
pub struct Run<'a> {
    /// The transform's `if`.
    pub when: Option<&'a Condition>,
    /// One batch per named output, empty on entry.
    pub named: &'a mut [EventBatch],
    /// One counter per finding kind, added to.
    pub findings: &'a mut [u64],
    /// One counter per error kind of [`Transform::error_kinds`], added to.
    pub errors: &'a mut [u64],
}

impl<'a> Run<'a> {
    /// A run with `if` = `when` and no named outputs or findings.
    pub fn plain(when: Option<&'a Condition>) -> Self {
        Run {
            when,
            named: &mut [],
            findings: &mut [],
            errors: &mut [],
        }
    }

    /// Runs `f` on the events of `batch` where `if` holds (all, without a condition).
    pub fn each(&self, batch: &mut EventBatch, mut f: impl FnMut(&mut Event)) {
        for e in batch.iter_mut() {
            if self.when.is_none_or(|c| c.matches(e)) {
                f(e);
            }
        }
    }
}

/// `impl Transform` for transforms that change each event on its own, through an
/// `apply_one(&self, &mut Event)` (its result, if any, is not needed here).
macro_rules! per_event {
    ($($t:ty),* $(,)?) => {
        $(
            impl Transform for $t {
                fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
                    run.each(batch, |e| {
                        self.apply_one(e);
                    });
                }
            }
        )*
    };
}

per_event!(
    dissect::Dissect,
    json::Json,
    kv::Kv,
    mutate::Mutate,
    syslog_pri::SyslogPri,
    fingerprint::Fingerprint,
    cidr::Cidr,
    translate::Translate,
    useragent::Useragent,
    geoip::Geoip,
    prune::Prune,
);

#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod tests;
