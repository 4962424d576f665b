//! `alert`: rules evaluated on the events as they pass (★ `type = "alert"`), the
//! mission's monitor without polling a file.
//!
//! Every event passes through unchanged on the default output; alerts leave on
//! `<id>.alerts` (★) as ordinary events: `event.kind = "alert"`, `message`, `rule.name`,
//! `alert.severity`, `alert.state` (`firing` | `resolved`), `alert.count`,
//! `alert.threshold`, `alert.window`, `alert.group`, `alert.first_seen`,
//! `alert.last_seen`, `alert.samples` (up to three messages).
//!
//! Kinds, with ElastAlert's meanings: `any` (every matching event), `frequency` (more
//! than `threshold` matching events in `window`), `spike` (the count in `window` is at
//! least `spike_height` times the window before, both at least `min_count` and
//! `min_reference`, so that "0 after 0" never fires), `metric` (`stat` = avg, min, max,
//! p50, p90, p95 or p99 of a numeric `field` over `window` above `threshold`),
//! `new_term` (a value of `field` never seen before in its group, after a `learning`
//! period from the group's first event; at most `max_terms` values remembered).
//! `group_by` keeps a window per group: at most `max_groups` groups per rule, so memory
//! stays bounded; events of further groups share one group, `_other`.
//!
//! Windows run on event time (`@timestamp`; arrival time when an event has none), in 60
//! buckets each, so that replaying a file and watching the stream give the same alerts;
//! an event older than its window is not counted. A firing rule is `resolved` when a
//! later batch finds it below its condition; `cooldown` (event time) keeps a group from
//! firing again within it.
//!
//! Not yet (issue 15): `flatline` (it needs a timer, since a silent source sends no
//! events) and `cardinality`; snapshots of the rule state across restarts; rule packs.

mod rule;
mod window;

use crate::{Run, Transform};
use rule::{Rule, RuleConfig, State};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::EventBatch;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// `type = "alert"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    rules: BTreeMap<String, RuleConfig>,
    /// Groups kept per rule at most; further groups share `_other`.
    #[serde(default = "max_groups")]
    max_groups: usize,
}

fn max_groups() -> usize {
    10_000
}

/// A built alert transform.
#[derive(Debug)]
pub struct Alert {
    rules: Vec<Rule>,
    state: Mutex<State>,
}

impl Config {
    /// Compiles every rule; problems go to `b` under `rules.<name>.<key>`.
    pub fn build(self, b: &mut Build<'_>) -> Option<Alert> {
        let mark = b.mark();
        if self.rules.is_empty() {
            b.push(
                "rules",
                "name at least one rule ([transforms.<id>.rules.<name>])",
            );
        }
        b.at_least_one("max_groups", self.max_groups);
        let rules: Vec<Rule> = self
            .rules
            .into_iter()
            .filter_map(|(name, r)| r.build(name, b))
            .collect();
        if !b.clean_since(mark) {
            return None;
        }
        let state = State::new(rules.len(), self.max_groups);
        Some(Alert {
            rules,
            state: Mutex::new(state),
        })
    }
}

impl Transform for Alert {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let now = chrono::Utc::now();
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let mut alerts = Vec::new();
        let mut newest = None;
        for e in batch.iter() {
            if run.when.is_some_and(|c| !c.matches(e)) {
                continue;
            }
            let t = e.timestamp().unwrap_or(now);
            newest = Some(newest.map_or(t, |n: chrono::DateTime<chrono::Utc>| n.max(t)));
            for (i, r) in self.rules.iter().enumerate() {
                r.observe(i, e, t, &mut state, &mut alerts);
            }
        }
        if let Some(t) = newest {
            for (i, r) in self.rules.iter().enumerate() {
                r.sweep(i, t, &mut state, &mut alerts);
            }
        }
        if let Some(out) = run.named.first_mut() {
            out.extend(alerts);
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["alerts".into()]
    }
}

#[cfg(test)]
mod tests;
