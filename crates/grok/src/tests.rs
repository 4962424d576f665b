use super::*;

fn caps(g: &Grok, s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    g.matches(s, |f, t| out.push((f.name.clone(), t.to_owned())))
        .unwrap()
        .then_some(out)
}

#[test]
fn the_missions_django_pattern() {
    let lib = Library::builtin();
    let g = Grok::new(
        "%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}",
        &lib,
        1_000_000,
    )
    .unwrap();
    let got = caps(
        &g,
        "ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed response_time:2500ms",
    )
    .unwrap();
    let want = [
        ("level", "ERROR"),
        ("timestamp", "2026-11-24 12:00:00,123"),
        ("module", "views"),
        (
            "message",
            "4242 140234 Database connection failed response_time:2500ms",
        ),
    ];
    for (k, v) in want {
        assert!(
            got.iter().any(|(a, b)| a == k && b == v),
            "{k}={v} in {got:?}"
        );
    }
    assert!(caps(&g, "no level here").is_none());
}

#[test]
fn conversions_paths_and_raw_captures() {
    let mut lib = Library::builtin();
    lib.insert("MS", r"%{INT:[event][duration]:int}ms");
    let g = Grok::new(
        r"response_time:%{MS} (?<[http][method]>GET|POST) (?<=T )%{NUMBER:ratio:float}",
        &lib,
        1_000_000,
    )
    .unwrap();
    let fields: Vec<_> = g
        .fields()
        .map(|f| (f.name.as_str(), f.conversion))
        .collect();
    assert_eq!(
        fields,
        [
            ("[event][duration]", Some(Conversion::Int)),
            ("[http][method]", None),
            ("ratio", Some(Conversion::Float)),
        ]
    );
    let got = caps(&g, "response_time:2500ms POST 0.25").unwrap();
    assert_eq!(got[0], ("[event][duration]".into(), "2500".into()));
    assert_eq!(got[1], ("[http][method]".into(), "POST".into()));
    assert_eq!(
        Conversion::Int.apply("2500"),
        sluice_event::Value::Integer(2500)
    );
    assert_eq!(
        Conversion::Int.apply("12.7x"),
        sluice_event::Value::Integer(12)
    );
    assert_eq!(
        Conversion::Int.apply("abc"),
        sluice_event::Value::Integer(0)
    );
    assert_eq!(
        Conversion::Float.apply("-1.5e3s"),
        sluice_event::Value::Float(-1500.0)
    );
    assert_eq!(
        Conversion::Float.apply("7"),
        sluice_event::Value::Float(7.0)
    );
}

#[test]
fn compile_errors_name_the_pattern_and_position() {
    let lib = Library::builtin();
    let e = Grok::new("%{WORD:a} %{NOPE:b}", &lib, 1000).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown pattern %{NOPE} at position 10 of `%{WORD:a} %{NOPE:b}`"
    );
    let e = Grok::new("%{WORD:a:bool}", &lib, 1000).unwrap_err();
    assert!(e.to_string().contains("unknown type `bool`"), "{e}");
    let e = Grok::new("x %{WORD", &lib, 1000).unwrap_err();
    assert!(matches!(e, CompileError::Unclosed { pos: 2, .. }), "{e}");
    let mut cyc = Library::empty();
    cyc.insert("A", "%{B}");
    cyc.insert("B", "%{A}");
    assert!(matches!(
        Grok::new("%{A}", &cyc, 1000).unwrap_err(),
        CompileError::TooDeep { .. }
    ));
    let e = Grok::new("(unclosed", &lib, 1000).unwrap_err();
    assert!(matches!(e, CompileError::Regex { .. }), "{e}");
}

#[test]
fn the_whole_builtin_library_compiles() {
    let lib = Library::builtin();
    let mut failed = Vec::new();
    for name in lib.names() {
        if let Err(e) = Grok::new(&format!("%{{{name}}}"), &lib, 1000) {
            failed.push(format!("{name}: {e}"));
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(lib.len() > 300, "{} definitions", lib.len());
}

#[test]
fn a_pathological_match_is_abandoned_not_hung() {
    let lib = Library::builtin();
    // Nested quantifiers over a line that almost matches: exponential backtracking.
    let g = Grok::new(r"^(\w+\s?)+$", &lib, 100_000).unwrap();
    let line = format!("{}!", "word ".repeat(40));
    assert_eq!(g.matches(&line, |_, _| {}), Err(MatchError::Budget));
    // The same pattern still matches what it should.
    assert_eq!(g.matches("a b c", |_, _| {}), Ok(true));
}

mod no_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// Any expression text compiles or fails with an error; any subject matches or not.
        #[test]
        fn arbitrary_patterns_and_subjects(
            pattern in "[%{}()\\[\\]:?<>=!\\\\a-zA-Z0-9_ .*+^$|-]{0,40}",
            subject in any::<String>(),
        ) {
            let lib = Library::builtin();
            if let Ok(g) = Grok::new(&pattern, &lib, 10_000) {
                let _ = g.matches(&subject, |_, _| {});
            }
        }
    }
}
