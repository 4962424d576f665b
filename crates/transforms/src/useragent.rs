//! `useragent`: a browser's User-Agent string parsed into name, version, OS and device,
//! Logstash's useragent filter; parsed with the `woothee` crate (the Woothee project's
//! shared rules, maintained for many languages).
//!
//! Under ECS (Logstash 8's default) the result goes to `target` (default `user_agent`)
//! as `name`, `version`, `os.name`, `os.version`, `os.full`, `device.name` and
//! `original`; with `ecs_compatibility = "disabled"` to the top level (or `target`) as
//! Logstash's older `name`, `major`, `minor`, `os_name`, `os_version`, `device`.
//! Woothee's categories differ from ua-parser's (which Logstash uses) in detail: a
//! device is named by its category (`pc`, `smartphone`, `mobilephone`, `appliance`,
//! `crawler`), and unknown values are left out rather than written as `Other`.

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};

/// User-Agent strings longer than this are cut before parsing (they are junk or attacks).
const MAX_AGENT: usize = 4096;

/// `type = "useragent"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    prefix: String,
    /// Logstash's cache of parsed strings; woothee needs none.
    #[serde(default)]
    lru_cache_size: Option<u64>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(flatten)]
    common: CommonConfig,
}

/// A built useragent transform.
#[derive(Debug)]
pub struct Useragent {
    source: FieldPath,
    target: Option<FieldPath>,
    prefix: String,
    ecs: bool,
    on_success: Common,
}

impl Config {
    /// Compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<Useragent> {
        let mark = b.mark();
        let ecs = self.ecs_compatibility.on();
        let source = b.path(&self.source, "source");
        let target = match (&self.target, ecs) {
            (Some(t), _) => b.path(t, "target").map(Some),
            (None, true) => b.path("user_agent", "target").map(Some),
            (None, false) => Some(None),
        };
        let _ = self.lru_cache_size;
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Useragent {
            source: source?,
            target: target?,
            prefix: self.prefix,
            ecs,
            on_success,
        })
    }
}

fn known(v: &str) -> Option<&str> {
    (!v.is_empty() && v != woothee::woothee::VALUE_UNKNOWN).then_some(v)
}

impl Useragent {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let agent = match e.get(&self.source) {
            Some(Value::String(s)) => s.to_string(),
            _ => return,
        };
        let cut = agent.get(..MAX_AGENT.min(agent.len())).unwrap_or(&agent);
        let Some(r) = woothee::parser::Parser::new().parse(cut) else {
            return;
        };
        let mut fields: Vec<(String, Value)> = Vec::new();
        let mut add = |name: &str, v: Option<&str>| {
            if let Some(v) = v {
                fields.push((format!("{}{name}", self.prefix), Value::from(v)));
            }
        };
        let os_version = known(&r.os_version).map(str::to_owned);
        if self.ecs {
            add("name", known(r.name));
            add("version", known(r.version));
            add("os.name", known(r.os));
            add("os.version", os_version.as_deref());
            let full = match (known(r.os), os_version.as_deref()) {
                (Some(os), Some(v)) => Some(format!("{os} {v}")),
                (Some(os), None) => Some(os.to_owned()),
                _ => None,
            };
            add("os.full", full.as_deref());
            add("device.name", known(r.category));
            add("original", Some(&agent));
        } else {
            let mut parts = r.version.split('.');
            add("name", known(r.name));
            add(
                "major",
                parts.next().filter(|p| !p.is_empty() && *p != "UNKNOWN"),
            );
            add("minor", parts.next());
            add("patch", parts.next());
            add("os_name", known(r.os));
            add("os_version", os_version.as_deref());
            add("device", known(r.category));
        }
        for (name, v) in fields {
            let mut segs: Vec<String> = self
                .target
                .as_ref()
                .map(|t| t.segments().to_vec())
                .unwrap_or_default();
            segs.extend(name.split('.').map(str::to_owned));
            e.insert(&FieldPath::from_segments(segs), v);
        }
        self.on_success.apply(e);
    }
}
