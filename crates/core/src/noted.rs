//! Problems counted and logged in one place: the first of a kind is logged at once,
//! then at most one line per kind and component every [`LOG_EVERY`], saying how many
//! were not logged in between. A flood of bad input costs a counter increment, not a log
//! line per event.

use crate::{ComponentMetrics, DropReason, ErrorType};
use prometheus::IntCounter;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How often one kind of problem of one component is logged at most.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Milliseconds since the process first asked, never 0 (0 can then mean "never"):
/// cheap timestamps for "when last", shared by whoever needs them.
pub fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// Decides when a repeated problem is logged again.
#[derive(Debug, Default)]
pub struct Limiter {
    last: AtomicU64,
    suppressed: AtomicU64,
}

impl Limiter {
    /// `Some(n)` when this occurrence is to be logged, `n` being how many were not since
    /// the last line; `None` otherwise.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(now_ms())
    }

    fn allow_at(&self, now: u64) -> Option<u64> {
        let last = self.last.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= LOG_EVERY.as_millis() as u64;
        if due
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            return Some(self.suppressed.swap(0, Ordering::Relaxed));
        }
        self.suppressed.fetch_add(1, Ordering::Relaxed);
        None
    }
}

/// One kind of error of one component: counted in `sluice_component_errors_total` and
/// logged as a warning, rate-limited.
#[derive(Clone, Debug)]
pub struct Noted {
    component: String,
    what: &'static str,
    counter: IntCounter,
    limiter: Arc<Limiter>,
}

impl Noted {
    pub(crate) fn new(m: &ComponentMetrics, kind: ErrorType) -> Self {
        Noted {
            component: m.id.clone(),
            what: kind.as_str(),
            counter: m.error_counter(kind),
            limiter: m.limiter(kind.as_str()),
        }
    }

    pub(crate) fn dropped(m: &ComponentMetrics, reason: DropReason) -> Self {
        Noted {
            component: m.id.clone(),
            what: reason.as_str(),
            counter: m.dropped_counter(reason),
            limiter: m.limiter(reason.as_str()),
        }
    }

    /// Counts `n` occurrences; logs `detail` unless one was logged recently.
    pub fn note(&self, n: u64, detail: &dyn std::fmt::Display) {
        self.counter.inc_by(n);
        if let Some(suppressed) = self.limiter.allow() {
            tracing::warn!(
                component = %self.component,
                problem = %self.what,
                not_logged_since_last = suppressed,
                "{detail}"
            );
        }
    }

    /// How many were counted (for tests).
    pub fn count(&self) -> u64 {
        self.counter.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_is_logged_and_the_rest_wait_their_turn() {
        let l = Limiter::default();
        let every = LOG_EVERY.as_millis() as u64;
        assert_eq!(l.allow_at(5), Some(0));
        for t in 0..1000 {
            assert_eq!(l.allow_at(6 + t % every / 2), None);
        }
        assert_eq!(l.allow_at(5 + every), Some(1000));
        assert_eq!(l.allow_at(6 + every), None);
    }
}
