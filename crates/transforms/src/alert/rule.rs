//! One alert rule: its config, and when a group fires or resolves.

use super::group::{Group, State};
use super::message::alert;
use super::window::Window;
use crate::group_by::GroupBy;
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_event::{Event, FieldPath, Map, Value};
use sluice_parse::condition::Condition;
use std::time::Duration;

/// Buckets per window.
const BUCKETS: usize = 60;

/// What a rule looks for.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Any,
    Frequency,
    Spike,
    Flatline,
    NewTerm,
    Cardinality,
    Metric,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Any => "any",
            Kind::Frequency => "frequency",
            Kind::Spike => "spike",
            Kind::Flatline => "flatline",
            Kind::NewTerm => "new_term",
            Kind::Cardinality => "cardinality",
            Kind::Metric => "metric",
        }
    }

    /// Kinds that fire on single events and have nothing to resolve.
    pub(crate) fn one_shot(self) -> bool {
        matches!(self, Kind::Any | Kind::NewTerm)
    }
}

/// Which way a spike goes.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SpikeType {
    #[default]
    Up,
    Down,
    Both,
}

/// `[transforms.<id>.rules.<name>]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleConfig {
    kind: Kind,
    #[serde(default, rename = "if")]
    condition: Option<String>,
    #[serde(default)]
    threshold: f64,
    #[serde(default = "five_minutes")]
    window: HumanDuration,
    #[serde(default)]
    group_by: Vec<String>,
    #[serde(default = "warning")]
    severity: String,
    #[serde(default = "no_cooldown")]
    cooldown: HumanDuration,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    stat: Option<String>,
    #[serde(default = "three")]
    spike_height: f64,
    #[serde(default)]
    spike_type: SpikeType,
    #[serde(default = "one")]
    min_count: u64,
    #[serde(default = "one")]
    min_reference: u64,
    /// `new_term`: how long values are only learned, from the group's first event.
    #[serde(default = "one_hour")]
    learning: HumanDuration,
    /// `new_term`, `cardinality`: values remembered per group at most.
    #[serde(default = "max_terms")]
    max_terms: usize,
}

fn one_hour() -> HumanDuration {
    HumanDuration(Duration::from_secs(3600))
}
fn max_terms() -> usize {
    100_000
}
fn five_minutes() -> HumanDuration {
    HumanDuration(Duration::from_secs(300))
}
fn no_cooldown() -> HumanDuration {
    HumanDuration(Duration::ZERO)
}
fn warning() -> String {
    "warning".into()
}
fn three() -> f64 {
    3.0
}
fn one() -> u64 {
    1
}

/// A statistic of a metric rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Stat {
    Avg,
    Min,
    Max,
    Percentile(f64),
}

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    condition: Option<Condition>,
    pub(crate) threshold: f64,
    pub(crate) window: Duration,
    group_by: GroupBy,
    pub(crate) severity: String,
    cooldown_ms: i64,
    field: Option<FieldPath>,
    /// `field` as written, for messages.
    pub(crate) field_name: String,
    pub(crate) stat: Stat,
    pub(crate) spike_height: f64,
    spike_type: SpikeType,
    min_count: u64,
    min_reference: u64,
    learning_ms: i64,
    max_terms: usize,
    /// The settings that shape its state: saved state is dropped when they change.
    pub(crate) fingerprint: String,
    /// `message`, for samples.
    message: FieldPath,
}

