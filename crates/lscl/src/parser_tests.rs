//! The parser's own cases: every value kind, branches, errors and their places.

use super::*;

fn attrs(c: &Config) -> &[Attribute] {
    match &c.sections[0].items[0] {
        Item::Plugin(p) => &p.attributes,
        other => panic!("{other:?}"),
    }
}

#[test]
fn values_of_every_kind() {
    let c = parse(
        r#"filter { p {
          a => bare_word  b => 'single' c => "dou\"ble" d => -1.5 e => 010
          f => [1, "two", [3]] g => { "k" => 1 x => { y => [z1] }, n => 2 }
          codec => json { charset => "UTF-8" }
        } }"#,
    )
    .unwrap();
    let a = attrs(&c);
    assert_eq!(a[0].value, Value::Bareword("bare_word".into()));
    assert_eq!(a[1].value, Value::String("single".into()));
    assert_eq!(a[2].value, Value::String("dou\\\"ble".into()));
    assert_eq!(crate::unescape(a[2].value.as_str().unwrap()), "dou\"ble");
    assert_eq!(a[3].value.as_f64(), Some(-1.5));
    assert_eq!(a[4].value.as_i64(), Some(8), "010 is octal");
    let Value::Array(f) = &a[5].value else {
        panic!()
    };
    assert_eq!(f.len(), 3);
    let Value::Hash(g) = &a[6].value else {
        panic!()
    };
    assert_eq!(
        g.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["k", "x", "n"]
    );
    let Value::Plugin(codec) = &a[7].value else {
        panic!()
    };
    assert_eq!(codec.name, "json");
}

#[test]
fn branches_nest_and_conditions_keep_their_text() {
    let c = parse(
        "filter {\n if [a] == \"{x}\" and [b] =~ /\\/{2}/ { p {} }\n else if !([c]) # note\n { q {} } else { if [d] { r {} } }\n}",
    )
    .unwrap();
    let Item::Branch(b) = &c.sections[0].items[0] else {
        panic!()
    };
    assert_eq!(b.cases[0].0.text, r#"[a] == "{x}" and [b] =~ /\/{2}/"#);
    assert_eq!(b.cases[1].0.text, "!([c])");
    assert_eq!(b.cases[1].0.pos.line, 3);
    assert!(matches!(&b.otherwise.as_ref().unwrap()[0], Item::Branch(_)));
}

#[test]
fn errors_name_line_and_column_with_a_caret() {
    let src =
        "input {\n  beats { port => 5044 }\n}\nfilter {\n  grok { match => [\"a\" \"b\"] }\n}\n";
    let e = parse(src).unwrap_err();
    assert_eq!((e.pos.line, e.pos.column), (5, 24));
    assert!(e.message.contains("expected `,`"), "{e}");
    let r = e.render("studio.conf", src);
    assert!(r.starts_with("studio.conf:5:24: "), "{r}");
    assert!(
        r.ends_with(
            "\n  ^"
                .replace('^', &format!("{}^", " ".repeat(23)))
                .as_str()
        ),
        "{r}"
    );
    for (bad, want) in [
        ("inptu { }", "expected `input`, `filter` or `output`"),
        ("filter { p { a => } }", "expected a value"),
        ("filter { p { a => \"x }", "not closed"),
        ("filter { p { a => 5m } }", "is not a number"),
        ("filter { p { a => x } }", "is not a value"),
        ("filter { else { } }", "`else` without an `if`"),
        ("filter { if { } }", "expected a condition"),
        ("filter { p { \"\"more\"\" => 1 } }", "expected `=>`"),
    ] {
        let e = parse(bad).unwrap_err();
        assert!(e.message.contains(want), "{bad}: {e}");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!(
        "filter {{ p {{ a => {}{} }} }}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(parse(&deep)
        .unwrap_err()
        .message
        .contains("nested more than"));
}
