use super::*;
use sluice_event::Event;

fn build(toml_text: &str) -> Result<Dissect, Vec<String>> {
    let c: Config = toml::from_str(toml_text).map_err(|e| vec![e.to_string()])?;
    let mut b = Build::new("t.toml");
    let d = c.build(&mut b);
    let problems: Vec<String> = b
        .into_problems()
        .into_iter()
        .map(|p| format!("{}: {}", p.key, p.message))
        .collect();
    d.ok_or(problems)
}

fn event(message: &str) -> Event {
    let mut e = Event::new();
    e.insert(&FieldPath::parse("message").unwrap(), message);
    e
}

fn get(e: &Event, f: &str) -> Option<Value> {
    e.get(&FieldPath::parse(f).unwrap()).cloned()
}

#[test]
fn logstash_documentation_example_with_appends_and_skips() {
    let d = build(
        r#"mapping = { message = "%{ts} %{+ts} %{+ts} %{src} %{} %{prog}[%{pid}]: %{msg}" }"#,
    )
    .unwrap();
    let mut e = event("Mar 16 00:01:25 evita skip-this postfix/smtpd[1713]: connect from camomile");
    assert!(d.apply_one(&mut e));
    assert_eq!(get(&e, "ts"), Some(Value::from("Mar 16 00:01:25")));
    assert_eq!(get(&e, "src"), Some(Value::from("evita")));
    assert_eq!(get(&e, "prog"), Some(Value::from("postfix/smtpd")));
    assert_eq!(get(&e, "pid"), Some(Value::from("1713")));
    assert_eq!(get(&e, "msg"), Some(Value::from("connect from camomile")));
    assert!(!e.has_tag("_dissectfailure"));
}

#[test]
fn ordinals_padding_indirect_nested_and_conversion() {
    let d = build(
        r#"
mapping = { message = "%{+name/2} %{+name/1} %{level->} %{?key}=%{&key} %{[http][status]} %{ms}" }
convert_datatype = { "[http][status]" = "int", ms = "float" }
append_separator = "-"
"#,
    )
    .unwrap();
    let mut e = event("doe john ERROR     user=alice 503 12.5");
    assert!(d.apply_one(&mut e));
    assert_eq!(get(&e, "name"), Some(Value::from("john-doe")));
    assert_eq!(get(&e, "level"), Some(Value::from("ERROR")));
    assert_eq!(get(&e, "user"), Some(Value::from("alice")));
    assert_eq!(get(&e, "key"), None, "a named skip is not a field");
    assert_eq!(get(&e, "[http][status]"), Some(Value::Integer(503)));
    assert_eq!(get(&e, "ms"), Some(Value::Float(12.5)));
}

#[test]
fn a_line_that_does_not_fit_is_tagged_and_left_unchanged() {
    let d = build(r#"mapping = { message = "%{a} | %{b}" }"#).unwrap();
    let mut e = event("no delimiter here");
    let before = get(&e, "message");
    assert!(!d.apply_one(&mut e));
    assert!(e.has_tag("_dissectfailure"));
    assert_eq!(get(&e, "a"), None);
    assert_eq!(get(&e, "message"), before);
    // The prefix must match too.
    let d = build(r#"mapping = { message = "[%{a}] %{b}" }"#).unwrap();
    let mut e = event("x] y");
    assert!(!d.apply_one(&mut e));
}

#[test]
fn bad_patterns_are_config_errors_with_their_key() {
    for (pattern, want) in [
        ("%{a", "mapping.message: `%{` is not closed"),
        ("%{a}%{b}", "mapping.message: two fields need a delimiter"),
        ("%{&k} x", "mapping.message: an indirect field"),
        ("%{+a/x} y", "mapping.message: an append ordinal"),
        (
            "plain text",
            "mapping.message: a pattern needs at least one",
        ),
    ] {
        let e = build(&format!("mapping = {{ message = {pattern:?} }}")).unwrap_err();
        assert!(e[0].starts_with(want), "{pattern}: {e:?}");
    }
    let e = build("mapping = { message = \"%{a} %{b}\" }\nconvert_datatype = { a = \"date\" }")
        .unwrap_err();
    assert!(
        e[0].starts_with("convert_datatype.a: unknown type `date`"),
        "{e:?}"
    );
    let e = build("mapping = {}\ntag_on_failure = []").unwrap_err();
    assert!(e[0].starts_with("mapping: needs at least one"), "{e:?}");
}

#[test]
fn a_field_that_is_absent_or_not_text_is_skipped() {
    let d = build(r#"mapping = { other = "%{a} %{b}" }"#).unwrap();
    let mut e = event("x y");
    assert!(d.apply_one(&mut e));
    assert!(!e.has_tag("_dissectfailure"));
    assert_eq!(get(&e, "a"), None);
}
