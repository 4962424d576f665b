//! `translate`: a field's value looked up in a dictionary, Logstash's translate filter.
//!
//! - The dictionary is inline (`dictionary`) or a file (`dictionary_path`: `.yml` /
//!   `.yaml`, `.json`, or `.csv` of `key,value` rows), read again when it changes, at most
//!   once per `refresh_interval` (five minutes by default). A dictionary file that does
//!   not read is a config error at `dictionary_path`; once running, a broken change keeps
//!   the last good dictionary. `refresh_behaviour`: `merge` (the default, as in
//!   Logstash) adds the file's entries to those read before; `replace` starts afresh.
//! - `exact` (default) looks the whole value up; with `regex` the keys are regular
//!   expressions, the first that matches wins. Without `exact`, every key found in the
//!   value is replaced by its translation (with `regex`, every match).
//! - The result goes to `target` (`translation` with `ecs_compatibility = "disabled"`;
//!   under ECS, Logstash 8's default, the source field itself). An existing target is
//!   left alone unless `override` is set (the source field as target is always
//!   replaced). No match: `fallback` when set, else nothing changes.
//! - A number is looked up as its text; an array by its first element.

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use crate::reloaded::Reloaded;
use serde::Deserialize;
use sluice_core::config::{Build, HumanDuration};
use sluice_event::{Event, FieldPath, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// `type = "translate"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(alias = "field")]
    source: String,
    #[serde(default, alias = "destination")]
    target: Option<String>,
    #[serde(default)]
    dictionary: BTreeMap<String, String>,
    #[serde(default)]
    dictionary_path: Option<PathBuf>,
    #[serde(default = "crate::common::defaults::five_minutes")]
    refresh_interval: HumanDuration,
    #[serde(default)]
    refresh_behaviour: RefreshBehaviour,
    #[serde(default = "crate::common::defaults::yes")]
    exact: bool,
    #[serde(default)]
    regex: bool,
    #[serde(default)]
    fallback: Option<String>,
    #[serde(default, rename = "override")]
    override_target: bool,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(flatten)]
    common: CommonConfig,
}

/// What a changed dictionary file does to the dictionary.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RefreshBehaviour {
    /// Its entries are added, replacing those with the same key (Logstash's default).
    #[default]
    Merge,
    /// It replaces the dictionary.
    Replace,
}

/// A dictionary, in the order its keys were given (regex keys are tried in order).
#[derive(Debug, Default)]
pub struct Dictionary {
    entries: Vec<(String, Value)>,
    exact: std::collections::HashMap<String, usize>,
    patterns: Vec<regex::Regex>,
}

impl Dictionary {
    /// Indexes `entries`; with `regex`, compiles every key.
    fn new(entries: Vec<(String, Value)>, regex: bool) -> Result<Dictionary, String> {
        let mut d = Dictionary::default();
        if regex {
            for (k, _) in &entries {
                d.patterns.push(
                    regex::Regex::new(k)
                        .map_err(|e| format!("the key `{k}` is not a regular expression: {e}"))?,
                );
            }
        }
        for (i, (k, _)) in entries.iter().enumerate() {
            d.exact.entry(k.clone()).or_insert(i);
        }
        d.entries = entries;
        Ok(d)
    }
}

/// A built translate transform.
#[derive(Debug)]
pub struct Translate {
    source: FieldPath,
    target: FieldPath,
    inline: Arc<Dictionary>,
    file: Option<Reloaded<Dictionary>>,
    exact: bool,
    regex: bool,
    fallback: Option<String>,
    override_target: bool,
    on_success: Common,
}

/// The entries of a dictionary file, by its extension.
fn read_dictionary(path: &Path, text: &str) -> Result<Vec<(String, Value)>, String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "yml" | "yaml" => {
            let m: serde_norway::Mapping =
                serde_norway::from_str(text).map_err(|e| format!("not a YAML mapping: {e}"))?;
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        serde_norway::Value::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    let json = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
                    Ok((key, Value::from_json(&json).map_err(|e| e.to_string())?))
                })
                .collect()
        }
        "json" => {
            let m: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
            m.into_iter()
                .map(|(k, v)| {
                    let json = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
                    Ok((k, Value::from_json(&json).map_err(|e| e.to_string())?))
                })
                .collect()
        }
        "csv" => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(n, l)| match sluice_parse::csv::parse(l, ",", '"') {
                Ok(v) if v.len() == 2 => Ok((
                    v[0].clone().unwrap_or_default(),
                    Value::from(v[1].clone().unwrap_or_default()),
                )),
                _ => Err(format!("line {}: a row must be `key,value`", n + 1)),
            })
            .collect(),
        _ => Err("a dictionary file must end in .yml, .yaml, .json or .csv".into()),
    }
}

