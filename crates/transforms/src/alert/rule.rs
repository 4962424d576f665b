//! One alert rule: its config, its per-group windows, and when it fires or resolves.

use super::window::Window;
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_event::{Event, FieldPath, Map, Value};
use sluice_parse::condition::Condition;
use std::collections::HashMap;
use std::time::Duration;

/// Buckets per window.
const BUCKETS: usize = 60;
/// Sample messages an alert carries.
const SAMPLES: usize = 3;

/// What a rule looks for.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Any,
    Frequency,
    Spike,
    Metric,
    NewTerm,
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
#[derive(Debug, Deserialize)]
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
    /// `new_term`: values remembered per group at most (then no more are learned).
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
enum Stat {
    Avg,
    Min,
    Max,
    Percentile(f64),
}

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct Rule {
    name: String,
    kind: Kind,
    condition: Option<Condition>,
    threshold: f64,
    window: Duration,
    group_by: Vec<(String, FieldPath)>,
    severity: String,
    cooldown_ms: i64,
    field: Option<FieldPath>,
    /// `field` as written, for messages.
    field_name: String,
    stat: Stat,
    spike_height: f64,
    spike_type: SpikeType,
    min_count: u64,
    min_reference: u64,
    learning_ms: i64,
    max_terms: usize,
}

/// One group's window and alert state.
#[derive(Debug)]
struct Group {
    values: Map,
    window: Window,
    firing: bool,
    last_fired_ms: Option<i64>,
    first_seen: Option<i64>,
    last_seen: i64,
    samples: Vec<String>,
    /// `new_term`: the values seen.
    terms: std::collections::HashSet<String>,
}

/// Every rule's groups.
#[derive(Debug)]
pub(crate) struct State {
    groups: Vec<HashMap<String, Group>>,
    max_groups: usize,
}

impl State {
    pub(crate) fn new(rules: usize, max_groups: usize) -> Self {
        State {
            groups: (0..rules).map(|_| HashMap::new()).collect(),
            max_groups,
        }
    }
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
        let group_by = self
            .group_by
            .iter()
            .filter_map(|g| b.path(g, &key("group_by")).map(|p| (g.clone(), p)))
            .collect();
        if !matches!(self.severity.as_str(), "info" | "warning" | "critical") {
            b.push(key("severity"), "must be info, warning or critical");
        }
        if self.window.0 < Duration::from_secs(1) {
            b.push(key("window"), "must be at least 1s");
        }
        if matches!(self.kind, Kind::Frequency | Kind::Metric) && self.threshold < 0.0 {
            b.push(key("threshold"), "must not be negative");
        }
        if self.kind == Kind::Spike && self.spike_height <= 1.0 {
            b.push(
                key("spike_height"),
                "must be above 1 (the current window over the one before)",
            );
        }
        let field = self.field.as_deref().and_then(|f| b.path(f, &key("field")));
        let stat = match (self.kind, self.stat.as_deref()) {
            (Kind::Metric, _) if field.is_none() && self.field.is_none() => {
                b.push(
                    key("field"),
                    "a metric rule needs the numeric `field` it measures",
                );
                Stat::Avg
            }
            (_, None | Some("avg")) => Stat::Avg,
            (_, Some("min")) => Stat::Min,
            (_, Some("max")) => Stat::Max,
            (_, Some(p)) => match p.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()) {
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
        })
    }
}

type Time = chrono::DateTime<chrono::Utc>;

fn ms(t: Time) -> i64 {
    t.timestamp_millis()
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
            values.sort_by(f64::total_cmp);
            // Nearest rank.
            let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
            values[rank.clamp(1, values.len()) - 1]
        }
    })
}

impl Rule {
    fn buckets(&self) -> usize {
        if self.kind == Kind::Spike {
            2 * BUCKETS
        } else {
            BUCKETS
        }
    }

