//! `sluice analyze` on generated studio logs (a week, diurnal traffic, incidents,
//! tracebacks, bytes that are not UTF-8, stray lines), every figure of the report against
//! a count made here, independently, from the generated text; and the seed's bugs, each
//! shown fixed.

use crate::support::*;
use std::collections::{BTreeMap, HashMap};
use std::process::Command;

fn analyze(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(sluice_bin())
        .arg("analyze")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(args: &[&str]) -> serde_json::Value {
    let mut a = vec!["report", "--format", "json"];
    a.extend_from_slice(args);
    let (code, out, err) = analyze(&a);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Generator options from the first Monday (2026-11-23).
fn options(
    days: u32,
    seed: u64,
    peak_per_min: f64,
    format: sluice_bench_gen::Format,
    rough: bool,
) -> sluice_bench_gen::Options {
    sluice_bench_gen::Options {
        start: 1_795_392_000,
        days,
        seed,
        peak_per_min,
        format,
        rough,
    }
}

/// The week [`generated`] writes (and whose plan the anomaly test checks against).
fn week() -> sluice_bench_gen::Options {
    options(WEEK, 5, PEAK, sluice_bench_gen::Format::Django, true)
}

/// A generated week, written as a rotated set: day one gzipped as `studio.log.1.gz`,
/// the rest as `studio.log`. Returns the directory and the whole text.
fn generated(dir: &std::path::Path) -> Vec<u8> {
    let o = week();
    let inc = sluice_bench_gen::plan(&o);
    let mut all = Vec::new();
    sluice_bench_gen::generate(&o, &inc, &mut all).unwrap();
    let cut = all
        .windows(12)
        .position(|w| w == b" 2026-11-24 ")
        .map(|i| all[..i].iter().rposition(|b| *b == b'\n').unwrap() + 1)
        .unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.join("studio.log.1.gz")).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut gz, &all[..cut]).unwrap();
    gz.finish().unwrap();
    std::fs::write(dir.join("studio.log"), &all[cut..]).unwrap();
    all
}

const LEVELS: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
/// The generated logs cover a week (Monday to Sunday, with its quieter weekend).
const WEEK: u32 = 7;
/// Requests a minute at the busiest hour.
const PEAK: f64 = 25.0;

