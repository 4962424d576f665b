//! Whole-pipeline checks: references, cycles, listener clashes.

use crate::error::ConfigError;
use crate::pipeline::Pipeline;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

fn err(errors: &mut Vec<ConfigError>, p: &Pipeline, component: String, key: &str, message: String) {
    errors.push(ConfigError {
        file: p.files.join(", "),
        component,
        key: key.into(),
        message,
    });
}

/// `broken`: components that failed to load, whose errors are already reported.
pub(crate) fn validate(p: &Pipeline, broken: &HashSet<String>, errors: &mut Vec<ConfigError>) {
    // One id names one component across all sections, or `inputs` would be ambiguous.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (sec, ids) in [
        ("sources", p.sources.keys().collect::<Vec<_>>()),
        ("transforms", p.transforms.keys().collect()),
        ("sinks", p.sinks.keys().collect()),
    ] {
        for id in ids {
            if let Some(first) = seen.insert(id, sec) {
                err(
                    errors,
                    p,
                    format!("{sec}.{id}"),
                    "",
                    format!("the id is already used in [{first}]"),
                );
            }
        }
    }

    let check_inputs =
        |section: &str, id: &str, inputs: &[String], errors: &mut Vec<ConfigError>| {
            if inputs.is_empty() {
                err(
                    errors,
                    p,
                    format!("{section}.{id}"),
                    "inputs",
                    "no inputs: name at least one source or transform".into(),
                );
            }
            for i in inputs {
                let from = i.split_once('.').map_or(i.as_str(), |(from, _)| from);
                if broken.contains(i) || broken.contains(from) {
                    continue;
                }
                if let Err(why) = p.producer_of(i) {
                    err(errors, p, format!("{section}.{id}"), "inputs", why);
                }
            }
        };
    for (id, t) in &p.transforms {
        check_inputs("transforms", id, &t.inputs, errors);
    }
    for (id, s) in &p.sinks {
        check_inputs("sinks", id, &s.inputs, errors);
    }

    // Cycles among transforms (depth-first search with colours).
    let mut colour: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        id: &'a str,
        p: &'a Pipeline,
        colour: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        match colour.get(id) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|s| *s == id).unwrap_or(0);
                let mut cyc = stack[start..].to_vec();
                cyc.push(id);
                return Some(cyc);
            }
            _ => {}
        }
        colour.insert(id, 1);
        stack.push(id);
        if let Some(t) = p.transforms.get(id) {
            for i in &t.inputs {
                if let Ok(from) = p.producer_of(i) {
                    if p.transforms.contains_key(from) {
                        if let Some(c) = visit(from, p, colour, stack) {
                            return Some(c);
                        }
                    }
                }
            }
        }
        stack.pop();
        colour.insert(id, 2);
        None
    }
    for id in p.transforms.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(id, p, &mut colour, &mut stack) {
            err(
                errors,
                p,
                format!("transforms.{id}"),
                "inputs",
                format!("cycle: {}", cycle.join(" <- ")),
            );
            break;
        }
    }

    // What can be seen of the sinks' files before running.
    for (id, s) in &p.sinks {
        if let Some((key, why)) = s.sink.preflight(&p.data_dir) {
            err(errors, p, format!("sinks.{id}"), key, why);
        }
    }

    // Two listeners on one address and transport.
    let mut listeners: HashMap<(&str, SocketAddr), &str> = HashMap::new();
    let mut stdin: Option<&str> = None;
    for (id, s) in &p.sources {
        let Some((transport, address)) = s.config.listener() else {
            if let Some(other) = stdin.replace(id) {
                err(
                    errors,
                    p,
                    format!("sources.{id}"),
                    "type",
                    format!("standard input is already read by sources.{other}"),
                );
            }
            continue;
        };
        if address.port() == 0 {
            continue;
        }
        if let Some(other) = listeners.insert((transport.name(), address), id) {
            err(
                errors,
                p,
                format!("sources.{id}"),
                "address",
                format!(
                    "{} {address} is already used by sources.{other}",
                    transport.name()
                ),
            );
        }
    }
    // With components that failed to load, "no sources" would only repeat their errors.
    if p.sources.is_empty() && broken.is_empty() {
        err(
            errors,
            p,
            String::new(),
            "sources",
            "no sources: nothing would be received".into(),
        );
    }
    if p.sinks.is_empty() && broken.is_empty() {
        err(
            errors,
            p,
            String::new(),
            "sinks",
            "no sinks: nothing would be written".into(),
        );
    }
}
