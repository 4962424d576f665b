//! What the anomaly model sees of one window of one group: counts and measures of its
//! events, and when it was. Pure.

use serde::{Deserialize, Serialize};

/// The measured features, in vector order; then the time of day (two dimensions) and
/// the weekend flag.
pub(crate) const MEASURED: [&str; 5] = [
    "events",
    "errors",
    "failed_logins",
    "response_time_p95",
    "message_length",
];

/// Dimensions of a vector.
pub(crate) const DIMS: usize = MEASURED.len();

/// Response times kept per window at most, for the p95 (a uniform sample beyond).
const MAX_TIMES: usize = 256;

/// One window's events, as they arrive.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Acc {
    pub(crate) events: u64,
    pub(crate) errors: u64,
    pub(crate) failed_logins: u64,
    times: Vec<f64>,
    times_seen: u64,
    length_sum: u64,
    rng: u64,
}

impl Acc {
    /// Counts one event.
    pub(crate) fn add(&mut self, error: bool, failed_login: bool, time: Option<f64>, len: usize) {
        self.events += 1;
        self.errors += u64::from(error);
        self.failed_logins += u64::from(failed_login);
        self.length_sum += len as u64;
        if let Some(t) = time.filter(|t| t.is_finite() && *t >= 0.0) {
            self.times_seen += 1;
            if self.times.len() < MAX_TIMES {
                self.times.push(t);
            } else {
                self.rng = self
                    .rng
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let j = (self.rng >> 33) % self.times_seen;
                if (j as usize) < MAX_TIMES {
                    self.times[j as usize] = t;
                }
            }
        }
    }

    /// The raw measured features: counts, p95 response time and mean message length
    /// (NaN without any: the model takes the usual value for a missing measure).
    pub(crate) fn raw(&self) -> [f64; MEASURED.len()] {
        let mut t = self.times.clone();
        t.sort_by(f64::total_cmp);
        let p95 = if t.is_empty() {
            f64::NAN
        } else {
            let rank = (0.95 * t.len() as f64).ceil() as usize;
            t[rank.clamp(1, t.len()) - 1]
        };
        let len = if self.events == 0 {
            f64::NAN
        } else {
            self.length_sum as f64 / self.events as f64
        };
        [
            self.events as f64,
            self.errors as f64,
            self.failed_logins as f64,
            p95,
            len,
        ]
    }
}

/// The model's vector for raw features: log-scaled, so that a doubling weighs the same
/// at 10 events a minute as at 10 000.
///
/// The time of day is not a dimension: a forest that remembers a few hours of windows
/// (`sample`) would find every new hour unusual. Daily rhythms are followed instead by
/// the forest's sample moving with the stream.
pub(crate) fn vector(raw: &[f64; MEASURED.len()]) -> [f32; DIMS] {
    let mut v = [0f32; DIMS];
    for (i, x) in raw.iter().enumerate() {
        v[i] = x.max(0.0).ln_1p() as f32;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p95_counts_and_missing_measures() {
        let mut a = Acc::default();
        for i in 1..=100 {
            a.add(i % 10 == 0, i == 1, Some(f64::from(i)), 10);
        }
        assert_eq!(a.raw(), [100.0, 10.0, 1.0, 95.0, 10.0]);
        let v = vector(&a.raw());
        assert!((v[0] - 101f32.ln()).abs() < 1e-6);
        let empty = Acc::default().raw();
        assert_eq!(empty[0], 0.0);
        assert!(empty[3].is_nan() && empty[4].is_nan());
    }
}
