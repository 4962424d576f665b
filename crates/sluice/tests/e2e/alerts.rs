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
