//! The state of every rule: per-group windows, firing flags, cooldowns, learned terms,
//! and the event clock. Serialisable, so that the runtime can keep it across restarts.

use super::window::Window;
use crate::clock::Clock;
use serde::{Deserialize, Serialize};
use sluice_event::{Map, Value};
use std::collections::{HashMap, HashSet};

/// One group's window and alert state.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Group {
    /// The `group_by` values, for `alert.group`.
    #[serde(with = "map_json")]
    pub(crate) values: Map,
    pub(crate) window: Window,
    pub(crate) firing: bool,
    pub(crate) last_fired_ms: Option<i64>,
    /// The first event of the episode being reported (reset when it ends).
    pub(crate) first_seen: Option<i64>,
    pub(crate) last_seen: i64,
    /// The group's first event ever: `flatline` waits one window from it.
    pub(crate) born: i64,
    /// The latest messages (a ring of [`SAMPLES`]; `sample_next` is the oldest once
    /// full). Read them through [`Group::samples_in_order`].
    pub(crate) samples: Vec<String>,
    #[serde(default)]
    pub(crate) sample_next: usize,
    /// `new_term`: the values seen.
    #[serde(default)]
    pub(crate) terms: HashSet<String>,
    /// `cardinality`: each distinct value and when it was last seen.
    #[serde(default)]
    pub(crate) distinct: HashMap<String, i64>,
    /// `metric`: values arrived since the last evaluation (a percentile is computed once
    /// per batch, not once per event).
    #[serde(skip)]
    pub(crate) dirty: bool,
    /// `metric`: the bucket (event time) it was last evaluated in.
    #[serde(skip)]
    pub(crate) evaluated: i64,
}

/// Sample messages an alert carries.
pub(crate) const SAMPLES: usize = 3;
/// Characters of a sample kept.
const SAMPLE_CHARS: usize = 500;

impl Group {
    /// Keeps `m` among the latest samples, reusing the oldest one's memory.
    pub(crate) fn sample(&mut self, m: &str) {
        let cut = m
            .char_indices()
            .nth(SAMPLE_CHARS)
            .map_or(m, |(i, _)| &m[..i]);
        if self.samples.len() < SAMPLES {
            self.samples.push(cut.to_owned());
            return;
        }
        let i = self.sample_next % SAMPLES;
        self.samples[i].clear();
        self.samples[i].push_str(cut);
        self.sample_next = (i + 1) % SAMPLES;
    }

    /// The samples, oldest first.
    pub(crate) fn samples_in_order(&self) -> impl Iterator<Item = &String> {
        let n = self.samples.len();
        let start = if n < SAMPLES {
            0
        } else {
            self.sample_next % SAMPLES
        };
        (0..n).map(move |k| &self.samples[(start + k) % n])
    }

    /// Forgets the samples (an episode ended).
    pub(crate) fn clear_samples(&mut self) {
        self.samples.clear();
        self.sample_next = 0;
    }

    pub(crate) fn new(values: Map, window: Window, at: i64) -> Self {
        Group {
            values,
            window,
            firing: false,
            last_fired_ms: None,
            first_seen: None,
            last_seen: at,
            born: at,
            samples: Vec::new(),
            sample_next: 0,
            terms: HashSet::new(),
            distinct: HashMap::new(),
            dirty: false,
            evaluated: i64::MIN,
        }
    }
}

/// Every rule's groups, in rule order.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) groups: Vec<HashMap<String, Group>>,
    pub(crate) max_groups: usize,
    pub(crate) clock: Option<Clock>,
    /// Event time of the last sweep for idle groups.
    pub(crate) evicted_ms: i64,
}

impl State {
    pub(crate) fn new(rules: usize, max_groups: usize) -> Self {
        State {
            groups: (0..rules).map(|_| HashMap::new()).collect(),
            max_groups,
            clock: None,
            evicted_ms: i64::MIN,
        }
    }

    /// Moves the clock to an event at `t_ms` that arrived at `wall_ms`.
    pub(crate) fn saw(&mut self, t_ms: i64, wall_ms: i64) {
        Clock::saw(&mut self.clock, t_ms, wall_ms);
    }
}

/// What is written to disk, borrowed from the running state.
#[derive(Serialize)]
pub(crate) struct SnapshotRef<'a> {
    pub(crate) version: u32,
    pub(crate) clock: Option<Clock>,
    pub(crate) rules: std::collections::BTreeMap<&'a str, RuleSnapshotRef<'a>>,
}

/// One rule's state, borrowed.
#[derive(Serialize)]
pub(crate) struct RuleSnapshotRef<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) groups: &'a HashMap<String, Group>,
}

/// What is read back: the clock and, per rule name, its fingerprint and groups.
#[derive(Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) version: u32,
    pub(crate) clock: Option<Clock>,
    pub(crate) rules: HashMap<String, RuleSnapshot>,
}

/// One rule's saved state. A rule whose settings changed (another fingerprint) starts
/// afresh.
#[derive(Deserialize)]
pub(crate) struct RuleSnapshot {
    pub(crate) fingerprint: String,
    pub(crate) groups: HashMap<String, Group>,
}

/// The format version written now.
pub(crate) const VERSION: u32 = 1;

/// `Map` as a JSON object in a snapshot.
mod map_json {
    use super::{Map, Value};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(m: &Map, s: S) -> Result<S::Ok, S::Error> {
        Value::Object(m.clone()).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }
}
