//! The alert transform in a running pipeline: events pass through, alerts leave on
//! `<id>.alerts` into their own file, and are counted in /metrics.

use crate::support::*;
use std::io::Write;

#[test]
fn alerts_fire_on_the_live_stream_into_their_own_file_and_metrics() {
    let s = Server::start(
        r#"
[sources.app]
type = "json_lines"
address = "127.0.0.1:{PORT}"
[transforms.monitor]
type = "alert"
inputs = ["app"]
[transforms.monitor.rules.critical]
kind = "any"
if = '[level] == "CRITICAL"'
severity = "critical"
[transforms.monitor.rules.high_error_rate]
kind = "frequency"
if = '[level] in ["ERROR", "CRITICAL"]'
threshold = 10
window = "5m"
cooldown = "10m"
[sinks.events]
type = "file"
inputs = ["monitor"]
path = "events.log"
[sinks.alerts]
type = "file"
inputs = ["monitor.alerts"]
path = "alerts.log"
"#,
    );
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    for i in 0..12 {
        let level = if i == 5 { "CRITICAL" } else { "ERROR" };
        writeln!(
            c,
            r#"{{"@timestamp":"2026-11-30T10:00:{i:02}Z","level":"{level}","message":"db down {i}"}}"#
        )
        .unwrap();
    }
    drop(c);
    s.wait_for(10, "12 events and 2 alerts", || {
        read_json_lines(&s.data("events.log")).len() == 12
            && read_json_lines(&s.data("alerts.log")).len() == 2
    });
    let alerts = read_json_lines(&s.data("alerts.log"));
    let by_rule = |r: &str| alerts.iter().find(|a| a["rule"]["name"] == r).unwrap();
    let crit = by_rule("critical");
    assert_eq!(crit["alert"]["severity"], "critical");
    assert_eq!(crit["alert"]["samples"][0], "db down 5");
    let rate = by_rule("high_error_rate");
    assert_eq!(rate["alert"]["state"], "firing");
    assert_eq!(rate["alert"]["count"], 11, "fires on the 11th error, once");
    assert_eq!(rate["event"]["kind"], "alert");
    assert_eq!(
        rate["@timestamp"], "2026-11-30T10:00:10.000Z",
        "event time, not arrival time"
    );
    assert_eq!(
        s.metric(r#"sluice_alerts_fired_total{rule="high_error_rate",severity="warning"}"#),
        1.0
    );
    assert_eq!(
        s.metric(r#"sluice_alerts_fired_total{rule="critical",severity="critical"}"#),
        1.0
    );
    assert_eq!(
        s.metric(r#"sluice_alerts_firing{rule="high_error_rate"}"#),
        1.0
    );
}

/// A Django verbose line, as studio.log has them, at `10:MM:SS` on 2026-11-30.
fn django(min: u32, sec: u32, level: &str, module: &str, msg: &str) -> String {
    format!("{level} 2026-11-30 10:{min:02}:{sec:02},000 {module} 4242 140234 {msg}")
}

/// The studio pipeline (config/studio.toml, whose filters and alerts are the embedded
/// default's) over Beats: the seed monitor's conditions fire into logs/alerts.log, and a
/// restart restores the rule state instead of firing again.
#[test]
fn the_studio_pack_alerts_on_the_studio_pipeline_and_a_restart_does_not_refire() {
    let (mut s, beats) = crate::studio::studio_with_es(None);
    let mut lines = vec![django(
        0,
        0,
        "CRITICAL",
        "worker",
        "Out of memory: worker killed",
    )];
    for i in 0..6 {
        lines.push(django(
            0,
            1 + i,
            "WARNING",
            "accounts",
            "Failed login attempt for user admin from 203.0.113.9",
        ));
    }
    for i in 0..10 {
        lines.push(django(
            1,
            i,
            "ERROR",
            "db",
            "Database connection failed: could not connect to server",
        ));
    }
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    crate::studio::beats_send(beats, &refs);
    let fired = |s: &Server| -> Vec<String> {
        let mut r: Vec<String> = read_json_lines(&s.data("logs/alerts.log"))
            .iter()
            .filter(|a| a["alert"]["state"] == "firing")
            .map(|a| a["rule"]["name"].as_str().unwrap_or("").to_owned())
            .collect();
        r.sort();
        r
    };
    let want = [
        "auth_failures",
        "brute_force",
        "critical",
        "database_errors",
        "high_error_rate",
    ];
    s.wait_for(20, "the studio pack's alerts", || fired(&s) == want);
    let alerts = read_json_lines(&s.data("logs/alerts.log"));
    let brute = alerts
        .iter()
        .find(|a| a["rule"]["name"] == "brute_force")
        .unwrap();
    assert_eq!(brute["alert"]["group"]["[source][ip]"], "203.0.113.9");
    assert_eq!(brute["alert"]["severity"], "critical");
    assert_eq!(brute["alert"]["count"], 6);
    let rate = alerts
        .iter()
        .find(|a| a["rule"]["name"] == "high_error_rate")
        .unwrap();
    assert_eq!(rate["alert"]["count"], 11, "10 errors and the CRITICAL");
    assert_eq!(rate["@timestamp"], "2026-11-30T10:01:09.000Z");
    // Every event went on to studio.log as well.
    s.wait_for(10, "17 events in studio.log", || {
        read_json_lines(&s.data("logs/studio.log")).len() == 17
    });

    // A clean stop writes the state; the restart reads it.
    assert_eq!(s.stop(), 0);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.data("state/monitor.json")).unwrap()).unwrap();
    assert_eq!(
        state["rules"]["high_error_rate"]["groups"][""]["firing"], true,
        "{state}"
    );
    s.kill9_and_restart();
    s.wait_for(30, "ready after the restart", || {
        http_get(s.admin, "/ready").is_ok_and(|(c, _)| c == 200)
    });
    assert!(s.stderr().contains("Restored the saved state"));
    // More of the same inside the same windows: nothing fires twice.
    let more: Vec<String> = (10..13)
        .map(|i| django(1, i, "ERROR", "db", "Database connection failed again"))
        .chain((7..9).map(|i| {
            django(
                0,
                i,
                "WARNING",
                "accounts",
                "Failed login attempt for user admin from 203.0.113.9",
            )
        }))
        .collect();
    let refs: Vec<&str> = more.iter().map(String::as_str).collect();
    crate::studio::beats_send(beats, &refs);
    s.wait_for(10, "22 events in studio.log", || {
        read_json_lines(&s.data("logs/studio.log")).len() == 22
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(fired(&s), want, "no alert fired a second time");
}

/// Alerts into webhooks: a Slack-format one that fails twice before it takes them (500,
/// then 429 with Retry-After), and one that refuses them for good, whose alerts land in
/// the dead-letter file with the answer; nothing is lost.
#[test]
fn alerts_reach_a_slack_webhook_through_failures_and_refusals_are_dead_lettered() {
    let slack = Capture::start(&[500, 429]);
    let refusing = Capture::start(&[400, 400, 400]);
    let s = Server::start(&format!(
        r#"
[sources.app]
type = "json_lines"
address = "127.0.0.1:{{PORT}}"
[transforms.monitor]
type = "alert"
inputs = ["app"]
[transforms.monitor.rules.critical]
kind = "any"
if = '[level] == "CRITICAL"'
severity = "critical"
[sinks.slack]
type = "webhook"
inputs = ["monitor.alerts"]
url = "http://127.0.0.1:{slack}/services/T0/B0/SECRET"
template = ":rotating_light: %{{message}}"
headers = {{ "X-Team" = "ops" }}
auth = {{ bearer = "t0ken" }}
retry = {{ initial = "100ms", max = "2s" }}
[sinks.refusing]
type = "webhook"
inputs = ["monitor.alerts"]
url = "http://127.0.0.1:{refusing}/in"
format = "json"
retry = {{ initial = "100ms", max = "1s" }}
"#,
        slack = slack.port,
        refusing = refusing.port
    ));
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    for i in 0..3 {
        writeln!(
            c,
            r#"{{"@timestamp":"2026-11-30T10:00:0{i}Z","level":"CRITICAL","message":"disk full {i}"}}"#
        )
        .unwrap();
    }
    drop(c);
    s.wait_for(20, "three alerts delivered to the Slack webhook", || {
        slack.requests().len() == 5
    });
    let reqs = slack.requests();
    // The first alert was sent three times (500, 429, 200), the others once, in order.
    let texts: Vec<String> = reqs
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            v["text"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(texts[0], texts[1]);
    assert_eq!(texts[1], texts[2]);
    assert!(
        texts[2].starts_with(":rotating_light: [critical] critical"),
        "{texts:?}"
    );
    assert_eq!(
        texts[2],
        ":rotating_light: [critical] critical: disk full 0"
    );
    assert_eq!(
        texts[3],
        ":rotating_light: [critical] critical: disk full 1"
    );
    assert_eq!(
        texts[4],
        ":rotating_light: [critical] critical: disk full 2"
    );
    let r = &reqs[0];
    assert_eq!(r.request_line, "POST /services/T0/B0/SECRET HTTP/1.1");
    let header = |k: &str| {
        r.headers
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("Bearer t0ken"));
    assert_eq!(header("x-team"), Some("ops"));
    assert_eq!(header("content-type"), Some("application/json"));
    assert!(
        !s.stderr().contains("SECRET"),
        "the webhook's secret path is never logged"
    );
    // The refusing receiver: every alert in the dead-letter file, with its answer.
    let dl = s.data("dead_letters/refusing/dead_letters.jsonl");
    s.wait_for(20, "three dead letters", || read_json_lines(&dl).len() == 3);
    let d = &read_json_lines(&dl)[0];
    assert_eq!(d["status"], 400);
    assert_eq!(d["error"]["reason"], "answer!");
    assert_eq!(d["event"]["event"]["kind"], "alert");
    assert_eq!(refusing.requests().len(), 3, "a 400 is not retried");
    assert_eq!(
        s.metric(r#"sluice_events_dropped_total{component="refusing",component_type="webhook",reason="dead_letter"}"#),
        3.0
    );
    assert_eq!(
        s.metric(r#"sluice_events_sent_total{component="slack",component_type="webhook"}"#),
        3.0
    );
}

/// The studio pack and the anomaly model on a generated day of studio traffic with one
/// incident of each kind, through `sluice run` (the full week is `sluice-alert-eval
/// --days 7`; docs/ALERTS.md has its numbers). Each incident is seen by the rules meant
/// for it, the model sees the outage, the latency spike and the silence, and almost
/// nothing it reports lies outside an incident.
#[test]
fn rules_and_model_find_the_injected_incidents_of_a_generated_day() {
    let dir = tempfile::tempdir().unwrap();
    let r = sluice_bench_gen::evaluate(&sluice_bench_gen::EvalOptions {
        sluice: sluice_bin().to_owned(),
        out: dir.path().to_owned(),
        days: 1,
        seed: 1,
        peak: 120.0,
        workspace: workspace_root(),
        anomaly: String::new(),
    });
    for kind in [
        "db_outage",
        "brute_force",
        "latency_spike",
        "memory_leak",
        "silent_source",
    ] {
        assert_eq!(r["incidents"][kind]["seen_by_rules"], 1, "{kind}: {r:#}");
    }
    for rule in [
        "brute_force",
        "critical",
        "database_errors",
        "silence",
        "slow_requests",
    ] {
        assert_eq!(
            r["rules"][rule]["alerts"], r["rules"][rule]["inside"],
            "{rule} fired outside an incident: {r:#}"
        );
    }
    for kind in ["db_outage", "latency_spike", "silent_source"] {
        assert_eq!(r["incidents"][kind]["seen_by_model"], 1, "{kind}: {r:#}");
    }
    let (inside, all) = (
        r["anomaly"]["inside"].as_f64().unwrap(),
        r["anomaly"]["anomalies"].as_f64().unwrap(),
    );
    assert!(all > 0.0 && inside / all >= 0.9, "{r:#}");
    assert!(r["incidents"]["db_outage"]["explanation"]
        .as_str()
        .unwrap()
        .contains("errors in 1m"));
}
