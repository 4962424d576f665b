//! `sluice analyze anomalies` and `troubleshoot`: the anomaly transform run offline on
//! the records, and troubleshooting findings with the lines that show them.

use super::line::{Record, LEVELS};
use super::report::{response_time, Report};
use sluice_event::{Event, FieldPath, Value};
use sluice_transforms::{Run, TransformConfig};
use std::io::Write;

/// Records handed to the model at once.
const BATCH: usize = 4096;

/// The anomaly model (the `anomaly` transform with `warmup` windows of learning) over the
/// records; its anomalies, in time order.
pub(crate) struct Offline {
    t: std::sync::Arc<dyn sluice_transforms::Transform>,
    batch: Vec<Event>,
    pub(crate) found: Vec<Event>,
    time: FieldPath,
    level: FieldPath,
    message: FieldPath,
    rt: FieldPath,
}

impl Offline {
    pub(crate) fn new(warmup: u64) -> anyhow::Result<Self> {
        let c: TransformConfig =
            serde_json::from_value(serde_json::json!({ "anomaly": { "warmup": warmup } }))?;
        let mut b = sluice_core::config::Build::new("<sluice analyze anomalies>");
        let t = c
            .build(&mut b)
            .ok_or_else(|| anyhow::anyhow!("the anomaly model: {:?}", b.into_problems()))?;
        Ok(Offline {
            t,
            batch: Vec::with_capacity(BATCH),
            found: Vec::new(),
            time: FieldPath::from_segments(["@timestamp"]),
            level: FieldPath::from_segments(["level"]),
            message: FieldPath::from_segments(["message"]),
            rt: FieldPath::from_segments(["response_time"]),
        })
    }

    /// One record (records without a time are left out: the model's windows are time).
    pub(crate) fn add(&mut self, r: &Record) {
        let Some(t) = r.time else { return };
        let mut e = Event::new();
        e.insert(&self.time, Value::Timestamp(t.and_utc()));
        if let Some(l) = r.level {
            e.insert(&self.level, Value::from(LEVELS[l]));
        }
        e.insert(
            &self.message,
            Value::from(r.message.lines().next().unwrap_or("")),
        );
        if let Some(ms) = response_time(&r.message) {
            e.insert(&self.rt, Value::Integer(ms as i64));
        }
        self.batch.push(e);
        if self.batch.len() >= BATCH {
            self.flush();
        }
    }

    pub(crate) fn flush(&mut self) {
        let mut named = vec![Vec::new()];
        let mut b = std::mem::take(&mut self.batch);
        self.t.apply(
            &mut b,
            &mut Run {
                when: None,
                named: &mut named,
                findings: &mut [],
                errors: &mut [],
            },
        );
        self.found.extend(named.remove(0));
    }
}

/// One line per anomaly: the window, the score, the explanation.
pub(crate) fn print_anomalies(
    found: &[Event],
    json: bool,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let get = |e: &Event, field: &str| {
        e.get_segments(&["anomaly", field])
            .map(Value::to_string_lossy)
            .unwrap_or_default()
    };
    for e in found {
        if json {
            let mut buf = Vec::new();
            e.write_json(&mut buf);
            out.write_all(&buf)?;
            writeln!(out)?;
        } else {
            let score = e
                .get_segments(&["anomaly", "score"])
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            writeln!(
                out,
                "{}  score {score:.2}  {}",
                get(e, "window_start"),
                get(e, "explanation")
            )?;
        }
    }
    if found.is_empty() {
        writeln!(out, "no anomalous window")?;
    }
    Ok(())
}

/// The findings and recommendations of `topic` (database, auth, performance), with the
/// lines the report kept as their evidence.
pub(crate) fn troubleshoot(topic: &str, rep: &Report, out: &mut impl Write) -> anyhow::Result<()> {
    let j = rep.json();
    let mut findings: Vec<String> = Vec::new();
    let mut advice: Vec<&str> = Vec::new();
    let mut shown: Vec<&str> = Vec::new();
    match topic {
        "database" => {
            let d = &j["database"];
            let (e, c, s) = (
                d["errors"].as_u64().unwrap_or(0),
                d["connection_issues"].as_u64().unwrap_or(0),
                d["slow_queries"].as_u64().unwrap_or(0),
            );
            findings.push(format!(
                "{e} database errors, {c} failed connections, {s} slow queries"
            ));
            if c > 0 {
                advice.push("Connections fail: check that the database server is up and reachable, and that the connection pool (CONN_MAX_AGE, max_connections) is not exhausted.");
                shown.push("connection");
            }
            if e > 0 {
                advice.push("Database errors: read the database server's own log for the same minutes; check pending migrations and locks.");
                shown.push("database_error");
            }
            if s > 0 {
                advice.push("Slow queries: find them in the slow query log, add the missing indexes, use select_related/prefetch_related for N+1 patterns.");
                shown.push("slow_query");
            }
        }
        "auth" => {
            let a = &j["auth"];
            let rate = a["success_rate"].as_f64().unwrap_or(0.0);
            findings.push(format!(
                "{} logins succeeded, {} failed (success rate {rate:.3})",
                a["success"], a["failed"]
            ));
            let brute = a["brute_force"].as_array().cloned().unwrap_or_default();
            for b in &brute {
                findings.push(format!(
                    "brute force from {}: {} failures, {} to {}",
                    b["ip"].as_str().unwrap_or(""),
                    b["failures"],
                    b["first"].as_str().unwrap_or(""),
                    b["last"].as_str().unwrap_or("")
                ));
            }
            if !brute.is_empty() {
                advice.push("Block or rate-limit the addresses above at the proxy (nginx limit_req) and lock accounts after repeated failures (django-axes).");
            }
            if a["failed"].as_u64().unwrap_or(0) > 0 && rate < 0.8 {
                advice.push("Many logins fail: check for an expired SSO or LDAP credential, a broken login form, or a client retrying with an old password.");
            }
            shown.push("login_failed");
        }
        "performance" => {
            let s = &j["slow_requests"];
            findings.push(format!(
                "{} requests over {} ms",
                s["count"], s["threshold_ms"]
            ));
            for r in s["slowest"].as_array().into_iter().flatten().take(5) {
                findings.push(format!(
                    "{} ms at {}: {}",
                    r["response_time"],
                    r["timestamp"].as_str().unwrap_or(""),
                    r["message"].as_str().unwrap_or("")
                ));
            }
            if s["count"].as_u64().unwrap_or(0) > 0 {
                advice.push("Profile the slowest endpoints (django-debug-toolbar, py-spy); cache what they compute; move long work to Celery.");
                advice.push("If slowness comes in bursts, compare with `sluice analyze db` and `errors` for the same hours: an outage often shows as slow requests first.");
            }
            shown.push("slow_request");
        }
        other => anyhow::bail!("troubleshoot {other}: choose database, auth or performance"),
    }
    writeln!(out, "Findings ({topic}):")?;
    for f in &findings {
        writeln!(out, "  - {f}")?;
    }
    writeln!(out, "Recommendations:")?;
    if advice.is_empty() {
        writeln!(out, "  - nothing to fix in these logs")?;
    }
    for a in &advice {
        writeln!(out, "  - {a}")?;
    }
    writeln!(out, "Evidence:")?;
    for k in shown {
        for (_, l) in rep.evidence(k) {
            writeln!(out, "  {l}")?;
        }
    }
    Ok(())
}
