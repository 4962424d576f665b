use super::*;
use sluice_event::{Event, FieldPath, Value};
use std::sync::Arc;

/// A transform and its `if`, built from TOML lines as the loader builds them.
pub(crate) struct Node {
    pub(crate) transform: Arc<dyn Transform>,
    pub(crate) when: Option<Condition>,
}

pub(crate) fn node(body: &str) -> Node {
    let mut t: toml::Table = toml::from_str(body).unwrap();
    let ty = t.remove("type").unwrap();
    let when = t
        .remove("if")
        .map(|c| Condition::parse(c.as_str().unwrap()).unwrap());
    let mut outer = toml::Table::new();
    outer.insert(ty.as_str().unwrap().to_owned(), toml::Value::Table(t));
    let c: TransformConfig = toml::Value::Table(outer).try_into().unwrap();
    let mut b = sluice_core::config::Build::new("t.toml");
    let transform = c.build(&mut b);
    let problems = b.into_problems();
    assert!(problems.is_empty(), "{problems:?}");
    Node {
        transform: transform.unwrap(),
        when,
    }
}

/// Applies `n` to `batch`; returns how many events it dropped.
pub(crate) fn apply(n: &Node, batch: &mut EventBatch) -> usize {
    let before = batch.len();
    n.transform.apply(batch, &mut Run::plain(n.when.as_ref()));
    before - batch.len()
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

fn get<'a>(e: &'a Event, p: &str) -> Option<&'a Value> {
    e.get(&FieldPath::parse(p).unwrap())
}

fn with(fields: &[(&str, Value)]) -> Event {
    let mut e = Event::new();
    for (k, v) in fields {
        e.insert(&FieldPath::parse(k).unwrap(), v.clone());
    }
    e
}

/// Logstash's digit grouping: `1,000` for integer and float, `1.000,5` for the `_eu` types.
#[test]
fn mutate_convert_reads_grouped_digits() {
    let n = node(
        r#"type = "mutate"
convert = { "i" = "integer", "f" = "float", "ie" = "integer_eu", "fe" = "float_eu" }"#,
    );
    let mut batch = vec![with(&[
        ("i", Value::from("1,234,567.9")),
        ("f", Value::from("1,000.5")),
        ("ie", Value::from("1.234.567,9")),
        ("fe", Value::from("1.000,5")),
    ])];
    apply(&n, &mut batch);
    let e = &batch[0];
    assert_eq!(get(e, "i"), Some(&Value::Integer(1_234_567)));
    assert_eq!(get(e, "f"), Some(&Value::Float(1000.5)));
    assert_eq!(get(e, "ie"), Some(&Value::Integer(1_234_567)));
    assert_eq!(get(e, "fe"), Some(&Value::Float(1000.5)));
}

#[test]
fn mutate_convert_gsub_strip_split_join_merge_copy_in_logstash_order() {
    let n = node(
        r#"type = "mutate"
convert = { "n" = "integer", "f" = "float", "b" = "boolean", "bad" = "integer", "list" = "integer" }
gsub = [["msg", "\\d+", "N"], ["path", "/", "_"]]
strip = ["pad"]
split = { "csv" = "," }
join = { "arr" = "|" }
merge = { "dest" = "src" }
copy = { "msg" = "[copy][msg]" }"#,
    );
    let e = with(&[
        ("n", Value::from(" 42 ")),
        ("f", Value::from("2.5")),
        ("b", Value::from("yes")),
        ("bad", Value::from("abc")),
        (
            "list",
            Value::Array(vec![Value::from("1"), Value::from("2")]),
        ),
        ("msg", Value::from("took 250 ms, 3 tries")),
        ("path", Value::from("/a/b")),
        ("pad", Value::from("  x  ")),
        ("csv", Value::from("a,b,c")),
        (
            "arr",
            Value::Array(vec![Value::from("x"), Value::Integer(1)]),
        ),
        ("dest", Value::from("d")),
        (
            "src",
            Value::Array(vec![Value::from("s1"), Value::from("s2")]),
        ),
    ]);
    let mut batch = vec![e];
    apply(&n, &mut batch);
    let e = batch.pop().unwrap();
    assert_eq!(get(&e, "n"), Some(&Value::Integer(42)));
    assert_eq!(get(&e, "f"), Some(&Value::Float(2.5)));
    assert_eq!(get(&e, "b"), Some(&Value::Bool(true)));
    assert_eq!(
        get(&e, "bad"),
        Some(&Value::from("abc")),
        "unconvertible values stay"
    );
    assert_eq!(
        get(&e, "list"),
        Some(&Value::Array(vec![Value::Integer(1), Value::Integer(2)]))
    );
    assert_eq!(get(&e, "msg"), Some(&Value::from("took N ms, N tries")));
    assert_eq!(
        get(&e, "[copy][msg]"),
        Some(&Value::from("took N ms, N tries")),
        "copy runs after gsub"
    );
    assert_eq!(get(&e, "path"), Some(&Value::from("_a_b")));
    assert_eq!(get(&e, "pad"), Some(&Value::from("x")));
    assert_eq!(
        get(&e, "csv"),
        Some(&Value::Array(vec![
            Value::from("a"),
            Value::from("b"),
            Value::from("c")
        ]))
    );
    assert_eq!(get(&e, "arr"), Some(&Value::from("x|1")));
    assert_eq!(
        get(&e, "dest"),
        Some(&Value::Array(vec![
            Value::from("d"),
            Value::from("s1"),
            Value::from("s2")
        ]))
    );
}

