//! `anomaly`: streaming, unsupervised anomaly detection as the events pass (★ `type =
//! "anomaly"`), the mission's IsolationForest without a fixed share of "anomalies".
//!
//! Every `interval` (event time, default 1m) each group (`group_by`; one group without
//! it) closes a window and describes it: events, errors (`error_if`), failed logins
//! (`failed_login_if`), p95 of `response_time`, mean message length, the hour of day and
//! whether it is a weekend. A Random Cut Forest per group (the maintained `rcf3` crate;
//! `trees`, `sample`) scores the window against the windows it has learned; after
//! `warmup` windows, a window is anomalous when its score is above `threshold` and
//! `sensitivity` standard deviations above the group's usual scores. Anomalous windows
//! are not learned (an outage does not become normal), unless `relearn` of them come in
//! a row: then they are the new normal.
//!
//! Why windows and not single events: the incidents of the mission (a database outage,
//! a brute-force burst, a latency spike, a leaking worker, a silent source) are changes
//! of rates, which one event cannot show; and a forest per window costs microseconds
//! per minute instead of per event. Per-event features (message length, response time)
//! enter as the window's aggregates.
//!
//! Output: each anomalous window is an event on `<id>.anomalies` (`event.kind =
//! "anomaly"`, `message`, `anomaly.score`, `anomaly.is_anomaly`, `anomaly.explanation`
//! in words such as "45 errors in 1m (usually 2)", `anomaly.features`,
//! `anomaly.window_start`, `anomaly.group`); events of a group whose latest window was
//! anomalous get `anomaly.score`, `anomaly.is_anomaly`, `anomaly.explanation` and the
//! tag `anomaly` until its next window closes; other events pass untouched. Windows
//! close when an event of a later window arrives, or when the event clock (run on by
//! the wall clock, see [`crate::clock`]) passes their end plus `lateness`, so a silent
//! source shows as a window with no events. The models are snapshotted under
//! `data_dir/state/<id>.json`.

mod features;
mod model;

use crate::clock::Clock;
use crate::group_by::GroupBy;
use crate::{Run, Transform};
use features::MEASURED;
use model::{GroupModel, Tuning, Verdict};
use serde::{Deserialize, Serialize};
use sluice_core::config::{Build, HumanDuration};
use sluice_event::{Event, EventBatch, FieldPath, Map, Value};
use sluice_parse::condition::Condition;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Windows closed at most in one catch-up (a longer gap skips ahead unscored).
const MAX_CATCH_UP: usize = 60;

/// The studio pack's failed-login test.
const FAILED_LOGIN: &str = r#"[message] =~ /(?i)\b(log ?in|authentication|auth)\b.*\bfail|\bfail\w*\b.*\b(log ?in|authentication)\b|invalid (password|credentials)/"#;

/// `type = "anomaly"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "one_minute")]
    interval: HumanDuration,
    #[serde(default)]
    group_by: Vec<String>,
    #[serde(default = "sixteen")]
    max_groups: usize,
    #[serde(default = "sixty")]
    warmup: u64,
    #[serde(default = "threshold")]
    threshold: f64,
    #[serde(default = "three")]
    sensitivity: f64,
    #[serde(default = "sixty")]
    relearn: u64,
    #[serde(default = "fifty")]
    trees: usize,
    #[serde(default = "sample")]
    sample: usize,
    #[serde(default)]
    error_if: Option<String>,
    #[serde(default)]
    failed_login_if: Option<String>,
    #[serde(default = "response_time")]
    response_time: String,
    #[serde(default = "ten_seconds")]
    lateness: HumanDuration,
    #[serde(default = "seed")]
    seed: u64,
}

fn one_minute() -> HumanDuration {
    HumanDuration(Duration::from_secs(60))
}
fn ten_seconds() -> HumanDuration {
    HumanDuration(Duration::from_secs(10))
}
fn sixteen() -> usize {
    // A group's forest holds up to `trees` x `sample` windows: about 10 MB as saved
    // state at the defaults.
    16
}
fn sixty() -> u64 {
    60
}
fn fifty() -> usize {
    50
}
fn sample() -> usize {
    512
}
fn threshold() -> f64 {
    // Chosen on a generated week of studio traffic with 35 incidents (docs/ALERTS.md,
    // `sluice-alert-eval`): with 50 trees of 512 windows, 2.3 keeps 99 % of the
    // anomalous windows inside incidents; 2.2 lets in 5 % outside, 2.5 misses most
    // brute-force bursts.
    2.3
}
fn three() -> f64 {
    3.0
}
fn response_time() -> String {
    "response_time".into()
}
fn seed() -> u64 {
    42
}

