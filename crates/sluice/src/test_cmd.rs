//! `sluice test --config PIPELINE --cases CASES`: runs test cases through a pipeline's
//! transforms without opening a port, and says, per case, what differs.
//!
//! Cases are logstash-filter-verifier's JSON format, so that its users' files work:
//! `{"fields": {..}, "ignore": ["@timestamp"], "codec": "line" | "json_lines",
//!   "testcases": [{"input": ["line", ...], "expected": [{event}, ...]}]}` (the older
//! top-level `input_lines` / `expected` too). Each input line becomes an event (its
//! `message`, or its fields with a JSON codec), `fields` are added to it, and the
//! events that leave the last transform are compared with `expected`, in order,
//! without the `ignore`d fields and `@metadata`.

use serde_json::Value as J;
use sluice_config::Pipeline;
use sluice_event::{Event, EventBatch};
use std::path::PathBuf;
use std::process::ExitCode;

/// The transforms from the sources to the sinks, in order; an error when the pipeline
/// is not one chain (fan-out or named outputs), which this command does not follow yet.
fn chain(p: &Pipeline) -> Result<Vec<&sluice_config::TransformNode>, String> {
    let mut out = Vec::new();
    let mut feeds: Vec<String> = p.sources.keys().cloned().collect();
    loop {
        let next: Vec<_> = p
            .transforms
            .values()
            .filter(|t| t.inputs.iter().any(|i| feeds.contains(i)))
            .collect();
        match next.as_slice() {
            [] => return Ok(out),
            [t] => {
                if !t.transform.outputs().is_empty() {
                    return Err(format!(
                        "`{}` has named outputs: `sluice test` follows one chain of transforms",
                        t.id
                    ));
                }
                if out
                    .iter()
                    .any(|o: &&sluice_config::TransformNode| o.id == t.id)
                {
                    return Ok(out);
                }
                out.push(t);
                feeds = vec![t.id.clone()];
            }
            many => {
                return Err(format!(
                    "{} transforms read the same output ({}): `sluice test` follows one chain",
                    many.len(),
                    many.iter()
                        .map(|t| t.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
}

fn run_chain(chain: &[&sluice_config::TransformNode], mut batch: EventBatch) -> EventBatch {
    for t in chain {
        let mut named: Vec<EventBatch> = t.transform.outputs().iter().map(|_| Vec::new()).collect();
        let mut findings = vec![0u64; t.transform.findings().len()];
        let mut errors = vec![0u64; t.transform.error_kinds().len()];
        let mut run = sluice_transforms::Run {
            when: t.condition.as_ref(),
            named: &mut named,
            findings: &mut findings,
            errors: &mut errors,
        };
        t.transform.apply(&mut batch, &mut run);
    }
    batch
}

/// Sets `fields` (a JSON object) on `e`, nested objects merged.
fn add_fields(e: &mut Event, fields: &J) {
    let Some(obj) = fields.as_object() else {
        return;
    };
    for (k, v) in obj {
        let path = match sluice_event::FieldPath::parse(k) {
            Ok(p) => p,
            Err(_) => continue,
        };
        if let Ok(v) = sluice_event::Value::from_json(v.to_string().as_bytes()) {
            e.insert(&path, v);
        }
    }
}

fn without(mut v: J, ignore: &[String]) -> J {
    for f in ignore {
        let segs: Vec<String> = match sluice_event::FieldPath::parse(f) {
            Ok(p) => p.segments().to_vec(),
            Err(_) => vec![f.clone()],
        };
        let mut cur = &mut v;
        for (i, s) in segs.iter().enumerate() {
            let Some(obj) = cur.as_object_mut() else {
                break;
            };
            if i + 1 == segs.len() {
                obj.remove(s);
                break;
            }
            match obj.get_mut(s) {
                Some(next) => cur = next,
                None => break,
            }
        }
    }
    v
}

/// The differences between `want` and `got`, one line per field.
fn diff(want: &J, got: &J, path: &str, out: &mut Vec<String>) {
    match (want, got) {
        (J::Object(a), J::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}[{k}]");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff(x, y, &p, out),
                    (Some(x), None) => out.push(format!("  - {p}: {x}   (expected, missing)")),
                    (None, Some(y)) => out.push(format!("  + {p}: {y}   (not expected)")),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!("  ~ {path}: expected {a}, got {b}")),
        _ => {}
    }
}

pub fn main(config: &[PathBuf], cases: &[PathBuf]) -> ExitCode {
    let loaded = if sluice_config::is_logstash(config) {
        // Inputs and outputs are replaced, as logstash-filter-verifier does: only the
        // filters are loaded.
        sluice_config::read_logstash(config).and_then(|files| {
            let (toml, _) = sluice_config::logstash::filters_to_toml(&files)?;
            sluice_config::load_str(
                &files
                    .iter()
                    .map(|f| f.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                &toml,
            )
        })
    } else {
        sluice_config::load_files(config)
    };
    let p = match loaded {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let chain = match chain(&p) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sluice test: {e}");
            return ExitCode::from(2);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for file in cases {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("sluice test: cannot read {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let doc: J = match serde_json::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                eprintln!(
                    "sluice test: {} is not a JSON test case file: {e}",
                    file.display()
                );
                return ExitCode::from(2);
            }
        };
        let ignore: Vec<String> = doc["ignore"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let json_codec = matches!(doc["codec"].as_str(), Some("json_lines" | "json"));
        let mut testcases: Vec<(Vec<String>, Vec<J>)> = Vec::new();
        if let Some(list) = doc["testcases"].as_array() {
            for t in list {
                let input = t["input"].as_array().cloned().unwrap_or_default();
                let expected = t["expected"].as_array().cloned().unwrap_or_default();
                testcases.push((
                    input
                        .iter()
                        .filter_map(|l| l.as_str().map(str::to_owned))
                        .collect(),
                    expected,
                ));
            }
        } else {
            let input = doc["input_lines"].as_array().cloned().unwrap_or_default();
            testcases.push((
                input
                    .iter()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect(),
                doc["expected"].as_array().cloned().unwrap_or_default(),
            ));
        }
        for (k, (input, expected)) in testcases.iter().enumerate() {
            let now = chrono::Utc::now();
            let batch: EventBatch = input
                .iter()
                .map(|line| {
                    let line = line.trim_end_matches(['\r', '\n']);
                    let mut e = if json_codec {
                        sluice_parse::json_event::event_from_json(line.as_bytes(), now)
                            .unwrap_or_else(|e| e)
                    } else {
                        Event::from_message(line, now)
                    };
                    add_fields(&mut e, &doc["fields"]);
                    e
                })
                .collect();
            let out = run_chain(&chain, batch);
            let got: Vec<J> = out
                .iter()
                .map(|e| {
                    let mut b = Vec::new();
                    e.write_json(&mut b);
                    without(serde_json::from_slice(&b).unwrap_or(J::Null), &ignore)
                })
                .collect();
            let want: Vec<J> = expected
                .iter()
                .map(|w| without(w.clone(), &ignore))
                .collect();
            let mut lines = Vec::new();
            if got.len() != want.len() {
                lines.push(format!(
                    "  expected {} events, got {}",
                    want.len(),
                    got.len()
                ));
            }
            for (i, (w, g)) in want.iter().zip(&got).enumerate() {
                let mut d = Vec::new();
                diff(w, g, "", &mut d);
                if !d.is_empty() {
                    lines.push(format!("  event {}:", i + 1));
                    lines.extend(d.into_iter().map(|l| format!("  {l}")));
                }
            }
            let name = format!("{} case {}", file.display(), k + 1);
            if lines.is_empty() {
                passed += 1;
                println!("ok   {name} ({} events)", got.len());
            } else {
                failed += 1;
                println!("FAIL {name}");
                for l in lines {
                    println!("{l}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
