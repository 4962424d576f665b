//! `sluice-alert-eval`: the alert rules and the anomaly model on generated studio
//! traffic with known incidents, end to end through a real `sluice run`.
//!
//! It writes `DIR/studio.log` and `DIR/incidents.json` (the generator), builds
//! `DIR/eval.toml` from config/default.toml's transforms (the studio filters and its
//! `monitor` alert pack) with a stdin source, template mining and the anomaly model,
//! runs sluice on the file, and scores what came out: per rule, alerts inside an
//! incident (from its start to 10 minutes after its end) against all its alerts
//! (precision); per incident, whether any rule and the model saw it (recall) and how
//! long after its start (time to first alert). `DIR/report.json` has every number.
//!
//! Usage: sluice-alert-eval --sluice target/release/sluice --out DIR [--days 7]
//!        [--seed 1] [--peak 120] [--workspace .] [--anomaly 'threshold = 2.0; trees = 50']

use crate::{generate, incidents_json, plan, Format, Incident, Options};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// The sluice binary.
    pub sluice: PathBuf,
    /// Where the log, the config, sluice's output and the report go.
    pub out: PathBuf,
    /// Days of traffic.
    pub days: u32,
    /// The generator's seed.
    pub seed: u64,
    /// Requests a minute at the peak.
    pub peak: f64,
    /// The repository (for config/default.toml).
    pub workspace: PathBuf,
    /// Extra keys for the anomaly transform, `;`-separated.
    pub anomaly: String,
}

const GRACE: i64 = 600;

fn read_lines(p: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn secs(v: &serde_json::Value) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.timestamp())
}

/// The studio rules meant to catch each kind of incident: recall and time to first
/// alert count only these (another rule firing inside an incident by chance is not a
/// detection of it).
fn meant(kind: &str) -> &'static [&'static str] {
    match kind {
        "db_outage" => &["database_errors", "high_error_rate"],
        "brute_force" => &["brute_force", "auth_failures"],
        "latency_spike" => &["slow_requests"],
        "memory_leak" => &["critical", "slow_requests"],
        "silent_source" => &["silence"],
        _ => &[],
    }
}

/// The incident `t` falls in (start to end plus the grace), if any.
fn inside(incidents: &[Incident], t: i64) -> Option<usize> {
    incidents
        .iter()
        .position(|i| t >= i.start && t <= i.end + GRACE)
}

