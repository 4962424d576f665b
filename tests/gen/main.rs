//! `sluice-studiogen`: writes generated studio logs with injected incidents.
//!
//! Usage: sluice-studiogen [--days 7] [--seed 1] [--peak 120] [--format django|json]
//!        [--incidents FILE.json] [--rough] > studio.log
//!
//! `--rough` adds tracebacks, bytes that are not UTF-8 and stray lines.

use sluice_bench_gen::{generate, incidents_json, plan, Format, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| sluice_bench_gen::arg(&args, name);
    let o = Options {
        start: 1_795_392_000,
        days: arg("--days").map_or(7, |d| d.parse().expect("--days N")),
        seed: arg("--seed").map_or(1, |d| d.parse().expect("--seed N")),
        peak_per_min: arg("--peak").map_or(120.0, |d| d.parse().expect("--peak N")),
        format: match arg("--format").as_deref() {
            None | Some("django") => Format::Django,
            Some("json") => Format::Json,
            Some(f) => panic!("unknown --format {f}: django or json"),
        },
        rough: args.iter().any(|a| a == "--rough"),
    };
    let incidents = plan(&o);
    if let Some(f) = arg("--incidents") {
        std::fs::write(f, incidents_json(&incidents).to_string()).expect("write --incidents");
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    generate(&o, &incidents, &mut w).expect("write");
}
