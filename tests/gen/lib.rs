//! A deterministic generator of the studio's logs, with incidents injected at known
//! times: the ground truth for the alert rules and the anomaly model (and for `sluice
//! analyze`). Same seed, same bytes.
//!
//! Traffic follows the day (quiet at night, busy from 9 to 18, less at weekends) and the
//! mission's message kinds: requests with `response_time:NNNms` and a request id,
//! logins that succeed and a few that fail, Celery tasks, database queries, cache
//! misses, and a trickle of application errors. Incidents, one of each a day at seeded
//! times: a database outage, a brute-force burst from one address, a latency spike, a
//! worker leaking memory until it is killed (CRITICAL), and a silent spell with no
//! events at all.

mod evaluate;

pub use evaluate::{evaluate, EvalOptions};
use std::io::Write;

/// The value after `--name` in `args`, for the generator's command-line tools.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// One injected incident: `[start, end)` in Unix seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// `db_outage`, `brute_force`, `latency_spike`, `memory_leak` or `silent_source`.
    pub kind: &'static str,
    /// First second.
    pub start: i64,
    /// First second after it.
    pub end: i64,
}

/// How lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Django's verbose format: `LEVEL YYYY-MM-DD HH:MM:SS,mmm module pid tid message`.
    Django,
    /// One JSON object a line (`levelname`, `asctime`, `module`, `message`).
    Json,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Options {
    /// Midnight (UTC) of the first day, Unix seconds.
    pub start: i64,
    /// Days of traffic.
    pub days: u32,
    /// Seed of every random choice.
    pub seed: u64,
    /// Requests a minute at the busiest hour.
    pub peak_per_min: f64,
    /// Line format.
    pub format: Format,
    /// Python tracebacks after application errors, and now and then a line with bytes
    /// that are not UTF-8 or one that is no record at all (for `sluice analyze`).
    pub rough: bool,
}

/// Counts of what was written, for the tests' independent checks.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Lines written.
    pub lines: u64,
    /// Records by level (DEBUG, INFO, WARNING, ERROR, CRITICAL).
    pub levels: [u64; 5],
    /// Records (a traceback is part of its record).
    pub records: u64,
    /// Lines that are no record and no part of one.
    pub garbage: u64,
}

/// A small, fast, seeded generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    /// Uniform in [0, 1).
    pub fn f(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        (self.f() * n as f64) as u64 % n.max(1)
    }
}

/// The incidents of `o`, one of each kind a day, at seeded times in the afternoon and
/// evening of each day (the first hours of the first day are for learning).
pub fn plan(o: &Options) -> Vec<Incident> {
    let mut r = Rng::new(o.seed ^ 0x1c1d);
    let mut v = Vec::new();
    for d in 0..i64::from(o.days) {
        let day = o.start + d * 86_400;
        let at = |h: i64, r: &mut Rng| day + h * 3600 + r.below(40) as i64 * 60;
        let db = at(10, &mut r);
        v.push(Incident {
            kind: "db_outage",
            start: db,
            end: db + 15 * 60,
        });
        let bf = at(12, &mut r);
        v.push(Incident {
            kind: "brute_force",
            start: bf,
            end: bf + 5 * 60,
        });
        let lat = at(14, &mut r);
        v.push(Incident {
            kind: "latency_spike",
            start: lat,
            end: lat + 10 * 60,
        });
        let leak = at(16, &mut r);
        v.push(Incident {
            kind: "memory_leak",
            start: leak,
            end: leak + 60 * 60,
        });
        let quiet = at(19, &mut r);
        v.push(Incident {
            kind: "silent_source",
            start: quiet,
            end: quiet + 20 * 60,
        });
    }
    v
}

/// Requests a minute at Unix second `t`: a day curve (5 % of the peak at 4 am, the peak
/// from 10 to 17) and 60 % on Saturdays and Sundays.
pub fn rate(o: &Options, t: i64) -> f64 {
    let hour = (t.rem_euclid(86_400)) as f64 / 3600.0;
    let day = ((hour - 13.5) / 24.0 * std::f64::consts::TAU).cos(); // 1 at 13:30
    let curve = 0.05 + 0.95 * ((day + 1.0) / 2.0).powf(1.5);
    let weekday = t.div_euclid(86_400).rem_euclid(7); // 0 = Thursday
    let weekend = if weekday == 2 || weekday == 3 {
        0.6
    } else {
        1.0
    };
    o.peak_per_min * curve * weekend
}

const USERS: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];
const PATHS: &[&str] = &["projects", "tasks", "users", "reports", "files"];
const TASKS: &[&str] = &[
    "send_email",
    "build_report",
    "sync_calendar",
    "resize_image",
];
const LEVELS: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

