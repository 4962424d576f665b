//! `syslog_pri`: a syslog priority split into facility and severity, with their names;
//! Logstash's syslog_pri filter.
//!
//! The priority is read from `syslog_pri_field_name` (`[log][syslog][priority]` under
//! ECS, `syslog_pri` without); a missing field counts as 13 (user-level notice), as in
//! Logstash, and an array gives its first element. A value that is not a number between
//! 0 and 191 is tagged `_syslogpriparsefailure` and the event goes on unchanged.

use crate::common::{Common, CommonConfig};
use crate::ecs::Ecs;
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, FieldPath, Value};

/// Logstash's facility labels (they differ from syslog.conf's keywords that the syslog
/// source uses). Severity labels are the RFC 5424 names both use.
const FACILITIES: [&str; 24] = [
    "kernel",
    "user-level",
    "mail",
    "daemon",
    "security/authorization",
    "syslogd",
    "line printer",
    "network news",
    "uucp",
    "clock",
    "security/authorization",
    "ftp",
    "ntp",
    "log audit",
    "log alert",
    "clock",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];

/// `type = "syslog_pri"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    syslog_pri_field_name: Option<String>,
    #[serde(default = "crate::common::defaults::yes")]
    use_labels: bool,
    #[serde(default)]
    facility_labels: Option<Vec<String>>,
    #[serde(default)]
    severity_labels: Option<Vec<String>>,
    #[serde(default)]
    ecs_compatibility: Ecs,
    #[serde(flatten)]
    common: CommonConfig,
}

/// Where the four results go.
#[derive(Debug)]
struct Targets {
    facility_code: FieldPath,
    severity_code: FieldPath,
    facility: FieldPath,
    severity: FieldPath,
}

/// A built syslog_pri transform.
#[derive(Debug)]
pub struct SyslogPri {
    source: FieldPath,
    labels: Option<(Vec<String>, Vec<String>)>,
    to: Targets,
    on_success: Common,
}

impl Config {
    /// Compiles the field names.
    pub fn build(self, b: &mut Build<'_>) -> Option<SyslogPri> {
        let ecs = self.ecs_compatibility.on();
        let default_source = if ecs {
            "[log][syslog][priority]"
        } else {
            "syslog_pri"
        };
        let source = b.path(
            self.syslog_pri_field_name
                .as_deref()
                .unwrap_or(default_source),
            "syslog_pri_field_name",
        );
        let p = |s: &str| FieldPath::parse(s).ok();
        let to = if ecs {
            Targets {
                facility_code: p("[log][syslog][facility][code]")?,
                severity_code: p("[log][syslog][severity][code]")?,
                facility: p("[log][syslog][facility][name]")?,
                severity: p("[log][syslog][severity][name]")?,
            }
        } else {
            Targets {
                facility_code: p("syslog_facility_code")?,
                severity_code: p("syslog_severity_code")?,
                facility: p("syslog_facility")?,
                severity: p("syslog_severity")?,
            }
        };
        let facilities = self
            .facility_labels
            .unwrap_or_else(|| FACILITIES.iter().map(|s| (*s).to_owned()).collect());
        let severities = self.severity_labels.unwrap_or_else(|| {
            (0..8)
                .filter_map(sluice_parse::syslog::severity_name)
                .map(str::to_owned)
                .collect()
        });
        let on_success = self.common.build(b);
        Some(SyslogPri {
            source: source?,
            labels: self.use_labels.then_some((facilities, severities)),
            to,
            on_success,
        })
    }
}

impl SyslogPri {
    /// Applies the filter to one event.
    pub fn apply_one(&self, e: &mut Event) {
        let raw = match e.get(&self.source) {
            None => Some(13),
            Some(Value::Array(a)) => a.first().and_then(priority),
            Some(v) => priority(v),
        };
        let Some(pri) = raw else {
            e.add_tag("_syslogpriparsefailure");
            return;
        };
        let (facility, severity) = (pri >> 3, pri & 7);
        e.insert(&self.to.facility_code, Value::from(facility));
        e.insert(&self.to.severity_code, Value::from(severity));
        if let Some((fl, sl)) = &self.labels {
            // A label list shorter than the code leaves the name out, as Logstash does.
            if let Some(f) = fl.get(facility as usize) {
                e.insert(&self.to.facility, Value::from(f.as_str()));
            }
            if let Some(s) = sl.get(severity as usize) {
                e.insert(&self.to.severity, Value::from(s.as_str()));
            }
        }
        self.on_success.apply(e);
    }
}

/// A priority from a number or a numeric string, 0 to 191.
fn priority(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Integer(n) => *n,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0..=191).contains(&n).then_some(n)
}