impl RuleConfig {
    /// Compiles the rule named `name`; problems go to `b` under `rules.<name>.<key>`.
    pub(crate) fn build(self, name: String, b: &mut Build<'_>) -> Option<Rule> {
        let mark = b.mark();
        let key = |k: &str| format!("rules.{name}.{k}");
        let condition = self
            .condition
            .as_deref()
            .and_then(|c| b.condition(c, &key("if")));
        let group_by = GroupBy::build(&self.group_by, &key("group_by"), b);
        if !matches!(self.severity.as_str(), "info" | "warning" | "critical") {
            b.push(key("severity"), "must be info, warning or critical");
        }
        if self.window.0 < Duration::from_secs(1) {
            b.push(key("window"), "must be at least 1s");
        }
        if self.threshold < 0.0 {
            b.push(key("threshold"), "must not be negative");
        }
        if self.kind == Kind::Flatline && self.threshold < 1.0 {
            b.push(
                key("threshold"),
                "a flatline rule fires below its threshold: set it to at least 1",
            );
        }
        if self.kind == Kind::Spike && self.spike_height <= 1.0 {
            b.push(
                key("spike_height"),
                "must be above 1 (the current window over the one before)",
            );
        }
        let field = self.field.as_deref().and_then(|f| b.path(f, &key("field")));
        if matches!(self.kind, Kind::Metric | Kind::NewTerm | Kind::Cardinality)
            && self.field.is_none()
        {
            b.push(
                key("field"),
                format!("a {} rule needs the `field` it watches", self.kind.name()),
            );
        }
        let stat = match self.stat.as_deref() {
            None | Some("avg") => Stat::Avg,
            Some("min") => Stat::Min,
            Some("max") => Stat::Max,
            Some(p) => match p.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()) {
                Some(n) if n > 0.0 && n < 100.0 => Stat::Percentile(n),
                _ => {
                    b.push(
                        key("stat"),
                        "must be avg, min, max or a percentile such as p95",
                    );
                    Stat::Avg
                }
            },
        };
        if !b.clean_since(mark) {
            return None;
        }
        let fingerprint = format!(
            "{}|{}|{:?}|{:?}|{}|{:?}|{:?}",
            self.kind.name(),
            self.condition.as_deref().unwrap_or(""),
            self.window.0,
            self.group_by,
            self.field.as_deref().unwrap_or(""),
            stat,
            self.learning.0,
        );
        Some(Rule {
            name,
            kind: self.kind,
            condition,
            threshold: self.threshold,
            window: self.window.0,
            group_by,
            severity: self.severity,
            cooldown_ms: i64::try_from(self.cooldown.0.as_millis()).unwrap_or(i64::MAX),
            field,
            field_name: self.field.unwrap_or_default(),
            stat,
            spike_height: self.spike_height,
            spike_type: self.spike_type,
            min_count: self.min_count,
            min_reference: self.min_reference,
            learning_ms: i64::try_from(self.learning.0.as_millis()).unwrap_or(i64::MAX),
            max_terms: self.max_terms.max(1),
            fingerprint,
            message: FieldPath::from_segments(["message"]),
        })
    }
}

fn stat(values: &mut [f64], s: Stat) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(match s {
        Stat::Avg => values.iter().sum::<f64>() / values.len() as f64,
        Stat::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        Stat::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Stat::Percentile(p) => {
            // Nearest rank, found without sorting everything.
            let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
            let k = rank.clamp(1, values.len()) - 1;
            *values.select_nth_unstable_by(k, f64::total_cmp).1
        }
    })
}