    fn bucket_ms(&self) -> i64 {
        (i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX) / BUCKETS as i64).max(1)
    }

    /// The rule's measure of a group now, and whether it holds (should fire).
    fn measure(&self, g: &Group) -> (f64, bool) {
        match self.kind {
            Kind::Any | Kind::NewTerm => (1.0, true),
            Kind::Frequency => {
                let n = g.window.count(0, BUCKETS) as f64;
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

    /// Counts `e` (at `t`) if it matches, and fires when the rule now holds.
    pub(crate) fn observe(
        &self,
        i: usize,
        e: &Event,
        t: Time,
        st: &mut State,
        out: &mut Vec<Event>,
    ) {
        if self.condition.as_ref().is_some_and(|c| !c.matches(e)) {
            return;
        }
        let value = match &self.field {
            Some(f) => match e.get(f) {
                Some(Value::Integer(n)) => Some(*n as f64),
                Some(Value::Float(x)) => Some(*x),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            },
            None => None,
        };
        if self.kind == Kind::Metric && value.is_none() {
            return;
        }
        let term = match (self.kind, &self.field) {
            (Kind::NewTerm, Some(f)) => match e.get(f) {
                Some(v) => Some(v.to_string_lossy()),
                None => return,
            },
            _ => None,
        };
        let mut values = Map::new();
        let mut key = String::new();
        for (name, path) in &self.group_by {
            let v = e.get(path).cloned().unwrap_or(Value::Null);
            key.push_str(&v.to_string_lossy());
            key.push('\u{1f}');
            values.insert(name.as_str().into(), v);
        }
        let groups = &mut st.groups[i];
        if !groups.contains_key(&key) && groups.len() >= st.max_groups {
            key = "_other".into();
            values = Map::new();
            values.insert("_other".into(), Value::Bool(true));
        }
        let (len, bucket_ms) = (self.buckets(), self.bucket_ms());
        let g = groups.entry(key).or_insert_with(|| Group {
            values,
            window: Window::new(bucket_ms, len),
            firing: false,
            last_fired_ms: None,
            first_seen: None,
            last_seen: ms(t),
            samples: Vec::new(),
            terms: std::collections::HashSet::new(),
        });
        let at = ms(t);
        if let Some(term) = term {
            // Learned quietly for `learning` from the group's first event; then a value
            // never seen before fires once (and is learned).
            let start = *g.first_seen.get_or_insert(at);
            if g.terms.contains(&term) || g.terms.len() >= self.max_terms {
                return;
            }
            g.terms.insert(term.clone());
            g.last_seen = at;
            if at < start.saturating_add(self.learning_ms) {
                return;
            }
            g.samples = vec![term];
            out.push(self.alert(g, "firing", 1.0));
            return;
        }
        if !g.window.add(at, value) {
            return;
        }
        g.last_seen = g.last_seen.max(at);
        g.first_seen.get_or_insert(at);
        if let Some(Value::String(m)) = e.get(&FieldPath::from_segments(["message"])) {
            if g.samples.len() >= SAMPLES {
                g.samples.remove(0);
            }
            g.samples.push(m.chars().take(500).collect());
        }
        let (measure, holds) = self.measure(g);
        let cooling = g
            .last_fired_ms
            .is_some_and(|f| at < f.saturating_add(self.cooldown_ms));
        if holds && (self.kind == Kind::Any || !g.firing) && !cooling {
            g.firing = self.kind != Kind::Any;
            g.last_fired_ms = Some(at);
            out.push(self.alert(g, "firing", measure));
            if self.kind == Kind::Any {
                g.samples.clear();
                g.first_seen = None;
            }
        }
    }

    /// At the end of a batch (newest event time `t`): a firing group whose condition no
    /// longer holds is resolved.
    pub(crate) fn sweep(&self, i: usize, t: Time, st: &mut State, out: &mut Vec<Event>) {
        for g in st.groups[i].values_mut().filter(|g| g.firing) {
            g.window.advance(ms(t));
            let (measure, holds) = self.measure(g);
            if !holds {
                g.firing = false;
                out.push(self.alert(g, "resolved", measure));
                g.samples.clear();
                g.first_seen = None;
            }
        }
    }

    fn alert(&self, g: &Group, state: &str, measure: f64) -> Event {
        let window = humantime(self.window);
        let group = if g.values.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = g
                .values
                .iter()
                .map(|(k, v)| format!("{k}={}", v.to_string_lossy()))
                .collect();
            format!(" for {}", parts.join(", "))
        };
        let what = match self.kind {
            Kind::Any => "a matching event".to_owned(),
            Kind::NewTerm => format!(
                "a value of {} never seen before: {}",
                self.field_name,
                g.samples.first().map(String::as_str).unwrap_or("")
            ),
            Kind::Frequency => format!(
                "{measure} events in {window} (threshold {})",
                self.threshold
            ),
            Kind::Spike => format!(
                "{measure} events in {window}, a spike of {}x over the window before",
                self.spike_height
            ),
            Kind::Metric => format!(
                "{} of {} is {measure} over {window} (threshold {})",
                match self.stat {
                    Stat::Avg => "avg".to_owned(),
                    Stat::Min => "min".to_owned(),
                    Stat::Max => "max".to_owned(),
                    Stat::Percentile(p) => format!("p{p}"),
                },
                self.field_name,
                self.threshold
            ),
        };
        let message = if state == "resolved" {
            format!(
                "[{}] {} resolved{group}: now {what}",
                self.severity, self.name
            )
        } else {
            format!("[{}] {}{group}: {what}", self.severity, self.name)
        };
        let ts = |m: i64| {
            chrono::DateTime::from_timestamp_millis(m)
                .map(Value::Timestamp)
                .unwrap_or(Value::Null)
        };
        let mut a = Map::new();
        a.insert("severity".into(), Value::from(self.severity.as_str()));
        a.insert("state".into(), Value::from(state));
        a.insert(
            "count".into(),
            if self.kind == Kind::Metric {
                Value::Float(measure)
            } else {
                Value::Integer(measure as i64)
            },
        );
        a.insert("threshold".into(), Value::Float(self.threshold));
        a.insert("window".into(), Value::from(window.as_str()));
        a.insert("group".into(), Value::Object(g.values.clone()));
        a.insert("first_seen".into(), ts(g.first_seen.unwrap_or(g.last_seen)));
        a.insert("last_seen".into(), ts(g.last_seen));
        a.insert(
            "samples".into(),
            Value::Array(g.samples.iter().map(|s| Value::from(s.as_str())).collect()),
        );
        let mut ev = Event::new();
        let f = ev.fields_mut();
        f.insert("@timestamp".into(), ts(g.last_seen));
        f.insert("message".into(), Value::from(message));
        let mut kind = Map::new();
        kind.insert("kind".into(), Value::from("alert"));
        f.insert("event".into(), Value::Object(kind));
        let mut rule = Map::new();
        rule.insert("name".into(), Value::from(self.name.as_str()));
        let kind = match self.kind {
            Kind::Any => "any",
            Kind::Frequency => "frequency",
            Kind::Spike => "spike",
            Kind::Metric => "metric",
            Kind::NewTerm => "new_term",
        };
        rule.insert("kind".into(), Value::from(kind));
        f.insert("rule".into(), Value::Object(rule));
        f.insert("alert".into(), Value::Object(a));
        ev
    }
}

/// `300s` as `5m`, `90s` as `90s`.
fn humantime(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) && s > 0 {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) && s > 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}
