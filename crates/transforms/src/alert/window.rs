//! A sliding window over event time, in buckets: counts, and (for `metric` rules) a
//! bounded sample of values. Pure; the rule engine feeds it.
//!
//! The window is `buckets` buckets of `window / buckets` each; an event lands in the
//! bucket of its timestamp. The head moves forward with the newest event time seen; an
//! event older than the window is not counted (it arrived later than the window is long).
//! A spike rule keeps twice as many buckets: the window before is its reference.

use serde::{Deserialize, Serialize};

/// Values kept per bucket at most, for percentiles (a uniform sample beyond it).
const MAX_VALUES_PER_BUCKET: usize = 64;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Bucket {
    count: u64,
    values: Vec<f64>,
    /// Values offered to this bucket, for the reservoir.
    seen: u64,
}

/// Buckets over event time.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Window {
    bucket_ms: i64,
    /// The newest bucket's index (time / bucket_ms), or `None` before any event.
    head: Option<i64>,
    ring: Vec<Bucket>,
    /// A cheap, deterministic sampler state.
    rng: u64,
    /// The sum of every bucket's count (the whole ring), kept as buckets fill and clear.
    #[serde(default)]
    total: u64,
}

impl Window {
    /// `len` buckets of `bucket_ms` each.
    pub(crate) fn new(bucket_ms: i64, len: usize) -> Self {
        Window {
            bucket_ms: bucket_ms.max(1),
            head: None,
            ring: vec![Bucket::default(); len.max(1)],
            rng: 0x9e37_79b9_7f4a_7c15,
            total: 0,
        }
    }

    fn slot(&self, idx: i64) -> usize {
        idx.rem_euclid(self.ring.len() as i64) as usize
    }

    /// Moves the head to `ms` (never back), clearing the buckets it passes.
    pub(crate) fn advance(&mut self, ms: i64) {
        let idx = ms.div_euclid(self.bucket_ms);
        match self.head {
            None => self.head = Some(idx),
            Some(h) if idx > h => {
                let steps = (idx - h).min(self.ring.len() as i64);
                for k in 1..=steps {
                    let s = self.slot(h + k);
                    self.total -= self.ring[s].count;
                    self.ring[s] = Bucket::default();
                }
                self.head = Some(idx);
            }
            Some(_) => {}
        }
    }

    /// Counts one event at `ms` (with `value` for metric rules). False when it is older
    /// than the window and was not counted.
    pub(crate) fn add(&mut self, ms: i64, value: Option<f64>) -> bool {
        self.advance(ms);
        let idx = ms.div_euclid(self.bucket_ms);
        let head = self.head.unwrap_or(idx);
        if idx <= head - self.ring.len() as i64 {
            return false;
        }
        let s = self.slot(idx);
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let pick = self.rng;
        let b = &mut self.ring[s];
        b.count += 1;
        self.total += 1;
        if let Some(v) = value.filter(|v| v.is_finite()) {
            b.seen += 1;
            if b.values.len() < MAX_VALUES_PER_BUCKET {
                b.values.push(v);
            } else {
                let j = (pick % b.seen) as usize;
                if j < MAX_VALUES_PER_BUCKET {
                    b.values[j] = v;
                }
            }
        }
        true
    }

    /// The newest `n` buckets' total count, skipping the newest `skip` (a spike's
    /// reference window is the `n` before the current `n`).
    pub(crate) fn count(&self, skip: usize, n: usize) -> u64 {
        let Some(head) = self.head else { return 0 };
        if skip == 0 && n >= self.ring.len() {
            return self.total;
        }
        (skip..skip + n)
            .map(|k| self.ring[self.slot(head - k as i64)].count)
            .sum()
    }

    /// The values of the newest `n` buckets (a sample when there were many).
    pub(crate) fn values(&self, n: usize) -> Vec<f64> {
        let Some(head) = self.head else {
            return Vec::new();
        };
        (0..n)
            .flat_map(|k| self.ring[self.slot(head - k as i64)].values.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slide_with_event_time_and_old_events_are_not_counted() {
        // 5 buckets of 1 s: a 5 s window.
        let mut w = Window::new(1000, 5);
        for t in [0, 100, 1500, 4999] {
            assert!(w.add(t, None));
        }
        assert_eq!(w.count(0, 5), 4);
        w.advance(5000); // bucket 0 leaves the window
        assert_eq!(w.count(0, 5), 2);
        assert!(!w.add(0, None), "older than the window");
        assert!(w.add(1200, None), "late but inside the window");
        assert_eq!(w.count(0, 5), 3);
        w.advance(60_000);
        assert_eq!(w.count(0, 5), 0);
        // The running total agrees with the buckets.
        for t in [60_100, 60_200, 61_000, 64_900] {
            w.add(t, None);
        }
        w.advance(65_500);
        assert_eq!(w.count(0, 5), (0..5).map(|k| w.count(k, 1)).sum::<u64>());
        assert_eq!(w.count(0, 5), 2, "61.0 and 64.9 are in [61, 66)");
    }

    #[test]
    fn a_reference_window_precedes_the_current_one() {
        let mut w = Window::new(1000, 4); // two windows of 2 buckets
        w.add(0, None);
        w.add(2000, None);
        w.add(3000, None);
        w.add(3500, None);
        assert_eq!(w.count(0, 2), 3);
        assert_eq!(w.count(2, 2), 1);
    }

    #[test]
    fn values_are_kept_for_percentiles() {
        let mut w = Window::new(1000, 2);
        for i in 0..2000 {
            w.add(500, Some(f64::from(i)));
        }
        let v = w.values(2);
        assert_eq!(v.len(), MAX_VALUES_PER_BUCKET);
        assert!(v.iter().all(|x| (0.0..2000.0).contains(x)));
    }
}