/// `overwrite = ["message"]` with a capture of the message itself (Logstash's idiom)
/// cuts the field down in place; other shapes of the same still come out right.
#[test]
fn grok_overwrites_the_matched_field() {
    let n = node(
        r#"type = "grok"
patterns = ["%{LOGLEVEL:level} %{DATA:module} %{GREEDYDATA:message}"]
overwrite = ["message"]"#,
    );
    let mut batch = vec![
        with(&[(
            "message",
            Value::from("ERROR views Déjà vu — failed ✓ at 12:00"),
        )]),
        // An array subject is matched element by element; nothing is cut in place.
        with(&[(
            "message",
            Value::Array(vec![Value::from("INFO api started up")]),
        )]),
    ];
    apply(&n, &mut batch);
    assert_eq!(
        get(&batch[0], "message"),
        Some(&Value::from("Déjà vu — failed ✓ at 12:00"))
    );
    assert_eq!(get(&batch[0], "module"), Some(&Value::from("views")));
    assert_eq!(get(&batch[1], "message"), Some(&Value::from("started up")));

    // Two captures into the matched field: the last one wins, as with any overwrite.
    let twice = node(
        r#"type = "grok"
patterns = ["%{WORD:message} %{GREEDYDATA:message}"]
overwrite = ["message"]"#,
    );
    let mut batch = vec![with(&[("message", Value::from("GET /index.html now"))])];
    apply(&twice, &mut batch);
    assert_eq!(
        get(&batch[0], "message"),
        Some(&Value::from("/index.html now"))
    );

    // Without overwrite the capture joins the original in an array.
    let keep = node("type = \"grok\"\npatterns = [\"%{WORD} %{GREEDYDATA:message}\"]");
    let mut batch = vec![with(&[("message", Value::from("GET /x"))])];
    apply(&keep, &mut batch);
    assert_eq!(
        get(&batch[0], "message"),
        Some(&Value::Array(vec![
            Value::from("GET /x"),
            Value::from("/x")
        ]))
    );
}

/// `target` puts every capture under one field; `overwrite` names the final field.
#[test]
fn grok_target_nests_captures() {
    let n = node(
        r#"type = "grok"
target = "[http]"
patterns = ["%{WORD:verb} %{INT:[response][code]:int} %{GREEDYDATA:message}"]
overwrite = ["[http][message]"]"#,
    );
    let mut batch = vec![with(&[
        ("message", Value::from("GET 200 fine")),
        (
            "http",
            Value::Object([("message", Value::from("old"))].into_iter().collect()),
        ),
    ])];
    apply(&n, &mut batch);
    let e = &batch[0];
    assert_eq!(get(e, "[http][verb]"), Some(&Value::from("GET")));
    assert_eq!(get(e, "[http][response][code]"), Some(&Value::Integer(200)));
    assert_eq!(get(e, "[http][message]"), Some(&Value::from("fine")));
    assert_eq!(get(e, "message"), Some(&Value::from("GET 200 fine")));
    assert!(get(e, "verb").is_none());
}

