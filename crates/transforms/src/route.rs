//! `route`: split a batch by named conditions.

use sluice_config::RouteSpec;
use sluice_event::{Event, EventBatch};

/// One batch per route, in `spec.routes` order, then the unmatched ones. An event that
/// matches several routes goes to each (cloned for all but the last).
pub fn route(spec: &RouteSpec, batch: EventBatch) -> Vec<EventBatch> {
    let n = spec.routes.len();
    let mut out: Vec<EventBatch> = (0..=n).map(|_| Vec::new()).collect();
    let mut hits = Vec::with_capacity(n);
    for e in batch {
        hits.clear();
        hits.extend(
            spec.routes
                .iter()
                .enumerate()
                .filter(|(_, (_, c))| c.matches(&e))
                .map(|(i, _)| i),
        );
        let Some((&last, rest)) = hits.split_last() else {
            out[n].push(e);
            continue;
        };
        for &i in rest {
            out[i].push(Event::clone(&e));
        }
        out[last].push(e);
    }
    out
}