#[test]
fn every_figure_of_the_report_matches_an_independent_count() {
    let d = tempfile::tempdir().unwrap();
    let all = generated(d.path());
    let text = String::from_utf8_lossy(&all);
    // The independent count: a record starts with a level and a date.
    let mut levels = [0u64; 5];
    let mut by_hour: BTreeMap<String, u64> = BTreeMap::new();
    let (mut slow, mut slow2000, mut ok, mut failed) = (0, 0, 0, 0);
    let (mut db, mut conn, mut queries) = (0, 0, 0);
    let mut fails: HashMap<String, Vec<String>> = HashMap::new();
    let mut records = 0;
    let mut stray = 0;
    let mut times: Vec<u64> = Vec::new();
    for l in text.lines() {
        let Some(lvl) = LEVELS
            .iter()
            .position(|x| l.starts_with(&format!("{x} 2026-")))
        else {
            if l.starts_with("---") {
                stray += 1;
            }
            continue;
        };
        records += 1;
        levels[lvl] += 1;
        let rest = &l[LEVELS[lvl].len() + 1..];
        // `asctime` (two words), module, pid, thread, then the message.
        let msg = rest.splitn(6, ' ').nth(5).unwrap();
        if lvl >= 3 {
            *by_hour
                .entry(format!("{}T{}:00:00", &rest[..10], &rest[11..13]))
                .or_default() += 1;
        }
        if let Some(i) = msg.find("response_time:") {
            let n: u64 = msg[i + 14..].split("ms").next().unwrap().parse().unwrap();
            slow += u64::from(n > 1000);
            slow2000 += u64::from(n > 2000);
            if n > 1000 {
                times.push(n);
            }
        }
        let m = msg.to_lowercase();
        if m.contains("login") && m.contains("failed") {
            failed += 1;
            let ip = m.rsplit(' ').next().unwrap().to_owned();
            fails.entry(ip).or_default().push(rest[..19].to_owned());
        } else if m.contains("login") && (m.contains("success") || m.contains("succeeded")) {
            ok += 1;
        }
        db += u64::from(m.contains("database") && m.contains("error"));
        conn += u64::from(m.contains("connection") && m.contains("failed"));
        queries += u64::from(m.contains("slow query") || m.contains("query time"));
    }
    let t = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    let mut brute: Vec<String> = fails
        .iter()
        .filter(|(_, ts)| {
            ts.iter().enumerate().any(|(i, a)| {
                ts[i..]
                    .iter()
                    .filter(|b| (t(b) - t(a)).num_seconds() < 300)
                    .count()
                    > 5
            })
        })
        .map(|(ip, _)| ip.clone())
        .collect();
    brute.sort();

    let r = report(&[d.path().to_str().unwrap()]);
    assert_eq!(r["lines"], text.lines().count(), "every line, both files");
    assert_eq!(r["events"], records);
    assert_eq!(r["unparsed"], stray);
    assert!(stray > 0, "the generator wrote stray lines");
    for (i, l) in LEVELS.iter().enumerate() {
        assert_eq!(r["levels"][l], levels[i], "{l}");
    }
    let hours: BTreeMap<String, u64> = r["errors_by_hour"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["hour"].as_str().unwrap().to_owned(),
                h["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(hours, by_hour);
    assert_eq!(r["slow_requests"]["count"], slow);
    // The ten slowest, slowest first.
    times.sort_unstable_by(|a, b| b.cmp(a));
    let listed: Vec<u64> = r["slow_requests"]["slowest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["response_time"].as_u64().unwrap())
        .collect();
    assert_eq!(listed, times[..10]);
    assert_eq!(r["auth"]["failed"], failed);
    assert_eq!(r["auth"]["success"], ok);
    assert_eq!(r["database"]["errors"], db);
    assert_eq!(r["database"]["connection_issues"], conn);
    assert_eq!(r["database"]["slow_queries"], queries);
    let got: Vec<String> = r["auth"]["brute_force"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["ip"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, brute);
    assert_eq!(got, ["203.0.113.77"], "the injected bursts, nothing else");

    // The seed's bugs.
    // 1. Errors by hour, not by day: both days' hours, each its own entry.
    assert!(hours.len() > 24, "{hours:?}");
    // 2. `slow 2000` finds the requests over 2000 ms (the seed grepped for ">1000").
    let s2000 = report(&["--threshold", "2000", d.path().to_str().unwrap()]);
    assert_eq!(s2000["slow_requests"]["count"], slow2000);
    assert!(slow2000 > 0);
    let (code, out, _) = analyze(&["slow", "--threshold", "2000", d.path().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("\"threshold_ms\": 2000"), "{out}");
    // 3. Django's `asctime` with `,mmm`, tracebacks and bytes that are not UTF-8 break
    //    nothing: every record was read (above), the tracebacks joined theirs.
    // 4. Errors grouped by template: the request ids do not make each count 1.
    let view = r["top_errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["template"]
                .as_str()
                .unwrap()
                .starts_with("Unhandled exception")
        })
        .unwrap();
    let seen = text.matches("Unhandled exception in view").count() as u64;
    assert_eq!(view["count"], seen, "{view}");
    assert!(seen > 1);
    // The request id, different in every one, is a wildcard of the template.
    assert!(
        view["template"].as_str().unwrap().ends_with("int() <*>"),
        "{view}"
    );
}

#[test]
fn brute_force_needs_the_failures_inside_one_window() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("security.log");
    let mut text = String::new();
    // Six failures from .1 spread over an hour: not a burst (the seed counted all time).
    for m in 0..6 {
        text.push_str(&format!(
            "WARNING 2026-11-24 10:{:02}:00,000 accounts 1 2 Failed login for bob from 10.0.0.1\n",
            m * 10
        ));
    }
    // Six failures from .2 within two minutes: a burst. JSON, as the security log.
    for s in 0..6 {
        text.push_str(&format!(
            "{{\"levelname\": \"WARNING\", \"asctime\": \"2026-11-24 11:0{}:{:02},000\", \"message\": \"Login failed\", \"ip\": \"10.0.0.2\"}}\n",
            s / 3,
            (s % 3) * 20
        ));
    }
    std::fs::write(&f, text).unwrap();
    let r = report(&[f.to_str().unwrap()]);
    assert_eq!(r["auth"]["failed"], 12);
    let b = &r["auth"]["brute_force"];
    assert_eq!(b.as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b[0]["ip"], "10.0.0.2");
    assert_eq!(b[0]["first"], "2026-11-24T11:00:00");
    // The window is an option: 5 in an hour and more flags .1 as well.
    let r = report(&["--brute-force", "5/1h", f.to_str().unwrap()]);
    assert_eq!(r["auth"]["brute_force"].as_array().unwrap().len(), 2);
    // A bad option says which and how.
    let (code, _, err) = analyze(&["report", "--brute-force", "lots", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--brute-force lots"), "{err}");
}

#[test]
fn since_until_patterns_and_csv() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("studio.log");
    std::fs::write(
        &f,
        "INFO 2026-11-24 09:59:59,000 views 1 2 GET /a 200 response_time:10ms request_id=req-1\n\
         ERROR 2026-11-24 10:00:00,000 views 1 2 Database error: timeout request_id=req-2\n\
         Traceback (most recent call last):\n  File \"x.py\", line 1, in f\nValueError: bad, \"quoted\"\n\
         ERROR 2026-11-24 10:30:00,000 views 1 2 Database error: timeout request_id=req-3\n\
         INFO 2026-11-24 11:00:00,000 views 1 2 GET /b 200 response_time:1500ms request_id=req-4\n",
    )
    .unwrap();
    let r = report(&[
        "--since",
        "2026-11-24 10:00:00",
        "--until",
        "2026-11-24T11:00:00Z",
        f.to_str().unwrap(),
    ]);
    assert_eq!(r["events"], 2);
    assert_eq!(r["errors_by_hour"][0]["count"], 2);
    assert_eq!(r["top_errors"][0]["count"], 2);
    assert_eq!(
        r["top_errors"][0]["template"],
        "Database error: timeout <*>"
    );
    // Relative to a pinned "now", so that the report can be made again.
    let r = report(&[
        "--now",
        "2026-11-24 12:00:00",
        "--since",
        "2h",
        f.to_str().unwrap(),
    ]);
    assert_eq!(r["events"], 3, "from 10:00");
    let r = report(&[
        "--now",
        "2026-11-25 08:00:00",
        "--since",
        "yesterday",
        "--until",
        "today",
        f.to_str().unwrap(),
    ]);
    assert_eq!(r["events"], 4, "all of the 24th");
    let (code, out, _) = analyze(&["patterns", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.lines().next().unwrap().contains("2  "), "{out}");
    let csv = d.path().join("out.csv");
    let (code, _, err) = analyze(&[
        "export",
        "--csv",
        csv.to_str().unwrap(),
        f.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("level,timestamp,module,message,response_time,ip\n"));
    assert!(text.contains("INFO,2026-11-24T11:00:00.000,views,GET /b 200 response_time:1500ms request_id=req-4,1500,\n"), "{text}");
    // The traceback is part of its record, quoted as CSV quotes.
    assert!(text.contains("\"Database error: timeout request_id=req-2\nTraceback (most recent call last):\n  File \"\"x.py\"\""), "{text}");
    let (code, _, err) = analyze(&["report", d.path().join("missing.log").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.log: no such file"), "{err}");
}

/// A file large enough to be read in ranges by several threads (over 8 MiB), with
/// tracebacks that cross the ranges' edges: the same report as one reader on stdin.
#[test]
fn ranges_read_in_parallel_give_the_report_of_one_reader() {
    let d = tempfile::tempdir().unwrap();
    let o = options(2, 9, 170.0, sluice_bench_gen::Format::Django, true);
    let mut all = Vec::new();
    sluice_bench_gen::generate(&o, &sluice_bench_gen::plan(&o), &mut all).unwrap();
    assert!(all.len() > 16 << 20, "{} bytes", all.len());
    let f = d.path().join("studio.log");
    std::fs::write(&f, &all).unwrap();
    let parallel = report(&[f.to_str().unwrap()]);
    let out = Command::new(sluice_bin())
        .args(["analyze", "report", "--format", "json", "-"])
        .stdin(std::fs::File::open(&f).unwrap())
        .output()
        .unwrap();
    let single: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parallel, single);
    assert_eq!(
        parallel["lines"],
        all.iter().filter(|b| **b == b'\n').count()
    );
}

/// The anomaly model offline flags the incidents' windows and few others (the seed's
/// detector flagged 10 % of lines whatever the data); troubleshooting gives findings,
/// recommendations and the lines that show them.
#[test]
fn anomalies_and_troubleshooting_on_generated_days() {
    let d = tempfile::tempdir().unwrap();
    generated(d.path());
    let dir = d.path().to_str().unwrap();
    let (code, out, err) = analyze(&["anomalies", "--json", dir]);
    assert_eq!(code, 0, "{err}");
    let found: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Each window flagged is inside an injected incident (to 10 minutes after it): the
    // generator's plan is the ground truth.
    let o = week();
    let plan = sluice_bench_gen::plan(&o);
    let outside: Vec<&serde_json::Value> = found
        .iter()
        .filter(|a| {
            let t = chrono::DateTime::parse_from_rfc3339(
                a["anomaly"]["window_start"].as_str().unwrap(),
            )
            .unwrap()
            .timestamp();
            !plan.iter().any(|i| t >= i.start - 60 && t <= i.end + 600)
        })
        .collect();
    assert!(
        outside.len() <= 2,
        "{} of {} outside incidents: {outside:?}",
        outside.len(),
        found.len()
    );
    assert!(found.len() >= 20, "{}", found.len());
    assert!(
        found.iter().any(|a| a["anomaly"]["explanation"]
            .as_str()
            .unwrap()
            .contains("errors in 1m")),
        "{out}"
    );
    let (code, out, _) = analyze(&["troubleshoot", "database", dir]);
    assert_eq!(code, 0);
    assert!(out.contains("Connections fail"), "{out}");
    assert!(
        out.contains("Database connection failed: could not connect"),
        "{out}"
    );
    let (code, out, _) = analyze(&["troubleshoot", "auth", dir]);
    assert_eq!(code, 0);
    assert!(out.contains("brute force from 203.0.113.77"), "{out}");
    assert!(out.contains("django-axes"), "{out}");
    let (code, out, _) = analyze(&["troubleshoot", "performance", "--threshold", "2000", dir]);
    assert_eq!(code, 0);
    assert!(out.contains("requests over 2000 ms"), "{out}");
    // Its evidence is of the threshold asked for.
    let evidence = out.split("Evidence:").nth(1).unwrap();
    let shown: Vec<u64> = evidence
        .split("response_time:")
        .skip(1)
        .map(|t| t.split("ms").next().unwrap().parse().unwrap())
        .collect();
    assert!(
        !shown.is_empty() && shown.iter().all(|ms| *ms > 2000),
        "{out}"
    );
}

/// The same figures from the JSON format (Python JSON formatters, the security log) and
/// from syslog carrying Django lines, each against a count made here.
#[test]
fn json_and_syslog_logs_give_the_same_figures() {
    let d = tempfile::tempdir().unwrap();
    let o = options(WEEK, 2, PEAK, sluice_bench_gen::Format::Json, false);
    let plan = sluice_bench_gen::plan(&o);
    let mut json = Vec::new();
    let st = sluice_bench_gen::generate(&o, &plan, &mut json).unwrap();
    let jf = d.path().join("security.json");
    std::fs::write(&jf, &json).unwrap();
    let mut levels: BTreeMap<String, u64> = BTreeMap::new();
    let mut slow = 0;
    for l in String::from_utf8(json).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        *levels
            .entry(v["levelname"].as_str().unwrap().to_owned())
            .or_default() += 1;
        let m = v["message"].as_str().unwrap();
        if let Some(i) = m.find("response_time:") {
            slow += u64::from(
                m[i + 14..]
                    .split("ms")
                    .next()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
                    > 1000,
            );
        }
    }
    let r = report(&[jf.to_str().unwrap()]);
    assert_eq!(r["events"], st.records);
    assert_eq!(r["unparsed"], 0);
    for (l, n) in &levels {
        assert_eq!(r["levels"][l], *n, "{l}");
    }
    assert_eq!(r["slow_requests"]["count"], slow);
    assert_eq!(r["auth"]["brute_force"][0]["ip"], "203.0.113.77");

    // The Django lines of the same traffic inside RFC 5424, as SysLogHandler to rsyslog.
    let o = sluice_bench_gen::Options {
        format: sluice_bench_gen::Format::Django,
        ..o
    };
    let mut django = Vec::new();
    sluice_bench_gen::generate(&o, &plan, &mut django).unwrap();
    let syslog: String = String::from_utf8(django)
        .unwrap()
        .lines()
        .map(|l| format!("<134>1 2026-11-23T00:00:00Z web django 42 - - {l}\n"))
        .collect();
    let sf = d.path().join("syslog.log");
    std::fs::write(&sf, &syslog).unwrap();
    // And RFC 3164, as older senders write it.
    let bsd: String = syslog
        .lines()
        .map(|l| {
            format!(
                "<134>Nov 23 00:00:00 web django: {}\n",
                l.splitn(8, ' ').nth(7).unwrap()
            )
        })
        .collect();
    let bf = d.path().join("bsd.log");
    std::fs::write(&bf, bsd).unwrap();
    for f in [&sf, &bf] {
        let s = report(&[f.to_str().unwrap()]);
        for k in [
            "events",
            "levels",
            "errors_by_hour",
            "slow_requests",
            "database",
        ] {
            assert_eq!(s[k], r[k], "{k} of {}", f.display());
        }
        assert_eq!(s["auth"]["failed"], r["auth"]["failed"]);
        assert_eq!(s["unparsed"], 0);
    }
}

/// `plot` writes a PNG of the report's charts (a person looked at one: docs/BENCHMARKS.md
/// names the command) and the same as SVG; a bad name is refused.
#[test]
fn plot_writes_png_and_svg_charts() {
    let d = tempfile::tempdir().unwrap();
    generated(d.path());
    let dir = d.path().to_str().unwrap();
    let png = d.path().join("report.png");
    let (code, _, err) = analyze(&["plot", "--out", png.to_str().unwrap(), dir]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: 1200 x 800.
    assert_eq!(&bytes[16..24], &[0, 0, 4, 176, 0, 0, 3, 32]);
    assert!(
        bytes.len() > 20_000,
        "{} bytes: an empty chart?",
        bytes.len()
    );
    let svg = d.path().join("report.svg");
    let (code, _, err) = analyze(&["plot", "--out", svg.to_str().unwrap(), dir]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("ERROR and CRITICAL per hour") && text.contains("Response times"));
    let (code, _, err) = analyze(&[
        "plot",
        "--out",
        d.path().join("r.gif").to_str().unwrap(),
        dir,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("write .png or .svg"), "{err}");
}
