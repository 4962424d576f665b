//! `dissect`: Logstash's dissect filter. Splits text fields at literal delimiters, no
//! regexes: `mapping`, `%{+field}` append (with `/N` ordinals and `append_separator`),
//! `%{}` and `%{?skip}`, `%{&ref}` indirect names, `->` padding, `convert_datatype` and
//! `tag_on_failure`. As in Logstash, a line that does not fit its pattern leaves the
//! event unchanged but for the failure tag.

mod pattern;
#[cfg(test)]
mod tests;

pub use pattern::{Field, Kind, Pattern, PatternError};

use crate::common::{Common, CommonConfig};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};
use std::collections::BTreeMap;

/// `type = "dissect"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Source field -> pattern.
    mapping: BTreeMap<String, String>,
    /// Field -> `int` or `float`, converted after a successful dissection.
    #[serde(default)]
    convert_datatype: BTreeMap<String, String>,
    /// Joins the parts of an appended field.
    #[serde(default = "space")]
    append_separator: String,
    #[serde(default = "dissect_failure")]
    tag_on_failure: Vec<String>,
    #[serde(flatten)]
    common: CommonConfig,
}

fn space() -> String {
    " ".into()
}
fn dissect_failure() -> Vec<String> {
    vec!["_dissectfailure".into()]
}

/// `convert_datatype` targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Numeric {
    Int,
    Float,
}

/// A built dissect transform.
#[derive(Debug)]
pub struct Dissect {
    mapping: Vec<(FieldPath, Pattern)>,
    convert: Vec<(FieldPath, Numeric)>,
    append_separator: String,
    tag_on_failure: Vec<String>,
    on_success: Common,
}

impl Config {
    /// Parses every source field, pattern and conversion.
    pub fn build(self, b: &mut Build<'_>) -> Option<Dissect> {
        let mark = b.mark();
        if self.mapping.is_empty() {
            b.push("mapping", "needs at least one `field = \"pattern\"`");
        }
        let mut mapping = Vec::new();
        for (field, p) in &self.mapping {
            let key = format!("mapping.{field}");
            let source = b.path(field, &key);
            match Pattern::parse(p) {
                Ok(pat) => {
                    for f in &pat.fields {
                        if let Kind::Set(n) | Kind::Append(n, _) = &f.kind {
                            b.path(n, &key);
                        }
                    }
                    if let Some(s) = source {
                        mapping.push((s, pat));
                    }
                }
                Err(e) => b.push(key, format!("{e} in `{p}`")),
            }
        }
        let mut convert = Vec::new();
        for (field, ty) in &self.convert_datatype {
            let key = format!("convert_datatype.{field}");
            let t = match ty.as_str() {
                "int" | "integer" => Numeric::Int,
                "float" => Numeric::Float,
                other => {
                    b.push(key, format!("unknown type `{other}` (use int or float)"));
                    continue;
                }
            };
            if let Some(p) = b.path(field, &key) {
                convert.push((p, t));
            }
        }
        let on_success = self.common.build(b);
        b.clean_since(mark).then_some(Dissect {
            mapping,
            convert,
            append_separator: self.append_separator,
            tag_on_failure: self.tag_on_failure,
            on_success,
        })
    }
}

/// The fields one pattern sets on one line: (name, value), in pattern order, appended
/// fields joined.
fn assignments(pat: &Pattern, values: &[&str], sep: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut appends: BTreeMap<&str, Vec<(u32, usize, &str)>> = BTreeMap::new();
    for (i, (f, v)) in pat.fields.iter().zip(values).enumerate() {
        match &f.kind {
            Kind::Set(n) => out.push((n.clone(), (*v).to_owned())),
            Kind::Append(n, ord) => appends.entry(n).or_default().push((*ord, i, v)),
            Kind::Skip(_) => {}
            Kind::Indirect(k) => {
                let name = pat.fields.iter().zip(values).find_map(|(g, w)| {
                    matches!(&g.kind, Kind::Skip(Some(n)) if n == k).then_some(*w)
                });
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    out.push((name.to_owned(), (*v).to_owned()));
                }
            }
        }
    }
    for (name, mut parts) in appends {
        // A plain `%{name}` in the same pattern is the first part.
        if let Some(pos) = out.iter().position(|(n, _)| n == name) {
            let (_, first) = out.remove(pos);
            let at = pat
                .fields
                .iter()
                .position(|f| f.kind == Kind::Set(name.to_owned()))
                .unwrap_or(0);
            parts.push((0, at, values[at]));
            debug_assert_eq!(values[at], first);
        }
        parts.sort_by_key(|(ord, i, _)| (*ord, *i));
        let joined: Vec<&str> = parts.iter().map(|(_, _, v)| *v).collect();
        out.push((name.to_owned(), joined.join(sep)));
    }
    out
}

impl Dissect {
    /// Dissects one event. Returns false (and tags it) when a pattern did not fit.
    pub fn apply_one(&self, e: &mut Event) -> bool {
        let mut set: Vec<(String, String)> = Vec::new();
        for (source, pat) in &self.mapping {
            let Some(Value::String(text)) = e.get(source) else {
                continue;
            };
            match pat.split(text) {
                Some(values) => set.extend(assignments(pat, &values, &self.append_separator)),
                None => {
                    self.tag_on_failure.iter().for_each(|t| e.add_tag(t));
                    return false;
                }
            }
        }
        for (name, v) in set {
            if let Ok(p) = FieldPath::parse(&name) {
                e.insert(&p, Value::from(v));
            }
        }
        for (p, t) in &self.convert {
            let Some(Value::String(s)) = e.get(p) else {
                continue;
            };
            let s = s.trim();
            let v = match t {
                Numeric::Int => s.parse::<i64>().ok().map(Value::Integer),
                Numeric::Float => s
                    .parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Value::Float),
            };
            if let Some(v) = v {
                e.insert(p, v);
            }
        }
        self.on_success.apply(e);
        true
    }
}
