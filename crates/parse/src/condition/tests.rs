use super::Condition;
use sluice_event::{Event, FieldPath, Value};

fn ev() -> Event {
    let mut e = Event::new();
    let mut set = |p: &str, v: Value| {
        e.insert(&FieldPath::parse(p).unwrap(), v);
    };
    set("level", "ERROR".into());
    set("log.syslog.facility.name", "authpriv".into());
    set("log.syslog.severity.code", 3i64.into());
    set("response_time", 2500i64.into());
    set("ratio", 0.5f64.into());
    set("tags", Value::Array(vec!["web".into(), "error".into()]));
    set("message", "Database connection failed".into());
    set("flag", false.into());
    e
}

fn holds(src: &str) -> bool {
    Condition::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .matches(&ev())
}

#[test]
fn comparisons() {
    assert!(holds(r#"[level] == "ERROR""#));
    assert!(holds(r#"[level] != "INFO""#));
    assert!(holds("[response_time] > 1000"));
    assert!(holds(
        "[response_time] >= 2500 and [response_time] <= 2500.0"
    ));
    assert!(!holds("[response_time] < 100"));
    assert!(holds("[ratio] < 1"));
    assert!(holds(r#"[log][syslog][severity][code] <= 3"#));
    assert!(!holds(r#"[missing] == "x""#));
    assert!(holds(r#"[missing] != "x""#));
    assert!(!holds(r#"[level] == 1"#), "string never equals number");
}

#[test]
fn regex_and_membership() {
    assert!(holds(r#"[message] =~ /connection fail/"#));
    assert!(holds(r#"[message] !~ /^OK/"#));
    assert!(holds(
        r#"[log][syslog][facility][name] in ["auth", "authpriv"]"#
    ));
    assert!(holds(r#"[level] not in ["INFO", "DEBUG"]"#));
    assert!(holds(r#""error" in [tags]"#));
    assert!(holds(r#""Database" in [message]"#));
    assert!(!holds(r#""nope" in [tags]"#));
    assert!(!holds(r#""x" in [missing]"#));
}

#[test]
fn logic_and_truthiness() {
    assert!(holds(r#"[level] == "ERROR" or [level] == "CRITICAL""#));
    assert!(holds("[level]"));
    assert!(!holds("[flag]"));
    assert!(!holds("[missing]"));
    assert!(holds("![missing]"));
    assert!(holds("[level] xor [missing]"));
    assert!(holds("[level] nand [flag]"));
    assert!(holds("!([flag] or [missing]) and [level]"));
    // `and` binds tighter than `or`.
    assert!(holds("[level] or [missing] and [flag]"));
}

#[test]
fn errors_carry_columns() {
    let e = Condition::parse(r#"[level] = "x""#).unwrap_err();
    assert_eq!(e.column, 9);
    let e = Condition::parse(r#"[level] == "x" [other]"#).unwrap_err();
    assert_eq!(e.column, 16);
    let e = Condition::parse(r#"[a] =~ /(/"#).unwrap_err();
    assert_eq!(e.column, 8);
    let e = Condition::parse(r#"level == "x""#).unwrap_err();
    assert_eq!(e.column, 1);
    assert!(Condition::parse("").is_err());
    assert!(Condition::parse(r#"[a] == "unterminated"#).is_err());
    assert!(Condition::parse("([a]").is_err());
}

/// Issue 10: 10,000 nested parentheses aborted `sluice validate` with a stack overflow,
/// and a long `and` chain could overflow evaluation. Both are config errors now.
#[test]
fn nesting_and_size_are_bounded_with_an_error() {
    let deep = format!("{}[a]{}", "(".repeat(10_000), ")".repeat(10_000));
    let e = Condition::parse(&deep).unwrap_err();
    assert!(e.to_string().contains("nested more than 64 levels"), "{e}");
    let nots = format!("{}[a]", "!".repeat(10_000));
    assert!(Condition::parse(&nots).is_err());
    let long = vec!["[a] == 1"; 5_000].join(" and ");
    let e = Condition::parse(&long).unwrap_err();
    assert!(e.to_string().contains("operators"), "{e}");
    // Real conditions are far inside the bounds.
    let ok = format!("{}[a]{}", "(".repeat(60), ")".repeat(60));
    assert!(Condition::parse(&ok).is_ok());
    assert!(Condition::parse(&vec!["[a] == 1"; 500].join(" or ")).is_ok());
}
