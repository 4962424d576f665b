//! `route`: named conditions. Downstream components take `<id>.<name>` as an input, or
//! `<id>._unmatched` for events that matched no route. An event goes to every route it
//! matches. A route has no default output.

use crate::{Run, Transform};
use serde::Deserialize;
use sluice_core::config::Build;
use sluice_event::{Event, EventBatch};
use sluice_parse::condition::Condition;
use std::collections::BTreeMap;

/// The output of a route for events that matched none of its conditions.
pub const UNMATCHED: &str = "_unmatched";

/// `type = "route"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Output name -> condition.
    routes: BTreeMap<String, String>,
}

/// A built route.
#[derive(Debug)]
pub struct Route {
    routes: Vec<(String, Condition)>,
}

impl Config {
    /// Parses every condition; output names may not contain dots or take `_unmatched`.
    pub fn build(self, b: &mut Build<'_>) -> Option<Route> {
        let mark = b.mark();
        if self.routes.is_empty() {
            b.push("routes", "needs at least one named condition");
        }
        let mut routes = Vec::new();
        for (name, cond) in self.routes {
            let key = format!("routes.{name}");
            if name == UNMATCHED || name.contains('.') || name.is_empty() {
                b.push(
                    key,
                    format!("`{name}` cannot name a route (no dots; `{UNMATCHED}` is taken)"),
                );
                continue;
            }
            if let Some(c) = b.condition(&cond, &key) {
                routes.push((name, c));
            }
        }
        b.clean_since(mark).then_some(Route { routes })
    }
}

impl Transform for Route {
    /// Moves each event to every route it matches (cloned for all but the last), or to
    /// `_unmatched`, the last output.
    fn apply(&self, batch: &mut EventBatch, run: &mut Run<'_>) {
        let n = self.routes.len();
        let mut hits = Vec::with_capacity(n);
        for e in batch.drain(..) {
            hits.clear();
            hits.extend(
                self.routes
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, c))| c.matches(&e))
                    .map(|(i, _)| i),
            );
            let Some((&last, rest)) = hits.split_last() else {
                run.named[n].push(e);
                continue;
            };
            for &i in rest {
                run.named[i].push(Event::clone(&e));
            }
            run.named[last].push(e);
        }
    }

    fn outputs(&self) -> Vec<String> {
        let mut names: Vec<String> = self.routes.iter().map(|(n, _)| n.clone()).collect();
        names.push(UNMATCHED.to_owned());
        names
    }

    fn has_default_output(&self) -> bool {
        false
    }
}
