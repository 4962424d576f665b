//! The rules' exact behaviour on fixed event sequences: counts, windows, event time,
//! groups, cooldowns, resolution.

use crate::tests::{node, Node};
use crate::Run;
use sluice_event::{Event, FieldPath, Value};

/// An event at `secs` after a fixed instant, with `fields`.
fn at(secs: i64, fields: &[(&str, Value)]) -> Event {
    let mut e = Event::new();
    let t = chrono::DateTime::from_timestamp(1_764_500_000 + secs, 0).unwrap();
    e.insert(
        &FieldPath::parse("@timestamp").unwrap(),
        Value::Timestamp(t),
    );
    for (k, v) in fields {
        e.insert(&FieldPath::parse(k).unwrap(), v.clone());
    }
    e
}

/// Runs `batch` through `n`; returns the events passed on and the alerts.
fn run(n: &Node, batch: Vec<Event>) -> (usize, Vec<Event>) {
    let mut b = batch;
    let mut named = vec![Vec::new()];
    n.transform.apply(
        &mut b,
        &mut Run {
            when: n.when.as_ref(),
            named: &mut named,
            findings: &mut [],
            errors: &mut [],
        },
    );
    (b.len(), named.remove(0))
}

fn get<'a>(e: &'a Event, p: &str) -> Option<&'a Value> {
    e.get(&FieldPath::parse(p).unwrap())
}

fn state(e: &Event) -> String {
    get(e, "[alert][state]")
        .map(Value::to_string_lossy)
        .unwrap_or_default()
}

fn error(secs: i64) -> Event {
    at(
        secs,
        &[
            ("level", "ERROR".into()),
            ("message", format!("boom at {secs}").into()),
        ],
    )
}

const FREQ: &str = r#"type = "alert"
[rules.errors]
kind = "frequency"
if = '[level] == "ERROR"'
threshold = 3
window = "1m"
cooldown = "10m"
"#;

