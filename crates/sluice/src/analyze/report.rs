//! The report's figures, counted as records stream past: memory bounded by the report
//! (counters, an hourly histogram, the top-K slowest, templates of errors), not by the
//! input, except for failed logins, which are kept (time and address) to find bursts.

use super::line::{Record, LEVELS};
use chrono::{NaiveDateTime, Timelike};
use sluice_parse::drain::{Drain, Params};
use std::collections::{BTreeMap, BinaryHeap, HashMap};

/// Response-time histogram: buckets of this many ms, and how many (the last holds the rest).
pub(crate) const RT_BUCKET_MS: u64 = 50;
pub(crate) const RT_BUCKETS: usize = 101;

/// Evidence lines kept per finding at most.
const EVIDENCE: usize = 5;

/// Slow requests listed at most.
const SLOWEST: usize = 10;
/// Failed logins kept at most for burst detection (about 100 MB).
const MAX_FAILURES: usize = 2_000_000;

/// What the user can change about the definitions.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// `slow_requests`: response times above it.
    pub(crate) threshold_ms: u64,
    /// `brute_force`: more than this many failed logins ...
    pub(crate) burst: usize,
    /// ... within this many seconds.
    pub(crate) burst_secs: i64,
    pub(crate) since: Option<NaiveDateTime>,
    pub(crate) until: Option<NaiveDateTime>,
    pub(crate) top: usize,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Slow {
    // Smallest first in the heap (Reverse order kept by negating): see `push_slow`.
    neg_ms: std::cmp::Reverse<u64>,
    time: String,
    message: String,
}

/// The words the definitions look for, each searched with a prebuilt finder.
struct Words {
    login: memchr::memmem::Finder<'static>,
    failed: memchr::memmem::Finder<'static>,
    failure: memchr::memmem::Finder<'static>,
    success: memchr::memmem::Finder<'static>,
    succeeded: memchr::memmem::Finder<'static>,
    database: memchr::memmem::Finder<'static>,
    error: memchr::memmem::Finder<'static>,
    connection: memchr::memmem::Finder<'static>,
    slow_query: memchr::memmem::Finder<'static>,
    query_time: memchr::memmem::Finder<'static>,
}

impl Words {
    fn new() -> Self {
        let f = memchr::memmem::Finder::new;
        Words {
            login: f("login"),
            failed: f("failed"),
            failure: f("failure"),
            success: f("success"),
            succeeded: f("succeeded"),
            database: f("database"),
            error: f("error"),
            connection: f("connection"),
            slow_query: f("slow query"),
            query_time: f("query time"),
        }
    }
}

/// The counts.
pub(crate) struct Report {
    s: Settings,
    pub(crate) lines: u64,
    pub(crate) events: u64,
    pub(crate) unparsed: u64,
    levels: [u64; 5],
    errors_by_hour: BTreeMap<NaiveDateTime, u64>,
    drain: Drain,
    /// Per template: count, the earliest example and its time (so that threads that
    /// read in any order agree on it).
    examples: HashMap<u64, (u64, String, Option<NaiveDateTime>)>,
    slow_count: u64,
    slowest: BinaryHeap<Slow>,
    /// Response times, in [`RT_BUCKET_MS`] buckets.
    pub(crate) rt_hist: [u64; RT_BUCKETS],
    auth_success: u64,
    auth_failed: u64,
    failures: Vec<(NaiveDateTime, String)>,
    failures_dropped: u64,
    db_errors: u64,
    db_connection: u64,
    db_slow: u64,
    lower: String,
    words: Words,
    /// Per finding, its first lines (time and text), for `troubleshoot`.
    evidence: BTreeMap<&'static str, Vec<(Option<NaiveDateTime>, String)>>,
}

/// `response_time:NNNms` (or `=`).
pub(crate) fn response_time(m: &str) -> Option<u64> {
    let i = memchr::memmem::find(m.as_bytes(), b"response_time")?;
    let rest = m[i + "response_time".len()..].strip_prefix([':', '='])?;
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    rest[digits.len()..]
        .starts_with("ms")
        .then(|| digits.parse().ok())
        .flatten()
}

/// The first IPv4 address in `m`.
pub(crate) fn ipv4(m: &str) -> Option<&str> {
    let b = m.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'.')
        {
            let mut j = i;
            let mut dots = 0;
            while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
                dots += usize::from(b[j] == b'.');
                j += 1;
            }
            let cand = m[i..j].trim_end_matches('.');
            if dots >= 3
                && cand.split('.').count() == 4
                && cand
                    .split('.')
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
            {
                return Some(cand);
            }
            i = j;
        }
        i += 1;
    }
    None
}

