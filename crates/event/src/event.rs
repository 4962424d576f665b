//! [`Event`]: fields plus the metadata outputs never emit.

use crate::{AckToken, FieldPath, Map, Timestamp, Value};
use std::net::SocketAddr;
use std::sync::Arc;

/// What travels with an event but is never written by a sink.
#[derive(Clone, Debug, Default)]
pub struct EventMeta {
    /// The peer that sent the event, when a network source received it.
    pub peer: Option<SocketAddr>,
    /// The id of the source component that created the event.
    pub source: Option<Arc<str>>,
    /// Logstash's `@metadata`: usable in conditions and templates, never emitted.
    pub metadata: Map,
    /// Acknowledgement handle for sources that can acknowledge.
    pub ack: Option<AckToken>,
}

/// One log event.
#[derive(Clone, Debug, Default)]
pub struct Event {
    fields: Map,
    meta: EventMeta,
}

/// Events travel between components in batches, never one by one.
pub type EventBatch = Vec<Event>;

fn get_in<'a>(mut cur: &'a Value, segs: &[String]) -> Option<&'a Value> {
    for s in segs {
        cur = match cur {
            Value::Object(m) => m.get(s)?,
            Value::Array(a) => a.get(index(s, a.len())?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn index(seg: &str, len: usize) -> Option<usize> {
    let i: i64 = seg.parse().ok()?;
    if i >= 0 {
        Some(i as usize)
    } else {
        len.checked_sub(i.unsigned_abs() as usize)
    }
}

/// The object that holds the last segment of `segs`, created on the way, and that segment.
fn parent_of<'m, 's>(map: &'m mut Map, segs: &'s [String]) -> Option<(&'m mut Map, &'s str)> {
    let (last, parents) = segs.split_last()?;
    let mut cur = map;
    for s in parents {
        let slot = cur.get_or_insert_with(s, || Value::Object(Map::new()));
        if !matches!(slot, Value::Object(_)) {
            // A scalar in the way is replaced, as Logstash does when it sets a subfield.
            *slot = Value::Object(Map::new());
        }
        cur = slot.as_object_mut()?;
    }
    Some((cur, last))
}

fn insert_in(map: &mut Map, segs: &[String], value: Value) -> Option<Value> {
    let (parent, last) = parent_of(map, segs)?;
    parent.insert(last.into(), value)
}

fn remove_in(map: &mut Map, segs: &[String]) -> Option<Value> {
    let (last, parents) = segs.split_last()?;
    let mut cur = map;
    for s in parents {
        cur = cur.get_mut(s)?.as_object_mut()?;
    }
    cur.remove(last)
}

impl Event {
    /// An empty event.
    pub fn new() -> Self {
        Self::default()
    }

    /// An event whose fields are `fields`.
    pub fn from_map(fields: Map) -> Self {
        Event {
            fields,
            meta: EventMeta::default(),
        }
    }

    /// An event with `message` set and `@timestamp` = `now`.
    pub fn from_message(message: impl Into<String>, now: Timestamp) -> Self {
        let mut m = Map::new();
        m.insert("message".into(), Value::from(message.into()));
        m.insert("@timestamp".into(), Value::Timestamp(now));
        Self::from_map(m)
    }

    /// The event's fields.
    pub fn fields(&self) -> &Map {
        &self.fields
    }

    /// The event's fields, to change.
    pub fn fields_mut(&mut self) -> &mut Map {
        &mut self.fields
    }

    /// What outputs never emit: peer, source, ack token, `@metadata`.
    pub fn meta(&self) -> &EventMeta {
        &self.meta
    }

    /// The metadata, to change.
    pub fn meta_mut(&mut self) -> &mut EventMeta {
        &mut self.meta
    }

    fn root_for(&self, path: &FieldPath) -> (&Map, usize) {
        if path.is_metadata() {
            (&self.meta.metadata, 1)
        } else {
            (&self.fields, 0)
        }
    }

    /// The object `path` starts in (metadata for `[@metadata]...`) and the segments
    /// below it.
    fn root_mut<'p>(&mut self, path: &'p FieldPath) -> (&mut Map, &'p [String]) {
        if path.is_metadata() {
            (&mut self.meta.metadata, &path.segments()[1..])
        } else {
            (&mut self.fields, path.segments())
        }
    }

    /// The value at `path`; `[@metadata][x]` reads metadata.
    pub fn get(&self, path: &FieldPath) -> Option<&Value> {
        let (root, skip) = self.root_for(path);
        let segs = &path.segments()[skip..];
        let (first, rest) = segs.split_first()?;
        get_in(root.get(first)?, rest)
    }

    /// The value at `path`, mutably.
    pub fn get_mut(&mut self, path: &FieldPath) -> Option<&mut Value> {
        let (mut cur, segs) = self.root_mut(path);
        let (last, parents) = segs.split_last()?;
        for s in parents {
            cur = cur.get_mut(s.as_str())?.as_object_mut()?;
        }
        cur.get_mut(last.as_str())
    }

    /// The value at a field name given as segments, without parsing a path.
    pub fn get_segments(&self, segs: &[&str]) -> Option<&Value> {
        let (first, rest) = segs.split_first()?;
        let mut cur = self.fields.get(*first)?;
        for s in rest {
            cur = cur.as_object()?.get(*s)?;
        }
        Some(cur)
    }

    /// Sets `path` to `value`, creating objects on the way; returns the old value.
    pub fn insert(&mut self, path: &FieldPath, value: impl Into<Value>) -> Option<Value> {
        let (root, segs) = self.root_mut(path);
        insert_in(root, segs, value.into())
    }

    /// Sets `path` to `value` when it is absent (or null), creating objects on the way;
    /// otherwise hands the present value and `value` to `merge`. One lookup either way.
    pub fn upsert(
        &mut self,
        path: &FieldPath,
        value: Value,
        merge: impl FnOnce(&mut Value, Value),
    ) {
        let (root, segs) = self.root_mut(path);
        let Some((parent, last)) = parent_of(root, segs) else {
            return;
        };
        parent.upsert(last, value, |old, new| {
            if matches!(old, Value::Null) {
                *old = new;
            } else {
                merge(old, new);
            }
        });
    }

    /// Removes `path`; returns what was there.
    pub fn remove(&mut self, path: &FieldPath) -> Option<Value> {
        let whole_metadata = path.segments() == ["@metadata"];
        let (root, segs) = self.root_mut(path);
        if whole_metadata {
            return Some(Value::Object(std::mem::take(root)));
        }
        remove_in(root, segs)
    }

    /// Appends `tag` to `tags` unless it is already there (Logstash's add_tag).
    pub fn add_tag(&mut self, tag: &str) {
        let slot = self
            .fields
            .get_or_insert_with("tags", || Value::Array(Vec::new()));
        let present = match &mut *slot {
            Value::Array(a) => a.iter().any(|v| v.as_str() == Some(tag)),
            Value::String(s) => s == tag,
            // A `tags` that is neither text nor a list is replaced by a list.
            other => {
                *other = Value::Array(Vec::new());
                false
            }
        };
        if !present {
            slot.append(Value::from(tag));
        }
    }

    /// Removes `tag` from `tags`.
    pub fn remove_tag(&mut self, tag: &str) {
        if let Some(Value::Array(a)) = self.fields.get_mut("tags") {
            a.retain(|v| v.as_str() != Some(tag));
        }
    }

    /// True when `tags` holds `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        match self.fields.get("tags") {
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(tag)),
            Some(Value::String(s)) => s == tag,
            _ => false,
        }
    }

    /// `@timestamp`, when it is a timestamp.
    pub fn timestamp(&self) -> Option<Timestamp> {
        match self.fields.get("@timestamp") {
            Some(Value::Timestamp(t)) => Some(*t),
            _ => None,
        }
    }

    /// Appends the event's fields as one JSON object (no newline).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        crate::json::write_map(&self.fields, out);
    }

    /// Rough in-memory size, for buffer accounting.
    pub fn estimated_size(&self) -> usize {
        fn size(v: &Value) -> usize {
            match v {
                Value::String(s) => s.len() + 24,
                Value::Bytes(b) => b.len() + 24,
                Value::Array(a) => a.iter().map(size).sum::<usize>() + 24,
                Value::Object(m) => {
                    m.iter().map(|(k, v)| k.len() + 24 + size(v)).sum::<usize>() + 24
                }
                _ => 16,
            }
        }
        self.fields
            .iter()
            .map(|(k, v)| k.len() + 24 + size(v))
            .sum::<usize>()
            + 64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn insert_get_remove_nested() {
        let mut e = Event::new();
        e.insert(&p("[log][syslog][priority]"), 134i64);
        assert_eq!(e.get(&p("log.syslog.priority")), Some(&Value::Integer(134)));
        assert_eq!(
            e.get_segments(&["log", "syslog", "priority"]),
            Some(&Value::Integer(134))
        );
        assert_eq!(
            e.remove(&p("log.syslog.priority")),
            Some(Value::Integer(134))
        );
        assert_eq!(e.get(&p("log.syslog.priority")), None);
        assert!(e.get(&p("log.syslog")).is_some());
    }

    #[test]
    fn metadata_is_separate_from_fields() {
        let mut e = Event::new();
        e.insert(&p("[@metadata][beat]"), "filebeat");
        assert!(e.fields().is_empty());
        assert_eq!(
            e.get(&p("@metadata.beat")).and_then(Value::as_str),
            Some("filebeat")
        );
        let mut out = Vec::new();
        e.write_json(&mut out);
        assert_eq!(out, b"{}");
    }

    #[test]
    fn tags_are_deduplicated() {
        let mut e = Event::new();
        e.add_tag("a");
        e.add_tag("b");
        e.add_tag("a");
        assert_eq!(
            e.fields()["tags"],
            Value::Array(vec!["a".into(), "b".into()])
        );
        assert!(e.has_tag("b"));
        e.remove_tag("a");
        assert!(!e.has_tag("a"));
    }

    #[test]
    fn array_index_segments() {
        let mut e = Event::new();
        e.insert(&p("list"), Value::Array(vec!["x".into(), "y".into()]));
        assert_eq!(e.get(&p("[list][1]")).and_then(Value::as_str), Some("y"));
        assert_eq!(e.get(&p("[list][-1]")).and_then(Value::as_str), Some("y"));
        assert_eq!(e.get(&p("[list][5]")), None);
    }
}
