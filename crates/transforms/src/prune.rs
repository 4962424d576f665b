//! `prune`: top-level fields kept or removed by name and by value, Logstash's prune
//! filter.
//!
//! `whitelist_names` keeps only the fields whose name matches one of its regexes;
//! `blacklist_names` removes those that match (by default, names that are a leftover
//! `%{...}` reference). `whitelist_values` / `blacklist_values` map a field to a regex its
//! value must (or must not) match; in an array, the elements are filtered one by one.
//! Only top-level fields are looked at, as in Logstash; `@timestamp` is always kept.
//! `interpolate` (expanding `%{}` in the patterns per event) is not supported and says so.

use crate::common::{Common, CommonConfig};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};
use std::collections::BTreeMap;

/// `type = "prune"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    whitelist_names: Vec<String>,
    #[serde(default = "leftover_references")]
    blacklist_names: Vec<String>,
    #[serde(default)]
    whitelist_values: BTreeMap<String, String>,
    #[serde(default)]
    blacklist_values: BTreeMap<String, String>,
    #[serde(default)]
    interpolate: bool,
    #[serde(flatten)]
    common: CommonConfig,
}

fn leftover_references() -> Vec<String> {
    vec!["%\\{[^}]+\\}".into()]
}

/// A built prune transform.
#[derive(Debug)]
pub struct Prune {
    whitelist_names: Vec<regex::Regex>,
    blacklist_names: Vec<regex::Regex>,
    whitelist_values: Vec<(String, regex::Regex)>,
    blacklist_values: Vec<(String, regex::Regex)>,
    on_success: Common,
}

impl Config {
    /// Compiles the patterns.
    pub fn build(self, b: &mut Build<'_>) -> Option<Prune> {
        let mark = b.mark();
        if self.interpolate {
            b.push("interpolate", "expanding %{} in prune's patterns per event is not supported; write the patterns out");
        }
        let mut list = |v: &[String], key: &str| -> Vec<regex::Regex> {
            v.iter().filter_map(|p| b.regex(p, key)).collect()
        };
        let whitelist_names = list(&self.whitelist_names, "whitelist_names");
        let blacklist_names = list(&self.blacklist_names, "blacklist_names");
        let mut pairs = |m: &BTreeMap<String, String>, key: &str| -> Vec<(String, regex::Regex)> {
            m.iter()
                .filter_map(|(f, p)| b.regex(p, key).map(|r| (f.clone(), r)))
                .collect()
        };
        let whitelist_values = pairs(&self.whitelist_values, "whitelist_values");
        let blacklist_values = pairs(&self.blacklist_values, "blacklist_values");
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Prune {
            whitelist_names,
            blacklist_names,
            whitelist_values,
            blacklist_values,
            on_success,
        })
    }
}

/// `v` with only the parts where `keep(text)` holds; `None` when nothing is left.
fn filter_value(v: &Value, keep: &dyn Fn(&str) -> bool) -> Option<Value> {
    match v {
        Value::Array(a) => {
            let left: Vec<Value> = a
                .iter()
                .filter(|x| keep(&x.to_string_lossy()))
                .cloned()
                .collect();
            (!left.is_empty()).then_some(Value::Array(left))
        }
        other => keep(&other.to_string_lossy()).then(|| other.clone()),
    }
}

impl Prune {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let names: Vec<String> = e.fields().iter().map(|(k, _)| k.to_string()).collect();
        for name in names {
            if name == "@timestamp" {
                continue;
            }
            let path = FieldPath::from_segments([name.as_str()]);
            let drop_name = (!self.whitelist_names.is_empty()
                && !self.whitelist_names.iter().any(|r| r.is_match(&name)))
                || self.blacklist_names.iter().any(|r| r.is_match(&name));
            if drop_name {
                e.remove(&path);
                continue;
            }
            let Some(v) = e.get(&path).cloned() else {
                continue;
            };
            let mut kept = Some(v.clone());
            for (f, r) in &self.whitelist_values {
                if *f == name {
                    kept = kept.and_then(|v| filter_value(&v, &|t| r.is_match(t)));
                }
            }
            for (f, r) in &self.blacklist_values {
                if *f == name {
                    kept = kept.and_then(|v| filter_value(&v, &|t| !r.is_match(t)));
                }
            }
            match kept {
                None => {
                    e.remove(&path);
                }
                Some(k) if k != v => {
                    e.insert(&path, k);
                }
                Some(_) => {}
            }
        }
        self.on_success.apply(e);
    }
}
