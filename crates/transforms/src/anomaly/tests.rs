//! The model on synthetic minutes: quiet on normal traffic, loud on incidents, with
//! explanations that name the cause.

use crate::tests::node;
use crate::Run;
use sluice_event::{Event, FieldPath, Value};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

const T0: i64 = 1_764_547_200; // 2025-12-01T00:00:00Z, a Monday

fn event(secs: i64, level: &str, msg: &str, rt: i64) -> Event {
    let mut e = Event::new();
    e.insert(
        &FieldPath::parse("@timestamp").unwrap(),
        Value::Timestamp(chrono::DateTime::from_timestamp(T0 + secs, 0).unwrap()),
    );
    e.insert(&FieldPath::parse("level").unwrap(), Value::from(level));
    e.insert(&FieldPath::parse("message").unwrap(), Value::from(msg));
    e.insert(
        &FieldPath::parse("response_time").unwrap(),
        Value::Integer(rt),
    );
    e
}

/// One minute of traffic: `n` requests, `errors` of them errors, response times around
/// `rt` ms.
fn minute(rng: &mut Rng, m: i64, n: usize, errors: usize, fails: usize, rt: f64) -> Vec<Event> {
    let mut v = Vec::new();
    for i in 0..n {
        let s = m * 60 + (i * 60 / n.max(1)) as i64;
        let t = (rt * (0.6 + 0.8 * rng.next())) as i64;
        v.push(if i < errors {
            event(s, "ERROR", "Database connection failed: timeout", t)
        } else if i < errors + fails {
            event(
                s,
                "WARNING",
                "Failed login attempt for user admin from 203.0.113.9",
                t,
            )
        } else {
            event(s, "INFO", "GET /api/items 200", t)
        });
    }
    v
}

fn run(n: &crate::tests::Node, batch: Vec<Event>) -> (Vec<Event>, Vec<Event>) {
    let mut b = batch;
    let mut named = vec![Vec::new()];
    n.transform.apply(
        &mut b,
        &mut Run {
            when: None,
            named: &mut named,
            findings: &mut [],
            errors: &mut [],
        },
    );
    (b, named.remove(0))
}

const CONFIG: &str = "type = \"anomaly\"\nwarmup = 60\n";

#[test]
fn quiet_on_normal_traffic_and_loud_on_an_error_burst_with_its_cause() {
    let n = node(CONFIG);
    let mut rng = Rng(7);
    let mut anomalies = Vec::new();
    // Six normal hours: 80-120 requests a minute, 0-2 errors.
    for m in 0..360 {
        let req = 80 + (rng.next() * 40.0) as usize;
        let err = (rng.next() * 3.0) as usize;
        anomalies.extend(run(&n, minute(&mut rng, m, req, err, 0, 120.0)).1);
    }
    let false_alarms = anomalies.len();
    assert!(
        false_alarms <= 2,
        "{false_alarms} anomalies on normal traffic: {anomalies:?}"
    );
    // A database outage: 60 errors a minute for five minutes.
    let mut during = Vec::new();
    let mut tagged = 0;
    for m in 360..365 {
        let (events, a) = run(&n, minute(&mut rng, m, 100, 60, 0, 120.0));
        tagged += events.iter().filter(|e| e.has_tag("anomaly")).count();
        during.extend(a);
    }
    // The window of minute 364 closes with the next minute's first event.
    during.extend(run(&n, minute(&mut rng, 365, 100, 1, 0, 120.0)).1);
    assert!(during.len() >= 4, "{during:?}");
    let why = during[0]
        .get(&FieldPath::parse("[anomaly][explanation]").unwrap())
        .unwrap()
        .to_string_lossy();
    assert!(why.contains("errors in 1m"), "{why}");
    assert!(tagged > 0, "events after an anomalous window carry it");
    // After it: quiet again.
    let mut after = Vec::new();
    for m in 366..420 {
        let req = 80 + (rng.next() * 40.0) as usize;
        after.extend(run(&n, minute(&mut rng, m, req, 1, 0, 120.0)).1);
    }
    assert!(after.len() <= 1, "{after:?}");
}

#[test]
fn latency_and_brute_force_are_explained_by_their_features() {
    let n = node(CONFIG);
    let mut rng = Rng(11);
    for m in 0..240 {
        run(&n, minute(&mut rng, m, 100, 1, 0, 120.0));
    }
    let mut a = Vec::new();
    for m in 240..243 {
        a.extend(run(&n, minute(&mut rng, m, 100, 1, 0, 3000.0)).1);
    }
    a.extend(run(&n, minute(&mut rng, 243, 100, 1, 0, 120.0)).1);
    let text = |e: &Event| {
        e.get(&FieldPath::parse("[anomaly][explanation]").unwrap())
            .unwrap()
            .to_string_lossy()
    };
    assert!(!a.is_empty());
    let all: Vec<String> = a
        .iter()
        .map(|e| {
            e.get(&FieldPath::parse("message").unwrap())
                .unwrap()
                .to_string_lossy()
        })
        .collect();
    assert!(text(&a[0]).contains("p95 response time"), "{all:?}");
    for m in 244..260 {
        run(&n, minute(&mut rng, m, 100, 1, 0, 120.0));
    }
    let mut b = Vec::new();
    for m in 260..262 {
        b.extend(run(&n, minute(&mut rng, m, 100, 1, 40, 120.0)).1);
    }
    b.extend(run(&n, minute(&mut rng, 262, 100, 1, 0, 120.0)).1);
    assert!(!b.is_empty());
    assert!(text(&b[0]).contains("failed logins"), "{}", text(&b[0]));
}

#[test]
fn a_silent_source_is_an_anomaly_once_the_clock_runs_on() {
    let n = node(CONFIG);
    let mut rng = Rng(3);
    for m in 0..240 {
        run(&n, minute(&mut rng, m, 100, 1, 0, 120.0));
    }
    // No events for minutes 240..: ticks at wall times as if they arrived live.
    let wall0 = chrono::Utc::now().timestamp();
    let mut named = vec![Vec::new()];
    let mut b = Vec::new();
    for k in 1..=3 {
        n.transform.tick(
            chrono::DateTime::from_timestamp(wall0 + 60 * k + 15, 0).unwrap(),
            &mut b,
            &mut Run {
                when: None,
                named: &mut named,
                findings: &mut [],
                errors: &mut [],
            },
        );
    }
    let a = named.remove(0);
    assert!(!a.is_empty(), "silence after steady traffic");
    let why = a[0]
        .get(&FieldPath::parse("[anomaly][explanation]").unwrap())
        .unwrap()
        .to_string_lossy();
    assert!(why.contains("events in 1m"), "{why}");
}

#[test]
fn the_model_survives_a_restart() {
    let n = node(CONFIG);
    let mut rng = Rng(5);
    for m in 0..120 {
        run(&n, minute(&mut rng, m, 100, 1, 0, 120.0));
    }
    let bytes = n.transform.snapshot().unwrap();
    let again = node(CONFIG);
    again.transform.restore(&bytes).unwrap();
    // Past warm-up already: an outage right after the restart is seen.
    let mut a = Vec::new();
    for m in 120..123 {
        a.extend(run(&again, minute(&mut rng, m, 100, 70, 0, 120.0)).1);
    }
    assert!(!a.is_empty(), "the restored model knows what is usual");
    let other = node("type = \"anomaly\"\nwarmup = 60\ntrees = 20\n");
    assert!(other.transform.restore(&bytes).is_err());
}