impl Report {
    pub(crate) fn new(s: Settings) -> Self {
        Report {
            s,
            lines: 0,
            events: 0,
            unparsed: 0,
            levels: [0; 5],
            errors_by_hour: BTreeMap::new(),
            drain: Drain::new(Params::default()),
            examples: HashMap::new(),
            slow_count: 0,
            slowest: BinaryHeap::new(),
            rt_hist: [0; RT_BUCKETS],
            auth_success: 0,
            auth_failed: 0,
            failures: Vec::new(),
            failures_dropped: 0,
            db_errors: 0,
            db_connection: 0,
            db_slow: 0,
            lower: String::new(),
            words: Words::new(),
            evidence: BTreeMap::new(),
        }
    }

    /// False for a record outside `--since`/`--until` (a record without a time is kept).
    pub(crate) fn wanted(&self, r: &Record) -> bool {
        match r.time {
            Some(t) => self.s.since.is_none_or(|s| t >= s) && self.s.until.is_none_or(|u| t < u),
            None => true,
        }
    }

    /// Counts one whole record (its message with any traceback joined).
    pub(crate) fn add(&mut self, r: &Record) {
        self.events += 1;
        if let Some(l) = r.level {
            self.levels[l] += 1;
        }
        let first_line = r.message.lines().next().unwrap_or("");
        if r.level.is_some_and(|l| l >= 3) {
            if let Some(t) = r.time {
                let hour = t
                    .with_minute(0)
                    .and_then(|t| t.with_second(0))
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(t);
                *self.errors_by_hour.entry(hour).or_default() += 1;
            }
            let f = self.drain.add(first_line);
            let e = self
                .examples
                .entry(f.id)
                .or_insert_with(|| (0, first_line.chars().take(300).collect(), r.time));
            e.0 += 1;
        }
        if let Some(ms) = response_time(&r.message) {
            self.rt_hist[((ms / RT_BUCKET_MS) as usize).min(RT_BUCKETS - 1)] += 1;
            if ms > self.s.threshold_ms {
                self.note("slow_request", r);
                self.slow_count += 1;
                self.slowest.push(Slow {
                    neg_ms: std::cmp::Reverse(ms),
                    time: r
                        .time
                        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
                        .unwrap_or_default(),
                    message: first_line.chars().take(300).collect(),
                });
                if self.slowest.len() > SLOWEST {
                    self.slowest.pop();
                }
            }
        }
        self.lower.clear();
        self.lower.push_str(&r.message);
        self.lower.make_ascii_lowercase();
        let m = self.lower.as_bytes();
        let w = &self.words;
        let has = |f: &memchr::memmem::Finder<'_>| f.find(m).is_some();
        let login = has(&w.login);
        let failed = has(&w.failed);
        let login_failed = login && (failed || has(&w.failure));
        let login_ok = login && !login_failed && (has(&w.success) || has(&w.succeeded));
        let db_error = has(&w.database) && has(&w.error);
        let connection = has(&w.connection) && failed;
        let slow_query = has(&w.slow_query) || has(&w.query_time);
        if login_failed {
            self.note("login_failed", r);
            self.auth_failed += 1;
            let ip = r.ip.clone().or_else(|| ipv4(&r.message).map(str::to_owned));
            if let (Some(t), Some(ip)) = (r.time, ip) {
                if self.failures.len() < MAX_FAILURES {
                    self.failures.push((t, ip));
                } else {
                    self.failures_dropped += 1;
                }
            }
        }
        if login_ok {
            self.auth_success += 1;
        }
        if db_error {
            self.db_errors += 1;
            self.note("database_error", r);
        }
        if connection {
            self.db_connection += 1;
            self.note("connection", r);
        }
        if slow_query {
            self.db_slow += 1;
            self.note("slow_query", r);
        }
    }

    /// Keeps `r` as evidence of `kind` (for `troubleshoot`), while there are fewer than
    /// [`EVIDENCE`] of that kind.
    fn note(&mut self, kind: &'static str, r: &Record) {
        let kept = self.evidence.entry(kind).or_default();
        if kept.len() < EVIDENCE {
            kept.push((
                r.time,
                format!(
                    "{} {} {}",
                    r.level.map_or("-", |l| LEVELS[l]),
                    r.time.map(|t| t.to_string()).unwrap_or_default(),
                    r.message.lines().next().unwrap_or("")
                ),
            ));
        }
    }

    /// The lines that show `kind` (`login_failed`, `database_error`, `connection`,
    /// `slow_query`, `slow_request`), earliest first.
    pub(crate) fn evidence(&self, kind: &str) -> &[(Option<NaiveDateTime>, String)] {
        self.evidence.get(kind).map_or(&[], Vec::as_slice)
    }

