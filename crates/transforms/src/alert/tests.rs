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

/// Ticks `n` at wall-clock time `wall` (seconds after the fixed instant); returns the
/// alerts.
fn tick(n: &Node, wall: i64) -> Vec<Event> {
    let mut named = vec![Vec::new()];
    let mut b = Vec::new();
    let now = chrono::DateTime::from_timestamp(1_764_500_000 + wall, 0).unwrap();
    n.transform.tick(
        now,
        &mut b,
        &mut Run {
            when: n.when.as_ref(),
            named: &mut named,
            findings: &mut [],
            errors: &mut [],
        },
    );
    assert!(b.is_empty(), "a tick passes nothing on");
    named.remove(0)
}

/// Runs `batch` and returns only the alerts. The events arrive at the real wall-clock
/// time: the clock then runs on from the newest of them by the wall clock, which the
/// tests' ticks state as `wall_now + seconds`.
fn arrived(n: &Node, batch: Vec<Event>) -> Vec<Event> {
    run(n, batch).1
}

#[test]
fn flatline_fires_when_a_source_goes_silent_and_resolves_when_it_speaks() {
    let n = node(
        r#"type = "alert"
[rules.silent]
kind = "flatline"
threshold = 1
window = "1m"
group_by = ["host"]
severity = "critical"
"#,
    );
    let ev = |s: i64, h: &str| at(s, &[("host", h.into()), ("message", "hello".into())]);
    let a = arrived(&n, vec![ev(0, "web1"), ev(0, "web2")]);
    assert!(a.is_empty());
    let wall_now = chrono::Utc::now().timestamp() - 1_764_500_000;
    // web2 keeps talking (event time 0..50 within the first minute).
    let a = arrived(&n, vec![ev(50, "web2")]);
    assert!(a.is_empty());
    // 30 s of wall time after: event clock at 80 s; web1 has been silent for 80 s, but
    // a group is only judged once it has been watched for a whole window (60 s from its
    // first event at 0): web1's window [20, 80] has no event: it fires; web2 has one.
    let a = tick(&n, wall_now + 30);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(state(&a[0]), "firing");
    assert!(get(&a[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("silent for host=web1"));
    // A second tick does not fire again.
    assert!(tick(&n, wall_now + 31).is_empty());
    // web1 speaks again: resolved at the end of that batch.
    let a = arrived(&n, vec![ev(85, "web1")]);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(state(&a[0]), "resolved");
}

#[test]
fn a_firing_rule_resolves_on_a_tick_when_events_stop() {
    let n = node(FREQ);
    let (_, a) = run(&n, vec![error(0), error(1), error(2), error(3)]);
    assert_eq!(a.len(), 1);
    let wall_now = chrono::Utc::now().timestamp() - 1_764_500_000;
    // 30 s later the four errors are still in the minute.
    assert!(tick(&n, wall_now + 30).is_empty());
    // 61 s later they have left it.
    let a = tick(&n, wall_now + 61);
    assert_eq!(a.len(), 1);
    assert_eq!(state(&a[0]), "resolved");
}

#[test]
fn cardinality_counts_distinct_values_in_the_window() {
    let n = node(
        r#"type = "alert"
[rules.user_scan]
kind = "cardinality"
field = "user"
threshold = 3
window = "1m"
group_by = ["[source][ip]"]
"#,
    );
    let ev = |s: i64, ip: &str, u: &str| at(s, &[("[source][ip]", ip.into()), ("user", u.into())]);
    // The same three users again and again: 3 is not above 3.
    let b: Vec<Event> = (0..30)
        .map(|i| ev(i, "10.0.0.1", ["a", "b", "c"][i as usize % 3]))
        .collect();
    let (_, a) = run(&n, b);
    assert!(a.is_empty(), "{a:?}");
    // A fourth user within the minute fires.
    let (_, a) = run(&n, vec![ev(31, "10.0.0.1", "d")]);
    assert_eq!(a.len(), 1);
    assert!(get(&a[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("4 distinct values of user in 1m"));
    // Two minutes later only one user is in the window: resolved.
    let (_, a) = run(&n, vec![ev(150, "10.0.0.1", "a")]);
    assert_eq!(a.len(), 1);
    assert_eq!(state(&a[0]), "resolved");
}

#[test]
fn a_restored_state_neither_forgets_a_window_nor_fires_twice() {
    let n = node(FREQ);
    let (_, a) = run(&n, vec![error(0), error(1), error(2), error(3)]);
    assert_eq!(a.len(), 1, "fired before the restart");
    let snap = n
        .transform
        .snapshot()
        .expect("an alert transform has state");

    let again = node(FREQ);
    again.transform.restore(&snap).unwrap();
    // Still firing: a fifth error does not fire again.
    let (_, a) = run(&again, vec![error(4)]);
    assert!(a.is_empty(), "{a:?}");
    // The window was kept: after resolution and the cooldown, three more errors at 700
    // plus... only the ones in the window count.
    let fresh = node(FREQ);
    fresh.transform.restore(&snap).unwrap();
    let (_, a) = run(&fresh, vec![error(95)]);
    assert_eq!(a.len(), 1, "the restored firing state resolves");
    assert_eq!(state(&a[0]), "resolved");

    // A rule whose window changed starts afresh.
    let changed = node(&FREQ.replace("window = \"1m\"", "window = \"2m\""));
    changed.transform.restore(&snap).unwrap();
    let (_, a) = run(&changed, vec![error(4)]);
    assert!(a.is_empty(), "one error in a fresh window: {a:?}");
    assert!(changed
        .transform
        .restore(br#"{"version": 99, "clock": null, "rules": {}}"#)
        .is_err());
}

#[test]
fn idle_groups_are_forgotten_and_memory_stays_bounded() {
    let n = node(
        r#"type = "alert"
max_groups = 100
[rules.per_ip]
kind = "frequency"
threshold = 1000
window = "1m"
group_by = ["ip"]
"#,
    );
    let ev = |s: i64, ip: String| at(s, &[("ip", ip.into())]);
    // 1000 addresses in the first second: 100 groups, the rest in `_other`.
    let (_, a) = run(
        &n,
        (0..1000)
            .map(|i| ev(0, format!("10.0.{}.{}", i / 256, i % 256)))
            .collect(),
    );
    assert!(a.is_empty());
    let groups = |n: &Node| {
        let s: serde_json::Value =
            serde_json::from_slice(&n.transform.snapshot().unwrap()).unwrap();
        s["rules"]["per_ip"]["groups"].as_object().unwrap().len()
    };
    assert_eq!(groups(&n), 101, "100 groups and _other");
    // Ten minutes of event time later, a tick forgets them all (2 windows have passed).
    let (_, _) = run(&n, vec![ev(600, "10.9.9.9".into())]);
    let wall_now = chrono::Utc::now().timestamp() - 1_764_500_000;
    tick(&n, wall_now);
    assert_eq!(groups(&n), 1, "only the address still active");
}

#[test]
fn the_studio_pack_is_the_seed_monitor() {
    let n = node("type = \"alert\"\npacks = [\"studio\"]\n");
    let ev = |s: i64, level: &str, msg: &str, extra: &[(&str, Value)]| {
        let mut f: Vec<(&str, Value)> = vec![("level", level.into()), ("message", msg.into())];
        f.extend(extra.iter().cloned());
        at(s, &f)
    };
    let mut b = vec![ev(0, "CRITICAL", "Out of memory", &[])];
    // Six failed logins from one address in a minute: auth_failures and brute_force.
    for i in 0..6 {
        b.push(ev(
            10 + i,
            "WARNING",
            "Failed login attempt for user admin",
            &[("[source][ip]", "203.0.113.9".into())],
        ));
    }
    b.push(ev(30, "ERROR", "Database connection failed: timeout", &[]));
    // Slow requests: p95 above 1000 ms.
    for i in 0..10 {
        b.push(ev(
            40 + i,
            "INFO",
            "GET /api/report",
            &[("response_time", Value::Integer(1500))],
        ));
    }
    let (_, a) = run(&n, b);
    let mut rules: Vec<String> = a
        .iter()
        .map(|a| get(a, "[rule][name]").unwrap().to_string_lossy())
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "auth_failures",
            "brute_force",
            "critical",
            "database_errors",
            "slow_requests"
        ],
    );
    // Eleven errors in five minutes: high_error_rate (the one above counts too).
    let (_, a) = run(
        &n,
        (100..110)
            .map(|s| ev(s, "ERROR", "Unhandled exception in view", &[]))
            .collect(),
    );
    let fired: Vec<String> = a
        .iter()
        .map(|a| get(a, "[rule][name]").unwrap().to_string_lossy())
        .collect();
    assert_eq!(fired, ["high_error_rate"]);
    // A user's rule of the same name replaces the pack's.
    let n = node("type = \"alert\"\npacks = [\"studio\"]\n[rules.critical]\nkind = \"any\"\nif = '[level] == \"NEVER\"'\n");
    let (_, a) = run(&n, vec![ev(0, "CRITICAL", "x", &[])]);
    assert!(a.is_empty(), "{a:?}");
}

#[test]
fn an_unknown_pack_is_a_config_error() {
    let c: crate::TransformConfig = toml::from_str("[alert]\npacks = [\"nope\"]\n").unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    assert!(c.build(&mut b).is_none());
    let problems = format!("{:?}", b.into_problems());
    assert!(
        problems.contains("packs") && problems.contains("studio"),
        "{problems}"
    );
}

#[test]
fn new_term_on_the_template_id_fires_once_for_a_new_message_shape() {
    let tpl = node("type = \"template\"\nmasks = ['req-[0-9a-f]+']\n");
    let rule = node(
        r#"type = "alert"
[rules.new_shape]
kind = "new_term"
field = "[log][template_id]"
learning = "1m"
"#,
    );
    let msg = |s: i64, m: String| at(s, &[("message", m.into())]);
    let mut b: Vec<Event> = (0..50)
        .map(|i| {
            msg(
                i,
                format!("GET /api/items/{i} 200 request_id=req-{i:x}a took {i}ms"),
            )
        })
        .collect();
    crate::tests::apply(&tpl, &mut b);
    assert_eq!(
        get(&b[7], "[log][template]").unwrap().to_string_lossy(),
        "GET <*> <*> request_id=<*> took <*>"
    );
    let id = get(&b[0], "[log][template_id]").unwrap().to_string_lossy();
    assert!(b
        .iter()
        .all(|e| get(e, "[log][template_id]").unwrap().to_string_lossy() == id));
    assert!(run(&rule, b).1.is_empty(), "learning");
    // After the learning minute: the same shape is silent, a new one fires once.
    let mut b = vec![
        msg(
            100,
            "GET /api/items/9 200 request_id=req-99 took 5ms".into(),
        ),
        msg(101, "Worker ran out of memory and was killed".into()),
        msg(102, "Worker ran out of memory and was restarted".into()),
    ];
    crate::tests::apply(&tpl, &mut b);
    let (_, a) = run(&rule, b);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(get(&a[0], "message")
        .unwrap()
        .to_string_lossy()
        .contains("never seen before"));
}

#[test]
fn a_replayed_gap_trips_flatline_as_the_live_clock_would() {
    let n = node(
        "type = \"alert\"\n[rules.silence]\nkind = \"flatline\"\nthreshold = 1\nwindow = \"5m\"\n",
    );
    let ev = |s: i64| at(s, &[("message", "tick".into())]);
    // One event a minute for an hour, then 20 minutes of nothing, then more: all at
    // once, as a replayed file arrives.
    let mut b: Vec<Event> = (0..60).map(|m| ev(m * 60)).collect();
    b.extend((80..85).map(|m| ev(m * 60)));
    let (_, a) = run(&n, b);
    let states: Vec<String> = a.iter().map(state).collect();
    assert_eq!(states, ["firing", "resolved"], "{a:?}");
    // Dated five minutes after the last event before the gap (minute 59).
    assert_eq!(
        get(&a[0], "@timestamp"),
        Some(&Value::Timestamp(
            chrono::DateTime::from_timestamp(1_764_500_000 + 64 * 60, 0).unwrap()
        ))
    );
}
