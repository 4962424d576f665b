//! `alert`: rules evaluated on the events as they pass (★ `type = "alert"`), the
//! mission's monitor without polling a file.
//!
//! Every event passes through unchanged on the default output; alerts leave on
//! `<id>.alerts` (★) as ordinary events: `event.kind = "alert"`, `message`, `rule.name`,
//! `rule.kind`, `alert.severity`, `alert.state` (`firing` | `resolved`), `alert.count`,
//! `alert.threshold`, `alert.window`, `alert.group`, `alert.first_seen`,
//! `alert.last_seen`, `alert.samples` (up to three messages).
//!
//! Kinds, with ElastAlert's meanings: `any` (every matching event), `frequency` (more
//! than `threshold` matching events in `window`), `spike` (the count in `window` is at
//! least `spike_height` times the window before, both at least `min_count` and
//! `min_reference`, so that "0 after 0" never fires), `flatline` (fewer than `threshold`
//! matching events in `window`, once a group has been watched for a whole window),
//! `new_term` (a value of `field` never seen before in its group, after a `learning`
//! period from the group's first event; at most `max_terms` values remembered),
//! `cardinality` (more than `threshold` distinct values of `field` in `window`), `metric`
//! (`stat` = avg, min, max, p50, p90, p95 or p99 of a numeric `field` over `window` above
//! `threshold`). `group_by` keeps a window per group: at most `max_groups` groups per
//! rule, so memory stays bounded; events of further groups share one group, `_other`.
//! Idle groups are forgotten once their windows and cooldown have passed.
//!
//! Time is event time (`@timestamp`; arrival time when an event has none), in 60
//! buckets per window, so that replaying a file and watching the stream give the same
//! alerts; an event older than its window is not counted. The clock is the newest event
//! time seen; between events it runs on with the wall clock (the runtime ticks the
//! transform every second), so a silent source trips a `flatline` rule and a firing
//! rule is `resolved` when its window empties. `cooldown` (event time) keeps a group from
//! firing again within it.
//!
//! `packs = ["studio"]` adds the built-in rules of `packs/studio.toml`; a rule of the
//! same name in `rules` replaces the pack's. The whole state (windows, cooldowns,
//! firing flags, learned terms, the clock) is snapshotted by the runtime under
//! `data_dir/state/<id>.json` and restored at start and reload; a rule whose settings
//! changed starts afresh.

mod group;
mod message;
pub(crate) use message::humantime;
mod rule;
mod window;

use crate::{Run, Transform};
use group::{RuleSnapshotRef, Snapshot, SnapshotRef, State, VERSION};
use rule::{Rule, RuleConfig};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::EventBatch;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Built-in rule packs, by name.
const PACKS: &[(&str, &str)] = &[("studio", include_str!("packs/studio.toml"))];

/// Forgetting idle groups runs at most this often (event time).
const EVICT_EVERY_MS: i64 = 30_000;

/// `type = "alert"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    rules: BTreeMap<String, RuleConfig>,
    /// Built-in rule packs to add (`studio`).
    #[serde(default)]
    packs: Vec<String>,
    /// Groups kept per rule at most; further groups share `_other`.
    #[serde(default = "max_groups")]
    max_groups: usize,
}

fn max_groups() -> usize {
    10_000
}

