//! `csv`: a line of separated values into fields, Logstash's csv filter.
//!
//! Values are named by `columns`, then `column<N>` (1-based) for the rest when
//! `autogenerate_column_names` is on (the default). `autodetect_column_names` takes the
//! names from the first line it sees and drops that line; `skip_header` drops lines equal
//! to the names. `convert` turns named columns into `integer`, `float`, `boolean`,
//! `date` or `date_time` (a value that does not convert stays text). A line that is not
//! CSV (an unclosed quote) is tagged `_csvparsefailure` and kept unchanged.
//!
//! As in Logstash, `autodetect_column_names` depends on the order lines arrive in: the
//! first line to reach the filter names the columns.

use crate::common::{Common, CommonConfig};
use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, EventBatch, FieldPath, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// What a `convert` entry turns a value into.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Conversion {
    /// A whole number.
    Integer,
    /// A floating-point number.
    Float,
    /// `true`/`false` (also `yes`/`no`, `1`/`0`, `t`/`f`, `y`/`n`).
    Boolean,
    /// A calendar date (`2024-05-01`) as a timestamp at midnight UTC.
    Date,
    /// An ISO 8601 date and time as a timestamp.
    DateTime,
}

/// `type = "csv"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "crate::common::defaults::message")]
    source: String,
    #[serde(default)]
    target: Option<String>,
    #[serde(default = "comma")]
    separator: String,
    #[serde(default = "quote")]
    quote_char: String,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default = "crate::common::defaults::yes")]
    autogenerate_column_names: bool,
    #[serde(default)]
    autodetect_column_names: bool,
    #[serde(default)]
    skip_empty_columns: bool,
    #[serde(default)]
    skip_empty_rows: bool,
    #[serde(default)]
    skip_header: bool,
    #[serde(default)]
    convert: BTreeMap<String, Conversion>,
    #[serde(flatten)]
    common: CommonConfig,
}

fn comma() -> String {
    ",".into()
}
fn quote() -> String {
    "\"".into()
}

/// A built csv transform.
#[derive(Debug)]
pub struct Csv {
    source: FieldPath,
    target: Option<FieldPath>,
    separator: String,
    quote: char,
    columns: Vec<String>,
    detected: OnceLock<Vec<String>>,
    autogenerate: bool,
    autodetect: bool,
    skip_empty_columns: bool,
    skip_empty_rows: bool,
    skip_header: bool,
    convert: BTreeMap<String, Conversion>,
    on_success: Common,
}

impl Config {
    /// Checks the separator and quote, compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<Csv> {
        let mark = b.mark();
        let source = b.path(&self.source, "source");
        let target = self.target.as_deref().map(|t| b.path(t, "target"));
        if self.separator.is_empty() {
            b.push("separator", "must not be empty");
        }
        let mut q = self.quote_char.chars();
        let quote = match (q.next(), q.next()) {
            (Some(c), None) => c,
            _ => {
                b.push("quote_char", "must be one character");
                '"'
            }
        };
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Csv {
            source: source?,
            target: match target {
                Some(t) => Some(t?),
                None => None,
            },
            separator: self.separator,
            quote,
            columns: self.columns,
            detected: OnceLock::new(),
            autogenerate: self.autogenerate_column_names,
            autodetect: self.autodetect_column_names,
            skip_empty_columns: self.skip_empty_columns,
            skip_empty_rows: self.skip_empty_rows,
            skip_header: self.skip_header,
            convert: self.convert,
            on_success,
        })
    }
}

impl Transform for Csv {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        batch.retain_mut(|e| run.when.is_some_and(|c| !c.matches(e)) || self.apply_one(e));
    }
}

impl Csv {
    /// Applies the filter to one event; false when the event is to be dropped (a header
    /// line, or an empty row with `skip_empty_rows`).
    pub fn apply_one(&self, e: &mut Event) -> bool {
        let Some(Value::String(line)) = e.get(&self.source) else {
            return true;
        };
        let values = match sluice_parse::csv::parse(line, &self.separator, self.quote) {
            Ok(v) => v,
            Err(_) => {
                e.add_tag("_csvparsefailure");
                return true;
            }
        };
        if self.skip_empty_rows && values.iter().all(|v| v.as_deref().unwrap_or("").is_empty()) {
            return false;
        }
        let texts = || {
            values
                .iter()
                .map(|v| v.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let columns: &[String] = if self.autodetect {
            let mut first = false;
            let names = self.detected.get_or_init(|| {
                first = true;
                texts()
            });
            if first {
                return false;
            }
            names
        } else {
            &self.columns
        };
        if self.skip_header && !columns.is_empty() && texts() == columns {
            return false;
        }
        for (i, v) in values.into_iter().enumerate() {
            let name = match columns.get(i) {
                Some(n) => n.clone(),
                None if self.autogenerate => format!("column{}", i + 1),
                None => continue,
            };
            let value = match v {
                None if self.skip_empty_columns => continue,
                None => Value::Null,
                Some(s) if s.is_empty() && self.skip_empty_columns => continue,
                Some(s) => match self.convert.get(&name) {
                    Some(c) => convert(&s, *c),
                    None => Value::from(s),
                },
            };
            let path = match &self.target {
                Some(t) => {
                    let mut segs = t.segments().to_vec();
                    segs.push(name);
                    FieldPath::from_segments(segs)
                }
                None => FieldPath::from_segments([name]),
            };
            e.insert(&path, value);
        }
        self.on_success.apply(e);
        true
    }
}

/// `s` converted, or as text when it does not convert.
fn convert(s: &str, c: Conversion) -> Value {
    let t = s.trim();
    let done = match c {
        Conversion::Integer => t.parse::<i64>().ok().map(Value::from),
        Conversion::Float => t.parse::<f64>().ok().map(Value::Float),
        Conversion::Boolean => match t.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => Some(Value::Bool(true)),
            "false" | "f" | "no" | "n" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
        Conversion::Date => chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Value::Timestamp(d.and_utc())),
        Conversion::DateTime => chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|d| Value::Timestamp(d.with_timezone(&chrono::Utc))),
    };
    done.unwrap_or_else(|| Value::from(s))
}
