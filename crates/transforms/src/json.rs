//! `json` and `kv`: structure out of a text field.

use crate::mutate::apply_common;
use sluice_config::{JsonSpec, KvSpec};
use sluice_event::{Event, FieldPath, Key, Map, Value};
use sluice_parse::json_event::{parse_iso8601, TIMESTAMP_FAILURE_TAG};

/// Applies `j` to one event. An absent source is not a failure.
pub fn apply_json(j: &JsonSpec, e: &mut Event) {
    let parsed = match e.get(&j.source) {
        Some(Value::String(s)) => Value::from_json(s.as_bytes()),
        _ => return,
    };
    let value = match parsed {
        Ok(v) => v,
        Err(_) if j.skip_on_invalid_json => return,
        Err(_) => {
            j.tag_on_failure.iter().for_each(|t| e.add_tag(t));
            return;
        }
    };
    match (&j.target, value) {
        (Some(t), v) => {
            e.insert(t, v);
        }
        (None, Value::Object(m)) => merge_root(e, m),
        // Only an object can be merged into the root (Logstash says the same).
        (None, _) => {
            j.tag_on_failure.iter().for_each(|t| e.add_tag(t));
            return;
        }
    }
    apply_common(&j.on_success, e);
}

/// Top-level keys of `m` into the event; `@timestamp` is parsed, `tags` are added.
fn merge_root(e: &mut Event, m: Map) {
    for (k, v) in m {
        match (k.as_str(), v) {
            ("@timestamp", Value::String(s)) => match parse_iso8601(&s) {
                Some(t) => {
                    e.fields_mut().insert(k, Value::Timestamp(t));
                }
                None => {
                    e.fields_mut()
                        .insert(Key::const_new("_@timestamp"), Value::String(s));
                    e.add_tag(TIMESTAMP_FAILURE_TAG);
                }
            },
            ("tags", Value::Array(tags)) => {
                for t in tags.iter().filter_map(Value::as_str) {
                    e.add_tag(t);
                }
            }
            (_, v) => {
                e.fields_mut().insert(k, v);
            }
        }
    }
}

/// How deep `recursive` follows bracketed values.
const KV_MAX_DEPTH: usize = 8;

/// The pairs of `text` as an object, with `k`'s key filters, prefix, case changes and
/// repeat rules. Repeated keys collect their values in an array.
fn kv_object(k: &KvSpec, text: &str, depth: usize) -> Map {
    let mut found = Map::new();
    for pair in sluice_parse::kv::parse(text, &k.options) {
        let key = pair.key.as_ref();
        if !k.include_keys.is_empty() && !k.include_keys.iter().any(|i| i == key) {
            continue;
        }
        if k.exclude_keys.iter().any(|x| x == key) {
            continue;
        }
        let key = match k.transform_key {
            Some(c) => c.apply(key),
            None => key.to_owned(),
        };
        let name = format!("{}{key}", k.prefix);
        let nested = (k.recursive && pair.bracketed && depth < KV_MAX_DEPTH)
            .then(|| kv_object(k, &pair.value, depth + 1))
            .filter(|m| !m.is_empty());
        let v = match (nested, k.transform_value) {
            (Some(m), _) => Value::Object(m),
            (None, Some(c)) => Value::from(c.apply(&pair.value)),
            (None, None) => Value::from(pair.value.as_ref()),
        };
        // A repeated key collects its values in an array.
        found.upsert(&name, v, |old, new| {
            let repeat = match &*old {
                Value::Array(a) => a.contains(&new),
                one => *one == new,
            };
            if k.allow_duplicate_values || !repeat {
                old.append(new);
            }
        });
    }
    found
}

/// Applies `k` to one event.
pub fn apply_kv(k: &KvSpec, e: &mut Event) {
    let text = match e.get(&k.source) {
        Some(Value::String(s)) => s.to_string(),
        _ => return,
    };
    let mut found = kv_object(k, &text, 0);
    for (key, value) in &k.default_keys {
        found.get_or_insert_with(key, || Value::from(value.as_str()));
    }
    match &k.target {
        Some(t) => {
            e.insert(t, Value::Object(found));
        }
        None => {
            for (name, v) in found {
                e.insert(&FieldPath::from_segments([name.as_str()]), v);
            }
        }
    }
    apply_common(&k.on_success, e);
}