fn ip(r: &mut Rng) -> String {
    format!("10.{}.{}.{}", r.below(4), r.below(50), 1 + r.below(250))
}

/// One line's parts.
struct Line {
    level: usize,
    module: &'static str,
    message: String,
}

/// A normal event, changed by the incidents active at `t`.
fn normal(r: &mut Rng, active: &[&Incident], t: i64) -> Line {
    let is = |k: &str| active.iter().find(|i| i.kind == k);
    let mut slow = 1.0;
    if is("latency_spike").is_some() {
        slow = 12.0;
    }
    if let Some(i) = is("memory_leak") {
        let frac = (t - i.start) as f64 / (i.end - i.start) as f64;
        slow *= 1.0 + 4.0 * (frac - 0.6).max(0.0) / 0.4;
    }
    if is("db_outage").is_some() {
        slow *= 3.0;
        if r.f() < 0.4 {
            return Line {
                level: 3,
                module: "db",
                message:
                    "Database connection failed: could not connect to server: Connection refused"
                        .into(),
            };
        }
    }
    let rid = format!("req-{:08x}", r.below(u64::from(u32::MAX)));
    let k = r.f();
    if k < 0.70 {
        let rt = ((40.0 + 150.0 * r.f().powi(3)) * slow) as u64;
        let p = PATHS[r.below(PATHS.len() as u64) as usize];
        Line {
            level: 1,
            module: "views",
            message: format!(
                "GET /api/{p}/{} 200 response_time:{rt}ms request_id={rid}",
                r.below(5000)
            ),
        }
    } else if k < 0.78 {
        let u = USERS[r.below(USERS.len() as u64) as usize];
        Line {
            level: 1,
            module: "accounts",
            message: format!(
                "User login succeeded for user {u} from {} request_id={rid}",
                ip(r)
            ),
        }
    } else if k < 0.79 {
        let u = USERS[r.below(USERS.len() as u64) as usize];
        Line {
            level: 2,
            module: "accounts",
            message: format!("Failed login attempt for user {u} from {}", ip(r)),
        }
    } else if k < 0.89 {
        let task = TASKS[r.below(TASKS.len() as u64) as usize];
        Line {
            level: 1,
            module: "celery",
            message: format!("Task {task} succeeded in {:.3}s", 0.05 + r.f() * 2.0),
        }
    } else if k < 0.95 {
        Line {
            level: 0,
            module: "db",
            message: format!(
                "Query completed in {}ms",
                (2.0 + 30.0 * r.f() * slow) as u64
            ),
        }
    } else if k < 0.995 {
        Line {
            level: 0,
            module: "cache",
            message: format!("Cache miss for key user:{}:profile", r.below(10_000)),
        }
    } else {
        Line { level: 3, module: "views", message: format!("Unhandled exception in view report_detail: ValueError: invalid literal for int() request_id={rid}") }
    }
}

fn write_line(
    o: &Options,
    out: &mut impl Write,
    t_ms: i64,
    l: &Line,
    st: &mut Stats,
) -> std::io::Result<()> {
    let ts = chrono::DateTime::from_timestamp_millis(t_ms).unwrap_or_default();
    let asctime = ts.format("%Y-%m-%d %H:%M:%S,%3f");
    let level = LEVELS[l.level];
    match o.format {
        Format::Django => writeln!(
            out,
            "{level} {asctime} {} 4242 140234 {}",
            l.module, l.message
        )?,
        Format::Json => {
            let v = serde_json::json!({"levelname": level, "asctime": asctime.to_string(), "module": l.module, "message": l.message});
            writeln!(out, "{v}")?
        }
    }
    st.lines += 1;
    st.records += 1;
    st.levels[l.level] += 1;
    Ok(())
}

/// A traceback under an application error, as Django's logger writes it.
const TRACEBACK: &[&str] = &[
    "Traceback (most recent call last):",
    "  File \"/app/reports/views.py\", line 42, in report_detail",
    "    report_id = int(request.GET[\"id\"])",
    "ValueError: invalid literal for int() with base 10: 'abc'",
];