/// A built anomaly transform.
#[derive(Debug)]
pub struct Anomaly {
    tuning: Tuning,
    interval_ms: i64,
    interval: String,
    lateness_ms: i64,
    group_by: GroupBy,
    max_groups: usize,
    error_if: Condition,
    failed_login_if: Condition,
    response_time: FieldPath,
    state: Mutex<State>,
}

/// One group: its `group_by` values and its model.
#[derive(Debug, Serialize, Deserialize)]
struct Group {
    values: Vec<(String, String)>,
    model: GroupModel,
}

#[derive(Debug, Default)]
struct State {
    groups: HashMap<String, Group>,
    clock: Option<Clock>,
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    version: u32,
    tuning: Tuning,
    interval_ms: i64,
    clock: Option<Clock>,
    groups: HashMap<String, Group>,
}

impl Config {
    /// Checks the settings and compiles the conditions.
    pub fn build(self, b: &mut Build<'_>) -> Option<Anomaly> {
        let mark = b.mark();
        let error_if = b.condition(
            self.error_if
                .as_deref()
                .unwrap_or(r#"[level] in ["ERROR", "CRITICAL"]"#),
            "error_if",
        );
        let failed_login_if = b.condition(
            self.failed_login_if.as_deref().unwrap_or(FAILED_LOGIN),
            "failed_login_if",
        );
        let response_time = b.path(&self.response_time, "response_time");
        let group_by = GroupBy::build(&self.group_by, "group_by", b);
        if self.interval.0 < Duration::from_secs(1) {
            b.push("interval", "must be at least 1s");
        }
        if self.trees == 0 || self.trees > 1000 {
            b.push("trees", "must be between 1 and 1000");
        }
        if self.sample < 16 || self.sample > 65_536 {
            b.push("sample", "must be between 16 and 65536");
        }
        if self.threshold <= 0.0 {
            b.push("threshold", "must be above 0");
        }
        b.at_least_one("max_groups", self.max_groups);
        if !b.clean_since(mark) {
            return None;
        }
        let interval_ms = i64::try_from(self.interval.0.as_millis()).unwrap_or(i64::MAX);
        Some(Anomaly {
            tuning: Tuning {
                trees: self.trees,
                sample: self.sample,
                warmup: self.warmup,
                threshold: self.threshold,
                sensitivity: self.sensitivity,
                relearn: self.relearn,
                seed: self.seed,
            },
            interval_ms,
            interval: crate::alert::humantime(self.interval.0),
            lateness_ms: i64::try_from(self.lateness.0.as_millis()).unwrap_or(i64::MAX),
            group_by,
            max_groups: self.max_groups,
            error_if: error_if?,
            failed_login_if: failed_login_if?,
            response_time: response_time?,
            state: Mutex::new(State::default()),
        })
    }
}

impl Anomaly {
    fn window_of(&self, ms: i64) -> i64 {
        ms.div_euclid(self.interval_ms) * self.interval_ms
    }

    /// Closes `g`'s windows that start before the window of `upto_ms`; anomalous ones
    /// go to `out`.
    fn close_until(&self, g: &mut Group, upto_ms: i64, out: &mut Vec<Event>) {
        let target = self.window_of(upto_ms);
        let mut steps = 0;
        while g.model.start_ms < target && steps < MAX_CATCH_UP {
            let raw = std::mem::take(&mut g.model.acc).raw();
            let start = g.model.start_ms;
            let v = g.model.close(&self.tuning, &self.interval, raw, start);
            if v.anomalous {
                out.push(self.anomaly_event(&g.values, &v));
            }
            g.model.start_ms += self.interval_ms;
            steps += 1;
        }
        if g.model.start_ms < target {
            g.model.start_ms = target;
            g.model.acc = Default::default();
        }
    }

    fn anomaly_event(&self, values: &[(String, String)], v: &Verdict) -> Event {
        let ts = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(Value::Timestamp)
                .unwrap_or(Value::Null)
        };
        let mut group = Map::new();
        for (k, val) in values {
            group.insert(k.as_str().into(), Value::from(val.as_str()));
        }
        let shown = if values.is_empty() {
            String::new()
        } else {
            let p: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(" for {}", p.join(", "))
        };
        let mut feats = Map::new();
        for (name, x) in MEASURED.iter().zip(v.raw) {
            feats.insert((*name).into(), Value::Float(x));
        }
        let mut a = Map::new();
        a.insert("score".into(), Value::Float(v.score));
        a.insert("is_anomaly".into(), Value::Bool(true));
        a.insert("explanation".into(), Value::from(v.explanation.as_str()));
        a.insert("window_start".into(), ts(v.start_ms));
        a.insert("window".into(), Value::from(self.interval.as_str()));
        a.insert("features".into(), Value::Object(feats));
        a.insert("group".into(), Value::Object(group));
        let mut e = Event::new();
        let f = e.fields_mut();
        f.insert("@timestamp".into(), ts(v.start_ms + self.interval_ms));
        f.insert(
            "message".into(),
            Value::from(format!(
                "[anomaly]{shown} in the {} from {}: {}",
                self.interval,
                chrono::DateTime::from_timestamp_millis(v.start_ms)
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                v.explanation
            )),
        );
        let mut kind = Map::new();
        kind.insert("kind".into(), Value::from("anomaly"));
        f.insert("event".into(), Value::Object(kind));
        f.insert("anomaly".into(), Value::Object(a));
        e
    }
}

