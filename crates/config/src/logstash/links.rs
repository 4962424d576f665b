//! Pipeline-to-pipeline links, and the document: each pipeline's chain wired to its
//! inputs, `pipeline` outputs to the pipelines whose `pipeline` input has their address.
//!
//! A pipeline's chain starts from its own sources and from every pipeline that sends to
//! its address. What a pipeline sends is the end of its chain (its last filter, or what
//! feeds its first when it has none); a `pipeline` output under a condition is a `filter`
//! transform with that condition, so only the events it would send go on. Every receiver
//! gets its own copy, as Logstash's pipeline output clones. A cycle of pipelines, an
//! address nobody receives, or one received twice, is an error at its place.

use super::values::s;
use super::{Chain, Conv};
use crate::error::ConfigError;
use std::collections::HashMap;
use toml::Value as T;

/// A `pipeline` output: where it sends, under what condition, its id and place.
pub(super) struct Send {
    pub(super) targets: Vec<String>,
    pub(super) cond: Option<String>,
    pub(super) id: String,
    pub(super) at: String,
}

/// The ids that make up what flows out of each pipeline, worked out once each.
struct Ends<'a> {
    chains: &'a [Chain],
    /// For each pipeline, the (pipeline, send) pairs that feed it.
    feeders: Vec<Vec<(usize, usize)>>,
    state: Vec<Option<Vec<String>>>,
    visiting: Vec<bool>,
    errors: Vec<ConfigError>,
}

impl Ends<'_> {
    /// What feeds pipeline `i`'s first component: its sources and its senders.
    fn entry(&mut self, i: usize) -> Vec<String> {
        let ch = &self.chains[i];
        let mut ids: Vec<String> = ch
            .sources
            .iter()
            .map(|(id, _, _)| ch.outlets.get(id).unwrap_or(id).clone())
            .collect();
        for (j, k) in self.feeders[i].clone() {
            let send = &self.chains[j].sends[k];
            if send.cond.is_some() {
                ids.push(send.id.clone());
            } else {
                ids.extend(self.end(j));
            }
        }
        ids
    }

    /// What flows out of pipeline `i`.
    fn end(&mut self, i: usize) -> Vec<String> {
        if let Some(done) = &self.state[i] {
            return done.clone();
        }
        if let Some((id, _, _)) = self.chains[i].transforms.last() {
            return vec![id.clone()];
        }
        if self.visiting[i] {
            let (file, message) = self.chains[i].address.clone().map_or_else(
                || (String::new(), String::new()),
                |(a, at)| {
                    (
                        at,
                        format!("pipeline `{}` (address `{a}`)", self.chains[i].pipeline),
                    )
                },
            );
            self.errors.push(ConfigError {
                file,
                component: String::new(),
                key: String::new(),
                message: format!(
                    "{message} is part of a cycle of pipeline links without a filter to start from: events would go round forever"
                ),
            });
            return Vec::new();
        }
        self.visiting[i] = true;
        let ids = self.entry(i);
        self.visiting[i] = false;
        self.state[i] = Some(ids.clone());
        ids
    }
}

/// The TOML document of every pipeline converted; link errors go to `c.errors`.
pub(super) fn render(c: &mut Conv) -> String {
    let mut receivers: HashMap<&str, usize> = HashMap::new();
    for (i, ch) in c.done.iter().enumerate() {
        if let Some((a, at)) = &ch.address {
            if let Some(other) = receivers.insert(a, i) {
                c.errors.push(link_error(
                    at,
                    format!(
                        "the pipeline address `{a}` is already the address of pipeline `{}`",
                        c.done[other].pipeline
                    ),
                ));
            }
        }
    }
    let mut feeders = vec![Vec::new(); c.done.len()];
    for (j, ch) in c.done.iter().enumerate() {
        for (k, send) in ch.sends.iter().enumerate() {
            for t in &send.targets {
                match receivers.get(t.as_str()) {
                    Some(&i) => feeders[i].push((j, k)),
                    None => c.errors.push(link_error(&send.at, format!(
                        "no pipeline has a `pipeline {{ address => \"{t}\" }}` input to receive what this output sends"
                    ))),
                }
            }
        }
    }
    for (i, ch) in c.done.iter().enumerate() {
        if let Some((a, at)) = &ch.address {
            if feeders[i].is_empty() {
                c.errors.push(link_error(at, format!(
                    "no pipeline sends to the address `{a}` (a `pipeline {{ send_to => [\"{a}\"] }}` output)"
                )));
            }
        }
    }
    let n = c.done.len();
    let mut ends = Ends {
        chains: &c.done,
        feeders,
        state: vec![None; n],
        visiting: vec![false; n],
        errors: Vec::new(),
    };
    let mut sources = Vec::new();
    let mut transforms = Vec::new();
    let mut sinks = Vec::new();
    for i in 0..n {
        let ch = &ends.chains[i];
        sources.extend(ch.sources.iter().cloned());
        transforms.extend(ch.decorations.iter().cloned());
        let mut prev: Vec<T> = ends.entry(i).iter().map(|id| s(id)).collect();
        for (id, t, at) in &ch.transforms {
            transforms.push((id.clone(), with_inputs(t, &prev), at.clone()));
            prev = vec![s(id)];
        }
        for (id, t, at) in &ch.sinks {
            sinks.push((id.clone(), with_inputs(t, &prev), at.clone()));
        }
        for send in &ch.sends {
            if let Some(cond) = &send.cond {
                let mut t = toml::Table::new();
                t.insert("type".into(), s("filter"));
                t.insert("if".into(), s(cond));
                transforms.push((
                    send.id.clone(),
                    with_inputs(&T::Table(t), &prev),
                    send.at.clone(),
                ));
            }
        }
    }
    c.errors.append(&mut ends.errors);
    let mut out = String::from(
        "# Converted from a Logstash pipeline by `sluice convert`; each component names the\n# line it comes from.\n",
    );
    for (section, list) in [
        ("sources", &sources),
        ("transforms", &transforms),
        ("sinks", &sinks),
    ] {
        for (id, t, at) in list {
            let mut doc = toml::Table::new();
            let mut inner = toml::Table::new();
            inner.insert(id.clone(), t.clone());
            doc.insert(section.to_owned(), T::Table(inner));
            out.push_str(&format!("\n# {at}\n"));
            out.push_str(&toml::to_string(&doc).unwrap_or_default());
        }
    }
    out
}

fn with_inputs(t: &T, inputs: &[T]) -> T {
    let mut t = t.clone();
    if let T::Table(t) = &mut t {
        t.insert("inputs".into(), T::Array(inputs.to_vec()));
    }
    t
}

/// An error at `at` (`file:line`).
fn link_error(at: &str, message: String) -> ConfigError {
    let (file, line) = at.rsplit_once(':').unwrap_or((at, ""));
    ConfigError {
        file: file.to_owned(),
        component: String::new(),
        key: String::new(),
        message: format!("line {line}: {message}"),
    }
}
