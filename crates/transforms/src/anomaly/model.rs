//! One group's model: a Random Cut Forest (the `rcf3` crate) over its windows, what is
//! usual for each feature, and the verdict on its latest window.

use super::features::{vector, Acc, DIMS, MEASURED};
use rcf3::Forest;
use serde::{Deserialize, Serialize};

/// How fast "usual" values and the score's own mean and spread follow normal windows.
const EWMA: f64 = 0.05;
/// How far (in its usual spreads) a feature must be from its usual value to be named.
const NAMED_SPREADS: f64 = 3.0;
/// The smallest spread assumed, in log space (about 10 %): a feature that never moved
/// is not "infinitely" unusual for a tiny change.
const MIN_SPREAD: f64 = 0.1;
/// The least change of a count (events, errors, failed logins per window) worth an anomaly.
const MIN_COUNT_CHANGE: f64 = 5.0;
/// The least relative change of a measure (p95 response time, message length) worth one.
const MIN_RELATIVE: f64 = 0.5;
/// Events a window needs for its measures (p95, mean length) to be named.
const MIN_SAMPLE: f64 = 20.0;

/// The model's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tuning {
    pub(crate) trees: usize,
    pub(crate) sample: usize,
    pub(crate) warmup: u64,
    pub(crate) threshold: f64,
    pub(crate) sensitivity: f64,
    pub(crate) relearn: u64,
    pub(crate) seed: u64,
}

/// The verdict on a window.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Verdict {
    pub(crate) start_ms: i64,
    pub(crate) score: f64,
    pub(crate) anomalous: bool,
    pub(crate) explanation: String,
    pub(crate) raw: [f64; MEASURED.len()],
}

/// One group's model and current window.
#[derive(Serialize, Deserialize)]
pub(crate) struct GroupModel {
    forest: Forest,
    /// The window being filled: its start and its events.
    pub(crate) start_ms: i64,
    pub(crate) acc: Acc,
    /// Windows learned from.
    windows: u64,
    /// Usual raw values (followed on normal windows).
    usual: [f64; MEASURED.len()],
    /// Mean and variance of each dimension of the vector on normal windows, for the
    /// explanation.
    v_mean: [f64; DIMS],
    v_var: [f64; DIMS],
    score_mean: f64,
    score_var: f64,
    /// Anomalous windows in a row.
    streak: u64,
    /// The latest closed window's verdict.
    pub(crate) last: Option<Verdict>,
}

impl std::fmt::Debug for GroupModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupModel")
            .field("start_ms", &self.start_ms)
            .field("windows", &self.windows)
            .field("usual", &self.usual)
            .finish()
    }
}

fn show(x: f64) -> String {
    if x >= 100.0 || x.fract().abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

impl GroupModel {
    pub(crate) fn new(t: &Tuning, start_ms: i64) -> Result<Self, String> {
        let forest = Forest::builder(DIMS)
            .num_trees(t.trees)
            .capacity(t.sample)
            .seed(t.seed)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(GroupModel {
            forest,
            start_ms,
            acc: Acc::default(),
            windows: 0,
            usual: [0.0; MEASURED.len()],
            v_mean: [0.0; DIMS],
            v_var: [0.0; DIMS],
            score_mean: 0.0,
            score_var: 0.0,
            streak: 0,
            last: None,
        })
    }

    /// Scores the window that started at `start_ms` with raw features `raw`, learns from
    /// it unless it is anomalous, and returns the verdict.
    pub(crate) fn close(
        &mut self,
        t: &Tuning,
        interval: &str,
        mut raw: [f64; MEASURED.len()],
        start_ms: i64,
    ) -> Verdict {
        // A measure no event carried (no response time in the window) is taken as usual.
        for (x, u) in raw.iter_mut().zip(self.usual) {
            if x.is_nan() {
                *x = u;
            }
        }
        let v = vector(&raw);
        let ready = self.windows >= t.warmup;
        let score = if ready {
            self.forest.score(&v).unwrap_or(0.0)
        } else {
            0.0
        };
        let spread = self.score_var.sqrt();
        let unusual =
            ready && score > t.threshold && score > self.score_mean + t.sensitivity * spread;
        // The forest finds the window unusual; it is an anomaly only if some measure moved
        // by an amount a person would act on (one failed login where there are usually
        // none is rare, not an incident: a quiet site would otherwise raise one a minute,
        // and, never learned, the next one as well).
        let explanation = if unusual {
            self.explain(&v, &raw, interval)
        } else {
            String::new()
        };
        let anomalous = !explanation.is_empty();
        self.streak = if anomalous { self.streak + 1 } else { 0 };
        // An incident is not learned as normal, unless it lasts so long (`relearn`
        // windows) that it is the new normal.
        if !anomalous || self.streak > t.relearn {
            let _ = self.forest.update(&v);
            self.windows += 1;
            let a = if self.windows == 1 { 1.0 } else { EWMA };
            for (u, x) in self.usual.iter_mut().zip(raw) {
                *u += a * (x - *u);
            }
            for ((x, m), var) in v.iter().zip(&mut self.v_mean).zip(&mut self.v_var) {
                let d = f64::from(*x) - *m;
                *m += a * d;
                *var = (1.0 - a) * (*var + a * d * d);
            }
            if ready {
                let d = score - self.score_mean;
                self.score_mean += EWMA * d;
                self.score_var = (1.0 - EWMA) * (self.score_var + EWMA * d * d);
            }
        }
        let verdict = Verdict {
            start_ms,
            score,
            anomalous,
            explanation,
            raw,
        };
        self.last = Some(verdict.clone());
        verdict
    }

    /// Which features drove the score, in words: "45 errors in 1m (usually 2)". The
    /// forest says whether a window is unusual; the features named are those at least
    /// three usual spreads (log scale) from their usual values and changed by at least
    /// [`MIN_COUNT_CHANGE`] (counts) or [`MIN_RELATIVE`] (measures). Empty: nothing moved
    /// enough to be an anomaly.
    fn explain(&self, v: &[f32; DIMS], raw: &[f64; MEASURED.len()], interval: &str) -> String {
        let mut parts: Vec<(f64, String)> = Vec::new();
        for (i, name) in MEASURED.iter().enumerate() {
            let spread = self.v_var[i].sqrt().max(MIN_SPREAD);
            let share = (f64::from(v[i]) - self.v_mean[i]).abs() / spread;
            if share < NAMED_SPREADS {
                continue;
            }
            let (now, usual) = (raw[i], self.usual[i]);
            let moved = match *name {
                // A mean or a percentile of a handful of events is noise, not news.
                "response_time_p95" | "message_length" if raw[0] < MIN_SAMPLE => false,
                "response_time_p95" | "message_length" => {
                    (now - usual).abs() >= MIN_RELATIVE * usual.max(1.0)
                }
                _ => (now - usual).abs() >= MIN_COUNT_CHANGE,
            };
            if !moved {
                continue;
            }
            let what = match *name {
                "response_time_p95" => format!(
                    "p95 response time {} ms (usually {} ms)",
                    show(now),
                    show(usual)
                ),
                "message_length" => format!(
                    "messages {} characters long on average (usually {})",
                    show(now),
                    show(usual)
                ),
                "failed_logins" => format!(
                    "{} failed logins in {interval} (usually {})",
                    show(now),
                    show(usual)
                ),
                other => format!(
                    "{} {other} in {interval} (usually {})",
                    show(now),
                    show(usual)
                ),
            };
            parts.push((share, what));
        }
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        parts
            .into_iter()
            .take(3)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join("; ")
    }
}
