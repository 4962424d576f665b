//! `sluice-alert-eval`: see [`sluice_bench_gen::evaluate`].
//!
//! Usage: sluice-alert-eval --sluice target/release/sluice --out DIR [--days 7]
//!        [--seed 1] [--peak 120] [--workspace .] [--anomaly 'threshold = 2.0; trees = 50']

use sluice_bench_gen::{evaluate, EvalOptions};
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| sluice_bench_gen::arg(&args, name);
    evaluate(&EvalOptions {
        sluice: PathBuf::from(arg("--sluice").expect("--sluice PATH")),
        out: PathBuf::from(arg("--out").expect("--out DIR")),
        days: arg("--days").map_or(7, |d| d.parse().expect("--days N")),
        seed: arg("--seed").map_or(1, |d| d.parse().expect("--seed N")),
        peak: arg("--peak").map_or(120.0, |d| d.parse().expect("--peak N")),
        workspace: PathBuf::from(arg("--workspace").unwrap_or_else(|| ".".into())),
        anomaly: arg("--anomaly").unwrap_or_default(),
    });
}