/// Writes the traffic of `o` with `incidents` to `out`, in time order.
pub fn generate(
    o: &Options,
    incidents: &[Incident],
    out: &mut impl Write,
) -> std::io::Result<Stats> {
    let mut r = Rng::new(o.seed);
    let mut st = Stats::default();
    let end = o.start + i64::from(o.days) * 86_400;
    let mut minute = o.start;
    while minute < end {
        let active: Vec<&Incident> = incidents
            .iter()
            .filter(|i| i.start < minute + 60 && i.end > minute)
            .collect();
        let mut lines: Vec<(i64, Line)> = Vec::new();
        let n = (rate(o, minute) * (0.85 + 0.3 * r.f())).round() as u64;
        for _ in 0..n {
            let t = minute * 1000 + r.below(60_000) as i64;
            let now: Vec<&Incident> = active
                .iter()
                .copied()
                .filter(|i| i.start * 1000 <= t && t < i.end * 1000)
                .collect();
            lines.push((t, normal(&mut r, &now, t / 1000)));
        }
        for i in &active {
            let (from, to) = (i.start.max(minute) * 1000, i.end.min(minute + 60) * 1000);
            if from >= to {
                continue;
            }
            match i.kind {
                "brute_force" => {
                    for _ in 0..12 {
                        let t = from + r.below((to - from) as u64) as i64;
                        let u = USERS[r.below(USERS.len() as u64) as usize];
                        lines.push((
                            t,
                            Line {
                                level: 2,
                                module: "accounts",
                                message: format!(
                                    "Failed login attempt for user {u} from 203.0.113.77"
                                ),
                            },
                        ));
                    }
                }
                "memory_leak" => {
                    let frac = (from / 1000 - i.start) as f64 / (i.end - i.start) as f64;
                    for k in 0..2 {
                        let t = from + k * 30_000;
                        if t < to {
                            lines.push((
                                t,
                                Line {
                                    level: 2,
                                    module: "celery",
                                    message: format!(
                                        "Worker memory usage high: {} MB",
                                        (500.0 + 3500.0 * frac) as u64
                                    ),
                                },
                            ));
                        }
                    }
                    if i.end.min(minute + 60) == i.end && i.end <= minute + 60 {
                        lines.push((
                            to - 1,
                            Line {
                                level: 4,
                                module: "celery",
                                message: "Worker killed: out of memory (pid 4242)".into(),
                            },
                        ));
                    }
                }
                _ => {}
            }
        }
        // Silence: nothing at all.
        lines.retain(|(t, _)| {
            !incidents
                .iter()
                .any(|i| i.kind == "silent_source" && i.start * 1000 <= *t && *t < i.end * 1000)
        });
        lines.sort_by_key(|(t, _)| *t);
        for (t, l) in &lines {
            write_line(o, out, *t, l, &mut st)?;
            if o.rough && o.format == Format::Django {
                if l.message.starts_with("Unhandled exception") {
                    for tb in TRACEBACK {
                        writeln!(out, "{tb}")?;
                        st.lines += 1;
                    }
                } else if l.module == "cache" && r.below(500) == 0 {
                    // A record whose message has bytes that are not UTF-8.
                    let ts = chrono::DateTime::from_timestamp_millis(*t).unwrap_or_default();
                    write!(
                        out,
                        "DEBUG {} cache 4242 140234 Cache miss for key ",
                        ts.format("%Y-%m-%d %H:%M:%S,%3f")
                    )?;
                    out.write_all(b"user:\xff\xfe:profile\n")?;
                    st.lines += 1;
                    st.records += 1;
                    st.levels[0] += 1;
                } else if r.below(20_000) == 0 {
                    writeln!(out, "--- log rotated by an old script ---")?;
                    st.lines += 1;
                    st.garbage += 1;
                }
            }
        }
        minute += 60;
    }
    Ok(st)
}

/// The incidents as JSON, for the evaluation's other half.
pub fn incidents_json(v: &[Incident]) -> serde_json::Value {
    serde_json::Value::Array(
        v.iter()
            .map(|i| serde_json::json!({"kind": i.kind, "start": i.start, "end": i.end}))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(seed: u64) -> Options {
        Options {
            start: 1_795_392_000,
            days: 1,
            seed,
            peak_per_min: 60.0,
            format: Format::Django,
            rough: false,
        }
    }

    #[test]
    fn the_same_seed_writes_the_same_bytes_and_incidents_leave_their_marks() {
        let o = opts(3);
        let inc = plan(&o);
        assert_eq!(inc.len(), 5);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let st = generate(&o, &inc, &mut a).unwrap();
        generate(&o, &inc, &mut b).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count() as u64, st.lines);
        assert_eq!(
            st.levels[4], 1,
            "one CRITICAL: the leaking worker is killed"
        );
        // Nothing at all during the silent spell.
        let quiet = inc.iter().find(|i| i.kind == "silent_source").unwrap();
        let fmt = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        for l in text.lines() {
            let ts = &l[l.find(' ').unwrap() + 1..][..16];
            assert!(
                !(ts >= fmt(quiet.start).as_str() && ts < fmt(quiet.end).as_str()),
                "{l}"
            );
        }
        let brute = text
            .lines()
            .filter(|l| l.contains("from 203.0.113.77"))
            .count();
        assert_eq!(brute, 60, "12 a minute for five minutes");
    }
}