#[test]
fn frequency_fires_once_above_the_threshold_then_resolves() {
    let n = node(FREQ);
    // Three errors: not above 3.
    let (passed, alerts) = run(
        &n,
        vec![
            error(0),
            error(10),
            error(20),
            at(21, &[("level", "INFO".into())]),
        ],
    );
    assert_eq!(passed, 4, "every event passes through");
    assert!(alerts.is_empty());
    // The fourth within the minute fires, with its count, threshold and samples.
    let (_, alerts) = run(&n, vec![error(30), error(31)]);
    assert_eq!(alerts.len(), 1, "fires once, not again on the fifth");
    let a = &alerts[0];
    assert_eq!(state(a), "firing");
    assert_eq!(get(a, "[alert][count]"), Some(&Value::Integer(4)));
    assert_eq!(get(a, "[alert][threshold]"), Some(&Value::Float(3.0)));
    assert_eq!(get(a, "[rule][name]").unwrap().to_string_lossy(), "errors");
    assert_eq!(get(a, "[event][kind]").unwrap().to_string_lossy(), "alert");
    assert_eq!(
        get(a, "[alert][samples]").map(|v| match v {
            Value::Array(x) => x.len(),
            _ => 0,
        }),
        Some(3)
    );
    assert!(get(a, "message")
        .unwrap()
        .to_string_lossy()
        .contains("4 events in 1m (threshold 3)"));
    // A minute and more later (event time) the window holds one error: resolved.
    let (_, alerts) = run(&n, vec![error(95)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(state(&alerts[0]), "resolved");
    // Above again, but within the cooldown of the first firing: silent.
    let (_, alerts) = run(&n, vec![error(96), error(97), error(98), error(99)]);
    assert!(alerts.is_empty(), "{alerts:?}");
    // After the cooldown (10 min from t=30) it fires again.
    let (_, alerts) = run(&n, (700..705).map(error).collect());
    assert_eq!(alerts.iter().filter(|a| state(a) == "firing").count(), 1);
}

#[test]
fn windows_run_on_event_time_so_a_replay_alerts_like_the_live_stream() {
    // Four errors spread over four minutes never fire, however fast they arrive.
    let n = node(FREQ);
    let (_, alerts) = run(
        &n,
        vec![error(0), error(60), error(120), error(180), error(240)],
    );
    assert!(alerts.is_empty(), "{alerts:?}");
    // Late events inside the window count; older than the window they do not.
    let n = node(FREQ);
    let (_, alerts) = run(
        &n,
        vec![error(100), error(101), error(102), error(10), error(99)],
    );
    assert_eq!(
        alerts.len(),
        1,
        "the late one at 99 s is the fourth inside the window"
    );
}

#[test]
fn groups_have_their_own_windows() {
    let n = node(
        r#"type = "alert"
[rules.brute_force]
kind = "frequency"
if = '"login_failed" in [tags]'
threshold = 2
window = "5m"
group_by = ["[source][ip]"]
severity = "critical"
"#,
    );
    let fail = |s: i64, ip: &str| {
        at(
            s,
            &[
                ("tags", Value::Array(vec!["login_failed".into()])),
                ("[source][ip]", ip.into()),
            ],
        )
    };
    let (_, alerts) = run(
        &n,
        vec![
            fail(0, "10.0.0.1"),
            fail(1, "10.0.0.2"),
            fail(2, "10.0.0.1"),
            fail(3, "10.0.0.2"),
        ],
    );
    assert!(alerts.is_empty(), "two per ip is not above 2");
    let (_, alerts) = run(&n, vec![fail(4, "10.0.0.1")]);
    assert_eq!(alerts.len(), 1);
    let g = get(&alerts[0], "[alert][group]").unwrap();
    assert_eq!(
        g,
        &Value::Object({
            let mut m = sluice_event::Map::new();
            m.insert("[source][ip]".into(), Value::from("10.0.0.1"));
            m
        })
    );
    assert_eq!(
        get(&alerts[0], "[alert][severity]")
            .unwrap()
            .to_string_lossy(),
        "critical"
    );
}

#[test]
fn any_fires_on_every_match() {
    let n = node("type = \"alert\"\n[rules.critical]\nkind = \"any\"\nif = '[level] == \"CRITICAL\"'\nseverity = \"critical\"\n");
    let crit = |s| {
        at(
            s,
            &[
                ("level", "CRITICAL".into()),
                ("message", "disk full".into()),
            ],
        )
    };
    let (_, alerts) = run(
        &n,
        vec![crit(0), at(1, &[("level", "INFO".into())]), crit(2)],
    );
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().all(|a| state(a) == "firing"));
    assert!(get(&alerts[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("critical"));
}

#[test]
fn spike_needs_a_reference_so_nothing_after_nothing_never_fires() {
    let rule = r#"type = "alert"
[rules.error_spike]
kind = "spike"
if = '[level] == "ERROR"'
window = "1m"
spike_height = 3.0
min_count = 5
"#;
    let n = node(rule);
    // Five errors from silence: no reference window, no spike.
    let (_, alerts) = run(&n, (0..5).map(error).collect());
    assert!(alerts.is_empty(), "{alerts:?}");
    // 2 in one minute, then 6 in the next: 3x, and at least 5.
    let n = node(rule);
    let mut b: Vec<Event> = vec![error(0), error(30)];
    b.extend((60..66).map(error));
    let (_, alerts) = run(&n, b);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(get(&alerts[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("spike of 3x"));
}

#[test]
fn metric_p95_of_response_time() {
    let n = node(
        r#"type = "alert"
[rules.slow_requests]
kind = "metric"
field = "response_time"
stat = "p95"
threshold = 1000
window = "5m"
"#,
    );
    let req = |s: i64, ms: i64| at(s, &[("response_time", Value::Integer(ms))]);
    // 19 fast and one slow: p95 is a fast one.
    let mut b: Vec<Event> = (0..19).map(|i| req(i, 100)).collect();
    b.push(req(20, 5000));
    let (_, alerts) = run(&n, b);
    assert!(alerts.is_empty(), "{alerts:?}");
    // Two more slow: p95 over 22 values (nearest rank: the 21st) is 3000.
    let (_, alerts) = run(&n, vec![req(21, 3000), req(22, 2500)]);
    assert_eq!(alerts.len(), 1);
    assert!(
        get(&alerts[0], "message")
            .unwrap()
            .to_string_lossy()
            .contains("p95 of response_time is 3000"),
        "{:?}",
        get(&alerts[0], "message")
    );
    // Events without the field are not measured.
    let (_, alerts) = run(&n, vec![at(23, &[("message", "no timing".into())])]);
    assert!(alerts.is_empty());
}

#[test]
fn new_term_learns_quietly_then_fires_once_per_new_value() {
    let n = node(
        r#"type = "alert"
[rules.new_template]
kind = "new_term"
field = "template"
learning = "10m"
group_by = ["service"]
"#,
    );
    let ev = |s: i64, svc: &str, t: &str| at(s, &[("service", svc.into()), ("template", t.into())]);
    // Learning: the first ten minutes of each group never fire.
    let (_, alerts) = run(
        &n,
        vec![ev(0, "web", "a"), ev(60, "web", "b"), ev(599, "web", "c")],
    );
    assert!(alerts.is_empty(), "{alerts:?}");
    // After learning: a known value is silent, a new one fires once.
    let (_, alerts) = run(
        &n,
        vec![
            ev(700, "web", "a"),
            ev(701, "web", "d"),
            ev(702, "web", "d"),
        ],
    );
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(get(&alerts[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("never seen before: d"));
    // Another group learns on its own clock.
    let (_, alerts) = run(&n, vec![ev(703, "api", "z")]);
    assert!(alerts.is_empty(), "the api group is still learning");
}

#[test]
fn config_errors_name_the_rule_and_key() {
    let c: crate::TransformConfig = toml::from_str(
        "[alert]\n[alert.rules.bad]\nkind = \"metric\"\nstat = \"p200\"\nseverity = \"loud\"\nwindow = \"0s\"\n",
    )
    .unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none());
    let problems = format!("{:?}", b.into_problems());
    for key in ["rules.bad.field", "rules.bad.severity", "rules.bad.window"] {
        assert!(problems.contains(key), "{key}: {problems}");
    }
}
