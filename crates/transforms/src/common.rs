//! The options every Logstash filter shares, applied when the filter succeeds:
//! `add_field`, `add_tag`, `remove_field`, `remove_tag`.

use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};
use sluice_parse::template::{FieldName, Template};
use std::collections::BTreeMap;

/// The shared options as written (flattened into each filter's config).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommonConfig {
    /// Fields to add: name (may be a template) -> value template.
    #[serde(default)]
    pub add_field: BTreeMap<String, String>,
    /// Tags to add (templates).
    #[serde(default)]
    pub add_tag: Vec<String>,
    /// Fields to remove (names may be templates).
    #[serde(default)]
    pub remove_field: Vec<String>,
    /// Tags to remove (templates).
    #[serde(default)]
    pub remove_tag: Vec<String>,
}

/// The shared options, compiled.
#[derive(Clone, Debug, Default)]
pub struct Common {
    add_field: Vec<(FieldName, Template)>,
    add_tag: Vec<Template>,
    remove_field: Vec<FieldName>,
    remove_tag: Vec<Template>,
}

impl CommonConfig {
    /// Compiles the names and templates; problems go to `b` at their keys.
    pub fn build(&self, b: &mut Build<'_>) -> Common {
        let mut c = Common::default();
        for (k, v) in &self.add_field {
            if let (Some(a), Some(t)) = (b.field_name(k, "add_field"), b.template(v, "add_field")) {
                c.add_field.push((a, t));
            }
        }
        c.add_tag = self
            .add_tag
            .iter()
            .filter_map(|t| b.template(t, "add_tag"))
            .collect();
        c.remove_field = self
            .remove_field
            .iter()
            .filter_map(|t| b.field_name(t, "remove_field"))
            .collect();
        c.remove_tag = self
            .remove_tag
            .iter()
            .filter_map(|t| b.template(t, "remove_tag"))
            .collect();
        c
    }
}

impl Common {
    /// Applies the options to one event, in Logstash's order.
    pub fn apply(&self, e: &mut Event) {
        for (k, v) in &self.add_field {
            let Some(path) = k.resolve(e) else {
                continue;
            };
            let value = Value::from(&*v.rendered(e));
            // Adding to an existing field makes it an array, as in Logstash.
            e.upsert(&path, value, Value::append);
        }
        for t in &self.add_tag {
            let tag = t.rendered(e);
            e.add_tag(&tag);
        }
        for f in &self.remove_field {
            if let Some(p) = f.resolve(e) {
                e.remove(&p);
            }
        }
        for t in &self.remove_tag {
            let tag = t.rendered(e);
            e.remove_tag(&tag);
        }
    }
}

/// Serde defaults the filters share: the field most of them read, an option that is on
/// unless turned off, and the interval files are looked at again.
pub(crate) mod defaults {
    /// `message`.
    pub(crate) fn message() -> String {
        "message".into()
    }

    /// `true`.
    pub(crate) fn yes() -> bool {
        true
    }

    /// Five minutes (Logstash's `refresh_interval`).
    pub(crate) fn five_minutes() -> sluice_core::config::HumanDuration {
        sluice_core::config::HumanDuration(std::time::Duration::from_secs(300))
    }
}

/// The field a parsing filter reads, and where its result goes (`None`: the event's
/// root), as `json` and `kv` spell them.
#[derive(Clone, Debug)]
pub(crate) struct SourceTarget {
    pub(crate) source: FieldPath,
    pub(crate) target: Option<FieldPath>,
}

impl SourceTarget {
    /// Parses `source` and `target`; problems go to `b` at those keys.
    pub(crate) fn build(source: &str, target: Option<&str>, b: &mut Build<'_>) -> Option<Self> {
        let s = b.path(source, "source");
        let t = target.map(|t| b.path(t, "target"));
        Some(SourceTarget {
            source: s?,
            target: match t {
                Some(p) => Some(p?),
                None => None,
            },
        })
    }
}

/// A field's value as a number: integers, floats, and strings that hold one (`"250"`),
/// as measuring transforms (alert metrics, anomaly features) read `response_time`.
pub fn number(v: Option<&sluice_event::Value>) -> Option<f64> {
    match v? {
        sluice_event::Value::String(s) => s.trim().parse().ok(),
        other => other.as_f64(),
    }
}
