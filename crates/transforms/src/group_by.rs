//! `group_by` of the transforms that keep state per group (alert rules, the anomaly
//! model): the key of an event's group, bounded by a number of groups past which new
//! groups share [`OTHER`], and the group's values as its alerts show them.

use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};

/// The group that new groups share once the bound is reached.
pub const OTHER: &str = "_other";

/// Compiled `group_by` fields.
#[derive(Clone, Debug, Default)]
pub struct GroupBy {
    fields: Vec<(String, FieldPath)>,
}

impl GroupBy {
    /// Compiles `list`; a bad field path is a problem at `key`.
    pub fn build(list: &[String], key: &str, b: &mut Build<'_>) -> Self {
        GroupBy {
            fields: list
                .iter()
                .filter_map(|g| b.path(g, key).map(|p| (g.clone(), p)))
                .collect(),
        }
    }

    /// No fields: one group for every event.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The key of `e`'s group: its values rendered, each ended by U+001F. A key that is
    /// not `known` while there are already `max` groups is [`OTHER`].
    pub fn key(&self, e: &Event, known: impl Fn(&str) -> bool, len: usize, max: usize) -> String {
        let mut key = String::new();
        for (_, path) in &self.fields {
            if let Some(v) = e.get(path) {
                v.render(&mut key);
            }
            key.push('\u{1f}');
        }
        if len >= max && !known(&key) {
            return OTHER.to_owned();
        }
        key
    }

    /// The values of the group `key` (from `e`, its first event): each field's value
    /// (null when absent), or `_other: true` for the overflow group.
    pub fn values(&self, e: &Event, key: &str) -> Vec<(String, Value)> {
        if key == OTHER {
            return vec![(OTHER.to_owned(), Value::Bool(true))];
        }
        self.fields
            .iter()
            .map(|(name, path)| (name.clone(), e.get(path).cloned().unwrap_or(Value::Null)))
            .collect()
    }
}
