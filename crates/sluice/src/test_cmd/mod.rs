//! `sluice test --config PIPELINE --cases CASES`: runs test cases through a pipeline
//! without opening a port, and says, per case, what differs.
//!
//! Cases are logstash-filter-verifier's (LFV) format, JSON or YAML ([`cases`]), so its
//! users' files work. As LFV does, a Logstash pipeline's inputs and outputs are
//! replaced whatever their plugins are (`sluice_config::logstash::test_toml`); its
//! filters, conditionals and `pipeline` links are kept. Each input line becomes an
//! event (its `message`, or its fields with a JSON codec) entering through the input
//! named by `input_plugin` (the only one, when there is one); `fields` are added; the
//! events that reach the outputs are compared with `expected` in the order of the
//! outputs' ids, then as they arrived, without the `ignore`d fields and `@metadata`.
//! With `export_outputs`, each carries `__lfv_out_passed`, the output's id.
//!
//! The graph is walked here, batch by batch, exactly as the runtime wires it: a
//! transform's events go to every component that reads it (each gets its own copy),
//! named outputs to those reading `<id>.<name>`, a sink takes the events its `if` holds
//! for.

mod cases;
mod compare;

use serde_json::Value as J;
use sluice_config::Pipeline;
use sluice_event::{Event, EventBatch};
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs `batch` from the output `start` through the graph; the events each sink takes,
/// by sink id in order, in the order they arrived.
fn run_graph(p: &Pipeline, start: &str, batch: EventBatch) -> Vec<(String, Event)> {
    let mut out: Vec<(String, Event)> = Vec::new();
    let mut queue: std::collections::VecDeque<(String, EventBatch)> =
        std::collections::VecDeque::from([(start.to_owned(), batch)]);
    // Bounded: a transform can add events (clone), but the graph has no cycles.
    let mut steps = 0usize;
    while let Some((from, batch)) = queue.pop_front() {
        steps += 1;
        if steps > 100_000 {
            break;
        }
        for t in p.transforms.values().filter(|t| t.inputs.contains(&from)) {
            let mut b = batch.clone();
            let names = t.transform.outputs();
            let mut named: Vec<EventBatch> = names.iter().map(|_| Vec::new()).collect();
            let mut findings = vec![0u64; t.transform.findings().len()];
            let mut errors = vec![0u64; t.transform.error_kinds().len()];
            let mut run = sluice_transforms::Run {
                when: t.condition.as_ref(),
                named: &mut named,
                findings: &mut findings,
                errors: &mut errors,
            };
            t.transform.apply(&mut b, &mut run);
            if t.transform.has_default_output() {
                queue.push_back((t.id.clone(), b));
            }
            for (name, nb) in names.iter().zip(named) {
                queue.push_back((format!("{}.{name}", t.id), nb));
            }
        }
        for s in p.sinks.values().filter(|s| s.inputs.contains(&from)) {
            for e in &batch {
                if s.condition.as_ref().is_none_or(|c| c.matches(e)) {
                    out.push((s.id.clone(), e.clone()));
                }
            }
        }
    }
    // Stable: events of one sink keep their order.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Sets `fields` (a JSON object) on `e`; `@metadata` as an object sets each of its keys.
fn add_fields(e: &mut Event, fields: &J) {
    let Some(obj) = fields.as_object() else {
        return;
    };
    for (k, v) in obj {
        match (k.as_str(), v.as_object()) {
            ("@metadata", Some(m)) => {
                for (mk, mv) in m {
                    set_field(e, &format!("[@metadata][{mk}]"), mv);
                }
            }
            _ => set_field(e, k, v),
        }
    }
}

/// Sets the field `name` (a field reference) of `e` to the JSON value `v`.
fn set_field(e: &mut Event, name: &str, v: &J) {
    let Ok(path) = sluice_event::FieldPath::parse(name) else {
        return;
    };
    if let Ok(v) = sluice_event::Value::from_json(v.to_string().as_bytes()) {
        e.insert(&path, v);
    }
}

/// The pipeline as tests run it: Logstash pipelines with their inputs and outputs
/// replaced, or sluice TOML as it is.
fn load(
    config: &[PathBuf],
    base: Option<&std::path::Path>,
) -> Result<Pipeline, sluice_config::ConfigErrors> {
    if !sluice_config::is_logstash(config) {
        return sluice_config::load_files(config);
    }
    let (pipelines, _) = sluice_config::read_pipelines(config, base)?;
    let (toml, _) = sluice_config::logstash::test_toml(&pipelines)?;
    let name = pipelines
        .iter()
        .flat_map(|p| p.files.iter().map(|f| f.0.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    sluice_config::load_str(&name, &toml)
}

/// The source the lines of `suite` enter through.
fn entry(p: &Pipeline, input_plugin: Option<&str>) -> Result<String, String> {
    match input_plugin {
        Some(id) if p.sources.contains_key(id) => Ok(id.to_owned()),
        Some(id) => Err(format!(
            "input_plugin `{id}` is not an input of the pipeline (its inputs: {})",
            p.sources.keys().cloned().collect::<Vec<_>>().join(", ")
        )),
        None => match p.sources.keys().collect::<Vec<_>>().as_slice() {
            [one] => Ok((*one).clone()),
            many => Err(format!(
                "the pipeline has {} inputs ({}): name the one the lines enter through with `input_plugin`",
                many.len(),
                many.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )),
        },
    }
}

pub fn main(config: &[PathBuf], base: Option<&std::path::Path>, cases: &[PathBuf]) -> ExitCode {
    let p = match load(config, base) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let (mut passed, mut failed) = (0, 0);
    for file in cases {
        let suite = match cases::read(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("sluice test: {e}");
                return ExitCode::from(2);
            }
        };
        let start = match entry(&p, suite.input_plugin.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("sluice test: {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let json = suite.json_codec.unwrap_or(match &p.sources[&start].config {
            sluice_sources::SourceConfig::Syslog(c) => {
                c.codec == sluice_sources::syslog::MessageCodec::Json
            }
            sluice_sources::SourceConfig::JsonLines(_) => true,
            sluice_sources::SourceConfig::Stdin(c) => {
                c.codec == sluice_sources::stdin::Codec::JsonLines
            }
            _ => false,
        });
        for (k, case) in suite.cases.iter().enumerate() {
            let now = chrono::Utc::now();
            let make = |line: Option<&str>| {
                let mut e = match line {
                    // A JSON input may span several lines (a YAML block): it is one event.
                    Some(l) if json => {
                        sluice_parse::json_event::event_from_json(l.trim().as_bytes(), now)
                            .unwrap_or_else(|e| e)
                    }
                    Some(l) => Event::from_message(l.trim_end_matches(['\r', '\n']), now),
                    None => Event::new(),
                };
                for f in &case.fields {
                    add_fields(&mut e, f);
                }
                e
            };
            let events: Vec<Event> = match &case.input {
                Some(lines) => lines.iter().map(|l| make(Some(l))).collect(),
                None => vec![make(None)],
            };
            // One event at a time, as Logstash keeps order: an event's results, by
            // output id, before the next event's.
            let got: Vec<J> = events
                .into_iter()
                .flat_map(|e| run_graph(&p, &start, vec![e]))
                .map(|(sink, e)| {
                    let mut b = Vec::new();
                    e.write_json(&mut b);
                    let mut v = serde_json::from_slice(&b).unwrap_or(J::Null);
                    if suite.export_metadata && !e.meta().metadata.is_empty() {
                        v["@metadata"] = serde_json::to_value(sluice_event::Value::Object(
                            e.meta().metadata.clone(),
                        ))
                        .unwrap_or(J::Null);
                    }
                    if suite.export_outputs {
                        v["__lfv_out_passed"] = J::from(sink.as_str());
                    }
                    compare::without(v, &suite.ignore)
                })
                .collect();
            let expected = &case.expected;
            let want: Vec<J> = expected
                .iter()
                .map(|w| compare::without(w.clone(), &suite.ignore))
                .collect();
            let lines = compare::report(&want, &got);
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
