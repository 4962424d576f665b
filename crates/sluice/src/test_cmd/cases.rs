//! Test case files in logstash-filter-verifier's format, JSON or YAML:
//! `{"fields": {..}, "ignore": [..], "codec": "line" | "json_lines", "input_plugin": id,
//!   "export_outputs": bool, "testcases": [{"input": [..], "expected": [{event}, ..]}]}`,
//! and the older top-level `input_lines` / `expected`.

use serde_json::Value as J;
use std::path::Path;

/// One case: its input lines (`None`: one event made of its fields alone), the
/// fields set on each of its events (the file's, then its own), and what is expected.
#[derive(Debug)]
pub(crate) struct Case {
    pub(crate) input: Option<Vec<String>>,
    pub(crate) fields: Vec<J>,
    pub(crate) expected: Vec<J>,
}

/// One file of cases.
#[derive(Debug)]
pub(crate) struct Suite {
    /// Fields left out of the comparison.
    pub(crate) ignore: Vec<String>,
    /// How input lines are read: `Some(true)` JSON, `Some(false)` plain text, `None`
    /// as the input they enter through reads them.
    pub(crate) json_codec: Option<bool>,
    /// The id of the input the lines enter through.
    pub(crate) input_plugin: Option<String>,
    /// Each expected event carries `__lfv_out_passed`: the id of the output it left by.
    pub(crate) export_outputs: bool,
    /// `@metadata` is compared too.
    pub(crate) export_metadata: bool,
    /// The cases.
    pub(crate) cases: Vec<Case>,
}

fn strings(v: &J) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a case file; the error says what is wrong with it.
pub(crate) fn read(file: &Path) -> Result<Suite, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let yaml = file.extension().is_some_and(|e| e == "yml" || e == "yaml");
    let doc: J = if yaml {
        serde_norway::from_str(&text)
            .map_err(|e| format!("{} is not a YAML test case file: {e}", file.display()))?
    } else {
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a JSON test case file: {e}", file.display()))?
    };
    if !doc.is_object() {
        return Err(format!("{}: a test case file is an object", file.display()));
    }
    let mut cases = Vec::new();
    let case = |t: &J, input: &J| Case {
        input: input.is_array().then(|| strings(input)),
        fields: vec![doc["fields"].clone(), t["fields"].clone()],
        expected: t["expected"].as_array().cloned().unwrap_or_default(),
    };
    if let Some(list) = doc["testcases"].as_array() {
        for t in list {
            cases.push(case(t, &t["input"]));
        }
    } else {
        cases.push(case(&doc, &doc["input_lines"]));
    }
    Ok(Suite {
        ignore: strings(&doc["ignore"]),
        json_codec: doc["codec"]
            .as_str()
            .map(|c| matches!(c, "json_lines" | "json")),
        input_plugin: doc["input_plugin"].as_str().map(str::to_owned),
        export_outputs: doc["export_outputs"].as_bool().unwrap_or(false),
        export_metadata: doc["export_metadata"].as_bool().unwrap_or(false),
        cases,
    })
}