    /// What the user should know about the figures (a limit that was reached).
    pub(crate) fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.failures_dropped > 0 {
            w.push(format!(
                "{} failed logins past the first {MAX_FAILURES} were counted but not searched for brute force",
                self.failures_dropped
            ));
        }
        w
    }

    /// Adds `other`'s counts (a chunk of the input read by another thread).
    pub(crate) fn merge(&mut self, other: Report) {
        self.lines += other.lines;
        self.events += other.events;
        self.unparsed += other.unparsed;
        for (a, b) in self.levels.iter_mut().zip(other.levels) {
            *a += b;
        }
        for (h, n) in other.errors_by_hour {
            *self.errors_by_hour.entry(h).or_default() += n;
        }
        for (id, template, _) in other.drain.clusters() {
            let Some((n, example, at)) = other.examples.get(&id) else {
                continue;
            };
            let f = self.drain.add(&template);
            let e = self
                .examples
                .entry(f.id)
                .or_insert_with(|| (0, example.clone(), *at));
            e.0 += n;
            if at.is_some() && (e.2.is_none() || *at < e.2) {
                e.1 = example.clone();
                e.2 = *at;
            }
        }
        self.slow_count += other.slow_count;
        for (a, b) in self.rt_hist.iter_mut().zip(other.rt_hist) {
            *a += b;
        }
        for s in other.slowest {
            self.slowest.push(s);
            if self.slowest.len() > SLOWEST {
                self.slowest.pop();
            }
        }
        self.auth_success += other.auth_success;
        self.auth_failed += other.auth_failed;
        let room = MAX_FAILURES.saturating_sub(self.failures.len());
        self.failures_dropped +=
            other.failures_dropped + other.failures.len().saturating_sub(room) as u64;
        self.failures.extend(other.failures.into_iter().take(room));
        // Each reader kept its own first lines: the earliest of them all are the first.
        for (kind, lines) in other.evidence {
            let kept = self.evidence.entry(kind).or_default();
            kept.extend(lines);
            kept.sort_by_key(|(t, _)| *t);
            kept.truncate(EVIDENCE);
        }
        self.db_errors += other.db_errors;
        self.db_connection += other.db_connection;
        self.db_slow += other.db_slow;
    }

    /// IPs with more than `burst` failed logins inside some `burst_secs` window:
    /// (ip, failures in all, first, last).
    fn brute_force(&self) -> Vec<(String, usize, NaiveDateTime, NaiveDateTime)> {
        let mut by_ip: HashMap<&str, Vec<NaiveDateTime>> = HashMap::new();
        for (t, ip) in &self.failures {
            by_ip.entry(ip).or_default().push(*t);
        }
        let mut out = Vec::new();
        for (ip, mut ts) in by_ip {
            ts.sort();
            let mut lo = 0;
            let hit = (0..ts.len()).any(|hi| {
                while (ts[hi] - ts[lo]).num_seconds() >= self.s.burst_secs {
                    lo += 1;
                }
                hi - lo + 1 > self.s.burst
            });
            if hit {
                out.push((ip.to_owned(), ts.len(), ts[0], ts[ts.len() - 1]));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The threshold of slow requests, in ms.
    pub(crate) fn threshold_ms(&self) -> u64 {
        self.s.threshold_ms
    }

    /// The ★ JSON report.
    pub(crate) fn json(&self) -> serde_json::Value {
        use serde_json::json;
        let fmt = |t: &NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut levels = serde_json::Map::new();
        for (l, n) in LEVELS.iter().zip(self.levels) {
            levels.insert((*l).into(), n.into());
        }
        let mut top: Vec<(u64, String, String)> = self
            .drain
            .clusters()
            .filter_map(|(id, t, _)| self.examples.get(&id).map(|(n, ex, _)| (*n, t, ex.clone())))
            .collect();
        top.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        top.truncate(self.s.top);
        let mut slowest: Vec<&Slow> = self.slowest.iter().collect();
        slowest.sort_by(|a, b| a.neg_ms.cmp(&b.neg_ms).then(a.time.cmp(&b.time)));
        let total = self.auth_success + self.auth_failed;
        json!({
            "lines": self.lines,
            "events": self.events,
            "unparsed": self.unparsed,
            "levels": levels,
            "errors_by_hour": self.errors_by_hour.iter().map(|(h, n)| json!({"hour": fmt(h), "count": n})).collect::<Vec<_>>(),
            "top_errors": top.iter().map(|(n, t, ex)| json!({"template": t, "count": n, "example": ex})).collect::<Vec<_>>(),
            "slow_requests": {
                "threshold_ms": self.s.threshold_ms,
                "count": self.slow_count,
                "slowest": slowest.iter().map(|s| json!({"timestamp": s.time, "response_time": s.neg_ms.0, "message": s.message})).collect::<Vec<_>>(),
            },
            "auth": {
                "success": self.auth_success,
                "failed": self.auth_failed,
                "success_rate": if total == 0 { 0.0 } else { self.auth_success as f64 / total as f64 },
                "brute_force": self.brute_force().iter().map(|(ip, n, f, l)| json!({"ip": ip, "failures": n, "first": fmt(f), "last": fmt(l)})).collect::<Vec<_>>(),
            },
            "database": {"errors": self.db_errors, "connection_issues": self.db_connection, "slow_queries": self.db_slow},
        })
    }
}