/// The rules of a built-in pack.
fn pack(name: &str) -> Option<BTreeMap<String, RuleConfig>> {
    let (_, text) = PACKS.iter().find(|(n, _)| *n == name)?;
    toml::from_str(text).ok()
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
        let mut all = BTreeMap::new();
        for p in &self.packs {
            match pack(p) {
                Some(rules) => all.extend(rules),
                None => {
                    let known: Vec<&str> = PACKS.iter().map(|(n, _)| *n).collect();
                    b.push(
                        "packs",
                        format!("unknown rule pack `{p}`; known: {}", known.join(", ")),
                    );
                }
            }
        }
        all.extend(self.rules);
        if all.is_empty() && b.clean_since(mark) {
            b.push(
                "rules",
                "name at least one rule ([transforms.<id>.rules.<name>]) or a pack (packs = [\"studio\"])",
            );
        }
        b.at_least_one("max_groups", self.max_groups);
        let rules: Vec<Rule> = all
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

impl Alert {
    /// Sweeps every rule at event time `t`, and every 30 s of event time forgets idle
    /// groups.
    fn sweep(&self, t: i64, tick: bool, state: &mut State, alerts: &mut Vec<sluice_event::Event>) {
        for (i, r) in self.rules.iter().enumerate() {
            r.sweep(i, t, tick, state, alerts);
        }
        if t.saturating_sub(state.evicted_ms) >= EVICT_EVERY_MS {
            state.evicted_ms = t;
            for (i, r) in self.rules.iter().enumerate() {
                r.evict(i, t, state);
            }
        }
    }
}

impl Transform for Alert {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let wall = chrono::Utc::now().timestamp_millis();
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let mut alerts = Vec::new();
        let mut any = false;
        for e in batch.iter() {
            if run.when.is_some_and(|c| !c.matches(e)) {
                continue;
            }
            let t = e.timestamp().map_or(wall, |t| t.timestamp_millis());
            state.saw(t, wall);
            any = true;
            for (i, r) in self.rules.iter().enumerate() {
                r.observe(i, e, t, &mut state, &mut alerts);
            }
        }
        if let Some(c) = state.clock.filter(|_| any) {
            self.sweep(c.newest_ms, false, &mut state, &mut alerts);
        }
        if let Some(out) = run.named.first_mut() {
            out.extend(alerts);
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["alerts".into()]
    }

    fn ordered(&self) -> bool {
        true
    }

    fn ticks(&self) -> bool {
        self.rules.iter().any(|r| !r.kind.one_shot())
    }

    fn tick(&self, now: chrono::DateTime<chrono::Utc>, _batch: &mut EventBatch, run: &mut Run<'_>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        // Before the first event there is no event time to run on.
        let Some(c) = state.clock else { return };
        let mut alerts = Vec::new();
        self.sweep(c.at(now.timestamp_millis()), true, &mut state, &mut alerts);
        if let Some(out) = run.named.first_mut() {
            out.extend(alerts);
        }
    }

    fn stateful(&self) -> bool {
        true
    }

    fn snapshot(&self) -> Option<Vec<u8>> {
        let state = self.state.lock().ok()?;
        let snap = SnapshotRef {
            version: VERSION,
            clock: state.clock,
            rules: self
                .rules
                .iter()
                .zip(&state.groups)
                .map(|(r, g)| {
                    (
                        r.name.as_str(),
                        RuleSnapshotRef {
                            fingerprint: &r.fingerprint,
                            groups: g,
                        },
                    )
                })
                .collect(),
        };
        serde_json::to_vec(&snap).ok()
    }

    fn restore(&self, v: &[u8]) -> Result<(), String> {
        let mut snap: Snapshot = serde_json::from_slice(v).map_err(|e| e.to_string())?;
        if snap.version != VERSION {
            return Err(format!(
                "state format {} (this build reads {VERSION})",
                snap.version
            ));
        }
        let mut state = self.state.lock().map_err(|_| "poisoned lock".to_owned())?;
        state.clock = snap.clock;
        for (i, r) in self.rules.iter().enumerate() {
            match snap.rules.remove(&r.name) {
                Some(s) if s.fingerprint == r.fingerprint => {
                    let mut groups = s.groups;
                    if groups.len() > state.max_groups {
                        groups.retain(|_, g| g.firing);
                    }
                    state.groups[i] = groups;
                }
                Some(_) => {
                    tracing::info!(rule = %r.name, "An alert rule's settings changed; its saved state is dropped.")
                }
                None => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