/// Runs the evaluation; prints the tables to stdout and returns the report (also in
/// `out/report.json`).
pub fn evaluate(e: &EvalOptions) -> serde_json::Value {
    let (sluice, out, days, seed, peak, root) =
        (&e.sluice, &e.out, e.days, e.seed, e.peak, &e.workspace);
    std::fs::create_dir_all(out).expect("create --out");
    // Monday 2026-11-23, midnight UTC.
    let o = Options {
        start: 1_795_392_000,
        days,
        seed,
        peak_per_min: peak,
        format: Format::Django,
        rough: false,
    };
    let incidents = plan(&o);
    let log = out.join("studio.log");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&log).expect("create studio.log"));
    let stats = generate(&o, &incidents, &mut w).expect("write studio.log");
    drop(w);
    std::fs::write(
        out.join("incidents.json"),
        incidents_json(&incidents).to_string(),
    )
    .unwrap();

    // The embedded default's transforms, fed by stdin.
    let default =
        std::fs::read_to_string(root.join("config/default.toml")).expect("config/default.toml");
    let from = default.find("[transforms.").expect("transforms");
    let to = default.find("[sinks.").expect("sinks");
    let transforms = default[from..to].replace(
        r#"inputs = ["syslog_udp", "syslog_tcp", "beats", "app_json"]"#,
        r#"inputs = ["stdin"]"#,
    );
    let data = out.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let config = format!(
        r#"data_dir = "{}"
[admin]
address = "127.0.0.1:0"
[sources.stdin]
type = "stdin"
{transforms}
[transforms.shapes]
type = "template"
inputs = ["monitor"]
[transforms.detector]
type = "anomaly"
inputs = ["shapes"]
{anomaly}
[sinks.alerts]
type = "file"
inputs = ["monitor.alerts"]
path = "alerts.log"
[sinks.anomalies]
type = "file"
inputs = ["detector.anomalies"]
path = "anomalies.log"
[sinks.rest]
type = "blackhole"
inputs = ["detector"]
"#,
        data.display(),
        anomaly = e.anomaly.replace(';', "\n"),
    );
    let cfg = out.join("eval.toml");
    std::fs::write(&cfg, config).unwrap();
    let started = std::time::Instant::now();
    let st = std::process::Command::new(sluice)
        .args(["run", "--config"])
        .arg(&cfg)
        .env("TZ", "UTC")
        .stdin(std::fs::File::open(&log).unwrap())
        .stderr(std::fs::File::create(out.join("sluice.stderr")).unwrap())
        .status()
        .expect("run sluice");
    assert!(
        st.success(),
        "sluice failed: see {}",
        out.join("sluice.stderr").display()
    );
    let wall = started.elapsed().as_secs_f64();

    // Alerts: per rule, inside vs all; per incident, the first of any rule.
    let mut rules: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut first: Vec<Option<i64>> = vec![None; incidents.len()];
    let mut by: Vec<std::collections::BTreeSet<String>> = vec![Default::default(); incidents.len()];
    for a in read_lines(&data.join("alerts.log")) {
        if a["alert"]["state"] != "firing" {
            continue;
        }
        let rule = a["rule"]["name"].as_str().unwrap_or("?").to_owned();
        let t = secs(&a["@timestamp"]).unwrap_or(0);
        let e = rules.entry(rule.clone()).or_default();
        e.1 += 1;
        if let Some(i) = inside(&incidents, t) {
            e.0 += 1;
            if meant(incidents[i].kind).contains(&rule.as_str()) {
                first[i] = Some(first[i].map_or(t, |f: i64| f.min(t)));
            }
            by[i].insert(rule);
        }
    }
    let mut a_first: Vec<Option<i64>> = vec![None; incidents.len()];
    let (mut a_in, mut a_all) = (0u64, 0u64);
    let mut explanations: BTreeMap<&str, String> = BTreeMap::new();
    for a in read_lines(&data.join("anomalies.log")) {
        // Inside by the window it describes; detected when it was raised (its end).
        let t = secs(&a["anomaly"]["window_start"]).unwrap_or(0);
        let raised = secs(&a["@timestamp"]).unwrap_or(t);
        a_all += 1;
        if let Some(i) = inside(&incidents, t) {
            a_in += 1;
            a_first[i] = Some(a_first[i].map_or(raised, |f: i64| f.min(raised)));
            explanations.entry(incidents[i].kind).or_insert_with(|| {
                a["anomaly"]["explanation"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            });
        }
    }

    println!(
        "{} days, {} lines, {:.1} s through sluice ({:.0} lines/s)",
        days,
        stats.lines,
        wall,
        stats.lines as f64 / wall
    );
    println!("\n| rule | alerts | inside incidents | precision |\n|---|---|---|---|");
    let mut rule_json = serde_json::Map::new();
    for (r, (i, n)) in &rules {
        println!(
            "| {r} | {n} | {i} | {:.2} |",
            *i as f64 / (*n).max(1) as f64
        );
        rule_json.insert(r.clone(), serde_json::json!({"alerts": n, "inside": i}));
    }
    println!(
        "| anomaly model | {a_all} | {a_in} | {:.2} |",
        a_in as f64 / a_all.max(1) as f64
    );
    println!("\n| incident kind | incidents | seen by its rules | rules that fired inside | mean time to its first alert | seen by the model | mean time to first anomaly |\n|---|---|---|---|---|---|---|");
    let mut kinds: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, inc) in incidents.iter().enumerate() {
        kinds.entry(inc.kind).or_default().push(i);
    }
    let mut kind_json = serde_json::Map::new();
    for (k, idx) in &kinds {
        let seen: Vec<i64> = idx
            .iter()
            .filter_map(|&i| first[i].map(|t| t - incidents[i].start))
            .collect();
        let aseen: Vec<i64> = idx
            .iter()
            .filter_map(|&i| a_first[i].map(|t| t - incidents[i].start))
            .collect();
        let mean = |v: &[i64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<i64>() as f64 / v.len() as f64
            }
        };
        let mut names: Vec<String> = idx.iter().flat_map(|&i| by[i].iter().cloned()).collect();
        names.sort();
        names.dedup();
        println!(
            "| {k} | {} | {} | {} | {:.0} s | {} | {:.0} s |",
            idx.len(),
            seen.len(),
            names.join(", "),
            mean(&seen),
            aseen.len(),
            mean(&aseen)
        );
        kind_json.insert(
            (*k).into(),
            serde_json::json!({
                "incidents": idx.len(), "seen_by_rules": seen.len(), "rules": names,
                "mean_seconds_to_alert": mean(&seen), "seen_by_model": aseen.len(),
                "mean_seconds_to_anomaly": mean(&aseen), "explanation": explanations.get(k),
            }),
        );
    }
    println!("\nExplanations (the model's first anomaly in each kind):");
    for (k, text) in &explanations {
        println!("- {k}: {text}");
    }
    let report = serde_json::json!({
        "days": days, "lines": stats.lines, "seconds": wall, "rules": rule_json,
        "anomaly": {"anomalies": a_all, "inside": a_in}, "incidents": kind_json,
    });
    std::fs::write(
        out.join("report.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    report
}
