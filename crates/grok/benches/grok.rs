//! Grok matching speed: the mission's Django pattern on a matching and a failing line,
//! and SYSLOGLINE from the standard library.

/// The allocator the sluice binary uses, so that allocation costs match production.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sluice_grok::{Grok, Library};

fn bench(c: &mut Criterion) {
    let lib = Library::builtin();
    let cases = [
        (
            "django/match",
            "%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}",
            "ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed response_time:2500ms",
        ),
        (
            "django/no_match",
            "%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}",
            "GET /api/v1/items/42 HTTP/1.1 200 5120 \"-\" \"Mozilla/5.0\" request_id=abc response_time:12ms",
        ),
        (
            "syslogline/match",
            "%{SYSLOGLINE}",
            "Nov 24 12:00:00 web-01 sshd[4242]: Failed password for invalid user admin from 10.0.0.7 port 52144 ssh2",
        ),
    ];
    let mut g = c.benchmark_group("grok");
    for (name, pattern, line) in cases {
        let grok = Grok::new(pattern, &lib, 1_000_000).unwrap();
        g.throughput(Throughput::Bytes(line.len() as u64));
        // As the transform runs it: match data checked out once per batch.
        let mut scratch = grok.scratch();
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0;
                let _ = scratch.matches(line, |_, _| n += 1);
                n
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