#[test]
fn grok_captures_overwrite_arrays_and_failure_tags() {
    let n = node(
        r#"type = "grok"
patterns = ["%{WORD:verb} %{INT:code:int}", "%{GREEDYDATA:rest}"]
overwrite = ["message"]
add_tag = ["parsed"]"#,
    );
    let mut batch = vec![
        with(&[("message", Value::from("GET 200"))]),
        with(&[
            ("message", Value::from("?? nothing")),
            ("verb", Value::from("old")),
        ]),
    ];
    apply(&n, &mut batch);
    assert_eq!(get(&batch[0], "verb"), Some(&Value::from("GET")));
    assert_eq!(get(&batch[0], "code"), Some(&Value::Integer(200)));
    assert!(batch[0].has_tag("parsed"));
    // The second pattern matched; `rest` is set.
    assert_eq!(get(&batch[1], "rest"), Some(&Value::from("?? nothing")));

    let strict = node(
        r#"type = "grok"
patterns = ["^%{WORD:verb} %{WORD:verb}$"]
add_tag = ["parsed"]"#,
    );
    let mut batch = vec![
        with(&[("message", Value::from("GET POST"))]),
        with(&[("message", Value::from("nope!"))]),
        with(&[("other", Value::from("no message field"))]),
    ];
    apply(&strict, &mut batch);
    // The same field captured twice becomes an array, as in Logstash.
    assert_eq!(
        get(&batch[0], "verb"),
        Some(&Value::Array(vec![Value::from("GET"), Value::from("POST")]))
    );
    assert!(batch[1].has_tag("_grokparsefailure") && !batch[1].has_tag("parsed"));
    assert!(
        get(&batch[2], "tags").is_none(),
        "an absent field is not a failure"
    );
}

#[test]
fn date_sets_timestamp_or_tags() {
    let n = node(
        r#"type = "date"
field = "ts"
formats = ["yyyy-MM-dd HH:mm:ss,SSS", "UNIX_MS"]
timezone = "Europe/Berlin"
target = "[event][created]"
add_tag = ["dated"]"#,
    );
    let mut batch = vec![
        with(&[("ts", Value::from("2026-11-24 13:00:00,123"))]),
        with(&[("ts", Value::Integer(1_795_521_600_250))]),
        with(&[("ts", Value::from("yesterday"))]),
    ];
    apply(&n, &mut batch);
    let t = |e: &Event| match get(e, "[event][created]") {
        Some(Value::Timestamp(t)) => sluice_event::timestamp::format_rfc3339(t),
        other => panic!("{other:?}"),
    };
    assert_eq!(t(&batch[0]), "2026-11-24T12:00:00.123Z");
    assert_eq!(t(&batch[1]), "2026-11-24T12:00:00.250Z");
    assert!(batch[0].has_tag("dated"));
    assert!(batch[2].has_tag("_dateparsefailure") && !batch[2].has_tag("dated"));
}

