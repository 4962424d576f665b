//! `json`: parse a field as JSON, into a target field or the event's root.

use crate::common::{Common, CommonConfig, SourceTarget};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Key, Map, Value};
use sluice_parse::json_event::{parse_iso8601, TIMESTAMP_FAILURE_TAG};

/// `type = "json"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "crate::common::defaults::message")]
    source: String,
    /// Where the result goes; absent merges an object into the event's root.
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    skip_on_invalid_json: bool,
    #[serde(default = "json_failure")]
    tag_on_failure: Vec<String>,
    /// Not Logstash's: when the text is not valid JSON but looks like an object (a
    /// `%`-template "JSON" log formatter), recover its `"key": value` pairs, tag the
    /// event `_jsonlenient`, and put what followed the object (a traceback) into
    /// `lenient_rest`.
    #[serde(default)]
    lenient: bool,
    #[serde(default = "stack_trace")]
    lenient_rest: String,
    #[serde(flatten)]
    common: CommonConfig,
}

fn stack_trace() -> String {
    "[error][stack_trace]".into()
}

/// The tag of an event whose JSON was recovered leniently.
pub const LENIENT_TAG: &str = "_jsonlenient";

fn json_failure() -> Vec<String> {
    vec!["_jsonparsefailure".into()]
}

/// A built json transform.
#[derive(Debug)]
pub struct Json {
    source: FieldPath,
    target: Option<FieldPath>,
    skip_on_invalid_json: bool,
    tag_on_failure: Vec<String>,
    /// Where the text after a leniently read object goes; `None`: not lenient.
    lenient: Option<FieldPath>,
    on_success: Common,
}

impl Config {
    /// Parses the field references.
    pub fn build(self, b: &mut Build<'_>) -> Option<Json> {
        let mark = b.mark();
        let io = SourceTarget::build(&self.source, self.target.as_deref(), b);
        let lenient = self
            .lenient
            .then(|| b.path(&self.lenient_rest, "lenient_rest"));
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        let SourceTarget { source, target } = io?;
        Some(Json {
            source,
            target,
            skip_on_invalid_json: self.skip_on_invalid_json,
            tag_on_failure: self.tag_on_failure,
            lenient: lenient.flatten(),
            on_success,
        })
    }
}

impl Json {
    /// Applies the filter to one event. An absent source is not a failure.
    pub fn apply_one(&self, e: &mut Event) {
        let parsed = match e.get(&self.source) {
            Some(Value::String(s)) => Value::from_json(s.as_bytes()),
            _ => return,
        };
        let value = match parsed {
            Ok(v) => v,
            Err(_) if self.lenient.is_some() && self.recover(e) => return,
            Err(_) if self.skip_on_invalid_json => return,
            Err(_) => {
                self.tag_on_failure.iter().for_each(|t| e.add_tag(t));
                return;
            }
        };
        match (&self.target, value) {
            (Some(t), v) => {
                e.insert(t, v);
            }
            (None, Value::Object(m)) => merge_root(e, m),
            // Only an object can be merged into the root (Logstash says the same).
            (None, _) => {
                self.tag_on_failure.iter().for_each(|t| e.add_tag(t));
                return;
            }
        }
        self.on_success.apply(e);
    }
}

impl Json {
    /// The lenient reading of an invalid "JSON" record; false when nothing was recovered.
    fn recover(&self, e: &mut Event) -> bool {
        let (Some(rest_field), Some(Value::String(text))) = (&self.lenient, e.get(&self.source))
        else {
            return false;
        };
        let Some(l) = sluice_parse::lenient_json::lenient_object(text) else {
            return false;
        };
        let rest = (!l.rest.is_empty()).then(|| Value::from(l.rest));
        let mut m = Map::new();
        for (k, v) in l.fields {
            m.insert(k.into(), v);
        }
        match &self.target {
            Some(t) => {
                e.insert(t, Value::Object(m));
            }
            None => merge_root(e, m),
        }
        if let Some(r) = rest {
            e.insert(rest_field, r);
        }
        e.add_tag(LENIENT_TAG);
        self.on_success.apply(e);
        true
    }
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