impl Config {
    /// Compiles the dictionary and reads its file once.
    pub fn build(self, b: &mut Build<'_>) -> Option<Translate> {
        let mark = b.mark();
        let source = b.path(&self.source, "source");
        let target_name = match (&self.target, self.ecs_compatibility.on()) {
            (Some(t), _) => t.clone(),
            (None, true) => self.source.clone(),
            (None, false) => "translation".into(),
        };
        let target = b.path(&target_name, "target");
        if !self.dictionary.is_empty() && self.dictionary_path.is_some() {
            b.push(
                "dictionary_path",
                "use `dictionary` or `dictionary_path`, not both",
            );
        }
        let regex = self.regex;
        let inline = Dictionary::new(
            self.dictionary
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect(),
            regex,
        )
        .unwrap_or_else(|e| {
            b.push("dictionary", e);
            Dictionary::default()
        });
        let merge = self.refresh_behaviour == RefreshBehaviour::Merge;
        let file = self.dictionary_path.map(|p| {
            let path = p.clone();
            let kept = std::sync::Mutex::new(Vec::<(String, Value)>::new());
            Reloaded::new(
                p,
                self.refresh_interval.0.max(Duration::from_secs(1)),
                move |text: &str| {
                    let mut entries = read_dictionary(&path, text)?;
                    if merge {
                        let mut old = kept.lock().map_err(|_| "poisoned".to_owned())?;
                        let fresh: std::collections::HashSet<String> =
                            entries.iter().map(|(k, _)| k.clone()).collect();
                        let mut all: Vec<(String, Value)> = old
                            .iter()
                            .filter(|(k, _)| !fresh.contains(k))
                            .cloned()
                            .collect();
                        all.append(&mut entries);
                        let d = Dictionary::new(all.clone(), regex)?;
                        *old = all;
                        return Ok(d);
                    }
                    Dictionary::new(entries, regex)
                },
            )
        });
        if let Some(f) = &file {
            if let Err(e) = f.check() {
                b.push("dictionary_path", e);
            }
        }
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        let (source, target) = (source?, target?);
        Some(Translate {
            override_target: self.override_target || source == target,
            source,
            target,
            inline: Arc::new(inline),
            file,
            exact: self.exact,
            regex,
            fallback: self.fallback,
            on_success,
        })
    }
}

impl Translate {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        if !self.override_target && e.get(&self.target).is_some() {
            return;
        }
        let text = match e.get(&self.source) {
            Some(Value::Array(a)) => match a.first() {
                Some(v) => v.to_string_lossy(),
                None => return,
            },
            Some(Value::Object(_)) | None => return,
            Some(v) => v.to_string_lossy(),
        };
        let dict = match &self.file {
            Some(f) => f.current(),
            None => self.inline.clone(),
        };
        let found = if self.exact {
            self.lookup(&dict, &text)
        } else {
            self.replace_all(&dict, &text)
        };
        let value = match (found, &self.fallback) {
            (Some(v), _) => v,
            (None, Some(f)) => Value::from(f.as_str()),
            (None, None) => return,
        };
        e.insert(&self.target, value);
        self.on_success.apply(e);
    }

    fn lookup(&self, d: &Dictionary, text: &str) -> Option<Value> {
        if self.regex {
            let i = d.patterns.iter().position(|r| r.is_match(text))?;
            return Some(d.entries[i].1.clone());
        }
        d.exact.get(text).map(|&i| d.entries[i].1.clone())
    }

    /// Every key found in `text` replaced by its translation; `None` when none is.
    fn replace_all(&self, d: &Dictionary, text: &str) -> Option<Value> {
        let mut out = text.to_owned();
        let mut hit = false;
        for (i, (k, v)) in d.entries.iter().enumerate() {
            let with = v.to_string_lossy();
            if self.regex {
                let r = &d.patterns[i];
                if r.is_match(&out) {
                    out = r.replace_all(&out, regex::NoExpand(&with)).into_owned();
                    hit = true;
                }
            } else if !k.is_empty() && out.contains(k.as_str()) {
                out = out.replace(k.as_str(), &with);
                hit = true;
            }
        }
        hit.then(|| Value::from(out))
    }
}
