//! `kv`: split `key=value` pairs out of a text field, Logstash's kv filter.

use crate::common::{Common, CommonConfig, SourceTarget};
use crate::mutate::CaseChange;
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Map, Value};
use sluice_parse::kv::{KvOptions, Split};
use std::collections::BTreeMap;

/// `type = "kv"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "crate::common::defaults::message")]
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default = "space")]
    field_split: String,
    #[serde(default = "equals")]
    value_split: String,
    /// A regex separating pairs, instead of `field_split`'s characters.
    #[serde(default)]
    field_split_pattern: Option<String>,
    /// A regex separating a key from its value, instead of `value_split`'s characters.
    #[serde(default)]
    value_split_pattern: Option<String>,
    #[serde(default)]
    trim_key: String,
    #[serde(default)]
    trim_value: String,
    #[serde(default)]
    include_keys: Vec<String>,
    #[serde(default)]
    exclude_keys: Vec<String>,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    remove_char_key: String,
    #[serde(default)]
    remove_char_value: String,
    #[serde(default)]
    allow_empty_values: bool,
    #[serde(default = "crate::common::defaults::yes")]
    allow_duplicate_values: bool,
    #[serde(default)]
    default_keys: BTreeMap<String, String>,
    #[serde(default)]
    transform_key: Option<CaseChange>,
    #[serde(default)]
    transform_value: Option<CaseChange>,
    #[serde(default)]
    recursive: bool,
    #[serde(flatten)]
    common: CommonConfig,
}

fn space() -> String {
    " ".into()
}
fn equals() -> String {
    "=".into()
}

/// How deep `recursive` follows bracketed values.
const KV_MAX_DEPTH: usize = 8;

/// A built kv transform.
#[derive(Debug)]
pub struct Kv {
    source: FieldPath,
    target: Option<FieldPath>,
    options: KvOptions,
    include_keys: Vec<String>,
    exclude_keys: Vec<String>,
    prefix: String,
    /// Off: a repeated key with a value it already has adds nothing.
    allow_duplicate_values: bool,
    /// Added when the text does not have them.
    default_keys: Vec<(String, String)>,
    transform_key: Option<CaseChange>,
    transform_value: Option<CaseChange>,
    /// Values in `()`, `[]` or `<>` that hold pairs become objects.
    recursive: bool,
    on_success: Common,
}

impl Config {
    /// Compiles the separators and field references.
    pub fn build(self, b: &mut Build<'_>) -> Option<Kv> {
        let mark = b.mark();
        let on_success = self.common.build(b);
        let io = SourceTarget::build(&self.source, self.target.as_deref(), b);
        if self.field_split.is_empty() {
            b.push("field_split", "must name at least one character");
        }
        if self.value_split.is_empty() {
            b.push("value_split", "must name at least one character");
        }
        let mut split = |chars: &str, pattern: &Option<String>, key: &str| match pattern {
            None => Some(Split::chars(chars)),
            Some(p) => b.regex(p, key).map(Split::Pattern),
        };
        let field_split = split(
            &self.field_split,
            &self.field_split_pattern,
            "field_split_pattern",
        );
        let value_split = split(
            &self.value_split,
            &self.value_split_pattern,
            "value_split_pattern",
        );
        if !b.clean_since(mark) {
            return None;
        }
        let SourceTarget { source, target } = io?;
        Some(Kv {
            source,
            target,
            options: KvOptions {
                field_split: field_split?,
                value_split: value_split?,
                trim_key: self.trim_key.chars().collect(),
                trim_value: self.trim_value.chars().collect(),
                remove_char_key: self.remove_char_key.chars().collect(),
                remove_char_value: self.remove_char_value.chars().collect(),
                allow_empty_values: self.allow_empty_values,
            },
            include_keys: self.include_keys,
            exclude_keys: self.exclude_keys,
            prefix: self.prefix,
            allow_duplicate_values: self.allow_duplicate_values,
            default_keys: self.default_keys.into_iter().collect(),
            transform_key: self.transform_key,
            transform_value: self.transform_value,
            recursive: self.recursive,
            on_success,
        })
    }
}

impl Kv {
    /// The pairs of `text` as an object, with `k`'s key filters, prefix, case changes and
    /// repeat rules. Repeated keys collect their values in an array.
    fn object(&self, text: &str, depth: usize) -> Map {
        let mut found = Map::new();
        for pair in sluice_parse::kv::parse(text, &self.options) {
            let key = pair.key.as_ref();
            if !self.include_keys.is_empty() && !self.include_keys.iter().any(|i| i == key) {
                continue;
            }
            if self.exclude_keys.iter().any(|x| x == key) {
                continue;
            }
            let key = match self.transform_key {
                Some(c) => c.apply(key),
                None => key.to_owned(),
            };
            let name = format!("{}{key}", self.prefix);
            let nested = (self.recursive && pair.bracketed && depth < KV_MAX_DEPTH)
                .then(|| self.object(&pair.value, depth + 1))
                .filter(|m| !m.is_empty());
            let v = match (nested, self.transform_value) {
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
                if self.allow_duplicate_values || !repeat {
                    old.append(new);
                }
            });
        }
        found
    }

    /// Applies `k` to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let text = match e.get(&self.source) {
            Some(Value::String(s)) => s.to_string(),
            _ => return,
        };
        let mut found = self.object(&text, 0);
        for (key, value) in &self.default_keys {
            found.get_or_insert_with(key, || Value::from(value.as_str()));
        }
        match &self.target {
            Some(t) => {
                e.insert(t, Value::Object(found));
            }
            None => {
                for (name, v) in found {
                    e.insert(&FieldPath::from_segments([name.as_str()]), v);
                }
            }
        }
        self.on_success.apply(e);
    }
}
