use super::*;
use sluice_config::load_str;
use sluice_event::{Event, FieldPath, Value};

fn node(body: &str) -> TransformNode {
    let text = format!(
        "[sources.s]\ntype=\"syslog\"\nmode=\"udp\"\naddress=\"127.0.0.1:0\"\n[transforms.t]\ninputs=[\"s\"]\n{body}\n[sinks.o]\ntype=\"blackhole\"\ninputs=[\"t\"]\n"
    );
    load_str("t.toml", &text).unwrap().transforms["t"].clone()
}

fn ev(level: &str) -> Event {
    let mut e = Event::new();
    e.insert(&FieldPath::parse("level").unwrap(), level);
    e.insert(&FieldPath::parse("message").unwrap(), "Hello");
    e.insert(&FieldPath::parse("[event][original]").unwrap(), "raw");
    e
}

#[test]
fn mutate_with_condition_passes_others_through() {
    let n = node(
        r#"type = "mutate"
if = '[level] == "ERROR" or [level] == "CRITICAL"'
add_tag = ["error", "lvl-%{level}"]
add_field = { "labels.category" = "application", "seen_by" = "%{level}" }
remove_field = ["[event][original]"]
rename = { "message" = "msg" }
uppercase = ["msg"]"#,
    );
    let mut batch = vec![ev("ERROR"), ev("INFO")];
    assert_eq!(apply(&n, &mut batch), 0);
    let e = &batch[0];
    assert!(e.has_tag("error") && e.has_tag("lvl-ERROR"));
    assert_eq!(
        e.get(&FieldPath::parse("labels.category").unwrap()),
        Some(&Value::from("application"))
    );
    assert_eq!(
        e.get(&FieldPath::parse("seen_by").unwrap()),
        Some(&Value::from("ERROR"))
    );
    assert_eq!(
        e.get(&FieldPath::parse("msg").unwrap()),
        Some(&Value::from("HELLO"))
    );
    assert!(e
        .get(&FieldPath::parse("event.original").unwrap())
        .is_none());
    // The INFO event is untouched.
    let i = &batch[1];
    assert!(!i.has_tag("error"));
    assert_eq!(
        i.get(&FieldPath::parse("message").unwrap()),
        Some(&Value::from("Hello"))
    );
    assert!(i
        .get(&FieldPath::parse("event.original").unwrap())
        .is_some());
}

#[test]
fn filter_and_drop() {
    let f = node("type = \"filter\"\nif = '[level] == \"ERROR\"'");
    let mut batch = vec![ev("ERROR"), ev("INFO"), ev("ERROR")];
    assert_eq!(apply(&f, &mut batch), 1);
    assert_eq!(batch.len(), 2);
    let d = node("type = \"drop\"\nif = '[level] == \"ERROR\"'");
    let mut batch = vec![ev("ERROR"), ev("INFO")];
    assert_eq!(apply(&d, &mut batch), 1);
    assert_eq!(batch[0].fields()["level"], Value::from("INFO"));
}

#[test]
fn add_field_to_existing_makes_an_array() {
    let n = node("type = \"mutate\"\nadd_field = { \"level\" = \"again\" }");
    let mut batch = vec![ev("INFO")];
    apply(&n, &mut batch);
    assert_eq!(
        batch[0].fields()["level"],
        Value::Array(vec!["INFO".into(), "again".into()])
    );
}