impl Transform for Anomaly {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let wall = chrono::Utc::now().timestamp_millis();
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let mut out = Vec::new();
        let score = FieldPath::from_segments(["anomaly", "score"]);
        let is = FieldPath::from_segments(["anomaly", "is_anomaly"]);
        let why = FieldPath::from_segments(["anomaly", "explanation"]);
        let message = FieldPath::from_segments(["message"]);
        for e in batch.iter_mut() {
            if run.when.is_some_and(|c| !c.matches(e)) {
                continue;
            }
            let t = e.timestamp().map_or(wall, |t| t.timestamp_millis());
            Clock::saw(&mut st.clock, t, wall);
            let key = self.group_by.key(
                e,
                |k| st.groups.contains_key(k),
                st.groups.len(),
                self.max_groups,
            );
            let g = match st.groups.entry(key) {
                std::collections::hash_map::Entry::Occupied(g) => g.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let Ok(model) = GroupModel::new(&self.tuning, self.window_of(t)) else {
                        continue;
                    };
                    let values = self
                        .group_by
                        .values(e, slot.key())
                        .into_iter()
                        .map(|(name, v)| (name, v.to_string_lossy()))
                        .collect();
                    slot.insert(Group { values, model })
                }
            };
            self.close_until(g, t, &mut out);
            let len = match e.get(&message) {
                Some(Value::String(m)) => m.len(),
                _ => 0,
            };
            g.model.acc.add(
                self.error_if.matches(e),
                self.failed_login_if.matches(e),
                crate::common::number(e.get(&self.response_time)),
                len,
            );
            if let Some(v) = g.model.last.as_ref().filter(|v| v.anomalous) {
                e.insert(&score, Value::Float(v.score));
                e.insert(&is, Value::Bool(true));
                e.insert(&why, Value::from(v.explanation.as_str()));
                e.add_tag("anomaly");
            }
        }
        if let Some(o) = run.named.first_mut() {
            o.extend(out);
        }
    }

    fn outputs(&self) -> Vec<String> {
        vec!["anomalies".into()]
    }

    fn ordered(&self) -> bool {
        true
    }

    fn ticks(&self) -> bool {
        true
    }

    fn tick(&self, now: chrono::DateTime<chrono::Utc>, _batch: &mut EventBatch, run: &mut Run<'_>) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let Some(c) = st.clock else { return };
        let upto = c
            .at(now.timestamp_millis())
            .saturating_sub(self.lateness_ms);
        let mut out = Vec::new();
        for g in st.groups.values_mut() {
            self.close_until(g, upto, &mut out);
        }
        if let Some(o) = run.named.first_mut() {
            o.extend(out);
        }
    }

    fn stateful(&self) -> bool {
        true
    }

    fn snapshot(&self) -> Option<Vec<u8>> {
        let st = self.state.lock().ok()?;
        #[derive(Serialize)]
        struct Ref<'a> {
            version: u32,
            tuning: &'a Tuning,
            interval_ms: i64,
            clock: Option<Clock>,
            groups: &'a HashMap<String, Group>,
        }
        serde_json::to_vec(&Ref {
            version: 1,
            tuning: &self.tuning,
            interval_ms: self.interval_ms,
            clock: st.clock,
            groups: &st.groups,
        })
        .ok()
    }

    fn restore(&self, v: &[u8]) -> Result<(), String> {
        let s: Snapshot = serde_json::from_slice(v).map_err(|e| e.to_string())?;
        if s.version != 1 {
            return Err(format!("state format {} (this build reads 1)", s.version));
        }
        if s.tuning != self.tuning || s.interval_ms != self.interval_ms {
            return Err("the model's settings changed".into());
        }
        let mut st = self.state.lock().map_err(|_| "poisoned lock".to_owned())?;
        st.clock = s.clock;
        st.groups = s.groups;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
