//! The event clock of the transforms that keep time (alert, anomaly): the newest event
//! time seen and the wall-clock time it arrived, so that time goes on when events stop
//! and a silent source is noticed, while a replayed file runs on its own timestamps.

use serde::{Deserialize, Serialize};

/// Event time, carried on by the wall clock between events.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Clock {
    /// The newest event time seen (ms).
    pub newest_ms: i64,
    /// The wall-clock time (ms) it arrived.
    pub arrived_ms: i64,
}

impl Clock {
    /// The event time now, `wall_ms` being the wall-clock time.
    pub fn at(&self, wall_ms: i64) -> i64 {
        self.newest_ms
            .saturating_add(wall_ms.saturating_sub(self.arrived_ms).max(0))
    }

    /// Moves `clock` to an event at `t_ms` that arrived at `wall_ms` (never back).
    pub fn saw(clock: &mut Option<Clock>, t_ms: i64, wall_ms: i64) {
        match clock {
            Some(c) if c.newest_ms >= t_ms => {}
            c => {
                *c = Some(Clock {
                    newest_ms: t_ms,
                    arrived_ms: wall_ms,
                })
            }
        }
    }
}
