//! Per-transform cost on the mission's Django line, and the whole studio chain
//! (config/default.toml's transforms in order), next to the syslog decode it follows.

/// The allocator the sluice binary uses, so that allocation costs match production.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sluice_config::{load_str, TransformNode};
use sluice_event::{Event, FieldPath, Value};

const LINE: &str = "ERROR 2026-11-24 12:00:00,123 views 4242 140234 Database connection failed request_id=req-7f3a response_time:2500ms user=bob";

fn node(body: &str) -> TransformNode {
    let text = format!(
        "[sources.s]\ntype=\"syslog\"\nmode=\"udp\"\naddress=\"127.0.0.1:0\"\n[transforms.t]\ninputs=[\"s\"]\n{body}\n[sinks.o]\ntype=\"blackhole\"\ninputs=[\"t\"]\n"
    );
    load_str("bench.toml", &text).unwrap().transforms["t"].clone()
}

fn event() -> Event {
    let mut e = Event::new();
    e.insert(&FieldPath::parse("message").unwrap(), LINE);
    e.insert(
        &FieldPath::parse("timestamp").unwrap(),
        "2026-11-24 12:00:00,123",
    );
    e.insert(&FieldPath::parse("level").unwrap(), "ERROR");
    e.insert(
        &FieldPath::parse("response_time").unwrap(),
        Value::from("2500"),
    );
    e
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("transform");
    g.throughput(Throughput::Bytes(LINE.len() as u64));
    let cases = [
        ("grok_django", "type = \"grok\"\npatterns = [\"%{LOGLEVEL:level} %{TIMESTAMP_ISO8601:timestamp} %{DATA:module} %{GREEDYDATA:message}\"]\noverwrite = [\"message\"]"),
        ("date_asctime", "type = \"date\"\nfield = \"timestamp\"\nformats = [\"yyyy-MM-dd HH:mm:ss,SSS\"]"),
        ("mutate_tag_convert", "type = \"mutate\"\nif = '[level] in [\"ERROR\", \"CRITICAL\"]'\nadd_tag = [\"error\"]\nconvert = { \"response_time\" = \"integer\" }"),
        ("kv", "type = \"kv\"\ntarget = \"kv\""),
        ("redact_all_detectors", "type = \"redact\""),
    ];
    for (name, body) in cases {
        let n = node(body);
        g.bench_function(name, |b| {
            b.iter_batched(
                || vec![event()],
                |mut batch| {
                    sluice_transforms::apply(&n, &mut batch);
                    batch
                },
                BatchSize::SmallInput,
            )
        });
    }
    // The studio chain, as the embedded default runs it.
    let p = load_str("default.toml", sluice_config::DEFAULT_CONFIG).unwrap();
    let order = [
        "django",
        "asctime",
        "errors",
        "timings",
        "request_ids",
        "cat_security",
        "cat_audit",
        "cat_performance",
        "cat_system",
        "cat_application",
        "redact",
    ];
    let chain: Vec<TransformNode> = order.iter().map(|id| p.transforms[*id].clone()).collect();
    g.bench_function("studio_chain", |b| {
        b.iter_batched(
            || {
                let mut e = Event::new();
                e.insert(&FieldPath::parse("message").unwrap(), LINE);
                vec![e]
            },
            |mut batch| {
                for n in &chain {
                    sluice_transforms::apply(n, &mut batch);
                }
                batch
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
