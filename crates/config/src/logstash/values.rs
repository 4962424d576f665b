//! Logstash values as TOML values, and the rules Logstash applies to a plugin's
//! settings: repeated settings merge, single values stand for lists, `id` and metric
//! settings go.

use sluice_lscl::{Attribute, Plugin, Value};
use toml::Value as T;

pub(super) const IGNORED: &[&str] = &["enable_metric", "periodic_flush", "ecs_compatibility"];

/// Keys whose value is a list in sluice, which Logstash also takes as one value.
pub(super) const LISTS: &[&str] = &[
    "add_tag",
    "remove_tag",
    "remove_field",
    "overwrite",
    "tag_on_failure",
    "patterns_dir",
    "lowercase",
    "uppercase",
    "capitalize",
    "strip",
    "include_keys",
    "exclude_keys",
];

pub(super) fn value(v: &Value) -> T {
    match v {
        Value::Bareword(w) if w == "true" => T::Boolean(true),
        Value::Bareword(w) if w == "false" => T::Boolean(false),
        Value::Bareword(w) | Value::String(w) => T::String(w.clone()),
        Value::Number(_) => match v.as_i64() {
            Some(i) => T::Integer(i),
            None => T::Float(v.as_f64().unwrap_or(0.0)),
        },
        Value::Array(a) => T::Array(a.iter().map(value).collect()),
        Value::Hash(h) => {
            let mut t = toml::Table::new();
            for (k, _, v) in h {
                merge_into(&mut t, k, value(v));
            }
            T::Table(t)
        }
        Value::Plugin(p) => T::String(p.name.clone()),
    }
}

/// Logstash's rule for a repeated setting: hashes merge, anything else gathers into a
/// list.
pub(super) fn merge_into(t: &mut toml::Table, k: &str, v: T) {
    match (t.get_mut(k), v) {
        (None, v) => {
            t.insert(k.to_owned(), v);
        }
        (Some(T::Table(old)), T::Table(new)) => {
            for (k2, v2) in new {
                merge_into(old, &k2, v2);
            }
        }
        (Some(old), v) => {
            let mut list = match std::mem::replace(old, T::Boolean(false)) {
                T::Array(a) => a,
                other => vec![other],
            };
            match v {
                T::Array(a) => list.extend(a),
                other => list.push(other),
            }
            *old = T::Array(list);
        }
    }
}

/// A plugin's attributes as a table, repeated ones merged, `id` and ignored ones out.
pub(super) fn table(p: &Plugin) -> toml::Table {
    let mut t = toml::Table::new();
    for a in &p.attributes {
        if a.name == "id" || IGNORED.contains(&a.name.as_str()) {
            continue;
        }
        merge_into(&mut t, &a.name, value(&a.value));
    }
    for k in LISTS {
        if let Some(v) = t.get_mut(*k) {
            if !matches!(v, T::Array(_)) {
                *v = T::Array(vec![v.clone()]);
            }
        }
    }
    // Logstash takes any value in add_field and makes it text.
    if let Some(T::Table(f)) = t.get_mut("add_field") {
        for (_, v) in f.iter_mut() {
            if let Some(text) = as_text(Some(v.clone())) {
                *v = T::String(text);
            }
        }
    }
    t
}

/// A hash written in Logstash's older array form, `["key", "value", ...]`, as a table;
/// `None` when the array is not made of pairs.
pub(super) fn pairs(a: &[T]) -> Option<toml::Table> {
    if !a.len().is_multiple_of(2) {
        return None;
    }
    a.chunks(2)
        .map(|c| {
            Some((
                as_text(Some(c[0].clone()))?,
                T::String(as_text(Some(c[1].clone()))?),
            ))
        })
        .collect()
}

pub(super) fn attr<'a>(p: &'a Plugin, name: &str) -> Option<&'a Attribute> {
    p.attributes.iter().find(|a| a.name == name)
}

/// The name of a plugin's `codec`, when it has one (`codec => json` or `json { }`).
pub(super) fn codec(p: &Plugin) -> Option<String> {
    attr(p, "codec").map(|a| match &a.value {
        Value::Plugin(c) => c.name.clone(),
        v => v.as_str().unwrap_or("").to_owned(),
    })
}

pub(super) fn s(v: &str) -> T {
    T::String(v.to_owned())
}

pub(super) fn as_text(v: Option<T>) -> Option<String> {
    match v? {
        T::String(s) => Some(s),
        T::Integer(i) => Some(i.to_string()),
        T::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Duplicate keys inside one hash literal, with their place, nested hashes included
/// (Logstash refuses them when it compiles the pipeline; repeating a whole setting
/// merges instead).
pub(super) fn duplicate_keys(v: &Value, out: &mut Vec<(String, sluice_lscl::Pos)>) {
    match v {
        Value::Hash(h) => {
            let mut seen = std::collections::HashSet::new();
            for (k, pos, inner) in h {
                if !seen.insert(k.as_str()) {
                    out.push((k.clone(), *pos));
                }
                duplicate_keys(inner, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| duplicate_keys(x, out)),
        Value::Plugin(p) => p
            .attributes
            .iter()
            .for_each(|a| duplicate_keys(&a.value, out)),
        _ => {}
    }
}