impl Rule {
    fn window_ms(&self) -> i64 {
        i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX)
    }

    fn new_window(&self) -> Window {
        let len = if self.kind == Kind::Spike {
            2 * BUCKETS
        } else {
            BUCKETS
        };
        Window::new((self.window_ms() / BUCKETS as i64).max(1), len)
    }

    /// How long an idle group is kept: its windows and its cooldown.
    fn keep_ms(&self) -> i64 {
        self.window_ms()
            .saturating_mul(2)
            .max(self.cooldown_ms)
            .max(60_000)
    }

    /// Brings a group up to event time `t`: its window slides, and distinct values
    /// older than the window are forgotten.
    fn settle(&self, g: &mut Group, t: i64) {
        g.window.advance(t);
        if self.kind == Kind::Cardinality && !g.distinct.is_empty() {
            let cutoff = t.saturating_sub(self.window_ms());
            g.distinct.retain(|_, seen| *seen > cutoff);
        }
    }

    /// The rule's measure of a group now, and whether it holds (should fire).
    fn measure(&self, g: &Group) -> (f64, bool) {
        match self.kind {
            Kind::Any | Kind::NewTerm => (1.0, true),
            Kind::Frequency => {
                let n = g.window.count(0, BUCKETS) as f64;
                (n, n > self.threshold)
            }
            Kind::Flatline => {
                let n = g.window.count(0, BUCKETS) as f64;
                (n, n < self.threshold)
            }
            Kind::Cardinality => {
                let n = g.distinct.len() as f64;
                (n, n > self.threshold)
            }
            Kind::Spike => {
                let cur = g.window.count(0, BUCKETS);
                let reference = g.window.count(BUCKETS, BUCKETS);
                let up = cur >= self.min_count
                    && reference >= self.min_reference
                    && cur as f64 >= self.spike_height * reference as f64;
                let down = reference >= self.min_count
                    && reference as f64 >= self.spike_height * cur as f64
                    && reference >= self.min_reference;
                let holds = match self.spike_type {
                    SpikeType::Up => up,
                    SpikeType::Down => down,
                    SpikeType::Both => up || down,
                };
                (cur as f64, holds)
            }
            Kind::Metric => {
                let mut v = g.window.values(BUCKETS);
                let n = v.len() as u64;
                match stat(&mut v, self.stat) {
                    Some(x) => (x, n >= self.min_count && x > self.threshold),
                    None => (0.0, false),
                }
            }
        }
    }

    fn cooling(&self, g: &Group, at: i64) -> bool {
        g.last_fired_ms
            .is_some_and(|f| at < f.saturating_add(self.cooldown_ms))
    }

    /// Counts `e` (at event time `at`, ms) if it matches, and fires when the rule now
    /// holds.
    pub(crate) fn observe(
        &self,
        i: usize,
        e: &Event,
        at: i64,
        st: &mut State,
        out: &mut Vec<Event>,
    ) {
        if self.condition.as_ref().is_some_and(|c| !c.matches(e)) {
            return;
        }
        let value = match self.kind {
            Kind::Metric => match crate::common::number(self.field.as_ref().and_then(|f| e.get(f)))
            {
                Some(v) => Some(v),
                None => return,
            },
            _ => None,
        };
        let term = match (self.kind, &self.field) {
            (Kind::NewTerm | Kind::Cardinality, Some(f)) => match e.get(f) {
                Some(v) => Some(v.to_string_lossy()),
                None => return,
            },
            _ => None,
        };
        let max = st.max_groups;
        let groups = &mut st.groups[i];
        let key = self
            .group_by
            .key(e, |k| groups.contains_key(k), groups.len(), max);
        let g = groups.entry(key).or_insert_with_key(|k| {
            let mut values = Map::new();
            for (name, v) in self.group_by.values(e, k) {
                values.insert(name.into(), v);
            }
            Group::new(values, self.new_window(), at)
        });
        if self.kind == Kind::NewTerm {
            let Some(term) = term else { return };
            // Learned quietly for `learning` from the group's first event; then a value
            // never seen before fires once (and is learned).
            if g.terms.contains(&term) || g.terms.len() >= self.max_terms {
                return;
            }
            g.terms.insert(term.clone());
            g.last_seen = at;
            if at < g.born.saturating_add(self.learning_ms) {
                return;
            }
            g.first_seen = Some(at);
            g.clear_samples();
            g.samples.push(term);
            out.push(alert(self, g, "firing", 1.0, at));
            return;
        }
        if self.kind == Kind::Flatline && !g.firing {
            // The quiet spell this event ends, seen from the event itself: a replayed
            // file reports the gap as the live stream's clock would have.
            self.settle(g, at);
            self.quiet(g, at, out);
        }
        if !g.window.add(at, value) {
            return;
        }
        g.last_seen = g.last_seen.max(at);
        g.first_seen.get_or_insert(at);
        if let Some(term) = term {
            self.settle(g, at);
            if g.distinct.len() < self.max_terms || g.distinct.contains_key(&term) {
                let seen = g.distinct.entry(term).or_insert(at);
                *seen = (*seen).max(at);
            }
        }
        if let Some(Value::String(m)) = e.get(&self.message) {
            g.sample(m);
        }
        if self.kind == Kind::Flatline {
            // Events only ever end a flatline; the sweep sees that.
            return;
        }
        if self.kind == Kind::Metric {
            // A percentile is computed at most once per bucket of event time (and at the
            // end of each batch), not once per event: a replayed file, in big batches,
            // then alerts at the same moments as the live stream.
            let bucket = at.div_euclid((self.window_ms() / BUCKETS as i64).max(1));
            if bucket == g.evaluated {
                g.dirty = true;
                return;
            }
            g.evaluated = bucket;
            g.dirty = false;
        }
        let (measure, holds) = self.measure(g);
        if holds && (self.kind == Kind::Any || !g.firing) && !self.cooling(g, at) {
            g.firing = self.kind != Kind::Any;
            g.last_fired_ms = Some(at);
            out.push(alert(self, g, "firing", measure, at));
            if self.kind == Kind::Any {
                g.clear_samples();
                g.first_seen = None;
            }
        }
    }

    /// At event time `t` (the end of a batch, or a tick of the clock): a firing group
    /// whose condition no longer holds is resolved; on a tick, a flatline group that
    /// has been quiet for a window fires, and idle groups are forgotten.
    pub(crate) fn sweep(&self, i: usize, t: i64, tick: bool, st: &mut State, out: &mut Vec<Event>) {
        let check_quiet = tick && self.kind == Kind::Flatline;
        for g in st.groups[i].values_mut() {
            if !(g.firing || check_quiet || g.dirty) {
                continue;
            }
            if g.dirty && !g.firing {
                g.dirty = false;
                let at = g.last_seen;
                let (measure, holds) = self.measure(g);
                if holds && !g.firing && !self.cooling(g, at) {
                    g.firing = true;
                    g.last_fired_ms = Some(at);
                    out.push(alert(self, g, "firing", measure, at));
                }
                continue;
            }
            g.dirty = false;
            self.settle(g, t);
            let (measure, holds) = self.measure(g);
            if g.firing && !holds {
                g.firing = false;
                out.push(alert(self, g, "resolved", measure, t));
                g.clear_samples();
                g.first_seen = None;
            } else if !g.firing {
                self.quiet(g, t, out);
            }
        }
    }

    /// Fires a flatline group that has been below its threshold at event time `t` for a
    /// whole window since it was first seen. The alert is dated when the quiet began to
    /// count (a window after the last event), whether the clock or a late event found it.
    fn quiet(&self, g: &mut Group, t: i64, out: &mut Vec<Event>) {
        let (measure, holds) = self.measure(g);
        let w = self.window_ms();
        let since = g.last_seen.saturating_add(w).min(t);
        if holds && t >= g.born.saturating_add(w) && !self.cooling(g, since) {
            g.firing = true;
            g.last_fired_ms = Some(since);
            out.push(alert(self, g, "firing", measure, since));
        }
    }

    /// Forgets groups idle for longer than their windows and cooldown (new_term and
    /// flatline groups are what those rules know, and stay, within `max_groups`).
    pub(crate) fn evict(&self, i: usize, t: i64, st: &mut State) {
        if self.group_by.is_empty() || matches!(self.kind, Kind::NewTerm | Kind::Flatline) {
            return;
        }
        let cutoff = t.saturating_sub(self.keep_ms());
        st.groups[i].retain(|_, g| g.firing || g.last_seen >= cutoff);
    }
}
