//! `mutate`, in Logstash's fixed order: coerce, rename, update, replace, convert, gsub,
//! uppercase, capitalize, lowercase, strip, split, join, merge, copy; then the common
//! add/remove options.

mod apply;

use crate::common::{Common, CommonConfig};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::FieldPath;
use sluice_parse::template::Template;
use std::collections::BTreeMap;

/// `type = "mutate"`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    rename: BTreeMap<String, String>,
    /// Sets the field, creating it when absent.
    #[serde(default)]
    replace: BTreeMap<String, String>,
    /// Sets the field only when it exists.
    #[serde(default)]
    update: BTreeMap<String, String>,
    /// Sets a field that exists but is null.
    #[serde(default)]
    coerce: BTreeMap<String, String>,
    #[serde(default)]
    capitalize: Vec<String>,
    #[serde(default)]
    lowercase: Vec<String>,
    #[serde(default)]
    uppercase: Vec<String>,
    #[serde(default)]
    convert: BTreeMap<String, String>,
    /// `[[field, regex, replacement], ...]`
    #[serde(default)]
    gsub: Vec<Vec<String>>,
    #[serde(default)]
    strip: Vec<String>,
    #[serde(default)]
    split: BTreeMap<String, String>,
    #[serde(default)]
    join: BTreeMap<String, String>,
    /// destination -> source
    #[serde(default)]
    merge: BTreeMap<String, String>,
    /// source -> destination
    #[serde(default)]
    copy: BTreeMap<String, String>,
    #[serde(flatten)]
    common: CommonConfig,
}

/// `convert` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvertType {
    /// Thousands may be grouped with `,` (`1,000`); a fraction is truncated.
    Integer,
    /// Thousands may be grouped with `,` (`1,000.5`).
    Float,
    /// European digits: `.` groups thousands and `,` is the decimal mark (`1.000,5`).
    IntegerEu,
    /// European digits, as a float.
    FloatEu,
    /// Any scalar as text.
    String,
    /// `true`/`false`, `yes`/`no`, `1`/`0` and their short forms.
    Boolean,
}

impl ConvertType {
    /// Logstash's type names (and their short forms).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "integer" | "int" => ConvertType::Integer,
            "float" => ConvertType::Float,
            "integer_eu" => ConvertType::IntegerEu,
            "float_eu" => ConvertType::FloatEu,
            "string" => ConvertType::String,
            "boolean" | "bool" => ConvertType::Boolean,
            _ => return None,
        })
    }
}

/// A case change (mutate's `uppercase`..., kv's `transform_key`/`transform_value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseChange {
    /// All lower case.
    Lowercase,
    /// All upper case.
    Uppercase,
    /// The first character upper case, the rest lower case.
    Capitalize,
}

impl CaseChange {
    /// `s` with its case changed.
    pub fn apply(self, s: &str) -> String {
        match self {
            CaseChange::Lowercase => s.to_lowercase(),
            CaseChange::Uppercase => s.to_uppercase(),
            CaseChange::Capitalize => {
                let mut c = s.chars();
                match c.next() {
                    Some(first) => first
                        .to_uppercase()
                        .chain(c.flat_map(char::to_lowercase))
                        .collect(),
                    None => String::new(),
                }
            }
        }
    }
}

/// A built mutate: paths parsed, templates and regexes compiled.
#[derive(Clone, Debug, Default)]
pub struct Mutate {
    coerce: Vec<(FieldPath, Template)>,
    rename: Vec<(FieldPath, FieldPath)>,
    update: Vec<(FieldPath, Template)>,
    replace: Vec<(FieldPath, Template)>,
    convert: Vec<(FieldPath, ConvertType)>,
    gsub: Vec<(FieldPath, regex::Regex, String)>,
    uppercase: Vec<FieldPath>,
    capitalize: Vec<FieldPath>,
    lowercase: Vec<FieldPath>,
    strip: Vec<FieldPath>,
    split: Vec<(FieldPath, String)>,
    join: Vec<(FieldPath, String)>,
    /// (destination, source)
    merge: Vec<(FieldPath, FieldPath)>,
    /// (source, destination)
    copy: Vec<(FieldPath, FieldPath)>,
    common: Common,
}

fn path_pairs(
    map: &BTreeMap<String, String>,
    key: &str,
    b: &mut Build<'_>,
) -> Vec<(FieldPath, FieldPath)> {
    map.iter()
        .filter_map(|(x, y)| Some((b.path(x, key)?, b.path(y, key)?)))
        .collect()
}

fn path_strings(
    map: &BTreeMap<String, String>,
    key: &str,
    b: &mut Build<'_>,
) -> Vec<(FieldPath, String)> {
    map.iter()
        .filter_map(|(x, y)| Some((b.path(x, key)?, y.clone())))
        .collect()
}

impl Config {
    /// Parses every path, template, type and regex.
    pub fn build(self, b: &mut Build<'_>) -> Option<Mutate> {
        let mark = b.mark();
        let mut m = Mutate {
            rename: path_pairs(&self.rename, "rename", b),
            lowercase: b.paths(&self.lowercase, "lowercase"),
            uppercase: b.paths(&self.uppercase, "uppercase"),
            capitalize: b.paths(&self.capitalize, "capitalize"),
            strip: b.paths(&self.strip, "strip"),
            split: path_strings(&self.split, "split", b),
            join: path_strings(&self.join, "join", b),
            merge: path_pairs(&self.merge, "merge", b),
            copy: path_pairs(&self.copy, "copy", b),
            common: self.common.build(b),
            ..Mutate::default()
        };
        for (key, map, out) in [
            ("replace", &self.replace, &mut m.replace),
            ("update", &self.update, &mut m.update),
            ("coerce", &self.coerce, &mut m.coerce),
        ] {
            for (k, v) in map {
                if let (Some(p), Some(t)) = (b.path(k, key), b.template(v, key)) {
                    out.push((p, t));
                }
            }
        }
        for (k, ty) in &self.convert {
            let Some(t) = ConvertType::parse(ty) else {
                b.push(
                    format!("convert.{k}"),
                    format!("unknown type `{ty}` (use integer, float, string, boolean)"),
                );
                continue;
            };
            if let Some(p) = b.path(k, "convert") {
                m.convert.push((p, t));
            }
        }
        for (i, g) in self.gsub.iter().enumerate() {
            let key = format!("gsub[{i}]");
            let [field, re, rep] = g.as_slice() else {
                b.push(key, "expected [field, regex, replacement]");
                continue;
            };
            if let (Some(r), Some(p)) = (b.regex(re, &key), b.path(field, "gsub")) {
                m.gsub.push((p, r, rep.clone()));
            }
        }
        b.clean_since(mark).then_some(m)
    }
}