#[test]
fn json_merges_or_targets_and_tags_failures() {
    let root = node("type = \"json\"\nadd_tag = [\"json\"]");
    let target = node("type = \"json\"\nsource = \"payload\"\ntarget = \"[app][data]\"\nskip_on_invalid_json = true");
    let mut batch = vec![
        with(&[(
            "message",
            Value::from(
                r#"{"name":"security","msg":"login failed","@timestamp":"2026-11-24T12:00:00.5Z","tags":["x"]}"#,
            ),
        )]),
        with(&[("message", Value::from("not json"))]),
        with(&[("message", Value::from("[1,2]"))]),
    ];
    apply(&root, &mut batch);
    assert_eq!(get(&batch[0], "name"), Some(&Value::from("security")));
    assert!(matches!(
        get(&batch[0], "@timestamp"),
        Some(Value::Timestamp(_))
    ));
    assert!(batch[0].has_tag("x") && batch[0].has_tag("json"));
    assert!(batch[1].has_tag("_jsonparsefailure") && !batch[1].has_tag("json"));
    assert!(
        batch[2].has_tag("_jsonparsefailure"),
        "an array cannot merge into the root"
    );

    let mut batch = vec![
        with(&[("payload", Value::from(r#"{"a":1}"#))]),
        with(&[("payload", Value::from("{bad"))]),
    ];
    apply(&target, &mut batch);
    assert_eq!(get(&batch[0], "[app][data][a]"), Some(&Value::Integer(1)));
    assert!(get(&batch[1], "tags").is_none(), "skip_on_invalid_json");
}

#[test]
fn kv_pairs_with_include_exclude_prefix_and_repeats() {
    let n =
        node("type = \"kv\"\nexclude_keys = [\"password\"]\nprefix = \"kv_\"\ntarget = \"params\"");
    let mut batch = vec![with(&[(
        "message",
        Value::from(r#"user=bob password=hunter2 msg="two words" id=1 id=2"#),
    )])];
    apply(&n, &mut batch);
    let e = &batch[0];
    assert_eq!(get(e, "[params][kv_user]"), Some(&Value::from("bob")));
    assert_eq!(get(e, "[params][kv_msg]"), Some(&Value::from("two words")));
    assert_eq!(
        get(e, "[params][kv_id]"),
        Some(&Value::Array(vec![Value::from("1"), Value::from("2")]))
    );
    assert!(get(e, "[params][kv_password]").is_none());
    let only = node("type = \"kv\"\ninclude_keys = [\"user\"]");
    let mut batch = vec![with(&[("message", Value::from("user=bob other=x"))])];
    apply(&only, &mut batch);
    assert_eq!(get(&batch[0], "user"), Some(&Value::from("bob")));
    assert!(get(&batch[0], "other").is_none());
}

/// kv's finer options: recursion into bracketed values, case changes, removed
/// characters, duplicate values, default keys and empty values.
#[test]
fn kv_recursive_transforms_duplicates_and_defaults() {
    let n = node(
        r#"type = "kv"
recursive = true
transform_key = "lowercase"
transform_value = "uppercase"
remove_char_value = "!"
allow_duplicate_values = false
default_keys = { "env" = "prod", "user" = "nobody" }"#,
    );
    let mut batch = vec![with(&[(
        "message",
        Value::from("User=bob! req=[Method=get path=/x] tag=a tag=a tag=b empty= plain=(no pairs)"),
    )])];
    apply(&n, &mut batch);
    let e = &batch[0];
    assert_eq!(get(e, "user"), Some(&Value::from("BOB")));
    assert_eq!(get(e, "[req][method]"), Some(&Value::from("GET")));
    assert_eq!(get(e, "[req][path]"), Some(&Value::from("/X")));
    assert_eq!(
        get(e, "tag"),
        Some(&Value::Array(vec![Value::from("A"), Value::from("B")]))
    );
    // Bracketed text without pairs stays text.
    assert_eq!(get(e, "plain"), Some(&Value::from("NO PAIRS")));
    assert_eq!(get(e, "env"), Some(&Value::from("prod")));
    assert!(
        get(e, "empty").is_none(),
        "empty values are skipped by default"
    );

    let patterns = node(
        r#"type = "kv"
field_split_pattern = ",\\s*"
value_split_pattern = "\\s*=>\\s*""#,
    );
    let mut batch = vec![with(&[("message", Value::from("a => 1, b=>two words"))])];
    apply(&patterns, &mut batch);
    assert_eq!(get(&batch[0], "a"), Some(&Value::from("1")));
    assert_eq!(get(&batch[0], "b"), Some(&Value::from("two words")));

    let keep = node("type = \"kv\"\nallow_empty_values = true");
    let mut batch = vec![with(&[("message", Value::from("empty= x=1"))])];
    apply(&keep, &mut batch);
    assert_eq!(get(&batch[0], "empty"), Some(&Value::from("")));
}

#[test]
fn mutate_replace_creates_update_does_not_coerce_fills_nulls_capitalize() {
    let n = node(
        r#"type = "mutate"
replace = { "a" = "new-%{level}" }
update = { "b" = "upd", "present" = "upd" }
coerce = { "nul" = "default", "set" = "default" }
capitalize = ["word"]"#,
    );
    let mut batch = vec![with(&[
        ("level", Value::from("INFO")),
        ("present", Value::from("old")),
        ("nul", Value::Null),
        ("set", Value::from("kept")),
        ("word", Value::from("hELLO wORLD")),
    ])];
    apply(&n, &mut batch);
    let e = &batch[0];
    assert_eq!(
        get(e, "a"),
        Some(&Value::from("new-INFO")),
        "replace creates"
    );
    assert_eq!(get(e, "b"), None, "update does not create");
    assert_eq!(get(e, "present"), Some(&Value::from("upd")));
    assert_eq!(get(e, "nul"), Some(&Value::from("default")));
    assert_eq!(get(e, "set"), Some(&Value::from("kept")));
    assert_eq!(get(e, "word"), Some(&Value::from("Hello world")));
}
