//! The converter's own cases: branches, refusals, pipeline links.

use super::*;

fn conv(src: &str) -> String {
    to_toml(&[("t.conf".into(), src.into())]).unwrap().0
}

#[test]
fn a_branch_of_several_filters_evaluates_its_condition_once() {
    let t = conv(
        r#"input { beats { port => 5044 } }
filter {
  if [type] == "x" {
mutate { replace => { "type" => "y" } }
mutate { add_tag => "was_x" }
  } else {
mutate { add_tag => "other" }
  }
}
output { stdout { } }"#,
    );
    let p = crate::load_str("t.toml", &t.replace("0.0.0.0:5044", "127.0.0.1:0"))
        .unwrap_or_else(|e| panic!("{e}\n{t}"));
    assert_eq!(p.transforms.len(), 5, "{t}");
    assert!(t.contains("[@metadata][_sluice_branch_1_0]"), "{t}");
    assert!(
        t.contains(r#"if = "!([@metadata][_sluice_branch_1_0])"#)
            || t.contains("![@metadata][_sluice_branch_1_0]"),
        "{t}"
    );
}

#[test]
fn unsupported_plugins_are_each_reported_with_their_place() {
    let e = to_toml(&[(
        "t.conf".into(),
        "input { generator { } }\nfilter { ruby { code => \"x\" }\n  xml { source => \"a\" } }\noutput { stdout {} }".into(),
    )])
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("line 1, column 9: the input plugin `generator`"),
        "{text}"
    );
    assert!(
        text.contains("line 2, column 10: the filter plugin `ruby`"),
        "{text}"
    );
    assert!(
        text.contains("line 3, column 3: the filter plugin `xml`"),
        "{text}"
    );
}

fn pipelines(list: &[(&str, &str)]) -> Result<String, String> {
    let p: Vec<PipelineSource> = list
        .iter()
        .map(|(id, text)| PipelineSource {
            id: (*id).into(),
            files: vec![(format!("{id}.conf"), (*text).into())],
        })
        .collect();
    pipelines_to_toml(&p)
        .map(|t| t.0)
        .map_err(|e| e.to_string())
}

#[test]
fn pipeline_outputs_feed_the_pipelines_with_their_address() {
    let t = pipelines(&[
        ("in", "input { stdin {} } output { if [x] { pipeline { send_to => [\"a\", \"b\"] } } }"),
        ("a", "input { pipeline { address => \"a\" } } filter { mutate { add_tag => \"a\" } } output { stdout {} }"),
        ("b", "input { pipeline { address => \"b\" } } output { pipeline { send_to => \"c\" } }"),
        ("c", "input { pipeline { address => \"c\" } } output { stdout {} }"),
    ])
    .unwrap();
    let p = crate::load_str("t.toml", &t).unwrap_or_else(|e| panic!("{e}\n{t}"));
    // The conditional send is a filter; `a` reads it; `b` has no filters, so `c`'s sink
    // reads what feeds `b`: the same filter.
    assert_eq!(p.transforms["in_pipeline_1"].inputs, ["in_stdin_1"]);
    assert_eq!(p.transforms["a_mutate_1"].inputs, ["in_pipeline_1"]);
    assert_eq!(p.sinks["c_stdout_1"].inputs, ["in_pipeline_1"]);
}

#[test]
fn broken_links_are_errors_at_their_place() {
    let e = pipelines(&[
        (
            "in",
            "input { stdin {} } output { pipeline { send_to => \"nowhere\" } }",
        ),
        (
            "x",
            "input { pipeline { address => \"x\" } } output { stdout {} }",
        ),
        (
            "y",
            "input { pipeline { address => \"x\" } } output { stdout {} }",
        ),
    ])
    .unwrap_err();
    assert!(
        e.contains("in.conf")
            && e.contains("line 1: no pipeline has a `pipeline { address => \"nowhere\" }`"),
        "{e}"
    );
    assert!(
        e.contains("the pipeline address `x` is already the address of pipeline `x`"),
        "{e}"
    );
    assert!(e.contains("no pipeline sends to the address `x`"), "{e}");
    let cycle = pipelines(&[
        (
            "p",
            "input { pipeline { address => \"p\" } } output { pipeline { send_to => \"q\" } }",
        ),
        (
            "q",
            "input { pipeline { address => \"q\" } } output { pipeline { send_to => \"p\" } }",
        ),
    ])
    .unwrap_err();
    assert!(cycle.contains("cycle"), "{cycle}");
}
