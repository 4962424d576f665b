//! Parser throughput in bytes/s: `cargo bench -p sluice-parse`.

/// The allocator the sluice binary uses, so that allocation costs match production.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sluice_parse::condition::Condition;
use sluice_parse::syslog::{decode, parse, DecodeOptions, ParseOptions};

const RFC5424: &[u8] = br#"<134>1 2026-11-24T12:00:00.123456+00:00 web-01.example.com django 4242 REQ [req@32473 id="r-9f2c" path="/api/v1/items"] ERROR 2026-11-24 12:00:00,123 views Database connection failed response_time:2500ms"#;
const RFC3164: &[u8] = b"<38>Nov 24 12:00:00 web-01 sshd[19939]: Failed password for invalid user admin from 10.0.0.7 port 50022 ssh2";
const PYTHON: &[u8] = b"<134>django: {\"level\": \"INFO\", \"logger\": \"studio.views\", \"message\": \"GET /health 200\", \"request_id\": \"r-1\"}\x00";

fn bench(c: &mut Criterion) {
    let opts = ParseOptions::default();
    let dopts = DecodeOptions {
        parse: opts,
        keep_original: false,
        peer_ip: Some("127.0.0.1".parse().unwrap()),
    };
    for (name, line) in [
        ("rfc5424", RFC5424),
        ("rfc3164", RFC3164),
        ("python_headerless", PYTHON),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function("parse", |b| {
            b.iter(|| parse(std::hint::black_box(line), &opts).is_ok())
        });
        g.bench_function("decode_to_event", |b| {
            b.iter(|| decode(std::hint::black_box(line), &dopts).is_ok())
        });
        g.bench_function("decode_and_encode_json", |b| {
            let mut out = Vec::with_capacity(1024);
            b.iter(|| {
                out.clear();
                let e = decode(std::hint::black_box(line), &dopts).unwrap_or_else(|e| e);
                e.write_json(&mut out);
                out.len()
            })
        });
        g.finish();
    }
    let cond = Condition::parse(r#"[log][syslog][severity][code] <= 3 or [log][syslog][facility][name] in ["auth", "authpriv"]"#).unwrap();
    let ev = decode(RFC5424, &dopts).unwrap();
    c.bench_function("condition/severity_or_facility", |b| {
        b.iter(|| cond.matches(std::hint::black_box(&ev)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
