//! `date`: parse a field into `@timestamp` (or `target`), Logstash's date filter.

use crate::common::{Common, CommonConfig};
use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::{Build, Zone};
use sluice_event::{Event, EventBatch, FieldPath, Value};
use sluice_parse::date::DateFormat;

/// `type = "date"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    field: String,
    formats: Vec<String>,
    /// The zone of times that carry none; absent: this machine's, as in Logstash.
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default = "timestamp")]
    target: String,
    #[serde(default = "date_failure")]
    tag_on_failure: Vec<String>,
    /// Month and weekday names are read in English; an English locale is accepted so that
    /// Logstash configs carry over, any other is an error.
    #[serde(default)]
    locale: Option<String>,
    #[serde(flatten)]
    common: CommonConfig,
}

fn timestamp() -> String {
    "@timestamp".into()
}
fn date_failure() -> Vec<String> {
    vec!["_dateparsefailure".into()]
}

/// A built date transform.
#[derive(Debug)]
pub struct Date {
    field: FieldPath,
    formats: Vec<DateFormat>,
    timezone: chrono_tz::Tz,
    target: FieldPath,
    tag_on_failure: Vec<String>,
    on_success: Common,
}

impl Config {
    /// Compiles the formats; checks the zone and the locale.
    pub fn build(self, b: &mut Build<'_>) -> Option<Date> {
        let mark = b.mark();
        let mut formats = Vec::new();
        for (i, f) in self.formats.iter().enumerate() {
            match DateFormat::parse(f) {
                Ok(d) => formats.push(d),
                Err(e) => b.push(format!("formats[{i}]"), format!("{e} in `{f}`")),
            }
        }
        if self.formats.is_empty() {
            b.push("formats", "needs at least one format");
        }
        if let Some(l) = &self.locale {
            let lang = l.split(['-', '_']).next().unwrap_or("");
            if !lang.eq_ignore_ascii_case("en") && !l.eq_ignore_ascii_case("root") {
                b.push(
                    "locale",
                    format!("`{l}`: month and weekday names are read in English only (use an `en` locale or leave it out)"),
                );
            }
        }
        // Checked here rather than by serde, so that a bad zone does not hide the
        // other problems of the same component.
        let timezone = match self.timezone {
            Some(name) => Zone::try_from(name).map_err(|e| b.push("timezone", e)).ok(),
            None => Some(Zone::local().0),
        };
        let field = b.path(&self.field, "field");
        let target = b.path(&self.target, "target");
        let on_success = self.common.build(b);
        if !b.clean_since(mark) {
            return None;
        }
        Some(Date {
            field: field?,
            formats,
            timezone: timezone?.0,
            target: target?,
            tag_on_failure: self.tag_on_failure,
            on_success,
        })
    }
}

impl Date {
    /// Applies the filter to one event; `now` places dates without a year (read the
    /// clock once per batch). Returns false when the field was there but no format fit
    /// (the event is then tagged).
    pub fn apply_one(&self, e: &mut Event, now: chrono::DateTime<chrono::Utc>) -> bool {
        let parse = |text: &str| {
            self.formats
                .iter()
                .find_map(|f: &DateFormat| f.parse_time(text, self.timezone, now))
        };
        let parsed = match e.get(&self.field) {
            Some(Value::String(s)) => parse(s),
            Some(Value::Array(a)) => match a.first().and_then(Value::as_str) {
                Some(s) => parse(s),
                None => return true,
            },
            Some(v @ (Value::Integer(_) | Value::Float(_))) => parse(&v.to_string_lossy()),
            _ => return true,
        };
        match parsed {
            Some(t) => {
                e.insert(&self.target, Value::Timestamp(t));
                self.on_success.apply(e);
                true
            }
            None => {
                for t in &self.tag_on_failure {
                    e.add_tag(t);
                }
                false
            }
        }
    }
}

impl Transform for Date {
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let now = chrono::Utc::now();
        run.each(batch, |e| {
            self.apply_one(e, now);
        });
    }
}
